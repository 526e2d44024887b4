import { parseArgs } from 'node:util';
import { createDb as createMonolithDb } from '@course/monolith/db';
import { ConfigError, createLogger, isDependencyDown, parseConfig } from '@course/service-kit';
import { z } from 'zod';
import routes from '../../routes.ts';
import { createDb as createSlotsDb } from '../slots/db.ts';
import {
  backfill,
  describeMismatch,
  handoff,
  VerificationError,
  verify,
  type WalletDatabases,
} from './handoff.ts';
import { slotsShare } from './ownership.ts';

const USAGE = `Usage: wallets <backfill|verify|handoff> [--share <0-100>] [--traffic-stopped]

  backfill   copy the wallets and spins of the players the slots service owns at the share
             from the monolith's database into the slots database (re-runnable)
  verify     compare balances, spin counts and net winnings of every wallet in both databases
  handoff    move every wallet whose owner changes at the share: copy, verify, delete the old one

The share defaults to the slots share of routes.ts. A handoff needs the spins stopped: the slots
routes frozen in routes.ts, or --traffic-stopped when nothing serves them (the local stage runs
it before the facade starts). Environment: DATABASE_URL (the slots database) and
MONOLITH_DATABASE_URL.`;

const configSchema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  MONOLITH_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

const commandSchema = z.object({
  command: z.enum(['backfill', 'verify', 'handoff']),
  // Digits only: z.coerce would read '' as 0 and hand every wallet to the monolith.
  share: z
    .string()
    .regex(/^\d{1,3}$/)
    .transform(Number)
    .pipe(z.number().max(100)),
  trafficStopped: z.boolean(),
});

/** True when every slots route of the bundled table answers 503 without reaching a target. */
const slotsFrozen = routes.routes
  .filter((route) => route.canary?.target === 'slots')
  .every((route) => route.frozen === true);

const log = createLogger({ service: 'wallets' });
try {
  const parsed = commandSchema.safeParse(readArguments());
  if (!parsed.success) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  if (parsed.data.command === 'handoff' && !(parsed.data.trafficStopped || slotsFrozen)) {
    process.stderr.write(`The spins are not stopped: one during the handoff would be lost.\n`);
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  const config = parseConfig(configSchema, process.env);
  log.level = config.LOG_LEVEL;
  const dbs: WalletDatabases = {
    monolith: createMonolithDb(config.MONOLITH_DATABASE_URL, 2),
    slots: createSlotsDb(config.DATABASE_URL, 2),
  };
  try {
    process.exitCode = await run(dbs, parsed.data.command, parsed.data.share);
  } finally {
    await Promise.all([dbs.monolith.$disconnect(), dbs.slots.$disconnect()]);
  }
} catch (err) {
  if (isDependencyDown(err)) log.fatal({ err }, 'a database could not be reached');
  else if (err instanceof ConfigError || err instanceof VerificationError) log.fatal(err.message);
  else throw err;
  process.exitCode = 1;
}

/** The command line as plain values; undefined where it cannot be read (zod then refuses). */
function readArguments() {
  try {
    const { values, positionals } = parseArgs({
      options: { share: { type: 'string' }, 'traffic-stopped': { type: 'boolean' } },
      allowPositionals: true,
    });
    return {
      command: positionals[0],
      share: values.share ?? String(slotsShare(routes)),
      trafficStopped: values['traffic-stopped'] ?? false,
    };
  } catch {
    return undefined; // an unknown option or a missing value
  }
}

async function run(
  dbs: WalletDatabases,
  command: 'backfill' | 'verify' | 'handoff',
  share: number,
): Promise<number> {
  switch (command) {
    case 'backfill': {
      const copied = await backfill(dbs, share);
      log.info({ share, copied: copied.length }, `copied ${copied.length} wallet(s) into slots`);
      return 0;
    }
    case 'verify': {
      const mismatches = await verify(dbs);
      for (const mismatch of mismatches) log.error(mismatch, describeMismatch(mismatch));
      log.info({ mismatches: mismatches.length }, `${mismatches.length} mismatch(es)`);
      return mismatches.length === 0 ? 0 : 1;
    }
    case 'handoff':
      await handoff(dbs, share, log);
      return 0;
  }
}

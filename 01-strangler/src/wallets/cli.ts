import { parseArgs } from 'node:util';
import { createDb as createMonolithDb } from '@course/monolith/db';
import { ConfigError, createLogger, parseConfig } from '@course/service-kit';
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

const USAGE = `Usage: wallets <backfill|verify|handoff> [--share <0-100>]

  backfill   copy the wallets and spins of the players the slots service owns at the share
             from the monolith's database into the slots database (re-runnable)
  verify     compare balances, spin counts and net winnings of every wallet in both databases
  handoff    move every wallet whose owner changes at the share: copy, verify, delete the old one

The share defaults to the slots share of routes.ts. Environment: DATABASE_URL (the slots
database) and MONOLITH_DATABASE_URL.`;

const configSchema = z.object({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  MONOLITH_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

const commandSchema = z.object({
  command: z.enum(['backfill', 'verify', 'handoff']),
  share: z.coerce.number().int().min(0).max(100),
});

const log = createLogger({ service: 'wallets' });
try {
  const { values, positionals } = parseArgs({
    options: { share: { type: 'string' } },
    allowPositionals: true,
  });
  const parsed = commandSchema.safeParse({
    command: positionals[0],
    share: values.share ?? slotsShare(routes),
  });
  if (!parsed.success) {
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
  if (!(err instanceof ConfigError || err instanceof VerificationError)) throw err;
  log.fatal(err.message);
  process.exitCode = 1;
}

async function run(dbs: WalletDatabases, command: string, share: number): Promise<number> {
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
    default:
      await handoff(dbs, share, log);
      return 0;
  }
}

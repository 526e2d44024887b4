import { parseArgs } from 'node:util';

export const USAGE = `Usage: pnpm contract --base-url <url> [--stage <nn>] [--fuzz] [--runs <n>]

Checks a running stage of the course app against packages/contract/openapi.yaml.

  --base-url <url>  where the stage answers, e.g. http://127.0.0.1:3000
  --stage <nn>      the stage running there, e.g. 04: also checks the operations that exist
                    from that stage on (x-since-stage); without it, only those every stage has
  --fuzz            also throw random and hostile requests at every endpoint
  --runs <n>        fuzz requests per endpoint (default 40)
  --help            show this text`;

export interface CliArguments {
  baseUrl: string;
  fuzz: boolean;
  runs: number | undefined;
  stage: string | undefined;
}

/** Returns the arguments, or the message explaining why they are unusable. */
export function parseCliArguments(argv: string[]): CliArguments | { error: string } | 'help' {
  let values: {
    'base-url'?: string;
    fuzz?: boolean;
    runs?: string;
    stage?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'base-url': { type: 'string' },
        fuzz: { type: 'boolean', default: false },
        runs: { type: 'string' },
        stage: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    return { error: (error as Error).message };
  }
  if (values.help) return 'help';
  if (!values['base-url']) return { error: 'missing --base-url' };
  if (
    !URL.canParse(values['base-url']) ||
    !/^https?:$/.test(new URL(values['base-url']).protocol)
  ) {
    return { error: `--base-url must be an http(s) URL, got ${values['base-url']}` };
  }
  const runs = values.runs === undefined ? undefined : Number(values.runs);
  if (runs !== undefined && (!Number.isInteger(runs) || runs < 1)) {
    return { error: `--runs must be a positive integer, got ${values.runs}` };
  }
  if (values.stage !== undefined && !/^\d\d$/.test(values.stage)) {
    return { error: `--stage must be two digits, e.g. 04, got ${values.stage}` };
  }
  return { baseUrl: values['base-url'], fuzz: values.fuzz === true, runs, stage: values.stage };
}

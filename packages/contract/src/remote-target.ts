/** The environment variables through which the CLI tells the remote test file what to test. */
export const REMOTE_ENV = {
  baseUrl: 'CONTRACT_BASE_URL',
  fuzz: 'CONTRACT_FUZZ',
  runs: 'CONTRACT_FUZZ_RUNS',
  stage: 'CONTRACT_STAGE',
} as const;

export interface RemoteTarget {
  baseUrl: string;
  fuzz: boolean;
  runs: number | undefined;
  stage: string | undefined;
}

export function readRemoteTarget(env: NodeJS.ProcessEnv): RemoteTarget {
  const baseUrl = env[REMOTE_ENV.baseUrl];
  if (!baseUrl) {
    throw new Error(
      `${REMOTE_ENV.baseUrl} is not set: run this file with \`pnpm contract --base-url <url>\``,
    );
  }
  const runs = env[REMOTE_ENV.runs];
  return {
    baseUrl,
    fuzz: env[REMOTE_ENV.fuzz] === '1',
    runs: runs ? Number(runs) : undefined,
    stage: env[REMOTE_ENV.stage] || undefined,
  };
}

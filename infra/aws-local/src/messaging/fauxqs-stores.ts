/*
 * fauxqs's stores, built here rather than inside `buildApp`, for two reasons: S3 objects kept as
 * files (fauxqs's FileS3Persistence) are wired only by `startFauxqs`, which listens on 0.0.0.0
 * (a laptop's services stay on 127.0.0.1, server.ts); and the conditional-write check
 * (conditional-writes.ts) must look into the S3 store. `buildApp({ stores })` takes the stores,
 * but fauxqs's package exports only its entry point, so their classes are loaded from the files
 * next to it. fauxqs is pinned to one version in the workspace's catalog; should a new version
 * move these files, every start fails here, naming the file, and messaging.test.ts with it.
 */
import { mkdirSync } from 'node:fs';
import type { BuildAppOptions } from 'fauxqs';

export type FauxqsStores = NonNullable<BuildAppOptions['stores']>;
export type S3Store = FauxqsStores['s3Store'];
type S3Persistence = NonNullable<S3Store['persistence']>;

async function fauxqsClass<T>(file: string, name: string): Promise<new (...args: never[]) => T> {
  const url = new URL(file, import.meta.resolve('fauxqs'));
  const module: Record<string, unknown> = await import(url.href);
  const found = module[name];
  if (typeof found !== 'function') {
    throw new Error(`fauxqs has no ${name} in ${url.pathname}: has its layout changed?`);
  }
  return found as new (
    ...args: never[]
  ) => T;
}

/**
 * New, empty SQS and SNS stores, and an S3 store whose objects are files under `s3StorageDir`
 * (loaded from it first, so a restart keeps them), or in memory without one. `close` flushes
 * nothing (every write goes straight to its file) but releases the folder.
 */
export async function createFauxqsStores(
  s3StorageDir: string | undefined,
): Promise<{ stores: FauxqsStores; close(): void }> {
  const [SqsStore, SnsStore, S3StoreClass] = await Promise.all([
    fauxqsClass<FauxqsStores['sqsStore']>('./sqs/sqsStore.js', 'SqsStore'),
    fauxqsClass<FauxqsStores['snsStore']>('./sns/snsStore.js', 'SnsStore'),
    fauxqsClass<S3Store>('./s3/s3Store.js', 'S3Store'),
  ]);
  const s3Store = new S3StoreClass();
  let persistence: S3Persistence | undefined;
  if (s3StorageDir !== undefined) {
    mkdirSync(s3StorageDir, { recursive: true });
    const FileS3Persistence = await fauxqsClass<S3Persistence>(
      './s3/fileS3Persistence.js',
      'FileS3Persistence',
    );
    persistence = new (FileS3Persistence as new (dir: string) => S3Persistence)(s3StorageDir);
    // Loaded before it is attached, as startFauxqs does: loading must not write back.
    persistence.loadS3(s3Store);
    s3Store.persistence = persistence;
  }
  return {
    stores: { sqsStore: new SqsStore(), snsStore: new SnsStore(), s3Store },
    close: () => persistence?.close(),
  };
}

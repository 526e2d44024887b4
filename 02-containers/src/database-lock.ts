import pg from 'pg';

/**
 * Runs `work` on a connection to `databaseUrl` that holds this stage's advisory lock on that
 * database, so that the programs that change a database's setup (the provisioning on the server,
 * the migrations of each service's tasks, which start together) take turns. The lock belongs to
 * the session: it is released when the connection ends, whatever happens.
 */
export async function whileLocked(
  databaseUrl: string,
  work: (client: pg.Client) => Promise<void>,
): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', ['course-database-setup']);
    await work(client);
  } finally {
    await client.end();
  }
}

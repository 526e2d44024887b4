/**
 * Registers a player on a running stage and logs in, for a benchmark's authenticated requests;
 * returns the bearer token. Any other answer stops the benchmark here, with the status, rather
 * than later as a measurement of error pages.
 */
export async function signUpPlayer(baseUrl: string, username: string): Promise<string> {
  const credentials = JSON.stringify({ username, password: 'benchmark-password' });
  const post = (path: string) =>
    fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: credentials,
    });
  const registered = await post('/api/users');
  if (!registered.ok) throw new Error(`${baseUrl}: signing up ${username}: ${registered.status}`);
  await registered.body?.cancel();
  const session = await post('/api/sessions');
  if (!session.ok) throw new Error(`${baseUrl}: logging in ${username}: ${session.status}`);
  return ((await session.json()) as { token: string }).token;
}

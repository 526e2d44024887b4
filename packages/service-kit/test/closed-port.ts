import { createConnection, createServer } from 'node:net';

/** A port on 127.0.0.1 that was just free: nothing listens on it. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The real error Node raises when a database (or anything) is not listening. */
export async function connectionRefusedError(): Promise<Error> {
  const port = await closedPort();
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => reject(new Error(`something is listening on ${port}`)));
    socket.once('error', resolve);
  });
}

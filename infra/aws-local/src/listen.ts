/*
 * How each of the runtime's HTTP servers (an HTTP API, the Invoke API, the Step Functions API)
 * listens and stops: on 127.0.0.1 unless told otherwise, a port already taken rejecting the start
 * (EADDRINUSE) instead of throwing from an event, and a stop that closes idle pooled connections
 * at once rather than waiting for the clients to drop them.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Listening {
  url: string;
  stop(): Promise<void>;
}

export async function listen(server: Server, port: number, host = '127.0.0.1'): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${bound}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

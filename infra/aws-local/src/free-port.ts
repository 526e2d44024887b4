import { createServer } from 'node:net';

/**
 * Asks the OS for a free port on 127.0.0.1: for a server whose URL must be known before it starts
 * (an HTTP API's URL is resolved into the model its server is then built from; the runner tells a
 * process its port). Also the local runner's (@course/local re-exports it).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

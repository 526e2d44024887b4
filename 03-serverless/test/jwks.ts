import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenIssuer } from '@course/service-kit/core';

/**
 * The users service's public keys, as it publishes them, served on a port of this machine: what
 * a function's JWKS_URL names in the handlers' tests.
 */
export async function serveJwks(
  issuer: TokenIssuer,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(issuer.jwks()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Which slots function serves which operation of the contract. */
export type SlotsFunctionName = 'write' | 'read';

export interface SlotsRoute {
  method: 'GET' | 'POST';
  path: string;
  fn: SlotsFunctionName;
}

/**
 * The HTTP API's routes: exactly the contract's `/api/slots/*` operations (a test compares them
 * with packages/contract/openapi.yaml). Everything else — an unknown path, a wrong method — falls
 * to the `$default` route, which the read function answers with the contract's 404 problem.
 */
export const SLOTS_ROUTES: readonly SlotsRoute[] = [
  { method: 'GET', path: '/api/slots/machine', fn: 'read' },
  { method: 'GET', path: '/api/slots/wallet', fn: 'read' },
  { method: 'POST', path: '/api/slots/spins', fn: 'write' },
  { method: 'GET', path: '/api/slots/spins', fn: 'read' },
  { method: 'GET', path: '/api/slots/leaderboard', fn: 'read' },
];

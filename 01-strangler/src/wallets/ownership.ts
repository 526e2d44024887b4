import { chooseTarget, type Route, type RouteTable } from '@course/facade/route-table';

export type Implementation = 'monolith' | 'slots';

/**
 * Who owns a player's wallet at a given share: the implementation the facade pins that player
 * to. It is the facade's own choice function, so the two can never disagree.
 */
export function walletOwner(share: number): (playerId: string) => Implementation {
  const route: Route<Implementation> = {
    name: 'wallets',
    paths: ['/api/slots/*'],
    target: 'monolith',
    canary: { target: 'slots', share },
  };
  return (playerId) => chooseTarget(route, playerId);
}

/**
 * The slots share of a route table. Every route whose canary is the slots service must use the
 * same share: a player whose wallet requests and spins met different implementations would see
 * two wallets.
 */
export function slotsShare(table: RouteTable<Implementation>): number {
  const shares = new Set(
    table.routes.flatMap((route) => (route.canary?.target === 'slots' ? [route.canary.share] : [])),
  );
  const [share, ...others] = shares;
  if (share === undefined) return 0;
  if (others.length > 0) {
    throw new Error(`The slots routes disagree on the canary share: ${[...shares].join(', ')} %`);
  }
  return share;
}

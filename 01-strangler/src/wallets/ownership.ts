import { ownerOf, type RouteTable, withCanaryShare } from '@course/facade/route-table';
import routes from '../../routes.ts';

export type Implementation = 'monolith' | 'slots';

/**
 * Who owns a player's wallet at a given share: the implementation the facade pins that player
 * to, read from the route table itself with the share moved, so the two can never disagree.
 */
export function walletOwner(
  share: number,
  table: RouteTable<Implementation> = routes,
): (playerId: string) => Implementation {
  const moved = withCanaryShare(table, 'slots', share);
  const route = moved.routes.find(
    (r) => r.canary?.target === 'slots' && r.stickiness !== 'request',
  );
  if (route === undefined)
    throw new Error('No route of the table pins players to the slots service');
  return (playerId) => ownerOf(route, playerId);
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

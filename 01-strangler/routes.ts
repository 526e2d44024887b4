import { defineRouteTable } from '@course/facade/route-table';

/**
 * Stage 01's route table: the one place that says who serves what. The local facade reads it,
 * and so does the CDK app, which turns it into ALB listener rules with weighted target groups.
 *
 * Every slots route shares one canary share, because a player's wallet has one owner: the
 * implementation that player is pinned to. Changing the share moves wallets (see the lab).
 */
const slotsCanary = { target: 'slots', share: 100 } as const;

export default defineRouteTable({
  targets: ['monolith', 'slots'],
  routes: [
    {
      // Ranks every wallet, so while the wallets are split between the two implementations the
      // facade asks both and merges (see leaderboard.ts); on one target it is a plain route.
      name: 'leaderboard',
      paths: ['/api/slots/leaderboard'],
      target: 'monolith',
      canary: slotsCanary,
      timeoutMs: 5_000,
    },
    {
      name: 'slots',
      paths: ['/api/slots/*'],
      target: 'monolith',
      canary: slotsCanary,
      stickiness: 'player',
      timeoutMs: 5_000,
    },
    { name: 'monolith', paths: ['/*'], target: 'monolith', timeoutMs: 10_000 },
  ],
});

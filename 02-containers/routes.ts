import { defineRouteTable } from '@course/facade/route-table';

/**
 * Stage 02's route table: one service per path family, nothing left to a monolith. The local
 * gateway reads it, and so does the CDK app, which turns each route into ALB listener rules.
 *
 * No route reaches `/internal/*`: the forum calls the slots service there at its discovered
 * address, so those endpoints never face the internet.
 */
export default defineRouteTable({
  targets: ['users', 'forum', 'slots'],
  routes: [
    {
      name: 'users',
      paths: ['/api/users', '/api/sessions', '/api/me', '/.well-known/jwks.json'],
      target: 'users',
      timeoutMs: 5_000,
    },
    { name: 'forum', paths: ['/api/threads', '/api/threads/*'], target: 'forum', timeoutMs: 5_000 },
    { name: 'slots', paths: ['/api/slots/*'], target: 'slots', timeoutMs: 5_000 },
  ],
});

import { usernameSchema } from '@course/monolith/users';
import { exactRouter, HttpError, parseBody, problems } from '@course/service-kit';
import { z } from 'zod';
import { findTitle } from '../purchases/catalog.ts';
import { FORUM_TITLE_GRANTS_PATH } from '../purchases/saga.ts';
import type { AsyncForumDatabase } from './db.ts';
import { cancelGrant, type GrantRefusal, grantTitle } from './titles.ts';

/**
 * The problem type of each refusal (409): how a caller tells them apart. The grant step treats
 * them all alike (the grant will never happen: compensate), a person reading the log does not.
 */
export const GRANT_REFUSAL_TYPES: Record<GrantRefusal, string> = {
  'already-owned': '/problems/title-already-owned',
  cancelled: '/problems/title-grant-cancelled',
  mismatch: '/problems/title-grant-mismatch',
};

const REFUSAL_DETAILS: Record<GrantRefusal, string> = {
  'already-owned': 'The player already holds this title from another purchase.',
  cancelled: 'This purchase was cancelled; its title can no longer be granted.',
  mismatch: 'This purchase already granted a title to another player, or another title.',
};

const titleGrantSchema = z.object({
  userId: z.uuid(),
  username: usernameSchema,
  titleId: z.string().refine((id) => findTitle(id) !== undefined, 'No such title in the catalog.'),
});

/** A malformed id can never name a purchase, so it is a 404 like any unknown id. */
function purchaseIdFrom(param: string | undefined): string {
  const parsed = z.uuid().safeParse(param);
  if (!parsed.success) throw problems.notFound('No such purchase.');
  return parsed.data;
}

/**
 * The forum's internal routes for the purchase saga's grant and cancel steps:
 * - PUT    /internal/title-grants/{purchaseId} {userId, username, titleId}
 *          → 200 {outcome: 'granted'}, or 409 problem+json when refused for good;
 * - DELETE /internal/title-grants/{purchaseId} → 200 {outcome: 'revoked' | 'cancelled'}.
 * Both are idempotent by purchase id. The request id the caller sends (the purchase's) is the
 * one these requests log under, like any other request of the service.
 *
 * They are on the forum's own server, not in the public API: the public route table (the load
 * balancer's rules on AWS, the local gateway) routes only the contract's paths, so a request for
 * /internal/* from outside gets the gateway's 404. Only the step functions call them, at the
 * forum's address inside the VPC.
 */
export function titleGrantRoutes({ db }: { db: AsyncForumDatabase }) {
  const path = `${FORUM_TITLE_GRANTS_PATH}/:purchaseId`;
  return exactRouter()
    .put(path, async (req, res) => {
      const purchaseId = purchaseIdFrom(req.params.purchaseId);
      const request = parseBody(titleGrantSchema, req.body);
      const result = await grantTitle(db, purchaseId, request);
      const grantLog = res.locals.log.child({ purchaseId, titleId: request.titleId });
      if (result.outcome === 'refused') {
        grantLog.info({ reason: result.reason }, 'title grant refused');
        throw new HttpError(409, {
          type: GRANT_REFUSAL_TYPES[result.reason],
          title: 'Title grant refused',
          detail: REFUSAL_DETAILS[result.reason],
        });
      }
      grantLog.info({ username: request.username }, 'title granted');
      res.json(result);
    })
    .delete(path, async (req, res) => {
      const purchaseId = purchaseIdFrom(req.params.purchaseId);
      const outcome = await cancelGrant(db, purchaseId);
      res.locals.log.info({ purchaseId, outcome }, 'title grant cancelled');
      res.json({ outcome });
    });
}

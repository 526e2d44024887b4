import { z } from 'zod';
import {
  type CancelGrantResult,
  FORUM_TITLE_GRANTS_PATH,
  type GrantResult,
  SAGA_ERRORS,
} from './saga.ts';

/*
 * The grant and cancel steps' client of the forum's internal title routes. One attempt per call,
 * with a deadline: retrying is the state machine's job (its Retry, with backoff, visible in the
 * execution's history), not this client's, so that a retry is never hidden inside an attempt.
 * What comes back is sorted into the errors the state machine tells apart by name.
 */

/** The forum refused the grant for good (409): never retried, the saga compensates. */
export class TitleRefused extends Error {
  override readonly name = SAGA_ERRORS.titleRefused;
}

/** The forum did not answer in time, could not be reached, or answered 5xx or 429: retried. */
export class ForumUnavailable extends Error {
  override readonly name = SAGA_ERRORS.forumUnavailable;
}

/**
 * The forum answered what the contract between the two does not allow (another 4xx, a body of
 * the wrong shape): a bug on one side. Not a business refusal, so the state machine treats it
 * like any error: retried, then compensated.
 */
export class UnexpectedForumAnswer extends Error {
  override readonly name = 'UnexpectedForumAnswer';
}

/** Who gets which title: what the purchase record says. */
export interface TitleGrantBody {
  userId: string;
  username: string;
  titleId: string;
}

export interface ForumTitles {
  /** @throws TitleRefused, ForumUnavailable or UnexpectedForumAnswer */
  grant(purchaseId: string, body: TitleGrantBody, requestId: string): Promise<GrantResult>;
  /** @throws ForumUnavailable or UnexpectedForumAnswer */
  cancel(purchaseId: string, requestId: string): Promise<CancelGrantResult>;
}

const grantAnswer = z.object({ outcome: z.literal('granted') });
const cancelAnswer = z.object({ outcome: z.enum(['revoked', 'cancelled']) });
const problemAnswer = z.object({ type: z.string().optional(), detail: z.string().optional() });

export interface ForumTitlesOptions {
  /** Where the forum answers: locally its process, on AWS its Cloud Map name inside the VPC. */
  forumUrl: string;
  /** How long one call may take, answer included. Default 3 s. */
  timeoutMs?: number;
}

export function forumTitlesClient({
  forumUrl,
  timeoutMs = 3_000,
}: ForumTitlesOptions): ForumTitles {
  async function call(
    method: 'PUT' | 'DELETE',
    purchaseId: string,
    requestId: string,
    body?: TitleGrantBody,
  ): Promise<{ status: number; json: unknown }> {
    const url = new URL(`${FORUM_TITLE_GRANTS_PATH}/${encodeURIComponent(purchaseId)}`, forumUrl);
    const what = `${method} ${url.pathname}`;
    try {
      const response = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          'x-request-id': requestId,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // The deadline covers the body too: a forum that stalls mid-answer is unavailable.
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      return { status: response.status, json: parseJson(text) };
    } catch (err) {
      const reason =
        err instanceof Error && err.name === 'TimeoutError' ? 'no answer in time' : 'no connection';
      throw new ForumUnavailable(`${what}: ${reason} (${forumUrl})`, { cause: err });
    }
  }

  function failure(what: string, { status, json }: { status: number; json: unknown }): Error {
    const problem = problemAnswer.safeParse(json);
    const said = problem.success ? (problem.data.detail ?? problem.data.type ?? '') : '';
    const message = `${what}: the forum answered ${status}${said ? ` (${said})` : ''}`;
    if (status === 409) return new TitleRefused(message);
    if (status === 429 || status >= 500) return new ForumUnavailable(message);
    return new UnexpectedForumAnswer(message);
  }

  function expect<T>(
    schema: z.ZodType<T>,
    what: string,
    answer: { status: number; json: unknown },
  ): T {
    if (answer.status !== 200) throw failure(what, answer);
    const parsed = schema.safeParse(answer.json);
    if (!parsed.success)
      throw new UnexpectedForumAnswer(`${what}: the forum's 200 has an unexpected body`);
    return parsed.data;
  }

  return {
    async grant(purchaseId, body, requestId) {
      const answer = await call('PUT', purchaseId, requestId, body);
      return expect(grantAnswer, `granting ${body.titleId}`, answer);
    },
    async cancel(purchaseId, requestId) {
      const answer = await call('DELETE', purchaseId, requestId);
      return expect(cancelAnswer, 'cancelling the grant', answer);
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

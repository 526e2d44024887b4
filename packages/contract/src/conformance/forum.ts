import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { components } from '../generated/api.ts';
import {
  expectNewestFirst,
  type Harness,
  mentionsField,
  type Player,
  SETUP_TIMEOUT_MS,
} from '../harness.ts';

type Post = components['schemas']['Post'];
type ThreadSummary = components['schemas']['ThreadSummary'];

/** Threads and posts. */
export function describeForum(h: Harness): void {
  describe('forum', () => {
    let alice: Player;
    let bob: Player;
    beforeAll(async () => {
      alice = await h.newPlayer();
      bob = await h.newPlayer();
    }, SETUP_TIMEOUT_MS);

    async function createThread(title: string, body = 'An opening post.') {
      return h.expectStatus(
        await h.send('createThread', { token: alice.token, json: { title, body } }),
        201,
      );
    }

    it('POST /api/threads creates a thread whose body is the first post, with a Location', async () => {
      const response = await h.send('createThread', {
        token: alice.token,
        json: { title: '  A padded title  ', body: 'Three robots in a row!' },
      });

      const thread = h.expectStatus(response, 201);
      expect(thread.title).toBe('A padded title');
      expect(thread.author).toEqual({ id: alice.id, username: alice.username });
      expect(thread.posts).toHaveLength(1);
      expect(thread.nextCursor).toBeNull();
      expect(thread.posts[0]).toMatchObject({
        threadId: thread.id,
        body: 'Three robots in a row!',
      });
      expect(thread.posts[0]?.author.id).toBe(alice.id);
      const location = new URL(response.headers.get('location') ?? '', response.url);
      expect(location.pathname).toBe(`/api/threads/${thread.id}`);
    });

    it('POST /api/threads without a token: 401', async () => {
      const response = await h.send('createThread', { json: { title: 'No token', body: 'Nope.' } });

      h.expectProblem(response, 401, 'about:blank');
    });

    it.each([
      ['an empty title', { title: '', body: 'Body.' }, 'title'],
      ['a blank title (empty once trimmed)', { title: '    ', body: 'Body.' }, 'title'],
      ['a 121-character title', { title: 't'.repeat(121), body: 'Body.' }, 'title'],
      ['a numeric title', { title: 7, body: 'Body.' }, 'title'],
      ['an empty body', { title: 'Title', body: '' }, 'body'],
      ['a 5001-character body', { title: 'Title', body: 'b'.repeat(5001) }, 'body'],
      ['a missing body', { title: 'Title' }, 'body'],
    ])('rejects a thread with %s: 422 naming the field', async (_case, json, field) => {
      const response = await h.send('createThread', { token: alice.token, json });

      const problem = h.expectProblem(response, 422, '/problems/validation');
      expect(mentionsField(problem, field), JSON.stringify(problem.errors)).toBe(true);
    });

    it.each([
      ['a NUL in the title', { title: 'a\u0000b', body: 'Body.' }, 'title'],
      ['a lone high surrogate in the title', { title: 'Robot \ud83e', body: 'Body.' }, 'title'],
      ['a NUL in the body', { title: 'Title', body: 'Three\u0000robots' }, 'body'],
      ['a lone low surrogate in the body', { title: 'Title', body: '\ude00 Body.' }, 'body'],
    ])(
      'refuses a thread with %s, which a database cannot store: 422 naming the field',
      async (_case, json, field) => {
        const response = await h.send('createThread', { token: alice.token, json });

        const problem = h.expectProblem(response, 422, '/problems/validation');
        expect(mentionsField(problem, field), JSON.stringify(problem.errors)).toBe(true);
      },
    );

    it('stores emoji and other astral characters exactly as sent, in threads and replies', async () => {
      const title = '🎰 Jackpot! 🍒🍒🍒';
      const body =
        'Three robots 🤖🤖🤖, a clef 𝄞, a family 👨‍👩‍👧 and e\u0301 (é as e plus a combining accent).';
      const created = await createThread(title, body);
      const reply = h.expectStatus(
        await h.send('createPost', {
          token: bob.token,
          params: { id: created.id },
          json: { body: `Congrats 🎉 ${body}` },
        }),
        201,
      );

      const thread = h.expectStatus(await h.send('getThread', { params: { id: created.id } }), 200);

      expect(created.title).toBe(title);
      expect(thread.title).toBe(title);
      expect(thread.posts.map((post) => post.body)).toEqual([body, `Congrats 🎉 ${body}`]);
      expect(reply.body).toBe(`Congrats 🎉 ${body}`);
    });

    it('refuses a reply with a NUL or a lone surrogate in its body: 422 naming the field', async () => {
      const thread = await createThread('Unstorable replies');
      const params = { id: thread.id };

      const nul = await h.send('createPost', {
        token: bob.token,
        params,
        json: { body: '\u0000' },
      });
      const surrogate = await h.send('createPost', {
        token: bob.token,
        params,
        json: { body: 'Hi \ud800' },
      });

      expect(mentionsField(h.expectProblem(nul, 422, '/problems/validation'), 'body')).toBe(true);
      expect(mentionsField(h.expectProblem(surrogate, 422, '/problems/validation'), 'body')).toBe(
        true,
      );
    });

    it('counts characters, not UTF-16 code units: a title of 120 emoji is accepted, 121 refused', async () => {
      const longest = await createThread('🎰'.repeat(120));
      const tooLong = await h.send('createThread', {
        token: alice.token,
        json: { title: '🎰'.repeat(121), body: 'Body.' },
      });

      expect(longest.title).toBe('🎰'.repeat(120));
      const problem = h.expectProblem(tooLong, 422, '/problems/validation');
      expect(mentionsField(problem, 'title'), JSON.stringify(problem.errors)).toBe(true);
    });

    it('accepts the longest title and body (120 and 5000 characters)', async () => {
      const thread = await createThread('t'.repeat(120), 'b'.repeat(5000));

      expect(thread.title).toHaveLength(120);
      expect(thread.posts[0]?.body).toHaveLength(5000);
    });

    it('rejects a malformed, non-JSON or oversize thread body: 400, 415, 413', async () => {
      await h.expectUnreadableBodiesRefused('createThread', { token: alice.token });
    });

    it('GET /api/threads/{id} returns the thread with its posts, oldest first', async () => {
      const created = await createThread('Read me back', 'First!');
      const reply = h.expectStatus(
        await h.send('createPost', {
          token: bob.token,
          params: { id: created.id },
          json: { body: 'Second.' },
        }),
        201,
      );

      const thread = h.expectStatus(await h.send('getThread', { params: { id: created.id } }), 200);

      expect(thread.id).toBe(created.id);
      expect(thread.posts.map((post) => post.body)).toEqual(['First!', 'Second.']);
      expect(thread.posts[1]).toEqual(reply);
      expect(thread.nextCursor).toBeNull();
      expectOldestFirst(thread.posts);
    });

    it('GET /api/threads/{id} pages through every post oldest first, without duplicates', async () => {
      const limit = 2;
      const thread = await createThread('A long thread', 'Post 0');
      const bodies = ['Post 0'];
      for (let i = 1; i <= limit * 2; i += 1) {
        bodies.push(`Post ${i}`);
        const reply = await h.send('createPost', {
          token: bob.token,
          params: { id: thread.id },
          json: { body: `Post ${i}` },
        });
        h.expectStatus(reply, 201);
      }

      const posts = await walkPosts(h, thread.id, limit);
      const everything = h.expectStatus(
        await h.send('getThread', { params: { id: thread.id } }),
        200,
      );

      const ids = posts.map((post) => post.id);
      expect(new Set(ids).size, 'a post appeared on two pages').toBe(ids.length);
      expect(posts.map((post) => post.body)).toEqual(bodies);
      expectOldestFirst(posts);
      expect(
        everything.posts.map((post) => post.id),
        'the default page holds 50',
      ).toEqual(ids);
      expect(everything.nextCursor).toBeNull();
    });

    it.each([
      ['limit=0', 'limit=0'],
      ['limit=101', 'limit=101'],
      ['limit=abc', 'limit=abc'],
      ['limit=2.5', 'limit=2.5'],
      ['limit=-1', 'limit=-1'],
      ['a cursor that was never issued', 'cursor=this-is-not-a-cursor'],
      ['a NUL in the cursor', 'cursor=%00'],
    ])('GET /api/threads/{id} with %s: 400', async (_case, query) => {
      const thread = await createThread('Bad page requests');

      const response = await h.send('getThread', { params: { id: thread.id }, query });

      h.expectProblem(response, 400, 'about:blank');
    });

    it('POST /api/threads/{id}/posts replies: 201, and the listing counts the reply', async () => {
      const created = await createThread('Count my posts');

      const reply = h.expectStatus(
        await h.send('createPost', {
          token: bob.token,
          params: { id: created.id },
          json: { body: 'A reply.' },
        }),
        201,
      );

      expect(reply).toMatchObject({ threadId: created.id, body: 'A reply.' });
      expect(reply.author).toEqual({ id: bob.id, username: bob.username });
      const summary = await findThread(h, created.id);
      expect(summary.postCount).toBe(2);
      expect(Date.parse(summary.lastPostAt)).toBe(Date.parse(reply.createdAt));
    });

    it.each([
      ['an unknown thread id', () => randomUUID()],
      ['a malformed thread id', () => 'not-a-uuid'],
      ['an almost-UUID', () => `${randomUUID().slice(0, -1)}z`],
    ])('GET /api/threads/{id} with %s: 404', async (_case, id) => {
      const response = await h.send('getThread', { params: { id: id() } });

      h.expectProblem(response, 404, 'about:blank');
    });

    it('replying to an unknown or malformed thread id: 404', async () => {
      const unknown = await h.send('createPost', {
        token: alice.token,
        params: { id: randomUUID() },
        json: { body: 'Hello?' },
      });
      const malformed = await h.send('createPost', {
        token: alice.token,
        params: { id: '12345' },
        json: { body: 'Hello?' },
      });

      h.expectProblem(unknown, 404, 'about:blank');
      h.expectProblem(malformed, 404, 'about:blank');
    });

    it('replying without a token: 401; invalid body: 422; unreadable body: 400, 415, 413', async () => {
      const thread = await createThread('Reply rules');
      const params = { id: thread.id };

      const noToken = await h.send('createPost', { params, json: { body: 'Anonymous.' } });
      const empty = await h.send('createPost', { token: bob.token, params, json: { body: '' } });
      const tooLong = await h.send('createPost', {
        token: bob.token,
        params,
        json: { body: 'b'.repeat(5001) },
      });

      h.expectProblem(noToken, 401, 'about:blank');
      expect(mentionsField(h.expectProblem(empty, 422, '/problems/validation'), 'body')).toBe(true);
      expect(mentionsField(h.expectProblem(tooLong, 422, '/problems/validation'), 'body')).toBe(
        true,
      );
      await h.expectUnreadableBodiesRefused('createPost', { token: bob.token, params });
    });

    it('GET /api/threads pages through every thread newest first, without duplicates', async () => {
      const limit = 3;
      const created: string[] = [];
      for (let i = 0; i < limit * 2 + 1; i += 1)
        created.push((await createThread(`Page test ${i}`)).id);

      const seen = await walkThreads(h, limit, new Set(created));

      const ids = seen.map((thread) => thread.id);
      expect(new Set(ids).size, 'a thread appeared on two pages').toBe(ids.length);
      expect(ids.filter((id) => created.includes(id)).sort()).toEqual([...created].sort());
      expectNewestFirst(seen);
    });

    it('GET /api/threads defaults to 20 per page and allows up to 50', async () => {
      const byDefault = h.expectStatus(await h.send('listThreads'), 200);
      const largest = h.expectStatus(await h.send('listThreads', { query: { limit: 50 } }), 200);
      const one = h.expectStatus(await h.send('listThreads', { query: { limit: 1 } }), 200);

      expect(byDefault.items.length).toBeLessThanOrEqual(20);
      expect(largest.items.length).toBeLessThanOrEqual(50);
      expect(largest.items.length).toBeGreaterThanOrEqual(byDefault.items.length);
      expect(one.items).toHaveLength(1);
      expect(one.items[0]?.id).toBe(byDefault.items[0]?.id);
    });

    it.each([
      ['limit=0', 'limit=0'],
      ['limit=51', 'limit=51'],
      ['limit=abc', 'limit=abc'],
      ['limit=2.5', 'limit=2.5'],
      ['limit=-1', 'limit=-1'],
      ['a cursor that was never issued', 'cursor=this-is-not-a-cursor'],
      ['a NUL in the cursor', 'cursor=%00'],
      ['a NUL in the limit', 'limit=1%00'],
    ])('GET /api/threads with %s: 400', async (_case, query) => {
      const response = await h.send('listThreads', { query });

      h.expectProblem(response, 400, 'about:blank');
    });
  });
}

/** Walks the pages until every wanted thread was seen (or the last page). */
async function walkThreads(
  h: Harness,
  limit: number,
  wanted: Set<string>,
): Promise<ThreadSummary[]> {
  const seen: ThreadSummary[] = [];
  let cursor: string | null = null;
  // Bounded: other clients may add threads while we walk, but never this many.
  for (let page = 0; page < 200; page += 1) {
    const query: Record<string, string | number> = cursor === null ? { limit } : { limit, cursor };
    const body = h.expectStatus(await h.send('listThreads', { query }), 200);
    expect(body.items.length).toBeLessThanOrEqual(limit);
    seen.push(...body.items);
    cursor = body.nextCursor;
    const missing = [...wanted].filter((id) => !seen.some((thread) => thread.id === id));
    if (missing.length === 0 || cursor === null) break;
    expect(body.items.length, 'a page with a nextCursor must not be empty').toBeGreaterThan(0);
  }
  return seen;
}

/** Reads a thread page by page, following nextCursor to the end; returns every post seen. */
async function walkPosts(h: Harness, id: string, limit: number): Promise<Post[]> {
  const posts: Post[] = [];
  let cursor: string | null = null;
  // Bounded so that a server whose cursor never ends fails the test instead of hanging it.
  for (let page = 0; page < 50; page += 1) {
    const query: Record<string, string | number> = cursor === null ? { limit } : { limit, cursor };
    const thread = h.expectStatus(await h.send('getThread', { params: { id }, query }), 200);
    expect(thread.posts.length).toBeLessThanOrEqual(limit);
    posts.push(...thread.posts);
    cursor = thread.nextCursor;
    if (cursor === null) return posts;
    expect(thread.posts.length, 'a page with a nextCursor must not be empty').toBeGreaterThan(0);
  }
  throw new Error(`thread ${id} still had a nextCursor after 50 pages`);
}

function expectOldestFirst(posts: readonly Post[]): void {
  const times = posts.map((post) => Date.parse(post.createdAt));
  expect(times).toEqual([...times].sort((a, b) => a - b));
}

/** Finds a (recent) thread in the listing. */
async function findThread(h: Harness, id: string): Promise<ThreadSummary> {
  const seen = await walkThreads(h, 50, new Set([id]));
  const summary = seen.find((thread) => thread.id === id);
  expect(summary, `thread ${id} is not listed`).toBeDefined();
  return summary as ThreadSummary;
}

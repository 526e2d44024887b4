import type { Harness, Player } from '@course/contract';

/** A thread by `author` with a reply by `replier`, on the forum `h` talks to; its id. */
export async function threadBy(h: Harness, author: Player, replier: Player): Promise<string> {
  const created = h.expectStatus(
    await h.send('createThread', { token: author.token, json: { title: 'Badges', body: 'Hi' } }),
    201,
  );
  h.expectStatus(
    await h.send('createPost', {
      params: { id: created.id },
      token: replier.token,
      json: { body: 'Hello' },
    }),
    201,
  );
  return created.id;
}

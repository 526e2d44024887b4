import type { ForumStore, Post } from '@course/monolith/forum';

/** A post as stage 04 answers it: with its author's title, when they hold one. */
export type TitledPost = Post & { authorTitle?: string };

/** The title names of some authors, by author id (see currentTitles). */
export type AuthorTitles = (authorIds: readonly string[]) => Promise<ReadonlyMap<string, string>>;

/**
 * The forum's store with every post it returns carrying `authorTitle`: a thread page, a new
 * thread and a reply. A decorator over stage 02's store rather than a change to it: the routes,
 * pagination and badges stay stage 02's, and a page costs one more query (for all its authors at
 * once), not one per post. The titles are in the forum's own database, like the posts: when they
 * cannot be read the page fails as it would without them (a 503), it is not sent half-decorated.
 */
export function withAuthorTitles(store: ForumStore, titlesOf: AuthorTitles): ForumStore {
  async function titled(posts: readonly Post[]): Promise<TitledPost[]> {
    if (posts.length === 0) return [];
    const titles = await titlesOf([...new Set(posts.map((post) => post.author.id))]);
    return posts.map((post) => {
      const authorTitle = titles.get(post.author.id);
      return authorTitle === undefined ? post : { ...post, authorTitle };
    });
  }

  return {
    ...store,
    async findThread(id, page) {
      const found = await store.findThread(id, page);
      if (!found) return null;
      return { ...found, thread: { ...found.thread, posts: await titled(found.thread.posts) } };
    },
    async insertThread(thread) {
      const created = await store.insertThread(thread);
      return { ...created, posts: await titled(created.posts) };
    },
    async insertPost(post) {
      const created = await store.insertPost(post);
      if (!created) return null;
      const [withTitle] = await titled([created]);
      return withTitle ?? created;
    },
  };
}

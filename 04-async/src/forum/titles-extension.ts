import type { ForumAppExtensions } from '@course/containers/forum';
import { withAuthorTitles } from './author-titles.ts';
import type { AsyncForumDatabase } from './db.ts';
import { titleGrantRoutes } from './title-grant-routes.ts';
import { currentTitles } from './titles.ts';

/**
 * What the titles add to stage 03's forum service: each post's author title, and the internal
 * routes the purchase saga grants and cancels titles through, over stage 04's client of the
 * forum database.
 */
export function titlesExtension(db: AsyncForumDatabase): ForumAppExtensions {
  return {
    decorateStore: (store) => withAuthorTitles(store, (authorIds) => currentTitles(db, authorIds)),
    extraRoutes: titleGrantRoutes({ db }),
  };
}

import { useSyncExternalStore } from 'react';
import type { Schemas } from './api.ts';
import { createStore, type Store } from './store.ts';

export interface Session {
  token: string;
  user: Schemas['User'];
}

const STORAGE_KEY = 'course.session';

/**
 * The logged-in user, kept in sessionStorage: it survives a reload but not closing the tab, and
 * it is never shared with other tabs. (A real product might prefer an HttpOnly cookie; a bearer
 * token keeps every stage of the course, including Lambda and API Gateway, equally simple.)
 */
export interface SessionStore extends Store<Session | null> {
  clear(): void;
}

export function createSessionStore(storage: Storage | undefined): SessionStore {
  const store = createStore<Session | null>(readSession(storage));
  return {
    ...store,
    set(next) {
      if (next === null) storage?.removeItem(STORAGE_KEY);
      else storage?.setItem(STORAGE_KEY, JSON.stringify(next));
      store.set(next);
    },
    clear() {
      this.set(null);
    },
  };
}

function readSession(storage: Storage | undefined): Session | null {
  const raw = storage?.getItem(STORAGE_KEY);
  if (!raw) return null;
  try {
    const value: unknown = JSON.parse(raw);
    return isSession(value) ? value : null;
  } catch {
    return null; // a corrupt entry is the same as no session
  }
}

function isSession(value: unknown): value is Session {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Session>;
  return typeof candidate.token === 'string' && typeof candidate.user?.username === 'string';
}

export function useSession(store: SessionStore): Session | null {
  return useSyncExternalStore(store.subscribe, store.get);
}

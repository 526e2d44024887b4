import { createContext, type ReactNode, useContext } from 'react';
import type { ApiClient } from './api.ts';
import { type Session, type SessionStore, useSession } from './session.ts';
import type { TraceStore } from './trace.ts';

/** What the app shell hands to every feature: the typed client and the two shared stores. */
export interface Services {
  api: ApiClient;
  session: SessionStore;
  trace: TraceStore;
}

const ServicesContext = createContext<Services | null>(null);

export function ServicesProvider({
  services,
  children,
}: {
  services: Services;
  children: ReactNode;
}) {
  return <ServicesContext value={services}>{children}</ServicesContext>;
}

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (services === null) throw new Error('useServices() needs a <ServicesProvider> above it');
  return services;
}

export function useApi(): ApiClient {
  return useServices().api;
}

export function useCurrentSession(): Session | null {
  return useSession(useServices().session);
}

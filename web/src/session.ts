import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ConsoleSettings, Me } from './types.js';

export interface Session {
  me: Me;
  settings: ConsoleSettings;
  logout: () => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('no session');
  return session;
}

/** `admin` implies every scope. */
export function can(me: Me, scope: string): boolean {
  return me.scopes.includes('admin') || me.scopes.includes(scope);
}

/** The tenants a key may open: its own when bound, any when not. */
export function mayOpen(me: Me, tenantId: string): boolean {
  return me.tenantId === null || me.tenantId === tenantId;
}

export function temporalUiLink(settings: ConsoleSettings, tenantId: string): string | null {
  if (!settings.temporalUiUrl) return null;
  const base = settings.temporalUiUrl.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(settings.temporalNamespace)}/workflows?query=${encodeURIComponent(`TenantId="${tenantId}"`)}`;
}

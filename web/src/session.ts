// The logged-in member as the page knows it: in memory only. A reload asks the server again
// (GET /session), which also hands back the CSRF token.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, setCsrfToken, type SessionInfo, type User } from './api';

export type SessionState =
  | { kind: 'loading' }
  | { kind: 'anonymous' }
  | { kind: 'setup'; user: User }
  | { kind: 'active'; user: User };

let state: SessionState = { kind: 'loading' };
const listeners = new Set<() => void>();

function set(next: SessionState): void {
  state = next;
  listeners.forEach((l) => l());
}

export function getSession(): SessionState {
  return state;
}

export function applySession(info: SessionInfo): void {
  setCsrfToken(info.csrf_token);
  set(info.status === 'active' ? { kind: 'active', user: info.user } : { kind: 'setup', user: info.user });
}

export function clearSession(): void {
  setCsrfToken(null);
  set({ kind: 'anonymous' });
}

export async function loadSession(): Promise<void> {
  try {
    applySession(await api.session());
  } catch (e) {
    if (e instanceof ApiError && e.status === 0) {
      // No connection: stay "loading" would hang the page; treat as logged out, say so elsewhere.
      set({ kind: 'anonymous' });
      return;
    }
    clearSession();
  }
}

export function useSession(): SessionState {
  const [s, setS] = useState(state);
  useEffect(() => {
    const l = () => setS(state);
    listeners.add(l);
    l();
    return () => {
      listeners.delete(l);
    };
  }, []);
  return s;
}

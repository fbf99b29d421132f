// Hash-free routing with the History API. The server answers every UI path with index.html.
import { useEffect, useState } from 'preact/hooks';

type Listener = () => void;
const listeners = new Set<Listener>();

export interface Location {
  path: string;
  query: URLSearchParams;
  hash: string;
}

function current(): Location {
  return {
    path: window.location.pathname,
    query: new URLSearchParams(window.location.search),
    hash: window.location.hash,
  };
}

// The element that had the focus when the location last changed (see focusNewScreen).
let focusAtNavigation: Element | null = null;

function changed(): void {
  focusAtNavigation = document.activeElement;
  listeners.forEach((l) => l());
}

export function navigate(to: string, replace = false): void {
  if (replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  changed();
}

window.addEventListener('popstate', changed);

// Moves the focus to the new screen's heading once it is drawn, so keyboard and screen-reader
// users land on it, unless the user has moved the focus since the location changed (typed ahead,
// clicked into a field): theirs wins.
export function focusNewScreen(): void {
  requestAnimationFrame(() => {
    const now = document.activeElement;
    const moved = now !== focusAtNavigation && now !== document.body && now?.isConnected;
    if (!moved) document.querySelector<HTMLElement>('main h1')?.focus();
  });
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const l = () => setLoc(current());
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return loc;
}

// Matches "/messages/:id" against a path; returns the parameters or null.
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const a = path.split('/').filter(Boolean);
  if (p.length !== a.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(a[i]);
    else if (p[i] !== a[i]) return null;
  }
  return params;
}

// Small pure helpers shared by the screens.

export const MIN_PASSWORD_CHARS = 10;

// A practical address check as the member types (the server has the final word): one @, a
// local part without spaces, a domain with a dot and no empty labels.
export function isValidAddress(address: string): boolean {
  if (address.length > 254) return false;
  return /^[^\s@<>(),;:"\[\]\\]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(address) &&
    !address.split('@')[1].split('.').some((l) => l === '' || l.startsWith('-') || l.endsWith('-'));
}

export function passwordProblem(password: string): string | null {
  if ([...password].length < MIN_PASSWORD_CHARS) {
    return `Use at least ${MIN_PASSWORD_CHARS} characters — a few ordinary words in a row make a good password.`;
  }
  return null;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || Number.isInteger(v) ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const now = new Date();
  const sameDay = d.toDateString() === now.toDateString();
  return sameDay
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function formatFullTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'long' });
}

// The fragment "#token=…" of a mailed link, removed from the address bar once read so that it
// does not linger in history.
export function takeHashToken(): string {
  const m = /[#&]token=([A-Za-z0-9_-]+)/.exec(window.location.hash);
  if (m) window.history.replaceState(null, '', window.location.pathname + window.location.search);
  return m ? m[1] : '';
}

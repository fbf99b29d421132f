import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type MessageHeader } from '../api';
import { FormError } from '../components/Field';
import { Link } from '../components/Link';
import { useTitle } from '../components/Page';
import { SealBadge } from '../components/Seal';
import { formatTime } from '../format';
import { navigate } from '../router';

const FOLDERS: Record<string, string> = { inbox: 'Inbox', sent: 'Sent' };

// Keeps the items matching q (subject, sender or a recipient, case-insensitive), as the server
// does with ?q=; applied again here so that a server without search still narrows the list.
function matches(m: MessageHeader, q: string): boolean {
  if (!q) return true;
  const needle = q.toLowerCase();
  return [m.subject || '', m.from?.email || '', m.from?.name || '', ...(m.to || []), ...(m.cc || []), ...(m.bcc || [])].some((s) =>
    s.toLowerCase().includes(needle));
}

// Whom a sent message went to, as its Sent entry names them: To and Cc, or the one Bcc recipient
// of a blind copy's own message.
function sentTo(m: MessageHeader): string {
  const parts = [];
  if (m.to?.length) parts.push('To ' + m.to.join(', '));
  if (m.cc?.length) parts.push('Cc ' + m.cc.join(', '));
  if (m.bcc?.length) parts.push('Bcc ' + m.bcc.join(', '));
  return parts.join('; ');
}

export function Mailbox({ folder, q }: { folder: string; q: string }) {
  const title = FOLDERS[folder] || 'Folder';
  useTitle(q ? `${title}: “${q}”` : title);
  const [items, setItems] = useState<MessageHeader[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [search, setSearch] = useState(q);
  // The query this form last submitted: its own navigation must not reset what the user has typed
  // since (effects run after the next paint, a fast typist or a test can be quicker).
  const submitted = useRef(q);
  // Each load gets a number; an answer that arrives after a newer load started is dropped, so a
  // slow first search cannot overwrite the second one's results.
  const generation = useRef(0);

  const load = async (from: string | null, replace: boolean) => {
    const mine = ++generation.current;
    setLoading(true);
    setError(null);
    try {
      const page = await api.mailbox(folder, from, q);
      if (mine !== generation.current) return;
      // Messages waiting to be re-sealed to this new member come first: they need the link.
      const waiting: MessageHeader[] = (from ? [] : page.waiting || []).map((w) => ({
        ...w, folder: 'inbox', unread: true, seal: { status: 'valid' }, waiting: true,
      }));
      const got = [...waiting, ...page.items].filter((m) => m.waiting || matches(m, q));
      setItems((prev) => (replace ? got : [...prev, ...got]));
      setCursor(page.next_cursor);
    } catch (e) {
      if (mine === generation.current) setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  };

  useEffect(() => {
    if (q !== submitted.current) setSearch(q);  // changed from outside: back button, "Show all"
    submitted.current = q;
    setItems([]);
    load(null, true);
  }, [folder, q]);

  if (!FOLDERS[folder]) {
    return <p class="form-error" role="alert">There is no folder “{folder}”.</p>;
  }
  return (
    <section class="mailbox">
      <div class="mailbox-head">
        <h1 tabIndex={-1}>{title}</h1>
        <form
          class="search"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            const s = search.trim();
            submitted.current = s;
            navigate(`/mailbox/${folder}` + (s ? `?q=${encodeURIComponent(s)}` : ''));
          }}
        >
          <label for="search">Search by sender or subject</label>
          <div class="search-row">
            <input id="search" type="search" value={search} maxLength={200}
                   onInput={(e) => setSearch(e.currentTarget.value)} />
            <button type="submit" class="secondary">Search</button>
          </div>
        </form>
      </div>
      {q && (
        <p class="hint">
          Showing messages matching “{q}”. <Link href={`/mailbox/${folder}`}>Show all</Link>
        </p>
      )}
      <FormError message={error} />
      {items.length === 0 && !loading && !error && (
        <p class="empty">{q ? 'No message matches.' : folder === 'inbox' ? 'Your inbox is empty.' : 'You have not sent anything yet.'}</p>
      )}
      <ul class="message-list" aria-label={`Messages in ${title}`}>
        {items.map((m) => {
          const broken = m.seal.status !== 'valid';
          const who = folder === 'sent' ? sentTo(m) : m.from?.name || m.from?.email || '';
          if (m.waiting) {
            // Sent to this address before it became a member: it moves in once its link is used.
            return (
              <li key={m.id} class="message-item waiting" data-testid="waiting">
                <div class="mi-waiting">
                  <span class="mi-top">
                    <span class="mi-who">{who}</span>
                    <time class="mi-time" dateTime={m.created_at}>{formatTime(m.created_at)}</time>
                  </span>
                  <span class="mi-bottom">
                    <span class="mi-subject">
                      Waiting to move into your mailbox: open the link in the email about it and log in.
                    </span>
                  </span>
                </div>
              </li>
            );
          }
          return (
            <li key={m.id} class={'message-item' + (m.unread ? ' unread' : '')}>
              <Link href={`/messages/${m.id}`}>
                <span class="mi-top">
                  {m.unread && <span class="dot" aria-hidden="true" />}
                  {m.unread && <span class="visually-hidden">Unread: </span>}
                  <span class="mi-who">{broken && !m.from ? 'Unknown sender' : who}</span>
                  <time class="mi-time" dateTime={m.created_at}>{formatTime(m.created_at)}</time>
                </span>
                <span class="mi-bottom">
                  <span class="mi-subject">{m.registered && m.registered.state !== 'accepted'
                    ? `Registered mail (${m.registered.state === 'pending' ? 'accept to open' : m.registered.state})`
                    : broken && m.subject === undefined ? '(cannot be shown)' : m.subject || '(no subject)'}</span>
                  {(m.attachment_count || 0) > 0 && (
                    <span class="mi-att">
                      <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                        <path d="M16.5 6.5 8.6 14.4a2 2 0 0 0 2.8 2.8l8-8a4 4 0 0 0-5.6-5.6l-8 8a6 6 0 0 0 8.5 8.5l7-7"
                              fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
                      </svg>
                      <span class="visually-hidden">{m.attachment_count} attachments</span>
                      <span aria-hidden="true">{m.attachment_count}</span>
                    </span>
                  )}
                  <SealBadge status={m.seal.status} />
                </span>
              </Link>
            </li>
          );
        })}
      </ul>
      {loading && <p role="status">Loading…</p>}
      {cursor && !loading && (
        <button type="button" class="secondary more" onClick={() => load(cursor, false)}>
          Show older messages
        </button>
      )}
    </section>
  );
}

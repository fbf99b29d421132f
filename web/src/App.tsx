import { useEffect, useRef, useState } from 'preact/hooks';
import { api, onSessionExpired } from './api';
import { Link } from './components/Link';
import { ReLogin } from './components/ReLogin';
import { discardDraft, hasDraft } from './draft';
import { focusNewScreen, match, navigate, useLocation } from './router';
import { AdminAudit, AdminUsers } from './screens/Admin';
import { AdminKeys, AdminTlsPartners } from './screens/AdminDelivery';
import { AdminSetup } from './screens/AdminSetup';
import { Compose } from './screens/Compose';
import { Contacts } from './screens/Contacts';
import { Login } from './screens/Login';
import { Mailbox } from './screens/Mailbox';
import { Message } from './screens/Message';
import { Pickup } from './screens/Pickup';
import { Recover } from './screens/Recover';
import { Settings } from './screens/Settings';
import { SignUp } from './screens/SignUp';
import { TotpSetup } from './screens/TotpSetup';
import { Verify } from './screens/Verify';
import { clearSession, getSession, loadSession, useSession } from './session';

const PUBLIC = ['/signup', '/verify', '/setup', '/login', '/recover', '/pickup'];

function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    window.addEventListener('online', up);
    window.addEventListener('offline', down);
    return () => {
      window.removeEventListener('online', up);
      window.removeEventListener('offline', down);
    };
  }, []);
  return online;
}

async function logout(): Promise<void> {
  try {
    await api.logout();
  } catch {
    /* already gone on the server: forget it here as well */
  }
  discardDraft();
  clearSession();
  navigate('/login', true);
}

function Header({ isAdmin, path, email }: { isAdmin: boolean; path: string; email: string }) {
  const here = (p: string) => (path === p || path.startsWith(p + '/') ? 'page' : undefined);
  return (
    <header class="topbar">
      <Link href="/mailbox/inbox" class="brand">
        Sealpost
      </Link>
      <nav aria-label="Main">
        <ul>
          <li><Link href="/mailbox/inbox" aria-current={here('/mailbox/inbox')}>Inbox</Link></li>
          <li><Link href="/mailbox/sent" aria-current={here('/mailbox/sent')}>Sent</Link></li>
          <li><Link href="/compose" class="compose-link" aria-current={here('/compose')}>New message</Link></li>
          <li><Link href="/contacts" aria-current={here('/contacts')}>Contacts</Link></li>
          <li><Link href="/settings" aria-current={here('/settings')}>Settings</Link></li>
          {isAdmin && <li><Link href="/admin/users" aria-current={here('/admin')}>Admin</Link></li>}
        </ul>
      </nav>
      <div class="who">
        <span class="hint who-email">{email}</span>
        <button type="button" class="secondary small" onClick={logout}>
          Log out
        </button>
      </div>
    </header>
  );
}

export function App() {
  const session = useSession();
  const loc = useLocation();
  const online = useOnline();
  const [expired, setExpired] = useState(false);
  // Bumped after logging in again: the screen is built anew and fetches its data again (a
  // draft being written lives outside the screen and comes back as it was).
  const [epoch, setEpoch] = useState(0);
  const first = useRef(true);
  // The signed-in member's roles (GET /account/roles): administrators and auditors of any domain
  // get the Admin screens; the audit log needs a role over every domain ('*').
  const [roles, setRoles] = useState<{ role: string; domain: string }[]>([]);

  useEffect(() => {
    loadSession();
    return onSessionExpired(() => {
      if (getSession().kind === 'active') setExpired(true);
    });
  }, []);

  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    focusNewScreen();
  }, [loc.path]);

  const activeUser = session.kind === 'active' ? session.user.id : null;
  useEffect(() => {
    setRoles([]);
    if (activeUser) api.myRoles().then((r) => setRoles(r.items), () => setRoles([]));
  }, [activeUser]);
  const isAdmin = session.kind === 'active' &&
    (session.user.is_admin || roles.some((r) => r.role === 'administrator' || r.role === 'auditor' ||
      (r.role === 'compliance_officer' && r.domain === '*')));
  // Administrators of any domain keep their domains' delivery policies (TLS partners, gateway).
  const managesDelivery = session.kind === 'active' &&
    (session.user.is_admin || roles.some((r) => r.role === 'administrator'));
  const readsAudit = session.kind === 'active' &&
    (session.user.is_admin || roles.some((r) => r.domain === '*' && (r.role === 'administrator' || r.role === 'auditor')));

  const path = loc.path.replace(/\/+$/, '') || '/';
  const isPublic = PUBLIC.includes(path);

  useEffect(() => {
    if (session.kind === 'loading') return;
    if (session.kind === 'anonymous' && !isPublic) {
      const search = loc.query.toString();
      const next = path === '/' ? '' : '?next=' + encodeURIComponent(path + (search ? '?' + search : ''));
      navigate('/login' + next, true);
    } else if (session.kind === 'setup' && path !== '/two-factor' && !isPublic) {
      navigate('/two-factor', true);
    } else if (session.kind === 'active' && (path === '/' || path === '/login' || path === '/two-factor')) {
      navigate('/mailbox/inbox', true);
    }
  }, [session.kind, path, isPublic]);

  let screen = null;
  let p: Record<string, string> | null;
  if (session.kind === 'loading') {
    screen = <p role="status">Loading…</p>;
  } else if (path === '/signup') screen = <SignUp presetEmail={loc.query.get('email') || ''} />;
  else if (path === '/verify') screen = <Verify />;
  else if (path === '/setup') screen = <AdminSetup />;
  else if (path === '/recover') screen = <Recover />;
  else if (path === '/pickup') screen = <Pickup />;
  else if (path === '/login') screen = <Login email={loc.query.get('email') || ''} next={loc.query.get('next') || ''} />;
  else if (session.kind === 'setup') screen = <TotpSetup />;
  else if (session.kind === 'active') {
    const user = session.user;
    if ((p = match('/mailbox/:folder', path))) screen = <Mailbox folder={p.folder} q={loc.query.get('q') || ''} />;
    else if ((p = match('/messages/:id', path))) screen = <Message id={p.id} justSent={loc.query.get('sent') === '1'} />;
    else if (path === '/compose') screen = <Compose />;
    else if (path === '/contacts') screen = <Contacts />;
    else if (path === '/settings') screen = <Settings user={user} />;
    else if (path === '/admin/users' || path === '/admin') screen = isAdmin ? <AdminUsers selfEmail={user.email} showAudit={readsAudit} showGlobal={user.is_admin} showDelivery={managesDelivery} /> : <Forbidden />;
    else if (path === '/admin/audit') screen = readsAudit ? <AdminAudit /> : <Forbidden />;
    else if (path === '/admin/delivery') screen = managesDelivery ? <AdminTlsPartners showAudit={readsAudit} showGlobal={user.is_admin} /> : <Forbidden />;
    else if (path === '/admin/keys') screen = user.is_admin ? <AdminKeys /> : <Forbidden />;
    else screen = <NotFound />;
  }

  const signedIn = session.kind === 'active';
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      {signedIn ? (
        <Header isAdmin={isAdmin} path={path} email={session.user.email} />
      ) : (
        <header class="topbar plain">
          <span class="brand">Sealpost</span>
          {session.kind === 'setup' && (
            <div class="who">
              <button type="button" class="secondary small" onClick={logout}>
                Log out
              </button>
            </div>
          )}
        </header>
      )}
      {!online && (
        <p class="banner offline" role="alert">
          You are offline. Nothing you typed is lost — it is kept here until the connection is back.
        </p>
      )}
      {signedIn && hasDraft() && path !== '/compose' && (
        <p class="banner draft">
          You have an unsent message. <Link href="/compose">Continue writing</Link>
        </p>
      )}
      <main id="main" class={signedIn || path === '/pickup' ? 'app' : 'public'} key={epoch}>
        {screen}
      </main>
      {expired && signedIn && (
        <ReLogin email={session.user.email}
                 onDone={() => {
                   setExpired(false);
                   setEpoch((n) => n + 1);
                   requestAnimationFrame(() => document.querySelector<HTMLElement>('main h1')?.focus());
                 }}
                 onLogout={() => { setExpired(false); logout(); }} />
      )}
    </>
  );
}

function NotFound() {
  return (
    <section>
      <h1 tabIndex={-1}>Page not found</h1>
      <p><Link href="/mailbox/inbox">Go to the inbox</Link></p>
    </section>
  );
}

function Forbidden() {
  return (
    <section>
      <h1 tabIndex={-1}>Administrators only</h1>
      <p>This page is for administrators. <Link href="/mailbox/inbox">Go to the inbox</Link></p>
    </section>
  );
}

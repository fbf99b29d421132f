import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type AdminUser, type AuditEntry, type AuditReport, type EscrowKey, type Hold, type RetentionPolicy, type Role, type RoleGrant } from '../api';
import { Field, FormError, Notice } from '../components/Field';
import { Link } from '../components/Link';
import { useTitle } from '../components/Page';
import { formatTime, isValidAddress } from '../format';

function msg(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

// The tabs: organisation keys are the instance's (global administrators only); delivery policies
// (TLS partners, SMTP gateway policy) every administrator keeps for their own domains.
export function AdminNav({ here, showAudit = true, showGlobal = true, showDelivery = true }: {
  here: 'users' | 'audit' | 'delivery' | 'keys'; showAudit?: boolean; showGlobal?: boolean;
  showDelivery?: boolean;
}) {
  return (
    <nav class="tabs" aria-label="Administration">
      <Link href="/admin/users" aria-current={here === 'users' ? 'page' : undefined}>Users</Link>
      {showAudit && <Link href="/admin/audit" aria-current={here === 'audit' ? 'page' : undefined}>Audit log</Link>}
      {showDelivery && <Link href="/admin/delivery" aria-current={here === 'delivery' ? 'page' : undefined}>Delivery policies</Link>}
      {showGlobal && <Link href="/admin/keys" aria-current={here === 'keys' ? 'page' : undefined}>Organisation keys</Link>}
    </nav>
  );
}

function Invite({ onSent }: { onSent: () => void }) {
  const [email, setEmail] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [sent, setSent] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setSent(null);
    if (!isValidAddress(email.trim())) {
      setError('Enter an email address like name@example.org.');
      return;
    }
    setError(undefined);
    try {
      await api.invite(email.trim());
      setSent(email.trim());
      setEmail('');
      onSent();
    } catch (err) {
      setError(msg(err));
    }
  };
  return (
    <form class="card" onSubmit={submit} noValidate aria-labelledby="invite-title">
      <h2 id="invite-title">Invite someone</h2>
      <Field id="invite-email" label="Email address" type="email" value={email} onInput={setEmail} error={error}
             hint="They get a mail with a link to sign up." />
      {sent && <Notice>Invitation sent to {sent}.</Notice>}
      <button type="submit">Send invitation</button>
    </form>
  );
}

const ROLE_LABELS: Record<Role, string> = {
  administrator: 'Administrator',
  auditor: 'Auditor',
  compliance_officer: 'Compliance officer',
};

// Who holds which role over which domain ('*': every domain), with grant and revoke.
function Roles({ users, selfEmail }: { users: AdminUser[]; selfEmail: string }) {
  const [grants, setGrants] = useState<RoleGrant[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [userId, setUserId] = useState('');
  const [role, setRole] = useState<Role>('auditor');
  const [domain, setDomain] = useState('');
  const load = () => api.roles().then((r) => setGrants(r.items), (e) => setError(msg(e)));
  useEffect(() => {
    load();
  }, []);
  const others = users.filter((u) => u.email !== selfEmail && u.status !== 'unverified');
  const grant = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const target = userId || others[0]?.id;
    if (!target || !domain.trim()) {
      setError('Choose a user and enter a domain (or * for every domain).');
      return;
    }
    try {
      await api.grantRole(target, role, domain.trim());
      setDomain('');
      await load();
    } catch (err) {
      setError(msg(err));
    }
  };
  return (
    <section class="card" aria-labelledby="roles-title" data-testid="roles">
      <h2 id="roles-title">Roles</h2>
      <p>Everyone is a member. Administrators manage the users of their domain; auditors read the audit log and
        change nothing; compliance officers handle retention and legal hold. No role can read anyone's messages.</p>
      <FormError message={error} />
      {grants.length > 0 && <div class="table-wrap">
        <table>
          <thead>
            <tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">Domain</th><th scope="col">Since</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {grants.map((g) => (
              <tr key={g.user_id + g.role + g.domain}>
                <td>{g.email}</td>
                <td>{ROLE_LABELS[g.role] ?? g.role}</td>
                <td>{g.domain === '*' ? 'every domain' : g.domain}</td>
                <td>{formatTime(g.granted_at)}</td>
                <td>
                  {g.email !== selfEmail && (
                    <button type="button" class="danger small" aria-label={`Revoke ${g.role} of ${g.email} over ${g.domain}`}
                            onClick={() => api.revokeRole(g.user_id, g.role, g.domain).then(load, (e) => setError(msg(e)))}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>}
      <form onSubmit={grant} noValidate aria-label="Grant a role">
        <div class="field">
          <label for="role-user">User</label>
          <select id="role-user" value={userId || others[0]?.id || ''} onChange={(e) => setUserId(e.currentTarget.value)}>
            {others.map((u) => <option key={u.id} value={u.id}>{u.email}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="role-role">Role</label>
          <select id="role-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
            {(Object.keys(ROLE_LABELS) as Role[]).map((r) => <option key={r} value={r}>{ROLE_LABELS[r]}</option>)}
          </select>
        </div>
        <Field id="role-domain" label="Domain" value={domain} onInput={setDomain}
               hint="The part after @ of the addresses it covers, e.g. example.org; * for every domain." />
        <button type="submit">Grant role</button>
      </form>
    </section>
  );
}

// Retention per domain and legal holds (docs/retention.md). The server decides who may manage
// them; anyone else gets 403, shown as an error here.
function RetentionAndHolds() {
  const [policies, setPolicies] = useState<RetentionPolicy[]>([]);
  const [holds, setHolds] = useState<Hold[]>([]);
  const [domain, setDomain] = useState('');
  const [days, setDays] = useState('');
  const [target, setTarget] = useState<'member' | 'message'>('member');
  const [subject, setSubject] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const load = () => {
    api.retentionPolicies().then((r) => setPolicies(r.items), (e) => setError(msg(e)));
    api.holds(false).then((r) => setHolds(r.items), (e) => setError(msg(e)));
  };
  useEffect(load, []);
  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      load();
    } catch (e) {
      setError(msg(e));
    }
  };
  const setPolicy = (e: Event) => {
    e.preventDefault();
    const n = Number(days);
    if (!domain.trim() || !Number.isInteger(n) || n < 1 || n > 36500) {
      setError('Enter a domain and a whole number of days from 1 to 36500.');
      return;
    }
    act(() => api.setRetention(domain.trim(), n).then(() => { setDomain(''); setDays(''); }));
  };
  const place = (e: Event) => {
    e.preventDefault();
    if (!subject.trim() || !reason.trim()) {
      setError('A hold needs a member address or message id, and a reason.');
      return;
    }
    act(() => api.placeHold(target, subject.trim(), reason.trim()).then(() => { setSubject(''); setReason(''); }));
  };
  return (
    <section class="card" aria-labelledby="retention-title" data-testid="retention">
      <h2 id="retention-title">Retention and legal hold</h2>
      <p>Messages older than a domain's retention are shredded: their keys and attachments are erased, the audit log keeps the evidence. Nothing under legal hold is shredded, expired or recalled.</p>
      <FormError message={error} />
      {policies.length > 0 && <div class="table-wrap">
        <table>
          <thead><tr><th scope="col">Domain</th><th scope="col">Keeps (days)</th><th scope="col">Since</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {policies.map((p) => (
              <tr key={p.domain}>
                <td>{p.domain}</td><td>{p.days}</td><td>{formatTime(p.updated_at)}</td>
                <td><button type="button" class="secondary small" aria-label={`Remove the retention of ${p.domain}`}
                            onClick={() => act(() => api.clearRetention(p.domain))}>Remove</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>}
      <form onSubmit={setPolicy} noValidate>
        <Field id="retention-domain" label="Domain" value={domain} onInput={setDomain} hint="e.g. example.org" />
        <Field id="retention-days" label="Keep messages for (days)" value={days} onInput={setDays} />
        <button type="submit">Set retention</button>
      </form>
      <h3>Active legal holds</h3>
      {holds.length === 0 ? <p>None.</p> : <div class="table-wrap">
        <table>
          <thead><tr><th scope="col">On</th><th scope="col">Subject</th><th scope="col">Reason</th><th scope="col">Placed</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            {holds.map((h) => (
              <tr key={h.id}>
                <td>{h.target}</td><td class="details">{h.subject}</td><td>{h.reason}</td><td>{formatTime(h.placed_at)}</td>
                <td><button type="button" class="danger small" aria-label={`Release the hold ${h.id}`}
                            onClick={() => act(() => api.releaseHold(h.id))}>Release</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>}
      <form onSubmit={place} noValidate>
        <label for="hold-target">Hold on</label>
        <select id="hold-target" value={target} onChange={(e) => setTarget((e.target as HTMLSelectElement).value as 'member' | 'message')}>
          <option value="member">a member (address)</option>
          <option value="message">a message (id)</option>
        </select>
        <Field id="hold-subject" label={target === 'member' ? 'Member address' : 'Message id'} value={subject} onInput={setSubject} />
        <Field id="hold-reason" label="Reason" value={reason} onInput={setReason} hint="Required; at most 500 characters." />
        <button type="submit">Place hold</button>
      </form>
    </section>
  );
}

// Escrow for one domain (docs/escrow.md): off by default; an administrator of the domain turns it
// on with the public half of a key made offline (`sealpost escrow keygen`). The server decides who
// may; anyone else gets 403, shown as an error here.
function Escrow({ defaultDomain }: { defaultDomain: string }) {
  const [domain, setDomain] = useState(defaultDomain);
  const [key, setKey] = useState('');
  const [state, setState] = useState<EscrowKey | null>(null);
  const [error, setError] = useState<string | null>(null);
  const act = async (fn: () => Promise<EscrowKey | void>) => {
    setError(null);
    try {
      const r = await fn();
      setState(r ?? await api.escrowKey(domain.trim()));
    } catch (e) {
      setState(null);
      setError(msg(e));
    }
  };
  const show = (e: Event) => {
    e.preventDefault();
    if (domain.trim()) act(() => api.escrowKey(domain.trim()));
  };
  const turnOn = (e: Event) => {
    e.preventDefault();
    if (!domain.trim() || !key.trim()) {
      setError('Enter the domain and the escrow public key that sealpost escrow keygen printed.');
      return;
    }
    act(() => api.setEscrowKey(domain.trim(), key.trim()).then((r) => { setKey(''); return r; }));
  };
  return (
    <section class="card" aria-labelledby="escrow-title" data-testid="escrow">
      <h2 id="escrow-title">Escrow</h2>
      <p>Off by default. With escrow on, every new message of the domain is also sealed to the
        organisation's escrow key, whose private half stays offline; <code>sealpost escrow export</code> and
        <code> sealpost escrow open</code> produce them. Every change is audited.</p>
      <FormError message={error} />
      <form onSubmit={show}>
        <Field id="escrow-domain" label="Domain" value={domain} onInput={setDomain} hint="e.g. example.org" />
        <button type="submit" class="secondary">Show</button>
      </form>
      {state && <p data-testid="escrow-state">
        {state.enabled ? `Escrow is on for ${state.domain} (key fingerprint ${state.fingerprint?.slice(0, 16)}…, since ${formatTime(state.set_at ?? '')}).`
          : `Escrow is off for ${state.domain}.`}
      </p>}
      <form onSubmit={turnOn}>
        <Field id="escrow-key" label="Escrow public key" value={key} onInput={setKey} hint="base64, from sealpost escrow keygen" />
        <button type="submit">Turn escrow on</button>
        {state?.enabled && <button type="button" class="danger" onClick={() => act(() => api.clearEscrowKey(state.domain))}>Turn escrow off</button>}
      </form>
    </section>
  );
}

export function AdminUsers({ selfEmail, showAudit = true, showGlobal = true, showDelivery = true }: {
  selfEmail: string; showAudit?: boolean; showGlobal?: boolean; showDelivery?: boolean;
}) {
  useTitle('Users');
  const [users, setUsers] = useState<AdminUser[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // The domain picker: shown to whoever administers several domains ("" = all of them).
  const [domains, setDomains] = useState<string[]>([]);
  const [domain, setDomain] = useState('');
  const load = (from: string | null, only = domain) =>
    api.adminUsers(from, only).then((p) => {
      setUsers((prev) => (from ? [...prev, ...p.items] : p.items));
      setCursor(p.next_cursor ?? null);
    }, (e) => setError(msg(e)));
  useEffect(() => {
    load(null);
    api.myRoles().then((r) => {
      const mine = r.items.filter((g) => g.role === 'administrator' && g.domain !== '*').map((g) => g.domain);
      setDomains([...new Set(mine)].sort());
    }, () => setDomains([]));
  }, []);
  const pick = (d: string) => {
    setDomain(d);
    setError(null);
    load(null, d);
  };
  const toggle = async (u: AdminUser) => {
    setError(null);
    try {
      if (u.status === 'disabled') await api.enableUser(u.id);
      else await api.disableUser(u.id);
      await load(null);
    } catch (e) {
      setError(msg(e));
    }
  };
  return (
    <section>
      <h1 tabIndex={-1}>Administration</h1>
      <AdminNav here="users" showAudit={showAudit} showGlobal={showGlobal} showDelivery={showDelivery} />
      <Invite onSent={() => load(null)} />
      <section class="card" aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        {domains.length > 1 && <p>
          <label for="admin-domain">Domain </label>
          <select id="admin-domain" data-testid="domain-picker" value={domain}
                  onChange={(e) => pick((e.target as HTMLSelectElement).value)}>
            <option value="">All my domains</option>
            {domains.map((d) => <option key={d} value={d}>{d}</option>)}
          </select>
        </p>}
        <FormError message={error} />
        {users.length > 0 && <div class="table-wrap">
          <table>
            <thead>
              <tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Two-factor</th><th scope="col">Since</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id}>
                  <td>{u.email}</td>
                  <td>{u.role}</td>
                  <td>{u.status}</td>
                  <td>{u.totp_enabled ? 'on' : 'off'}</td>
                  <td>{formatTime(u.created_at)}</td>
                  <td>
                    {u.email !== selfEmail && u.status !== 'unverified' && (
                      <button type="button" class={u.status === 'disabled' ? 'secondary small' : 'danger small'}
                              aria-label={`${u.status === 'disabled' ? 'Enable' : 'Disable'} ${u.email}`}
                              onClick={() => toggle(u)}>
                        {u.status === 'disabled' ? 'Enable' : 'Disable'}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>}
        {cursor && <button type="button" class="secondary" onClick={() => load(cursor)}>Show more</button>}
      </section>
      <Roles users={users} selfEmail={selfEmail} />
      <RetentionAndHolds />
      <Escrow key={domain} defaultDomain={domain || selfEmail.slice(selfEmail.lastIndexOf('@') + 1)} />
    </section>
  );
}

function VerifyNow() {
  const [report, setReport] = useState<AuditReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <section class="card" aria-labelledby="verify-title">
      <h2 id="verify-title">Check the log</h2>
      <p>Re-checks every entry's hash chain and signed checkpoints. Any edit or deletion is found and named.</p>
      <button
        type="button"
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          setError(null);
          setReport(null);
          try {
            setReport(await api.verifyAudit());
          } catch (e) {
            setError(msg(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? 'Checking…' : 'Verify now'}
      </button>
      <FormError message={error} />
      {report && (
        <div class={'verify-result ' + (report.ok ? 'seal-ok' : 'seal-bad')} role="status" data-testid="audit-result">
          {report.ok ? (
            <p>
              <strong>Intact.</strong> All {report.entries} log entries match the signed checkpoint
              {report.legacy_entries > 0 ? `, and the ${report.legacy_entries} entries of the older hash chain its ${report.checkpoints} signed checkpoints` : ''}.
              {report.pending > 0 ? ` ${report.pending} newer events are waiting to be added.` : ''}
            </p>
          ) : (
            <p>
              <strong>Tampered with.</strong>{' '}
              {report.first_bad_index >= 0 ? `The first entry that does not match is #${report.first_bad_index}` : 'The log does not match its signature'}
              {report.problem ? `: ${report.problem}` : ''}. Entries checked: {report.entries}.
            </p>
          )}
        </div>
      )}
    </section>
  );
}

export function AdminAudit() {
  useTitle('Audit log');
  const [items, setItems] = useState<AuditEntry[]>([]);
  const [before, setBefore] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = (from: number | null) =>
    api.audit(from).then((p) => {
      setItems((prev) => (from !== null ? [...prev, ...p.items] : p.items));
      setBefore(p.next_before ?? null);
    }, (e) => setError(msg(e)));
  useEffect(() => {
    load(null);
  }, []);
  return (
    <section>
      <h1 tabIndex={-1}>Administration</h1>
      <AdminNav here="audit" />
      <VerifyNow />
      <section class="card" aria-labelledby="audit-title">
        <h2 id="audit-title">Audit log (newest first)</h2>
        <FormError message={error} />
        {items.length > 0 && <div class="table-wrap">
          <table>
            <thead>
              <tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Actor</th><th scope="col">Subject</th><th scope="col">Details</th></tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.leaf_hash + (a.index ?? 'pending')}>
                  <td>{a.index ?? 'pending'}</td>
                  <td>{formatTime(a.time)}</td>
                  <td>{a.event}</td>
                  <td class="details">{a.actor}</td>
                  <td class="details">{a.subject || ''}</td>
                  <td class="details">{Object.entries(a.details || {}).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>}
        {before !== null && <button type="button" class="secondary" onClick={() => load(before)}>Show older entries</button>}
      </section>
    </section>
  );
}

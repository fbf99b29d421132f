import { useEffect, useState } from 'preact/hooks';
import { accountKeyUrls, api, ApiError, type AccountKeys, type ApiToken, type Role, type SessionItem, type User } from '../api';
import { AppPasswords } from '../components/AppPasswords';
import { Field, FormError, Notice } from '../components/Field';
import { useTitle } from '../components/Page';
import { discardDraft } from '../draft';
import { formatTime, passwordProblem } from '../format';
import { clearSession } from '../session';
import { navigate } from '../router';

function msg(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!current) errs.current = 'Enter your current password.';
    const pw = passwordProblem(next);
    if (pw) errs.next = pw;
    else if (next !== repeat) errs.repeat = 'The two passwords are not the same.';
    setErrors(errs);
    setFormError(null);
    setDone(false);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      await api.changePassword(current, next);
      setCurrent('');
      setNext('');
      setRepeat('');
      setDone(true);
    } catch (err) {
      if (err instanceof ApiError && err.type === 'wrong-password') setErrors({ current: msg(err) });
      else if (err instanceof ApiError && err.type === 'invalid-password') setErrors({ next: msg(err) });
      else setFormError(msg(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="pw-title">
      <h2 id="pw-title">Change password</h2>
      <p>
        Your messages stay readable: they are re-locked with the new password. Your recovery code
        does not change — keep it, it remains the only way back if you forget the new password.
        Your other sessions are logged out.
      </p>
      <form onSubmit={submit} noValidate>
        <Field id="pw-current" label="Current password" type="password" value={current} onInput={setCurrent}
               autoComplete="current-password" required error={errors.current} />
        <Field id="pw-new" label="New password" type="password" value={next} onInput={setNext}
               autoComplete="new-password" required error={errors.next} hint="At least 10 characters." />
        <Field id="pw-repeat" label="New password again" type="password" value={repeat} onInput={setRepeat}
               autoComplete="new-password" required error={errors.repeat} />
        <FormError message={formError} />
        {done && <Notice>Password changed.</Notice>}
        <button type="submit" disabled={busy}>{busy ? 'Changing…' : 'Change password'}</button>
      </form>
    </section>
  );
}

// Groups of four, so a fingerprint can be read out and compared.
function grouped(hex: string): string {
  return hex.toUpperCase().replace(/(.{4})(?=.)/g, '$1 ');
}

function YourKeys() {
  const [keys, setKeys] = useState<AccountKeys | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.accountKeys().then(setKeys, (e) => {
      if (e instanceof ApiError && e.status === 404) setMissing(true);
      else setError(msg(e));
    });
  }, []);
  return (
    <section class="card" aria-labelledby="keys-title" data-testid="your-keys">
      <h2 id="keys-title">Your keys</h2>
      <p>
        Contacts who use S/MIME or OpenPGP mail programs can encrypt to you and check your signature
        with these. Give them the files below; they should compare the fingerprints with you. Your
        private keys stay locked under your password.
      </p>
      <FormError message={error} />
      {missing && <p class="hint">Your keys are made the next time you log in.</p>}
      {keys && (
        <dl class="meta keys">
          <dt>S/MIME certificate</dt>
          <dd>
            <span class="hint">SHA-256 fingerprint</span>
            <br />
            <code class="fingerprint" data-testid="smime-fingerprint">{grouped(keys.smime.sha256_fingerprint)}</code>
            <br />
            <span class="hint">Issued by {keys.smime.issuer} · valid until {formatTime(keys.smime.not_after)}</span>
            <br />
            <a href={accountKeyUrls.smimePem} download>Download certificate (PEM, with chain)</a>
            {' · '}
            <a href={accountKeyUrls.smimeDer} download>DER</a>
          </dd>
          <dt>OpenPGP key</dt>
          <dd>
            <span class="hint">Fingerprint ({keys.openpgp.algorithm})</span>
            <br />
            <code class="fingerprint" data-testid="openpgp-fingerprint">{grouped(keys.openpgp.fingerprint)}</code>
            <br />
            <a href={accountKeyUrls.openpgp} download>Download public key (.asc)</a>
          </dd>
        </dl>
      )}
    </section>
  );
}

function Sessions() {
  const [items, setItems] = useState<SessionItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => api.sessions().then((r) => setItems(r.sessions), (e) => setError(msg(e)));
  useEffect(() => {
    load();
  }, []);
  return (
    <section class="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Active sessions</h2>
      <p>Where you are logged in now. End any session you do not recognise, or log out everywhere.</p>
      <FormError message={error} />
      {items && (
        <ul class="sessions">
          {items.map((s) => (
            <li key={s.id}>
              <span>
                <strong>{s.user_agent || 'Unknown browser'}</strong>
                {s.current && <span class="badge">This device</span>}
                <br />
                <span class="hint">
                  {s.client_ip} · since {formatTime(s.created_at)} · last active {formatTime(s.last_seen_at)}
                </span>
              </span>
              {!s.current && (
                <button type="button" class="secondary small" aria-label={`Log out the session from ${s.client_ip}`}
                        onClick={() => api.endSession(s.id).then(load, (e) => setError(msg(e)))}>
                  Log out
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <button
        type="button"
        class="danger"
        onClick={async () => {
          try {
            await api.logoutEverywhere();
            discardDraft();
            clearSession();
            navigate('/login', true);
          } catch (e) {
            setError(msg(e));
          }
        }}
      >
        Log out everywhere
      </button>
    </section>
  );
}

const TOKEN_ROLES: { value: Role; label: string }[] = [
  { value: 'auditor', label: 'Auditor' },
  { value: 'administrator', label: 'Administrator' },
  { value: 'compliance_officer', label: 'Compliance officer' },
];

// Bearer tokens for integrations: the secret is shown once, right after creation.
function ApiTokens() {
  const [items, setItems] = useState<ApiToken[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('auditor');
  const [days, setDays] = useState(90);
  const [secret, setSecret] = useState<string | null>(null);
  const load = () => api.apiTokens().then((r) => setItems(r.items), (e) => setError(msg(e)));
  useEffect(() => {
    load();
  }, []);
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setSecret(null);
    try {
      const created = await api.createApiToken(name.trim(), role, days);
      setSecret(created.token);
      setName('');
      await load();
    } catch (err) {
      setError(msg(err));
    }
  };
  return (
    <section class="card" aria-labelledby="tokens-title" data-testid="api-tokens">
      <h2 id="tokens-title">API tokens</h2>
      <p>For integrations such as a SIEM reading the audit log. A token acts with one of your roles, on the
        administration API only: it cannot read messages.</p>
      <FormError message={error} />
      {secret && (
        <div class="notice" role="status" data-testid="token-secret">
          <p><strong>Copy this token now; it is not shown again.</strong></p>
          <code class="token-secret">{secret}</code>
        </div>
      )}
      {items.length > 0 && (
        <ul class="sessions">
          {items.map((t) => (
            <li key={t.id}>
              <span>
                <strong>{t.name}</strong> <span class="badge">{t.role.replace('_', ' ')}</span>
                <br />
                <span class="hint">
                  created {formatTime(t.created_at)} · expires {formatTime(t.expires_at)} ·{' '}
                  {t.last_used_at ? `last used ${formatTime(t.last_used_at)}` : 'never used'}
                </span>
              </span>
              <button type="button" class="danger small" aria-label={`Revoke the token ${t.name}`}
                      onClick={() => api.revokeApiToken(t.id).then(load, (e) => setError(msg(e)))}>
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={create} noValidate aria-label="Create an API token">
        <Field id="token-name" label="Name" value={name} onInput={setName} maxLength={64}
               hint="What it is for, e.g. SIEM export." />
        <div class="field">
          <label for="token-role">Role</label>
          <select id="token-role" value={role} onChange={(e) => setRole(e.currentTarget.value as Role)}>
            {TOKEN_ROLES.map((r) => <option key={r.value} value={r.value}>{r.label}</option>)}
          </select>
        </div>
        <div class="field">
          <label for="token-days">Expires after</label>
          <select id="token-days" value={String(days)} onChange={(e) => setDays(Number(e.currentTarget.value))}>
            {[7, 30, 90, 365].map((d) => <option key={d} value={String(d)}>{d} days</option>)}
          </select>
        </div>
        <button type="submit">Create token</button>
      </form>
    </section>
  );
}

// What the member's domain keeps (docs/retention.md).
function Retention() {
  const [days, setDays] = useState<number | null | undefined>(undefined);
  useEffect(() => {
    api.myRetention().then((r) => setDays(r.days), () => setDays(undefined));
  }, []);
  if (days === undefined) return null;
  return (
    <section class="card" aria-labelledby="retention-title" data-testid="retention-policy">
      <h2 id="retention-title">Message retention</h2>
      <p>{days === null
        ? 'Your organisation keeps your messages until they are deleted.'
        : `Your organisation keeps messages for ${days} day${days === 1 ? '' : 's'}. Older ones are shredded and can no longer be read, unless a legal hold keeps them.`}</p>
    </section>
  );
}

export function Settings({ user }: { user: User }) {
  useTitle('Settings');
  return (
    <section class="settings">
      <h1 tabIndex={-1}>Settings</h1>
      <section class="card" aria-labelledby="account-title">
        <h2 id="account-title">Account</h2>
        <dl class="meta">
          <dt>Email address</dt>
          <dd>{user.email}</dd>
          <dt>Name</dt>
          <dd>{user.display_name || '—'}</dd>
          <dt>Role</dt>
          <dd>{user.is_admin ? 'Administrator' : 'Member'}</dd>
          <dt>Two-factor authentication</dt>
          <dd>{user.totp_enabled ? 'On (authenticator app)' : 'Off'}</dd>
        </dl>
      </section>
      <YourKeys />
      <ChangePassword />
      <Retention />
      <Sessions />
      <AppPasswords />
      <ApiTokens />
    </section>
  );
}

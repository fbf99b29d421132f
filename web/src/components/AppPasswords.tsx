import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type AppPassword, type MailSettings } from '../api';
import { Field, FormError } from './Field';
import { formatTime } from '../format';

function msg(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

// The settings a mail program asks for (docs/mail-clients.md).
export function MailSettingsList({ settings }: { settings: MailSettings }) {
  return (
    <dl class="meta" data-testid="mail-settings">
      <dt>Outgoing server (SMTP)</dt>
      <dd><code>{settings.host}</code></dd>
      <dt>Port and security</dt>
      <dd>
        {settings.starttls_port === null && settings.tls_port === null && 'Ask your administrator'}
        {settings.tls_port !== null && <span>{settings.tls_port} with SSL/TLS</span>}
        {settings.tls_port !== null && settings.starttls_port !== null && <span> · or </span>}
        {settings.starttls_port !== null && <span>{settings.starttls_port} with STARTTLS</span>}
      </dd>
      <dt>User name</dt>
      <dd><code>{settings.username}</code></dd>
      <dt>Authentication</dt>
      <dd>Normal password (the app password)</dd>
    </dl>
  );
}

interface Created {
  name: string;
  password: string;
  settings: MailSettings;
}

// The new password, shown once in a modal dialog with a copy button and the settings.
function ShowOnce({ created, onClose }: { created: Created; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog ref={ref} class="relogin app-password-dialog" aria-labelledby="app-password-title"
            data-testid="app-password-dialog" onClose={onClose}>
      <h2 id="app-password-title">App password for {created.name}</h2>
      <p><strong>Copy it into your mail program now; it is not shown again.</strong></p>
      <code class="token-secret app-password" data-testid="app-password-secret">{created.password}</code>
      <div class="actions">
        <button type="button" class="secondary" onClick={async () => {
          try {
            await navigator.clipboard.writeText(created.password);
            setCopied(true);
          } catch {
            setCopied(false);
          }
        }}>
          Copy password
        </button>
        <span role="status" class="hint">{copied ? 'Copied.' : ''}</span>
      </div>
      <MailSettingsList settings={created.settings} />
      <button type="button" onClick={() => ref.current?.close()}>Done</button>
    </dialog>
  );
}

// Passwords for mail programs (Thunderbird, Outlook, Apple Mail) sending through Sealpost.
export function AppPasswords() {
  const [items, setItems] = useState<AppPassword[]>([]);
  const [settings, setSettings] = useState<MailSettings | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<Created | null>(null);
  const load = () => api.appPasswords().then((r) => {
    setItems(r.items);
    setSettings(r.mail_settings);
  }, (e) => setError(msg(e)));
  useEffect(() => {
    load();
  }, []);
  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (!name.trim()) {
      setError('Give the app password a name, such as the program or device it is for.');
      return;
    }
    try {
      const made = await api.createAppPassword(name.trim());
      setCreated({ name: made.name, password: made.password, settings: made.mail_settings });
      setName('');
      await load();
    } catch (err) {
      setError(msg(err));
    }
  };
  const revoke = async (p: AppPassword) => {
    if (!window.confirm(`Revoke the app password ${p.name}? Mail programs using it can no longer send.`)) return;
    try {
      await api.revokeAppPassword(p.id);
      await load();
    } catch (err) {
      setError(msg(err));
    }
  };
  return (
    <section class="card" aria-labelledby="app-passwords-title" data-testid="app-passwords">
      <h2 id="app-passwords-title">App passwords</h2>
      <p>For sending from a mail program such as Thunderbird, Outlook or Apple Mail. Give each program its
        own password, and revoke it when you stop using the program. Your log-in password does not work there.</p>
      <FormError message={error} />
      {items.length > 0 ? (
        <ul class="sessions" aria-label="Your app passwords">
          {items.map((p) => (
            <li key={p.id}>
              <span>
                <strong>{p.name}</strong>
                <br />
                <span class="hint">
                  created {formatTime(p.created_at)} ·{' '}
                  {p.last_used_at ? `last used ${formatTime(p.last_used_at)}` : 'never used'}
                </span>
              </span>
              <button type="button" class="danger small" aria-label={`Revoke the app password ${p.name}`}
                      onClick={() => revoke(p)}>
                Revoke
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p class="hint">You have no app passwords.</p>
      )}
      <form onSubmit={create} noValidate aria-label="Create an app password">
        <Field id="app-password-name" label="Name" value={name} onInput={setName} maxLength={64}
               hint="Which program or device it is for, e.g. Thunderbird on my laptop." />
        <button type="submit">Create app password</button>
      </form>
      {settings && (
        <details>
          <summary>Mail program settings</summary>
          <MailSettingsList settings={settings} />
        </details>
      )}
      {created && <ShowOnce created={created} onClose={() => setCreated(null)} />}
    </section>
  );
}

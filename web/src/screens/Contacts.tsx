// Contacts' keys (the key directory): the member's imported certificates and OpenPGP keys and the
// organisation's, each with its status; upload a file, delete one, revoke one with a reason, or
// mark a certificate personally verified after comparing its fingerprint with the contact.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type ContactKey } from '../api';
import { Field, FormError, Notice } from '../components/Field';
import { useTitle } from '../components/Page';
import { formatTime } from '../format';

function msg(e: unknown): string {
  return e instanceof ApiError ? (e.detail || e.message) : String(e);
}

// Groups of four, so a fingerprint can be read out and compared.
function grouped(hex: string): string {
  return hex.toUpperCase().replace(/(.{4})(?=.)/g, '$1 ');
}

const STATUS_TEXT: Record<ContactKey['status'], string> = {
  trusted: 'Trusted',
  'needs-verification': 'Needs your verification',
  refused: 'Not usable',
};

function ImportKey({ onImported }: { onImported: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [address, setAddress] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    if (!file) {
      setError('Choose a certificate, a signed mail or an OpenPGP key file.');
      return;
    }
    setBusy(true);
    try {
      const key = await api.importContactKey(file, address.trim());
      setDone(`Imported for ${key.address}: ${STATUS_TEXT[key.status]}.`);
      setFile(null);
      setAddress('');
      const picker = document.getElementById('key-file') as HTMLInputElement | null;
      if (picker) picker.value = '';
      onImported();
    } catch (err) {
      setError(msg(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card" onSubmit={submit} noValidate aria-labelledby="import-title">
      <h2 id="import-title">Add a contact's key</h2>
      <p>
        An S/MIME certificate (.pem, .cer, .p7b, .p7s), a signed e-mail from the contact (.eml), or
        an OpenPGP public key (.asc, .gpg). Sealpost then encrypts your messages to that address with
        it. Never upload a private key.
      </p>
      <label for="key-file">Key or certificate file</label>
      <input id="key-file" type="file" data-testid="key-file"
             onChange={(e) => setFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null)} />
      <Field id="key-address" label="Address (needed for an OpenPGP key)" type="email" value={address}
             onInput={setAddress} hint="Leave empty for a certificate: its own address is used." />
      <FormError message={error} />
      {done && <Notice>{done}</Notice>}
      <button type="submit" disabled={busy}>{busy ? 'Importing…' : 'Import'}</button>
    </form>
  );
}

function VerifyKey({ entry, onVerified }: { entry: ContactKey; onVerified: () => void }) {
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await api.verifyContactKey(entry.id, typed);
      onVerified();
    } catch (err) {
      setError(msg(err));
    }
  };
  return (
    <form onSubmit={submit} noValidate class="verify-key">
      <Field id={`verify-${entry.id}`} label="Fingerprint as your contact reads it to you" value={typed}
             onInput={setTyped} hint="Compare it by telephone or in person, not by e-mail." />
      <FormError message={error} />
      <button type="submit" class="secondary small">Mark as verified</button>
    </form>
  );
}

function RevokeKey({ entry, onRevoked }: { entry: ContactKey; onRevoked: () => void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  if (!open) {
    return (
      <button type="button" class="secondary small" aria-label={`Revoke the key for ${entry.address}`}
              onClick={() => setOpen(true)}>
        Revoke
      </button>
    );
  }
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (!reason.trim()) {
      setError('Say why the key is revoked, for example "the contact lost the key".');
      return;
    }
    try {
      await api.revokeContactKey(entry.id, reason.trim());
      onRevoked();
    } catch (err) {
      setError(msg(err));
    }
  };
  return (
    <form onSubmit={submit} noValidate class="verify-key">
      <Field id={`revoke-${entry.id}`} label="Why is this key revoked?" value={reason} onInput={setReason}
             hint="Messages to this contact stop using the key at once." maxLength={500} />
      <FormError message={error} />
      <button type="submit" class="danger small">Revoke key</button>{' '}
      <button type="button" class="secondary small" onClick={() => setOpen(false)}>Cancel</button>
    </form>
  );
}

export function Contacts() {
  useTitle('Contacts');
  const [items, setItems] = useState<ContactKey[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => api.contactKeys().then((r) => setItems(r.items), (e) => setError(msg(e)));
  useEffect(() => {
    load();
  }, []);
  const remove = async (entry: ContactKey) => {
    if (!window.confirm(`Delete the key for ${entry.address}?`)) return;
    try {
      await api.deleteContactKey(entry.id);
      load();
    } catch (err) {
      setError(msg(err));
    }
  };
  return (
    <section class="settings">
      <h1 tabIndex={-1}>Contacts</h1>
      <ImportKey onImported={load} />
      <section class="card" aria-labelledby="contact-keys-title">
        <h2 id="contact-keys-title">Contacts' keys</h2>
        <FormError message={error} />
        {items && items.length === 0 && <p class="hint">No keys yet.</p>}
        {items && items.length > 0 && (
          <ul class="sessions contact-keys" data-testid="contact-keys">
            {items.map((k) => (
              <li key={k.id} data-status={k.status}>
                <div>
                  <strong>{k.address}</strong> · {k.kind === 'smime' ? 'S/MIME' : 'OpenPGP'} · {k.algorithm}
                  {k.organisation && <span class="hint"> · added by your organisation</span>}
                  <br />
                  <span class={`status status-${k.status}`}>
                    {STATUS_TEXT[k.status]}
                    {k.problem ? ` (${k.problem})` : ''}
                    {k.personally_verified ? ' · verified by you' : ''}
                  </span>
                  {k.revoked_at && (
                    <span class="hint" data-testid="revoked-reason">
                      {' '}· revoked {formatTime(k.revoked_at)}: {k.revoked_reason}
                    </span>
                  )}
                  <br />
                  <code class="fingerprint">{grouped(k.fingerprint)}</code>
                  <br />
                  <span class="hint">
                    {k.not_after ? `Valid until ${formatTime(k.not_after)} · ` : ''}
                    {k.source === 'seen-in-signed-mail'
                      ? 'seen in signed mail (not trusted until you verify it)'
                      : k.source === 'signed-mail'
                        ? 'from a signed mail'
                        : 'uploaded'}{' '}
                    {formatTime(k.added_at)}
                  </span>
                  {k.status === 'needs-verification' && !k.organisation && (
                    <VerifyKey entry={k} onVerified={load} />
                  )}
                </div>
                {!k.organisation && (
                  <div>
                    {!k.revoked_at && <RevokeKey entry={k} onRevoked={load} />}{' '}
                    <button type="button" class="secondary small" onClick={() => remove(k)}>
                      Delete
                    </button>
                  </div>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
    </section>
  );
}

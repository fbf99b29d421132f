// The SMTP gateway policy of each domain the administrator keeps (docs/smtp-submission.md): which
// messages members' mail programs send go out securely — every one, those with the subject tag,
// or those with the tag and those a content rule marks. A domain without its own follows the
// instance default (the config file's [smtp_policy]), shown read-only.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type GatewayMode, type GatewayPolicy, type SmtpPolicy } from '../api';
import { Field, FormError, Notice } from '../components/Field';
import { formatTime } from '../format';

const READY: { name: string; label: string }[] = [
  { name: 'iban', label: 'IBAN (bank account numbers with a valid check)' },
  { name: 'card', label: 'Payment card numbers (Luhn check)' },
  { name: 'ssn', label: 'US Social Security numbers' },
];

function msg(e: unknown): string {
  return e instanceof ApiError ? (e.detail || e.message) : String(e);
}

function describe(p: GatewayPolicy): string {
  if (p.mode === 'all') return 'Every message goes out securely.';
  const rules = p.ready.length + p.regexes.length;
  if (p.mode === 'tag') return `Messages whose subject carries ${p.tag} go out securely.`;
  return `Messages with ${p.tag} in the subject, or marked by one of ${rules} content rule(s), go out securely.`;
}

function PolicyEditor({ policy, fallback, onSaved }: {
  policy: SmtpPolicy; fallback: GatewayPolicy; onSaved: () => void;
}) {
  const id = policy.domain.replace(/[^a-z0-9]/g, '-');
  const [mode, setMode] = useState<GatewayMode>(policy.mode);
  const [tag, setTag] = useState(policy.tag);
  const [ready, setReady] = useState<string[]>(policy.ready);
  const [regexes, setRegexes] = useState(policy.regexes.join('\n'));
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    try {
      const saved = await api.setSmtpPolicy(policy.domain, {
        mode, tag: tag.trim(), ready, regexes: regexes.split('\n').map((r) => r.trim()).filter(Boolean),
      });
      setDone(`Saved for ${saved.domain}.`);
      onSaved();
    } catch (err) {
      setError(msg(err));
    }
  };
  const clear = async () => {
    if (!window.confirm(`Use the instance default for ${policy.domain}?`)) return;
    setError(null);
    try {
      await api.clearSmtpPolicy(policy.domain);
      setMode(fallback.mode);
      setTag(fallback.tag);
      setReady(fallback.ready);
      setRegexes(fallback.regexes.join('\n'));
      onSaved();
    } catch (err) {
      setError(msg(err));
    }
  };
  const toggleReady = (name: string, on: boolean) =>
    setReady((prev) => (on ? [...prev.filter((r) => r !== name), name] : prev.filter((r) => r !== name)));
  return (
    <form class="card" onSubmit={save} noValidate aria-labelledby={`gw-${id}-title`} data-testid={`gateway-${policy.domain}`}>
      <h3 id={`gw-${id}-title`}>{policy.domain}</h3>
      <p class="hint">
        {policy.source === 'domain'
          ? `Its own policy${policy.updated_at ? `, changed ${formatTime(policy.updated_at)}` : ''}.`
          : 'Follows the instance default.'}
      </p>
      <fieldset class="choice">
        <legend>Send securely</legend>
        <label>
          <input type="radio" name={`gw-${id}-mode`} checked={mode === 'all'} onChange={() => setMode('all')} />{' '}
          Every message
        </label>
        <label>
          <input type="radio" name={`gw-${id}-mode`} checked={mode === 'tag'} onChange={() => setMode('tag')} />{' '}
          Only messages whose subject carries the tag
        </label>
        <label>
          <input type="radio" name={`gw-${id}-mode`} checked={mode === 'rules'} onChange={() => setMode('rules')} />{' '}
          Messages with the tag, and those a content rule marks
        </label>
      </fieldset>
      <Field id={`gw-${id}-tag`} label="Subject tag" value={tag} onInput={setTag} maxLength={100}
             hint="Removed from the subject before the message goes out, whatever the policy." />
      {mode === 'rules' && (
        <>
          <fieldset class="choice">
            <legend>Ready patterns</legend>
            {READY.map((r) => (
              <label key={r.name}>
                <input type="checkbox" checked={ready.includes(r.name)}
                       onChange={(e) => toggleReady(r.name, (e.currentTarget as HTMLInputElement).checked)} />{' '}
                {r.label}
              </label>
            ))}
          </fieldset>
          <div class="field">
            <label for={`gw-${id}-regexes`}>Your own rules (regular expressions), one per line</label>
            <textarea id={`gw-${id}-regexes`} rows={4} value={regexes}
                      onInput={(e) => setRegexes((e.currentTarget as HTMLTextAreaElement).value)} />
            <p class="hint">PCRE syntax, matched against the subject and the text; at most 20 of 500 characters.</p>
          </div>
        </>
      )}
      <FormError message={error} />
      {done && <Notice>{done}</Notice>}
      <div class="actions">
        <button type="submit">Save policy</button>
        {policy.source === 'domain' && (
          <button type="button" class="secondary" onClick={clear}>Use the instance default</button>
        )}
      </div>
    </form>
  );
}

export function GatewayPolicies() {
  const [fallback, setFallback] = useState<GatewayPolicy | null>(null);
  const [items, setItems] = useState<SmtpPolicy[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [other, setOther] = useState('');
  const load = () => api.smtpPolicies().then((r) => {
    setFallback(r.default);
    setItems(r.items);
  }, (e) => setError(msg(e)));
  useEffect(() => {
    load();
  }, []);
  // An instance administrator opens any domain's policy by name.
  const open = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (!other.trim() || !items) return;
    try {
      const p = await api.smtpPolicy(other.trim());
      setItems([...items.filter((i) => i.domain !== p.domain), p]);
      setOther('');
    } catch (err) {
      setError(msg(err));
    }
  };
  return (
    <section class="card" aria-labelledby="gateway-title">
      <h2 id="gateway-title">Mail programs and the organisation's server</h2>
      <p>
        Which messages your members send from their mail programs (or your mail server relays) go out
        securely; the others are relayed as they are.
      </p>
      {fallback && <p class="hint" data-testid="gateway-default">Instance default: {describe(fallback)}</p>}
      <FormError message={error} />
      {items && items.map((p) => (
        <PolicyEditor key={`${p.domain}-${p.source}-${p.updated_at ?? ''}`} policy={p}
                      fallback={fallback ?? p} onSaved={load} />
      ))}
      <form onSubmit={open} noValidate aria-label="Open a domain's policy">
        <Field id="gateway-domain" label="Another domain you administer" value={other} onInput={setOther}
               hint="For example a.example." />
        <button type="submit" class="secondary">Open</button>
      </form>
    </section>
  );
}

// Administration of secure delivery: the enforced-TLS partner domains (the config file's and the
// instance-wide ones shown read-only to a domain administrator, and the entries of the domains the
// administrator keeps: add with mode, pins and override, delete) with the TLS-only policy
// (instance administrators); the domains' SMTP gateway policies (AdminGateway.tsx); and the
// organisation-wide keys and trust anchors of the key directory.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type ContactKey, type TlsPartner, type TlsPolicy, type TrustAnchor } from '../api';
import { Field, FormError, Notice } from '../components/Field';
import { useTitle } from '../components/Page';
import { formatTime } from '../format';
import { AdminNav } from './Admin';
import { GatewayPolicies } from './AdminGateway';

function msg(e: unknown): string {
  return e instanceof ApiError ? (e.detail || e.message) : String(e);
}

// Who an entry belongs to, for people: '*' is every domain of the instance.
function ownerLabel(owner: string): string {
  return owner === '*' ? 'All domains' : owner;
}

function AddPartner({ owners, onAdded }: { owners: string[]; onAdded: () => void }) {
  const [domain, setDomain] = useState('');
  const [owner, setOwner] = useState('');
  const [mode, setMode] = useState<'verify' | 'pin'>('verify');
  const [pins, setPins] = useState('');
  const [override, setOverride] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    if (!domain.trim()) {
      setError('Enter the partner\'s domain, like partner.example.');
      return;
    }
    const pinList = pins.split(/[\s,]+/).filter(Boolean);
    try {
      const p = await api.putTlsPartner(domain.trim(), {
        mode, pins: mode === 'pin' ? pinList : [], override: override.trim(),
      }, owner || (owners.length === 1 ? owners[0] : ''));
      setDone(`${p.domain} is a TLS partner (${p.mode}). It routes the mail of ${ownerLabel(p.owner_domain).replace(/^All/, 'all')}.`);
      setDomain('');
      setPins('');
      setOverride('');
      onAdded();
    } catch (err) {
      setError(msg(err));
    }
  };
  return (
    <form class="card" onSubmit={submit} noValidate aria-labelledby="add-partner-title">
      <h2 id="add-partner-title">Add a TLS partner</h2>
      <p>
        Mail to a partner domain goes straight to its mail servers, only over TLS and only to a server
        that proves who it is. The partner's server can read it: agree on this with the partner.
      </p>
      <Field id="partner-domain" label="Domain" value={domain} onInput={setDomain}
             hint="For example partner.example. Saving an existing domain replaces its entry." />
      {owners.length > 1 && (
        <div class="field">
          <label for="partner-owner">For the mail of</label>
          <select id="partner-owner" data-testid="partner-owner" value={owner}
                  onChange={(e) => setOwner((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">{owners.includes('*') ? 'All domains' : 'My own domain'}</option>
            {owners.filter((o) => o !== '*').map((o) => <option key={o} value={o}>{o}</option>)}
          </select>
          <p class="hint">An entry of one domain wins over the one for all domains, for that domain's members.</p>
        </div>
      )}
      <fieldset class="choice">
        <legend>Server check</legend>
        <label>
          <input type="radio" name="partner-mode" value="verify" checked={mode === 'verify'}
                 onChange={() => setMode('verify')} /> Verify the certificate (trusted CA, host name)
        </label>
        <label>
          <input type="radio" name="partner-mode" value="pin" checked={mode === 'pin'}
                 onChange={() => setMode('pin')} /> Pin the server's key
        </label>
      </fieldset>
      {mode === 'pin' && (
        <div class="field">
          <label for="partner-pins">Key pins (SHA-256 of the public key), one per line</label>
          <textarea id="partner-pins" rows={3} value={pins}
                    onInput={(e) => setPins((e.currentTarget as HTMLTextAreaElement).value)} />
          <p class="hint">64 hex digits or sha256/ and 44 base64 characters; at most 16.</p>
        </div>
      )}
      <Field id="partner-override" label="Deliver to (optional)" value={override} onInput={setOverride}
             hint="host or host:port instead of the domain's MX servers." />
      <FormError message={error} />
      {done && <Notice>{done}</Notice>}
      <button type="submit">Save partner</button>
    </form>
  );
}

function TlsOnlyToggle({ policy, error, onChange }: {
  policy: TlsPolicy | null; error: string | null; onChange: (p: TlsPolicy) => void;
}) {
  const toggle = () => {
    if (policy) onChange({ ...policy, forbid_tls_only: !policy.forbid_tls_only });
  };
  return (
    <section class="card" aria-labelledby="tls-only-title">
      <h2 id="tls-only-title">TLS-only delivery</h2>
      <label>
        <input type="checkbox" data-testid="forbid-tls-only" checked={policy?.forbid_tls_only ?? false}
               disabled={!policy} onChange={toggle} />{' '}
        Forbid delivery protected by TLS alone, for every domain
      </label>
      <p class="hint">
        When forbidden, recipients at partner domains get S/MIME, OpenPGP or a secure pickup instead.
        {policy && policy.forbidden_domains.length > 0 &&
          ` Forbidden for: ${policy.forbidden_domains.join(', ')}.`}
      </p>
      {policy?.forbid_tls_only && <Notice>TLS-only delivery is forbidden everywhere.</Notice>}
      <FormError message={error} />
    </section>
  );
}

export function AdminTlsPartners({ showAudit = true, showGlobal = true }: {
  showAudit?: boolean; showGlobal?: boolean;
}) {
  useTitle('Delivery policies');
  // The owners the caller may add entries for: '*' and/or the domains they administer.
  const [owners, setOwners] = useState<string[]>([]);
  const [items, setItems] = useState<TlsPartner[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [policy, setPolicy] = useState<TlsPolicy | null>(null);
  const [policyError, setPolicyError] = useState<string | null>(null);
  const load = () => api.tlsPartners().then((r) => setItems(r.items), (e) => setError(msg(e)));
  useEffect(() => {
    load();
    api.myRoles().then((r) => {
      const mine = r.items.filter((g) => g.role === 'administrator').map((g) => g.domain);
      setOwners([...new Set(showGlobal ? ['*', ...mine] : mine)].sort());
    }, () => setOwners(showGlobal ? ['*'] : []));
    // The TLS-only policy is the instance's: domain administrators do not see it.
    if (showGlobal) api.tlsPolicy().then(setPolicy, (e) => setPolicyError(msg(e)));
  }, []);
  const savePolicy = async (next: TlsPolicy) => {
    setPolicyError(null);
    try {
      setPolicy(await api.setTlsPolicy(next));
    } catch (err) {
      setPolicyError(msg(err));
    }
  };
  // Per domain: the partner's recipients then get S/MIME, OpenPGP or a secure pickup.
  const forbidFor = (domain: string, forbid: boolean) => {
    if (!policy) return;
    const others = policy.forbidden_domains.filter((d) => d !== domain);
    savePolicy({ ...policy, forbidden_domains: forbid ? [...others, domain] : others });
  };
  const remove = async (p: TlsPartner) => {
    if (!window.confirm(`Remove ${p.domain} from the TLS partners of ${ownerLabel(p.owner_domain)}?`)) return;
    setError(null);
    try {
      await api.deleteTlsPartner(p.domain, p.owner_domain);
      load();
    } catch (err) {
      setError(msg(err));
    }
  };
  return (
    <section>
      <h1 tabIndex={-1}>Administration</h1>
      <AdminNav here="delivery" showAudit={showAudit} showGlobal={showGlobal} />
      <AddPartner owners={owners} onAdded={load} />
      <section class="card" aria-labelledby="partners-title">
        <h2 id="partners-title">TLS partners</h2>
        <FormError message={error} />
        {items && items.length === 0 && <p class="hint">No partners yet.</p>}
        {items && items.length > 0 && <div class="table-wrap">
          <table data-testid="tls-partners">
            <thead>
              <tr><th scope="col">Domain</th><th scope="col">For the mail of</th><th scope="col">Check</th><th scope="col">Deliver to</th><th scope="col">Source</th><th scope="col">TLS-only delivery</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
            </thead>
            <tbody>
              {items.map((p) => (
                <tr key={`${p.owner_domain}/${p.domain}`}>
                  <td>{p.domain}</td>
                  <td>{ownerLabel(p.owner_domain)}</td>
                  <td>
                    {p.mode === 'pin' ? `Pinned key (${p.pins.length})` : 'Verified certificate'}
                    {p.pins.map((pin) => <div key={pin}><code class="fingerprint">{pin.slice(0, 16)}…</code></div>)}
                  </td>
                  <td>{p.override ?? 'MX servers'}</td>
                  <td>
                    {p.source === 'config' ? 'Config file' : `Added ${p.added_at ? formatTime(p.added_at) : ''}`}
                  </td>
                  <td>
                    <label>
                      <input type="checkbox" data-testid={`forbid-${p.domain}`}
                             checked={policy?.forbidden_domains.includes(p.domain) ?? false}
                             disabled={!policy || policy.forbid_tls_only || !showGlobal}
                             onChange={(e) => forbidFor(p.domain, (e.target as HTMLInputElement).checked)} />{' '}
                      Forbid for {p.domain}
                    </label>
                    {policy && (policy.forbid_tls_only || policy.forbidden_domains.includes(p.domain)) &&
                      <div class="hint">S/MIME, OpenPGP or secure pickup instead</div>}
                  </td>
                  <td>
                    {p.editable && (
                      <button type="button" class="danger small" aria-label={`Remove ${p.domain} for ${ownerLabel(p.owner_domain)}`}
                              onClick={() => remove(p)}>
                        Remove
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>}
      </section>
      {showGlobal && <TlsOnlyToggle policy={policy} error={policyError} onChange={savePolicy} />}
      <GatewayPolicies />
    </section>
  );
}

function Upload({ title, label, id, withAddress, onUpload }: {
  title: string; label: string; id: string; withAddress: boolean;
  onUpload: (file: File, address: string) => Promise<string>;
}) {
  const [file, setFile] = useState<File | null>(null);
  const [address, setAddress] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    if (!file) {
      setError('Choose a file.');
      return;
    }
    try {
      setDone(await onUpload(file, address.trim()));
      setFile(null);
      setAddress('');
      const picker = document.getElementById(id) as HTMLInputElement | null;
      if (picker) picker.value = '';
    } catch (err) {
      setError(msg(err));
    }
  };
  return (
    <form onSubmit={submit} noValidate aria-label={title}>
      <label for={id}>{label}</label>
      <input id={id} type="file" data-testid={id}
             onChange={(e) => setFile((e.currentTarget as HTMLInputElement).files?.[0] ?? null)} />
      {withAddress && (
        <Field id={`${id}-address`} label="Address (needed for an OpenPGP key)" type="email" value={address}
               onInput={setAddress} />
      )}
      <FormError message={error} />
      {done && <Notice>{done}</Notice>}
      <button type="submit" class="secondary">{title}</button>
    </form>
  );
}

export function AdminKeys() {
  useTitle('Organisation keys');
  const [keys, setKeys] = useState<ContactKey[] | null>(null);
  const [anchors, setAnchors] = useState<TrustAnchor[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => {
    api.organisationKeys().then((r) => setKeys(r.items), (e) => setError(msg(e)));
    api.trustAnchors().then((r) => setAnchors(r.items), (e) => setError(msg(e)));
  };
  useEffect(() => {
    load();
  }, []);
  const act = async (what: () => Promise<unknown>) => {
    setError(null);
    try {
      await what();
      load();
    } catch (err) {
      setError(msg(err));
    }
  };
  const revoke = (k: ContactKey) => {
    const reason = window.prompt(`Why is the key for ${k.address} revoked?`);
    if (reason) act(() => api.revokeOrganisationKey(k.id, reason));
  };
  return (
    <section>
      <h1 tabIndex={-1}>Administration</h1>
      <AdminNav here="keys" />
      <FormError message={error} />
      <section class="card" aria-labelledby="org-keys-title">
        <h2 id="org-keys-title">Organisation keys &amp; trust anchors</h2>
        <p>
          Organisation keys are used for every member's mail to their address (for example a partner's
          certificates). Trust anchors are CA certificates that contacts' certificates may chain to.
        </p>
        <Upload title="Add organisation key" label="Certificate or OpenPGP key file" id="org-key-file"
                withAddress onUpload={async (f, a) => {
                  const k = await api.importOrganisationKey(f, a);
                  load();
                  return `Added for ${k.address}.`;
                }} />
        <h3>Organisation keys</h3>
        {keys && keys.length === 0 && <p class="hint">No organisation keys.</p>}
        {keys && keys.length > 0 && (
          <ul class="sessions contact-keys" data-testid="org-keys">
            {keys.map((k) => (
              <li key={k.id} data-status={k.status}>
                <div>
                  <strong>{k.address}</strong> · {k.kind === 'smime' ? 'S/MIME' : 'OpenPGP'} · {k.algorithm}
                  <br />
                  <span class={`status status-${k.status}`}>{k.status}{k.problem ? ` (${k.problem})` : ''}</span>
                  {k.revoked_reason && <span class="hint"> · revoked: {k.revoked_reason}</span>}
                  <br />
                  <code class="fingerprint">{k.fingerprint}</code>
                </div>
                <div>
                  {!k.revoked_at && (
                    <button type="button" class="secondary small" onClick={() => revoke(k)}>Revoke</button>
                  )}
                  <button type="button" class="danger small"
                          onClick={() => window.confirm(`Delete the key for ${k.address}?`) &&
                                         act(() => api.deleteOrganisationKey(k.id))}>
                    Delete
                  </button>
                </div>
              </li>
            ))}
          </ul>
        )}
        <h3>Trust anchors</h3>
        <Upload title="Add trust anchor" label="CA certificate (PEM or DER)" id="anchor-file"
                withAddress={false} onUpload={async (f) => {
                  const a = await api.addTrustAnchor(f);
                  load();
                  return `Added ${a.subject}.`;
                }} />
        {anchors && anchors.length === 0 && <p class="hint">No trust anchors of your own.</p>}
        {anchors && anchors.length > 0 && (
          <ul class="sessions" data-testid="trust-anchors">
            {anchors.map((a) => (
              <li key={a.id}>
                <div>
                  <strong>{a.subject}</strong>
                  <br />
                  <code class="fingerprint">{a.fingerprint}</code>
                  <br />
                  <span class="hint">Valid until {formatTime(a.not_after)} · added {formatTime(a.added_at)}</span>
                </div>
                <button type="button" class="danger small"
                        onClick={() => window.confirm(`Remove the trust anchor ${a.subject}?`) &&
                                       act(() => api.deleteTrustAnchor(a.id))}>
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
    </section>
  );
}

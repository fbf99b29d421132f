// The sender's view of a sent message's recipients: how each was reached (member inbox or secure
// pickup link), what has happened since (notified, opened, replied, recalled, expired, failed),
// the signed receipts of each, a new unlock code for a locked one, and recalling the message.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, evidenceUrl, type MessageView, type ReceiptItem, type RecipientState } from '../api';
import { formatFullTime, formatTime } from '../format';
import { FormError, Notice } from './Field';

const STATUS: Record<string, string> = {
  delivered: 'Delivered',
  queued: 'Email not sent yet',
  deferred: 'Retrying',
  notified: 'Notified',
  opened: 'Opened',
  replied: 'Replied',
  recalled: 'Recalled',
  expired: 'Expired',
  failed: 'Email not delivered',
};

const EXPLAIN: Record<string, string> = {
  delivered: 'In their Sealpost inbox.',
  queued: 'The email with the pickup link is waiting to be sent.',
  notified: 'The email with the pickup link was sent; not opened yet.',
  opened: 'They opened the message with the link and unlock code.',
  replied: 'They opened the message and replied.',
  recalled: 'You recalled it: the link no longer works.',
  expired: 'The link expired before it was opened.',
  failed: 'The email with the pickup link could not be delivered: check the address.',
};

const BAD = new Set(['failed', 'expired', 'recalled']);

// A copy sent by email (app/routing.h): how it is protected, and what its state means.
const SECURE_HOW: Record<string, string> = {
  smime: 'Encrypted email (S/MIME) to their certificate. ',
  openpgp: 'Encrypted email (OpenPGP) to their key. ',
  tls: 'Email to their domain over enforced TLS. ',
};
const SECURE_STATE: Record<string, string> = {
  queued: 'Waiting to be sent.',
  delivered: 'Their mail server took it',
  deferred: 'Not taken yet; Sealpost tries again',
  failed: 'Could not be delivered',
};

function SecureHow({ r }: { r: RecipientState }) {
  return (
    <span class="rs-how hint">
      {SECURE_HOW[r.method || ''] || 'Email. '}
      {SECURE_STATE[r.status] || ''}
      {r.detail ? `: ${r.detail}` : ''}
      {r.status === 'deferred' && r.next_attempt_at && (
        <> (next try <time dateTime={r.next_attempt_at} title={formatFullTime(r.next_attempt_at)}>{formatTime(r.next_attempt_at)}</time>)</>
      )}
      {r.status === 'failed' && ' You can send it again with secure pickup for everyone.'}
    </span>
  );
}

// ETSI EN 319 522 event names, as a sender reads them (worded apart from the status badges).
const EVENT: Record<string, string> = {
  SubmissionAcceptance: 'Receipt: accepted for delivery',
  ContentConsignment: 'Receipt: delivered',
  ContentConsignmentFailure: 'Receipt: delivery failed',
  ContentHandover: 'Receipt: opened',
  ContentHandoverFailure: 'Receipt: not opened in time',
  ConsignmentAcceptance: 'Receipt: accepted (registered)',
  ConsignmentRejection: 'Receipt: refused (registered)',
  // Receipts issued before 2026-12-05 carry these former names.
  AcceptanceByRecipient: 'Receipt: accepted (registered)',
  RejectionByRecipient: 'Receipt: refused (registered)',
  AcceptanceRejectionExpiry: 'Receipt: not accepted by the deadline',
};

// The signed receipts for one recipient, each a download (verifiable offline).
function ReceiptLinks({ items }: { items: ReceiptItem[] }) {
  if (!items.length) return null;
  return (
    <ul class="rs-receipts hint" aria-label="Signed receipts">
      {items.map((r) => (
        <li key={r.id} data-testid="receipt">
          <a href={r.href} download={`receipt-${r.id}.p7m`}>{EVENT[r.event] || `Receipt: ${r.event}`}</a>
          {' '}<time dateTime={r.time} title={formatFullTime(r.time)}>{formatTime(r.time)}</time>
          {' '}(log entry {r.log_index})
        </li>
      ))}
    </ul>
  );
}

function Times({ r }: { r: RecipientState }) {
  const parts: [string, string][] = [];
  if (r.notified_at) parts.push(['emailed', r.notified_at]);
  if (r.opened_at) parts.push(['opened', r.opened_at]);
  if (r.replied_at) parts.push(['replied', r.replied_at]);
  if (!parts.length) return null;
  return (
    <span class="rs-times">
      {parts.map(([what, at], i) => (
        <span key={what}>
          {i ? ', ' : ''}
          {i ? what : what[0].toUpperCase() + what.slice(1)} <time dateTime={at} title={formatFullTime(at)}>{formatTime(at)}</time>
        </span>
      ))}
    </span>
  );
}

function NewCode({ id, address, onDone }: { id: string; address: string; onDone: () => void }) {
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [generated, setGenerated] = useState<string | null>(null);
  const slug = address.replace(/[^A-Za-z0-9]/g, '-');

  const issue = async (e: Event) => {
    e.preventDefault();
    const code = typed.trim();
    if (code && ([...code].length < 6 || [...code].length > 64)) {
      setError('Use 6 to 64 characters, or leave the field empty to let Sealpost make a code.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const r = await api.issueMuc(id, address, code || null);
      setTyped('');
      if (r.generated_muc) setGenerated(r.generated_muc);
      else onDone();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  if (generated) {
    return (
      <div class="new-code" role="status">
        <p>
          New unlock code for {address}: <code data-testid="new-muc">{generated}</code>
        </p>
        <p class="hint">Pass it on by phone, SMS or letter, never by email. It is shown only now.</p>
        <button type="button" class="secondary small" onClick={onDone}>I have noted the code</button>
      </div>
    );
  }
  return (
    <form class="new-code" onSubmit={issue} noValidate>
      <p class="error">
        The unlock code is locked after too many wrong tries. Give {address} a new one.
      </p>
      <label for={`new-muc-${slug}`}>New code for {address} (optional)</label>
      <input id={`new-muc-${slug}`} type="text" autoComplete="off" maxLength={64} value={typed}
             aria-describedby={`new-muc-${slug}-hint` + (error ? ` new-muc-${slug}-error` : '')}
             aria-invalid={error ? 'true' : undefined}
             onInput={(e) => setTyped(e.currentTarget.value)} />
      <p class="hint" id={`new-muc-${slug}-hint`}>Leave it empty and Sealpost makes one.</p>
      {error && <p class="error" id={`new-muc-${slug}-error`} role="alert">{error}</p>}
      <button type="submit" class="small" disabled={busy}>
        {busy ? 'Issuing…' : `Issue new code for ${address}`}
      </button>
    </form>
  );
}

export function Recipients({ msg, onChanged }: { msg: MessageView; onChanged: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<{ recalled: string[]; kept: string[] } | null>(null);
  const list = msg.recipients || [];
  const [receipts, setReceipts] = useState<ReceiptItem[]>([]);
  useEffect(() => {
    // Receipts follow within a second or two of each event; a failure here only hides them.
    api.receipts(msg.id).then((r) => setReceipts(r.receipts), () => setReceipts([]));
  }, [msg]);
  // The safe choice takes the focus when the question appears (the Recall button is gone then).
  const keep = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) keep.current?.focus();
  }, [confirming]);

  const recall = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await api.recall(msg.id));
      setConfirming(false);
      onChanged();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="recipients-status" aria-labelledby="rs-title">
      <h2 id="rs-title">Recipients</h2>
      <ul class="rs-list">
        {list.map((r) => (
          <li key={r.address} data-testid="recipient-status">
            <span class="rs-address">{r.address}</span>
            <span class={'badge ' + (BAD.has(r.status) || r.locked ? 'seal-bad' : 'seal-ok')} data-testid="recipient-state">
              {r.locked ? 'Code locked' : STATUS[r.status] || r.status}
            </span>
            {r.delivery === 'secure' ? <SecureHow r={r} /> : (
              <span class="rs-how hint">
                {r.delivery === 'member' ? 'Sealpost member. ' : 'Secure pickup link by email. '}
                {EXPLAIN[r.status] || ''} <Times r={r} />
              </span>
            )}
            <ReceiptLinks items={receipts.filter((x) => x.recipient === r.address)} />
            {r.locked && <NewCode id={msg.id} address={r.address} onDone={onChanged} />}
          </li>
        ))}
      </ul>
      {receipts.length > 0 && (
        <p class="rs-evidence">
          <a class="button secondary" data-testid="download-evidence" href={evidenceUrl(msg.id)}
             download={`evidence-${msg.id}.zip`}>
            Download evidence
          </a>{' '}
          <span class="hint">All receipts, the log checkpoint, the certificates and a PDF report, in one ZIP.</span>
        </p>
      )}
      {msg.expires_at && (
        <p class="hint">
          Pickup links work until <time dateTime={msg.expires_at}>{formatFullTime(msg.expires_at)}</time>.
        </p>
      )}
      {result && (
        <Notice>
          {(result.recalled.length ? `Recalled from ${result.recalled.join(', ')}.` : 'Nothing was recalled.') +
            (result.kept.length ? ` Already opened, so kept by: ${result.kept.join(', ')}.` : '')}
        </Notice>
      )}
      {msg.can_recall && !confirming && (
        <button type="button" class="secondary" onClick={() => setConfirming(true)}>
          Recall
        </button>
      )}
      {confirming && (
        <div class="confirm" role="group" aria-labelledby="recall-q" aria-describedby="recall-what">
          <p id="recall-q"><strong>Recall this message?</strong></p>
          <p id="recall-what">
            Everyone who has not opened it yet loses it: pickup links stop working and unread copies
            leave members' inboxes. Recipients who already opened it keep it. This cannot be undone.
          </p>
          <FormError message={error} />
          <div class="actions">
            <button type="button" class="danger" disabled={busy} onClick={recall}>
              {busy ? 'Recalling…' : 'Yes, recall it'}
            </button>
            <button type="button" class="secondary" ref={keep} onClick={() => { setConfirming(false); setError(null); }}>
              Keep it
            </button>
          </div>
        </div>
      )}
      {!confirming && <FormError message={error} />}
    </section>
  );
}

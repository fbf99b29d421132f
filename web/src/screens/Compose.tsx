import { useEffect, useState } from 'preact/hooks';
import { ABORTED, api, ApiError, upload, type MethodHint } from '../api';
import { FormError } from '../components/Field';
import { useTitle } from '../components/Page';
import { discardDraft, loadDraft, updateDraft, useDraft, type Draft, type DraftAttachment } from '../draft';
import { formatBytes, isValidAddress } from '../format';
import { LIMITS, loadServerLimits } from '../limits';
import { navigate } from '../router';

let nextKey = 1;

function setAttachment(key: number, change: Partial<DraftAttachment>): void {
  updateDraft((d) => ({
    ...d,
    attachments: d.attachments.map((a) => (a.key === key ? { ...a, ...change } : a)),
  }));
}

function startUpload(key: number, file: File): void {
  const handle = upload(file, (sent) => setAttachment(key, { sent }));
  setAttachment(key, { status: 'uploading', sent: 0, error: undefined, handle });
  handle.done.then(
    (r) => setAttachment(key, { status: 'done', uploadId: r.id, sent: file.size, handle: undefined }),
    (e: ApiError) => {
      if (e.type === ABORTED) {
        updateDraft((d) => ({ ...d, attachments: d.attachments.filter((a) => a.key !== key) }));
      } else {
        setAttachment(key, { status: 'failed', error: e.message, handle: undefined });
      }
    },
  );
}

// Files are checked against the server's limits, so a file chosen before GET /account has answered
// waits for it (a failed answer leaves the defaults; the server enforces its own limits anyway).
function addFiles(files: FileList | File[]): void {
  const list = Array.from(files);
  void loadServerLimits().then(() => addCheckedFiles(list));
}

function addCheckedFiles(list: File[]): void {
  updateDraft((d) => {
    const added: DraftAttachment[] = [];
    let count = d.attachments.filter((a) => a.status !== 'refused').length;
    for (const file of list) {
      const a: DraftAttachment = { key: nextKey++, file, status: 'refused', sent: 0 };
      if (file.size > LIMITS.maxUploadBytes) {
        a.error = `Not uploaded: ${formatBytes(file.size)} is over the limit of ${formatBytes(LIMITS.maxUploadBytes)} per file.`;
      } else if (count >= LIMITS.maxAttachments) {
        a.error = `Not added: a message can carry at most ${LIMITS.maxAttachments} files.`;
      } else {
        a.status = 'uploading';
        count++;
      }
      added.push(a);
    }
    return { ...d, attachments: [...d.attachments, ...added] };
  });
  // Start the accepted ones once they are in the draft.
  loadDraft().attachments.filter((a) => a.status === 'uploading' && !a.handle).forEach((a) => startUpload(a.key, a.file));
}

// Splits typed text into addresses at commas, semicolons, spaces and new lines.
function splitAddresses(text: string): { done: string[]; rest: string } {
  const parts = text.split(/[,;\s]+/);
  const rest = /[,;\s]$/.test(text) ? '' : parts.pop() || '';
  return { done: parts.map((p) => p.trim()).filter(Boolean), rest };
}

// The three recipient lists of the draft (To is `recipients`) and the text typed into each.
type ListKey = 'recipients' | 'cc' | 'bcc';
type PendingKey = 'pending' | 'ccPending' | 'bccPending';
const PENDING: Record<ListKey, PendingKey> = { recipients: 'pending', cc: 'ccPending', bcc: 'bccPending' };
const LISTS: ListKey[] = ['recipients', 'cc', 'bcc'];
// The form field of each list, and the name the server's messages use for it.
const FIELD: Record<ListKey, 'to' | 'cc' | 'bcc'> = { recipients: 'to', cc: 'cc', bcc: 'bcc' };
const LABEL: Record<ListKey, string> = { recipients: 'To', cc: 'Cc', bcc: 'Bcc' };

function addRecipients(list: ListKey, addresses: string[]): void {
  if (!addresses.length) return;
  updateDraft((d) => {
    const seen = new Set(d[list].map((r) => r.toLowerCase()));
    const next = [...d[list]];
    for (const a of addresses) {
      if (!seen.has(a.toLowerCase())) {
        next.push(a);
        seen.add(a.toLowerCase());
      }
    }
    return { ...d, [list]: next };
  });
}

// What is wrong with one list as typed so far ('' when nothing): addresses that are not valid,
// or typed text that can never become one.
function typedProblem(d: Draft, list: ListKey): string {
  const invalid = d[list].filter((r) => !isValidAddress(r));
  if (invalid.length) {
    return `${invalid.length === 1 ? 'This address is' : 'These addresses are'} not valid: ${invalid.join(', ')}. Correct or remove ${invalid.length === 1 ? 'it' : 'them'}.`;
  }
  // While typing, flag only what can never become an address; the rest is checked when the
  // address is complete (comma, Enter, leaving the field).
  const pending = d[PENDING[list]];
  return /@.*@|[<>()[\]\\"]/.test(pending) ? `“${pending.trim()}” is not a valid address.` : '';
}

// One recipient list: its addresses as chips (each with how it will be delivered) and the field
// addresses are typed into.
function AddressField({ d, list, hint, error, methods, onEdited }: {
  d: Draft;
  list: ListKey;
  hint: string;
  error: string;
  methods: Record<string, MethodHint>;
  onEdited: () => void;
}) {
  const id = FIELD[list];
  const pendingKey = PENDING[list];
  return (
    <div class={'field' + (error ? ' has-error' : '')}>
      <label for={id}>{LABEL[list]}</label>
      <div class="recipients">
        <ul class="chips" aria-label={list === 'recipients' ? 'Recipients' : `${LABEL[list]} recipients`}>
          {d[list].map((r) => {
            const ok = isValidAddress(r);
            return (
              <li key={r} class={'chip' + (ok ? '' : ' invalid')}>
                <span>{r}</span>
                {ok && methods[r] && (
                  <span class={'chip-method method-' + methods[r].method} data-testid="method-hint">
                    {methods[r].label}
                  </span>
                )}
                {!ok && <span class="visually-hidden"> (not a valid address)</span>}
                <button type="button" class="chip-remove" aria-label={`Remove ${r}`}
                        onClick={() => updateDraft((x) => ({ ...x, [list]: x[list].filter((y) => y !== r) }))}>
                  ×
                </button>
              </li>
            );
          })}
        </ul>
        <input
          id={id}
          type="email"
          multiple
          autoComplete="email"
          inputMode="email"
          value={d[pendingKey]}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={`${id}-hint` + (error ? ` ${id}-error` : '')}
          onInput={(e) => {
            const { done, rest } = splitAddresses(e.currentTarget.value);
            addRecipients(list, done);
            updateDraft((x) => ({ ...x, [pendingKey]: rest }));
            onEdited();
          }}
          // The field's own value, not the draft's: a fast typist's Enter can come before the
          // render that would bring the draft up to date.
          onKeyDown={(e) => {
            const typed = e.currentTarget.value.trim();
            if (e.key === 'Enter' && typed) {
              e.preventDefault();
              addRecipients(list, [typed]);
              updateDraft((x) => ({ ...x, [pendingKey]: '' }));
            } else if (e.key === 'Backspace' && !e.currentTarget.value && d[list].length) {
              updateDraft((x) => ({ ...x, [pendingKey]: x[list][x[list].length - 1], [list]: x[list].slice(0, -1) }));
              e.preventDefault();
            }
          }}
          onBlur={(e) => {
            const typed = e.currentTarget.value.trim();
            if (typed) {
              addRecipients(list, [typed]);
              updateDraft((x) => ({ ...x, [pendingKey]: '' }));
            }
          }}
        />
      </div>
      <p class="hint" id={`${id}-hint`}>{hint}</p>
      {error && (
        <p class="error" id={`${id}-error`} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

// The choices offered for how long a pickup link works: common steps up to the server's maximum,
// and the server's default and maximum themselves.
function expiryChoices(): number[] {
  const max = LIMITS.maxExpiryDays;
  const set = new Set([1, 3, 7, 14, 30, 60, 90, 180, 365].filter((d) => d <= max));
  set.add(LIMITS.defaultExpiryDays);
  set.add(max);
  return [...set].filter((d) => d >= 1 && d <= max).sort((a, b) => a - b);
}

interface MucChoice {
  mode: 'generate' | 'type';
  code: string;
  error?: string;
}

// A typed MUC: 6 to 64 characters on one line (the server's rule).
function mucProblem(code: string): string | null {
  const n = [...code].length;
  if (n < 6 || n > 64) return 'Use 6 to 64 characters.';
  if (/[\r\n]/.test(code)) return 'Use one line only.';
  return null;
}

export function Compose() {
  useTitle('New message');
  const d = useDraft();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [dragging, setDragging] = useState(false);
  const [, setLimitsLoaded] = useState(false);
  // Recipients who are not members and have no unlock code yet (the server's muc-required).
  const [mucNeeded, setMucNeeded] = useState<string[] | null>(null);
  const [mucChoices, setMucChoices] = useState<Record<string, MucChoice>>({});
  const [expiry, setExpiry] = useState(0);
  // Registered mail: recipients accept (or refuse) before they see the content, within these days.
  const [registered, setRegistered] = useState(false);
  const [acceptanceDays, setAcceptanceDays] = useState(14);
  // Every recipient who is not a member gets a pickup link, even one with a key or a TLS partner.
  const [forcePickup, setForcePickup] = useState(false);
  // How each complete address will be reached, asked as addresses are added (a hint: the server
  // decides again when the message is sent).
  const [methods, setMethods] = useState<Record<string, MethodHint>>({});
  // Cc and Bcc stay folded away until asked for (or while the draft has any).
  const [showCopies, setShowCopies] = useState(
    () => d.cc.length + d.bcc.length > 0 || !!d.ccPending || !!d.bccPending);
  // Codes Sealpost generated for them: shown once, then the message.
  const [generated, setGenerated] = useState<{ id: string; codes: Record<string, string> } | null>(null);
  useEffect(() => {
    loadServerLimits().then(() => {
      setLimitsLoaded(true);
      setExpiry((e) => e || LIMITS.defaultExpiryDays);
    });
  }, []);

  // Every list's complete addresses, for the delivery hints.
  const hinted = [...d.recipients, ...d.cc, ...d.bcc].filter(isValidAddress).slice(0, 100);
  const hintKey = hinted.join(',') + (forcePickup || registered ? '|pickup' : '');
  useEffect(() => {
    const addresses = hinted;
    if (!addresses.length) return;
    let live = true;
    const timer = setTimeout(() => {
      api.methods(addresses, forcePickup || registered).then(
        // One answer per address, in the order asked.
        (r) => { if (live) setMethods(Object.fromEntries(r.items.map((h, i) => [addresses[i], h]))); },
        () => { if (live) setMethods({}); });  // only a hint: the send still decides
    }, 250);
    return () => { live = false; clearTimeout(timer); };
  }, [hintKey]);
  const uploading = d.attachments.some((a) => a.status === 'uploading');
  const listError = (list: ListKey) => errors[FIELD[list]] || typedProblem(d, list);

  const choose = (address: string, change: Partial<MucChoice>) =>
    setMucChoices((c) => ({ ...c, [address]: { ...(c[address] || { mode: 'generate', code: '' }), ...change } }));

  const send = async (e: Event, withCodes = false) => {
    e.preventDefault();
    // The unlock codes for non-members: typed ones as typed, the rest generated by the server.
    let mucs: Record<string, string> | undefined;
    let generateMucs = false;
    if (withCodes && mucNeeded) {
      let bad = false;
      const next = { ...mucChoices };
      for (const address of mucNeeded) {
        const c = next[address] || { mode: 'generate', code: '' };
        const problem = c.mode === 'type' ? mucProblem(c.code) : null;
        next[address] = { ...c, error: problem || undefined };
        if (problem) bad = true;
        else if (c.mode === 'type') (mucs ??= {})[address] = c.code;
        else generateMucs = true;
      }
      setMucChoices(next);
      if (bad) return;
    }
    // Each list with what is still typed in its field.
    const lists = {} as Record<ListKey, string[]>;
    for (const list of LISTS) {
      const pending = d[PENDING[list]].trim();
      lists[list] = pending ? [...d[list], pending] : d[list];
      if (pending) {
        addRecipients(list, [pending]);
        updateDraft((x) => ({ ...x, [PENDING[list]]: '' }));
      }
    }
    const errs: Record<string, string> = {};
    const total = LISTS.reduce((n, list) => n + lists[list].length, 0);
    const inList = new Map<string, ListKey>();  // each address in one list only, as the server wants
    for (const list of LISTS) {
      const bad = lists[list].filter((r) => !isValidAddress(r));
      if (bad.length) errs[FIELD[list]] = `Not a valid address: ${bad.join(', ')}.`;
      for (const r of lists[list]) {
        const first = inList.get(r.toLowerCase());
        if (first && first !== list && !errs[FIELD[list]]) {
          errs[FIELD[list]] = `${r} is already in ${LABEL[first]}: keep it in one list.`;
        }
        if (!first) inList.set(r.toLowerCase(), list);
      }
    }
    if (total === 0) errs.to = 'Add at least one recipient.';
    else if (total > LIMITS.maxRecipients) errs.to = `At most ${LIMITS.maxRecipients} recipients (To, Cc and Bcc together).`;
    if (errs.cc || errs.bcc) setShowCopies(true);
    setErrors(errs);
    setFormError(null);
    if (Object.keys(errs).length) return;
    if (uploading) {
      setFormError('Wait until every attachment has finished uploading (or cancel it).');
      return;
    }
    if (d.attachments.some((a) => a.status === 'failed')) {
      setFormError('An attachment failed to upload: retry it or remove it.');
      return;
    }
    setBusy(true);
    try {
      const { id, generated_mucs } = await api.send({
        generate_mucs: generateMucs || undefined,
        mucs,
        expires_in_days: LIMITS.maxExpiryDays && expiry ? expiry : undefined,
        registered: registered || undefined,
        acceptance_days: registered ? acceptanceDays : undefined,
        force_pickup: forcePickup || undefined,
        to: lists.recipients,
        cc: lists.cc.length ? lists.cc : undefined,
        bcc: lists.bcc.length ? lists.bcc : undefined,
        subject: d.subject,
        text: d.text,
        attachments: d.attachments
          .filter((a) => a.status === 'done')
          .map((a) => ({ upload_id: a.uploadId!, name: a.file.name, content_type: a.file.type || 'application/octet-stream' })),
      });
      discardDraft();
      setMucNeeded(null);
      setMucChoices({});
      if (generated_mucs && Object.keys(generated_mucs).length) setGenerated({ id, codes: generated_mucs });
      else navigate(`/messages/${id}?sent=1`);
    } catch (err) {
      const msg = err instanceof ApiError ? err.message : String(err);
      if (err instanceof ApiError && err.type === 'muc-required' && Array.isArray(err.extra.addresses)) {
        setMucNeeded(err.extra.addresses as string[]);
      } else if (err instanceof ApiError && err.extra.partly_sent) {
        // The To/Cc message and some Bcc messages went out (they are in Sent): not all again.
        setFormError(`${msg} The other messages were sent: see Sent before sending again.`);
      } else if (err instanceof ApiError && (err.type === 'invalid-recipient' || err.type === 'invalid-muc')) {
        // The server names the list: "cc recipient 2 …", "… is in both to and bcc …".
        const field = /^(cc|bcc) recipient|in both (?:to|cc) and (cc|bcc)|more than once in (cc|bcc)/.exec(msg);
        const list = field ? field[1] || field[2] || field[3] : 'to';
        if (list !== 'to') setShowCopies(true);
        setErrors({ [list]: msg });
      }
      else if (err instanceof ApiError && err.type === 'invalid-subject') setErrors({ subject: msg });
      else if (err instanceof ApiError && err.type === 'invalid-deadline') setErrors({ deadline: msg });
      else setFormError(msg);
    } finally {
      setBusy(false);
    }
  };

  if (generated) {
    return (
      <section class="compose">
        <h1 tabIndex={-1}>Message sent — pass on the unlock codes</h1>
        <p>
          These recipients are not members. Each gets an email with a link; to open it they also need
          the Message Unlock Code below. Tell it to them another way — by phone, SMS or letter, never
          by email. It is shown only now.
        </p>
        <dl class="muc-codes">
          {Object.entries(generated.codes).map(([address, code]) => (
            <div key={address}>
              <dt>{address}</dt>
              <dd><code data-testid="muc">{code}</code></dd>
            </div>
          ))}
        </dl>
        <button type="button" onClick={() => navigate(`/messages/${generated.id}?sent=1`)}>
          I have noted the codes
        </button>
      </section>
    );
  }

  return (
    <section class="compose">
      <h1 tabIndex={-1}>New message</h1>
      <form onSubmit={send} noValidate>
        <AddressField d={d} list="recipients" error={listError('recipients')} methods={methods}
                      hint="Separate addresses with a comma or Enter."
                      onEdited={() => errors.to && setErrors({ ...errors, to: '' })} />
        {!showCopies && (
          <p class="copies-toggle">
            <button type="button" class="secondary small" aria-expanded="false" aria-controls="copies"
                    onClick={() => setShowCopies(true)}>
              Cc/Bcc
            </button>
          </p>
        )}
        {showCopies && (
          <div id="copies">
            <AddressField d={d} list="cc" error={listError('cc')} methods={methods}
                          hint="Cc: everyone in To and Cc sees these addresses."
                          onEdited={() => errors.cc && setErrors({ ...errors, cc: '' })} />
            <AddressField d={d} list="bcc" error={listError('bcc')} methods={methods}
                          hint="Bcc: each gets a message of their own that names only them; nobody else sees these addresses."
                          onEdited={() => errors.bcc && setErrors({ ...errors, bcc: '' })} />
          </div>
        )}
        <div class={'field' + (errors.subject ? ' has-error' : '')}>
          <label for="subject">Subject</label>
          <input id="subject" value={d.subject} maxLength={LIMITS.maxSubjectChars}
                 aria-invalid={errors.subject ? 'true' : undefined}
                 aria-describedby={errors.subject ? 'subject-error' : undefined}
                 onInput={(e) => { const v = e.currentTarget.value; updateDraft((x) => ({ ...x, subject: v })); }} />
          {errors.subject && <p class="error" id="subject-error" role="alert">{errors.subject}</p>}
        </div>
        <div class="field">
          <label for="body">Message</label>
          <textarea id="body" rows={12} value={d.text}
                    onInput={(e) => { const v = e.currentTarget.value; updateDraft((x) => ({ ...x, text: v })); }} />
        </div>
        <fieldset class="attachments-field">
          <legend>Attachments</legend>
          <p class="hint" id="limits">
            Up to {formatBytes(LIMITS.maxUploadBytes)} per file, at most {LIMITS.maxAttachments} files. Files are
            encrypted as they upload.
          </p>
          <div
            class={'dropzone' + (dragging ? ' dragging' : '')}
            onDragOver={(e) => {
              e.preventDefault();
              setDragging(true);
            }}
            onDragLeave={() => setDragging(false)}
            onDrop={(e) => {
              e.preventDefault();
              setDragging(false);
              if (e.dataTransfer?.files.length) addFiles(e.dataTransfer.files);
            }}
            data-testid="dropzone"
          >
            <input id="files" type="file" multiple class="visually-hidden" aria-describedby="limits"
                   onChange={(e) => {
                     const files = e.currentTarget.files;
                     if (files && files.length) addFiles(files);
                     e.currentTarget.value = '';
                   }} />
            <label for="files" class="button secondary">Add files</label>
            <span class="hint"> or drop files here</span>
          </div>
          {d.attachments.length > 0 && (
            <ul class="uploads">
              {d.attachments.map((a) => {
                const pct = a.file.size ? Math.round((100 * a.sent) / a.file.size) : 100;
                return (
                  <li key={a.key} class={'upload ' + a.status} data-testid="upload">
                    <span class="upload-name">{a.file.name}</span>
                    <span class="hint"> {formatBytes(a.file.size)}</span>
                    {a.status === 'uploading' && (
                      <>
                        <progress max={100} value={pct} aria-label={`Uploading ${a.file.name}`} />
                        <span class="hint">{pct} %</span>
                        <button type="button" class="secondary small" aria-label={`Cancel upload of ${a.file.name}`}
                                onClick={() => a.handle?.abort()}>
                          Cancel
                        </button>
                      </>
                    )}
                    {a.status === 'done' && <span class="ok-text">Uploaded</span>}
                    {(a.status === 'failed' || a.status === 'refused') && (
                      <p class="error" role="alert">{a.error}</p>
                    )}
                    {a.status === 'failed' && (
                      <button type="button" class="secondary small" aria-label={`Retry ${a.file.name}`}
                              onClick={() => startUpload(a.key, a.file)}>
                        Retry
                      </button>
                    )}
                    {a.status !== 'uploading' && (
                      <button type="button" class="secondary small" aria-label={`Remove ${a.file.name}`}
                              onClick={() => updateDraft((x) => ({ ...x, attachments: x.attachments.filter((y) => y.key !== a.key) }))}>
                        Remove
                      </button>
                    )}
                  </li>
                );
              })}
            </ul>
          )}
        </fieldset>
        <div class="field">
          <label>
            <input type="checkbox" checked={forcePickup} aria-describedby="force-pickup-hint"
                   onChange={(e) => setForcePickup(e.currentTarget.checked)} /> Secure pickup for everyone
          </label>
          <p class="hint" id="force-pickup-hint">
            Recipients who are not members get a pickup link and an unlock code, even where an encrypted
            email (S/MIME, OpenPGP) or enforced TLS is available.
          </p>
        </div>
        <fieldset class="field registered">
          <legend>Registered mail</legend>
          <label>
            <input type="checkbox" checked={registered} aria-describedby="registered-hint"
                   onChange={(e) => setRegistered(e.currentTarget.checked)} /> Registered: recipients must accept it first
          </label>
          <p class="hint" id="registered-hint">
            They see only that it is from you and registered, and accept or refuse it before the subject, text and
            attachments are shown. You get a signed receipt for each answer.
          </p>
          {registered && (
            <>
              <label for="acceptance-days">Days to accept</label>
              <input id="acceptance-days" type="number" min={1} max={365} value={String(acceptanceDays)}
                     aria-invalid={errors.deadline ? 'true' : undefined}
                     onInput={(e) => setAcceptanceDays(Number(e.currentTarget.value))} />
              {errors.deadline && <p class="error" role="alert">{errors.deadline}</p>}
            </>
          )}
        </fieldset>
        <FormError message={formError} />
        {LIMITS.maxExpiryDays > 0 && (
          <div class="field">
            <label for="expiry">Links for recipients who are not members work for</label>
            <select id="expiry" value={String(expiry)} aria-describedby="expiry-hint"
                    onChange={(e) => setExpiry(Number(e.currentTarget.value))}>
              {expiryChoices().map((d) => (
                <option key={d} value={String(d)}>
                  {d === 1 ? '1 day' : `${d} days`}{d === LIMITS.defaultExpiryDays ? ' (usual)' : ''}
                </option>
              ))}
            </select>
            <p class="hint" id="expiry-hint">After that the emailed link stops working. Members are not affected.</p>
          </div>
        )}
        {mucNeeded && (
          <div class="guests" role="region" aria-labelledby="guests-title">
            <h2 id="guests-title">Not members yet: {mucNeeded.join(', ')}</h2>
            <p>
              They will get an email with a link to a secure pickup page. The first time, they also need a
              Message Unlock Code that you pass on another way — by phone, SMS or letter, never by email.
              Type a code you agree with them, or let Sealpost make one (shown to you once, after sending).
            </p>
            {mucNeeded.map((address, i) => {
              const c = mucChoices[address] || { mode: 'generate', code: '' };
              return (
                <fieldset key={address} class="muc-choice">
                  <legend>Unlock code for {address}</legend>
                  <div class="check">
                    <input type="radio" id={`muc-gen-${i}`} name={`muc-${i}`} checked={c.mode === 'generate'}
                           onChange={() => choose(address, { mode: 'generate', error: undefined })} />
                    <label for={`muc-gen-${i}`}>Let Sealpost make a code</label>
                  </div>
                  <div class="check">
                    <input type="radio" id={`muc-type-${i}`} name={`muc-${i}`} checked={c.mode === 'type'}
                           onChange={() => choose(address, { mode: 'type' })} />
                    <label for={`muc-type-${i}`}>I will type a code</label>
                  </div>
                  {c.mode === 'type' && (
                    <div class={'field' + (c.error ? ' has-error' : '')}>
                      <label for={`muc-code-${i}`}>Code for {address}</label>
                      <input id={`muc-code-${i}`} type="text" autoComplete="off" maxLength={64} value={c.code}
                             aria-invalid={c.error ? 'true' : undefined}
                             aria-describedby={`muc-code-${i}-hint` + (c.error ? ` muc-code-${i}-error` : '')}
                             onInput={(e) => choose(address, { code: e.currentTarget.value, error: undefined })} />
                      <p class="hint" id={`muc-code-${i}-hint`}>6 to 64 characters; tell it to {address} yourself.</p>
                      {c.error && <p class="error" id={`muc-code-${i}-error`} role="alert">{c.error}</p>}
                    </div>
                  )}
                </fieldset>
              );
            })}
            <button type="button" disabled={busy} onClick={(e) => send(e, true)}>
              Send with these unlock codes
            </button>
          </div>
        )}
        <div class="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Sending…' : 'Send sealed message'}
          </button>
          <button type="button" class="secondary"
                  onClick={() => {
                    if (window.confirm('Discard this draft?')) {
                      discardDraft();
                      navigate('/mailbox/inbox');
                    }
                  }}>
            Discard
          </button>
        </div>
      </form>
    </section>
  );
}

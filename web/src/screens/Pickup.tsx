// /pickup#<link> — the page a guest (a recipient who is not a member) opens from the notification
// email. The link secret is in the URL fragment, which no server sees: it is read once, taken out
// of the address bar (so it is neither left on screen nor bookmarked) and posted only in JSON
// bodies. The guest proves the rest with the Message Unlock Code (MUC) the sender passed on by
// another way. After unlocking: the message, its attachments (fetched with the short-lived pickup
// token in a header, never a URL), a reply form and the offer to become a member.
// Nothing here is stored in the browser: link and token live in this page's memory only.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ABORTED, api, ApiError, pickup, setCsrfToken, type PickupView, type UploadHandle } from '../api';
import { Field, FormError, Notice } from '../components/Field';
import { LoginForm } from '../components/LoginForm';
import { AttachmentList, MessageMeta, MessageText, sender } from '../components/MessageParts';
import { useTitle } from '../components/Page';
import { RecoveryCode } from '../components/RecoveryCode';
import { RegisteredNotice } from '../components/Registered';
import { SealBanner } from '../components/Seal';
import { formatBytes, formatFullTime, formatTime, passwordProblem } from '../format';
import { LIMITS } from '../limits';
import { navigate } from '../router';
import { applySession, getSession, useSession } from '../session';
import { TotpSetup } from './TotpSetup';

// The link of this page load (memory only: a reload needs the email's link again).
let heldLink = '';

function takeLink(): string {
  const fragment = window.location.hash.replace(/^#/, '');
  if (fragment) {
    heldLink = fragment;
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  return heldLink;
}

const message = (e: unknown) => (e instanceof ApiError ? e.message : String(e));
// The pickup token has run out (or the pickup was withdrawn).
const gone = (e: unknown) => e instanceof ApiError && e.type === 'pickup-not-found';

// ---- Unlock ----

interface UnlockProps {
  link: string;
  again?: boolean;
  onUnlocked: (v: PickupView) => void;
  onDead: (reason: string) => void;
  onEnrolled: (muc: string) => void;
}

// A new unlock code was issued after this message was sent: until its sender has been back in
// Sealpost (which re-seals it to the new code), no code opens it.
const WAITS_FOR_SENDER =
  'This message waits for its sender to confirm the new unlock code. Try again later: it opens ' +
  'as soon as the sender has next used Sealpost.';

function UnlockForm({ link, again, onUnlocked, onDead, onEnrolled }: UnlockProps) {
  const [muc, setMuc] = useState('');
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setFieldError(null);
    setFormError(null);
    const code = muc.trim();
    if (!code) {
      setFieldError('Enter the unlock code the sender gave you.');
      return;
    }
    setBusy(true);
    try {
      const v = await pickup.unlock(link, code);
      setMuc('');
      onUnlocked(v);
    } catch (err) {
      if (!(err instanceof ApiError)) setFormError(String(err));
      else if (err.type === 'muc-wrong') {
        const left = Number(err.extra.remaining_tries);
        setFieldError(Number.isFinite(left) && left > 0
          ? `That unlock code is not right. ${left} ${left === 1 ? 'try' : 'tries'} left before the code is locked.`
          : 'That unlock code is not right.');
      } else if (err.type === 'muc-locked') setFieldError(err.message);
      else if (err.type === 'pickup-not-found') onDead(err.message);
      else if (err.type === 'pickup-enrolled') onEnrolled(code);
      else if (err.type === 'pickup-waits-for-sender') setFormError(WAITS_FOR_SENDER);
      else if (err.type === 'invalid-muc') setFieldError('That is not an unlock code: check what you typed.');
      else setFormError(err.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} noValidate>
      <Field id={again ? 'muc-again' : 'muc'} label="Message Unlock Code" value={muc} onInput={setMuc}
             autoComplete="off" maxLength={64} required autoFocus={again}
             hint="The sender gave you this code by phone, SMS or letter — it is not in the email."
             error={fieldError || undefined} />
      <FormError message={formError} />
      <button type="submit" disabled={busy}>
        {busy ? 'Opening…' : 'Open the message'}
      </button>
    </form>
  );
}

// ---- Attachments, downloaded with the pickup token ----

function DownloadButton({ token, index, name, onGone }: { token: string; index: number; name: string; onGone: () => void }) {
  const [state, setState] = useState<{ busy: boolean; error: string | null }>({ busy: false, error: null });
  const download = async () => {
    setState({ busy: true, error: null });
    try {
      const blob = await pickup.attachment(token, index);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      setState({ busy: false, error: null });
    } catch (err) {
      if (gone(err)) {
        onGone();
        setState({ busy: false, error: 'Not downloaded: enter your unlock code again (below), then download.' });
      } else {
        setState({ busy: false, error: message(err) });
      }
    }
  };
  return (
    <>
      <button type="button" class="link" disabled={state.busy} onClick={download}>
        Download {name}
      </button>
      {state.busy && <span class="hint" role="status"> Downloading…</span>}
      {state.error && <span class="error" role="alert"> {state.error}</span>}
    </>
  );
}

// ---- Reply ----

interface ReplyFile {
  key: number;
  file: File;
  status: 'uploading' | 'done' | 'failed' | 'refused';
  sent: number;
  uploadId?: string;
  error?: string;
  handle?: UploadHandle;
}

let nextKey = 1;

function ReplyForm({ view, token, onGone }: { view: PickupView; token: string; onGone: () => void }) {
  const [text, setText] = useState('');
  const [files, setFiles] = useState<ReplyFile[]>([]);
  const [replyAll, setReplyAll] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [textError, setTextError] = useState<string | null>(null);
  const [sent, setSent] = useState<string[] | null>(null);
  const filesRef = useRef(files);
  filesRef.current = files;
  useEffect(() => () => filesRef.current.forEach((f) => f.handle?.abort()), []);

  const change = (key: number, c: Partial<ReplyFile>) =>
    setFiles((list) => list.map((f) => (f.key === key ? { ...f, ...c } : f)));

  const start = (key: number, file: File) => {
    const handle = pickup.upload(token, file, (n) => change(key, { sent: n }));
    change(key, { status: 'uploading', sent: 0, error: undefined, handle });
    handle.done.then(
      (r) => change(key, { status: 'done', uploadId: r.id, sent: file.size, handle: undefined }),
      (e: ApiError) => {
        if (e.type === ABORTED) setFiles((list) => list.filter((f) => f.key !== key));
        else {
          if (gone(e)) onGone();
          change(key, {
            status: 'failed', handle: undefined,
            error: gone(e) ? 'Not uploaded: enter your unlock code again (above), then retry.' : e.message,
          });
        }
      },
    );
  };

  // The unlock answer says what a reply may carry (a guest cannot ask GET /account).
  const maxUpload = view.limits?.max_upload_bytes ?? LIMITS.maxUploadBytes;
  const maxFiles = view.limits?.max_attachments ?? LIMITS.maxAttachments;

  const add = (list: FileList) => {
    const added: ReplyFile[] = [];
    let count = files.filter((f) => f.status !== 'refused').length;
    for (const file of Array.from(list)) {
      const f: ReplyFile = { key: nextKey++, file, status: 'refused', sent: 0 };
      if (file.size > maxUpload) {
        f.error = `Not uploaded: ${formatBytes(file.size)} is over the limit of ${formatBytes(maxUpload)} per file.`;
      } else if (count >= maxFiles) {
        f.error = `Not added: a reply can carry at most ${maxFiles} files.`;
      } else {
        f.status = 'uploading';
        count++;
      }
      added.push(f);
    }
    setFiles((l) => [...l, ...added]);
    added.filter((f) => f.status === 'uploading').forEach((f) => setTimeout(() => start(f.key, f.file)));
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setTextError(null);
    const ready = files.filter((f) => f.status === 'done');
    if (!text.trim() && !ready.length) {
      setTextError('Write a reply (or attach a file) before sending.');
      return;
    }
    if (files.some((f) => f.status === 'uploading')) {
      setError('Wait until every attachment has finished uploading (or cancel it).');
      return;
    }
    if (files.some((f) => f.status === 'failed')) {
      setError('An attachment failed to upload: retry it or remove it.');
      return;
    }
    setBusy(true);
    try {
      const r = await pickup.reply(token, {
        text,
        reply_all: replyAll,
        attachments: ready.map((f) => ({
          upload_id: f.uploadId!, name: f.file.name, content_type: f.file.type || 'application/octet-stream',
        })),
      });
      setSent(r.to);
      setText('');
      setFiles([]);
      setReplyAll(false);
    } catch (err) {
      if (gone(err)) {
        onGone();
        setError('Not sent: for your security this page needs your unlock code again (above). Your reply is kept here.');
      } else setError(message(err));
    } finally {
      setBusy(false);
    }
  };

  const others = view.reply_all || [];
  return (
    <section class="card reply" aria-labelledby="reply-title">
      <h2 id="reply-title">Reply to {view.from.name || view.from.email}</h2>
      {sent && (
        <Notice>
          {`Your reply was sent, sealed, to ${sent.join(', ')}.`}
        </Notice>
      )}
      <form onSubmit={submit} noValidate>
        <div class={'field' + (textError ? ' has-error' : '')}>
          <label for="reply-text">Your reply</label>
          <textarea id="reply-text" rows={8} value={text}
                    aria-invalid={textError ? 'true' : undefined}
                    aria-describedby={textError ? 'reply-text-error' : undefined}
                    onInput={(e) => setText(e.currentTarget.value)} />
          {textError && <p class="error" id="reply-text-error" role="alert">{textError}</p>}
        </div>
        {others.length > 0 && (
          <div class="check">
            <input id="reply-all" type="checkbox" checked={replyAll} aria-describedby="reply-all-hint"
                   onChange={(e) => setReplyAll(e.currentTarget.checked)} />
            <div>
              <label for="reply-all">Reply to all</label>
              <p class="hint" id="reply-all-hint">Also send it to {others.filter((a) => a !== view.from.email).join(', ') || others.join(', ')}.</p>
            </div>
          </div>
        )}
        <fieldset class="attachments-field">
          <legend>Attachments</legend>
          <p class="hint" id="reply-limits">
            Up to {maxFiles} files of at most {formatBytes(maxUpload)} each; they are encrypted as they upload.
          </p>
          <input id="reply-files" type="file" multiple class="visually-hidden" aria-describedby="reply-limits"
                 onChange={(e) => {
                   const list = e.currentTarget.files;
                   if (list && list.length) add(list);
                   e.currentTarget.value = '';
                 }} />
          <label for="reply-files" class="button secondary">Add files</label>
          {files.length > 0 && (
            <ul class="uploads">
              {files.map((f) => {
                const pct = f.file.size ? Math.round((100 * f.sent) / f.file.size) : 100;
                return (
                  <li key={f.key} class={'upload ' + f.status} data-testid="upload">
                    <span class="upload-name">{f.file.name}</span>
                    <span class="hint"> {formatBytes(f.file.size)}</span>
                    {f.status === 'uploading' && (
                      <>
                        <progress max={100} value={pct} aria-label={`Uploading ${f.file.name}`} />
                        <span class="hint">{pct} %</span>
                        <button type="button" class="secondary small" aria-label={`Cancel upload of ${f.file.name}`}
                                onClick={() => f.handle?.abort()}>
                          Cancel
                        </button>
                      </>
                    )}
                    {f.status === 'done' && <span class="ok-text">Uploaded</span>}
                    {(f.status === 'failed' || f.status === 'refused') && <p class="error" role="alert">{f.error}</p>}
                    {f.status === 'failed' && (
                      <button type="button" class="secondary small" aria-label={`Retry ${f.file.name}`}
                              onClick={() => start(f.key, f.file)}>
                        Retry
                      </button>
                    )}
                    {f.status !== 'uploading' && (
                      <button type="button" class="secondary small" aria-label={`Remove ${f.file.name}`}
                              onClick={() => setFiles((l) => l.filter((x) => x.key !== f.key))}>
                        Remove
                      </button>
                    )}
                  </li>
                );
              })}
            </ul>
          )}
        </fieldset>
        <FormError message={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Sending…' : 'Send sealed reply'}
        </button>
      </form>
    </section>
  );
}

// ---- Becoming a member ----

function EnrolForm({ view, token, onGone, onEnrolled }: {
  view: PickupView;
  token: string;
  onGone: () => void;
  onEnrolled: (recoveryCode: string) => void;
}) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const errs: Record<string, string> = {};
    const weak = passwordProblem(password);
    if (weak) errs.password = weak;
    else if (password !== again) errs.again = 'The two passwords are not the same.';
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      const r = await pickup.enrol(token, password, name.trim());
      setCsrfToken(r.csrf_token);
      onEnrolled(r.recovery_code);
    } catch (err) {
      if (gone(err)) {
        onGone();
        setError('Not created yet: for your security this page needs your unlock code again (above).');
      } else if (err instanceof ApiError && err.type === 'invalid-password') setErrors({ password: err.message });
      else setError(message(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card enrol" aria-labelledby="enrol-title">
      <h2 id="enrol-title">Get your own Sealpost mailbox</h2>
      <p>
        Create an account for <strong>{view.recipient}</strong>: this message and the next ones arrive
        straight in your own sealed mailbox — no more links or unlock codes. Your address is already
        confirmed by this link and code.
      </p>
      <form onSubmit={submit} noValidate>
        <Field id="enrol-name" label="Your name (optional)" value={name} onInput={setName} autoComplete="name" maxLength={200} />
        <div class="field">
          <label for="enrol-email">Email address</label>
          <input id="enrol-email" type="email" autoComplete="username" value={view.recipient} readOnly />
        </div>
        <Field id="enrol-password" label="Choose a password" type="password" value={password} onInput={setPassword}
               autoComplete="new-password" required hint="At least 10 characters."
               error={errors.password} />
        <Field id="enrol-again" label="Password again" type="password" value={again} onInput={setAgain}
               autoComplete="new-password" required error={errors.again} />
        <FormError message={error} />
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create my account'}
        </button>
      </form>
    </section>
  );
}

// ---- Already a member: log in, then the message moves into the mailbox ----

// `typedMuc`: the unlock code the guest typed on this page, if any. A member who signed up
// outside the pickup page holds no key of the address yet: the server then asks for the code once.
function Claim({ link, typedMuc }: { link: string; typedMuc: string }) {
  const session = useSession();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [needMuc, setNeedMuc] = useState(false);
  const [muc, setMuc] = useState(typedMuc);
  const [mucError, setMucError] = useState<string | null>(null);
  const claim = async () => {
    setBusy(true);
    setError(null);
    setMucError(null);
    try {
      const { id } = await api.claimPickup(link, muc.trim() || undefined);
      navigate(`/messages/${id}`, true);
    } catch (err) {
      if (!(err instanceof ApiError)) setError(String(err));
      else if (err.type === 'muc-needed') {
        setNeedMuc(true);
        if (muc.trim()) setMucError(err.message);
      } else if (err.type === 'muc-wrong') {
        setNeedMuc(true);
        const left = Number(err.extra.remaining_tries);
        setMucError(Number.isFinite(left) && left > 0
          ? `That unlock code is not right. ${left} ${left === 1 ? 'try' : 'tries'} left before the code is locked.`
          : 'That unlock code is not right.');
      } else if (err.type === 'muc-locked') {
        setNeedMuc(true);
        setMucError(err.message);
      } else if (err.type === 'pickup-waits-for-sender') setError(WAITS_FOR_SENDER);
      else setError(err.message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card narrow">
      <h1 tabIndex={-1}>You already have a Sealpost account</h1>
      <p>
        This message was sent to an address that has an account now. Log in and it moves into your
        sealed mailbox; this link then stops working.
      </p>
      {session.kind === 'active' ? (
        <>
          <p>You are logged in as <strong>{session.user.email}</strong>.</p>
          {needMuc && (
            <Field id="claim-muc" label="Message Unlock Code" value={muc} onInput={setMuc}
                   autoComplete="off" maxLength={64} required autoFocus
                   hint="Needed once: the code the sender gave you for this address."
                   error={mucError || undefined} />
          )}
          <FormError message={error} />
          <button type="button" disabled={busy} onClick={claim}>
            {busy ? 'Moving…' : 'Move it into my mailbox'}
          </button>
        </>
      ) : (
        <LoginForm idPrefix="pickup-login" onDone={() => {
          if (getSession().kind === 'active') claim();
          else navigate('/two-factor');
        }} />
      )}
    </section>
  );
}

// ---- The page ----

type Phase =
  | { kind: 'unlock' }
  | { kind: 'dead'; reason: string }
  | { kind: 'claim'; muc: string }
  | { kind: 'read'; view: PickupView }
  | { kind: 'recovery'; code: string; email: string }
  | { kind: 'totp-offer'; email: string }
  | { kind: 'totp' };

export function Pickup() {
  const [link, setLink] = useState(takeLink);
  const [phase, setPhase] = useState<Phase>({ kind: 'unlock' });
  // Another email's link opened in this tab only changes the fragment: start over with it.
  useEffect(() => {
    const changed = () => {
      if (!window.location.hash) return;
      setLink(takeLink());
      setPhase({ kind: 'unlock' });
    };
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  const [tokenExpired, setTokenExpired] = useState(false);
  // Each new step's heading takes the focus (keyboard and screen-reader users land on it).
  const firstPhase = useRef(true);
  useEffect(() => {
    if (firstPhase.current) {
      firstPhase.current = false;
      return;
    }
    requestAnimationFrame(() => document.querySelector<HTMLElement>('main h1')?.focus());
  }, [phase.kind]);
  const awaiting = phase.kind === 'read' && !!phase.view.registered && phase.view.registered.state !== 'accepted';
  useTitle(phase.kind === 'read' ? (awaiting ? 'Registered mail' : phase.view.subject || '(no subject)') : 'Secure message');

  // The pickup token works for a short time only; say so when it has run out.
  const view = phase.kind === 'read' ? phase.view : null;
  useEffect(() => {
    if (!view) return;
    setTokenExpired(false);
    const left = new Date(view.pickup_token_expires_at).getTime() - Date.now();
    if (!Number.isFinite(left)) return;
    const timer = setTimeout(() => setTokenExpired(true), Math.min(Math.max(left, 0), 2 ** 31 - 1));
    return () => clearTimeout(timer);
  }, [view?.pickup_token]);

  const unlockProps = {
    link,
    onUnlocked: (v: PickupView) => {
      setPhase({ kind: 'read', view: v });
      setTokenExpired(false);
    },
    onDead: (reason: string) => setPhase({ kind: 'dead', reason }),
    onEnrolled: (muc: string) => setPhase({ kind: 'claim', muc }),
  };

  if (!link) {
    return (
      <section class="card narrow">
        <h1 tabIndex={-1}>Secure message</h1>
        <p class="form-error" role="alert">
          This page needs the link from your email. Open the email and use its link once more (a
          reload or a bookmark of this page does not keep it, on purpose).
        </p>
      </section>
    );
  }
  if (phase.kind === 'dead') {
    return (
      <section class="card narrow">
        <h1 tabIndex={-1}>This message cannot be opened</h1>
        <p class="form-error" role="alert">{phase.reason}</p>
      </section>
    );
  }
  if (phase.kind === 'claim') return <Claim link={link} typedMuc={phase.muc} />;
  if (phase.kind === 'recovery') {
    return (
      <section class="card narrow">
        <h1 tabIndex={-1}>Your account is ready</h1>
        <p>
          You are logged in as <strong>{phase.email}</strong>, and the message is in your mailbox.
          One step before you go on:
        </p>
        <RecoveryCode code={phase.code} doneLabel="Continue"
                      onDone={() => setPhase(getSession().kind === 'setup' ? { kind: 'totp' } : { kind: 'totp-offer', email: phase.email })} />
      </section>
    );
  }
  if (phase.kind === 'totp-offer') {
    return (
      <section class="card narrow">
        <h1 tabIndex={-1}>Protect your account with a second step</h1>
        <p>
          With two-factor authentication, Sealpost also asks for a code from an app on your phone when
          you log in, so a stolen password alone opens nothing. It takes a minute.
        </p>
        <div class="actions">
          <button type="button" onClick={() => setPhase({ kind: 'totp' })}>
            Set up two-factor authentication
          </button>
          <button type="button" class="secondary" onClick={() => navigate('/mailbox/inbox')}>
            Not now — go to my mailbox
          </button>
        </div>
      </section>
    );
  }
  if (phase.kind === 'totp') return <TotpSetup />;

  if (phase.kind === 'unlock') {
    return (
      <section class="card narrow">
        <h1 tabIndex={-1}>You have a secure message</h1>
        <p>
          It was sent to you sealed with Sealpost. To open it, enter the Message Unlock Code the sender
          gave you.
        </p>
        <UnlockForm key={link} {...unlockProps} />
        <p class="hint">
          Already have a Sealpost account for this address?{' '}
          <button type="button" class="link" onClick={() => setPhase({ kind: 'claim', muc: '' })}>
            Log in to read it in your mailbox
          </button>
        </p>
      </section>
    );
  }

  const v = phase.view;
  const valid = v.seal.status === 'valid' && !v.content_withheld;
  const onGone = () => setTokenExpired(true);
  return (
    <>
      <article class="message">
        <h1 tabIndex={-1}>{awaiting ? 'Registered mail' : v.subject || '(no subject)'}</h1>
        <SealBanner status={v.seal.status} signer={v.seal.signer} kind={v.seal.kind} />
        {v.registered && (
          <RegisteredNotice registered={v.registered} from={sender(v.from)}
                            onAccept={async () => {
                              // The answer is the message with its content; the token stays.
                              const now = await pickup.accept(v.pickup_token);
                              setPhase({ kind: 'read', view: { ...v, content_withheld: undefined, ...now, can_reply: true } });
                            }}
                            onRefuse={async () => {
                              const now = await pickup.refuse(v.pickup_token);
                              setPhase({ kind: 'read', view: { ...v, ...now } });
                            }} />
        )}
        <MessageMeta from={v.from} to={v.to} cc={v.cc} bcc={v.bcc} createdAt={v.created_at} />
        {v.content_withheld && !awaiting && <p class="hint">The text and attachments are not shown: {v.content_withheld.detail}</p>}
        {valid && (
          <>
            <MessageText text={v.text} html={v.html} />
            <AttachmentList attachments={v.attachments}
                            item={(a) => <DownloadButton key={v.pickup_token} token={v.pickup_token} index={a.index} name={a.name} onGone={onGone} />} />
          </>
        )}
        {tokenExpired ? (
          <div class="explain" role="alert" data-testid="token-expired">
            <p>
              <strong>For your security, this page's access has ended.</strong> Enter your unlock code
              again to download attachments, reply or create an account — what you typed is kept.
            </p>
            <UnlockForm {...unlockProps} again />
          </div>
        ) : (
          <p class="hint">
            For your security, this page works until {formatTime(v.pickup_token_expires_at)}; after that,
            enter the unlock code again.
            {v.expires_at && ` The link in your email works until ${formatFullTime(v.expires_at)}.`}
          </p>
        )}
      </article>
      {valid && v.can_reply && <ReplyForm view={v} token={v.pickup_token} onGone={onGone} />}
      {valid && v.can_enrol && (
        <EnrolForm view={v} token={v.pickup_token} onGone={onGone}
                   onEnrolled={async (code) => {
                     try {
                       applySession(await api.session());
                     } catch {
                       /* the account exists: logging in works from the log-in page */
                     }
                     setPhase({ kind: 'recovery', code, email: v.recipient });
                   }} />
      )}
      <p class="hint sent-by">
        Sent by {sender(v.from)} to {v.recipient}. Questions about this message? Ask the sender.
      </p>
    </>
  );
}

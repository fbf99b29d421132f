import DOMPurify from 'dompurify';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, attachmentUrl, type MessageView } from '../api';
import { FormError, Notice } from '../components/Field';
import { Link } from '../components/Link';
import { useTitle } from '../components/Page';
import { SealBanner } from '../components/Seal';
import { formatBytes, formatFullTime } from '../format';

// Message HTML, if any, is cleaned and shown in a sandboxed frame that may run no script, submit
// no form and load nothing from other sites (the page's own CSP applies to it as well).
function HtmlBody({ html }: { html: string }) {
  const clean = DOMPurify.sanitize(html, {
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'iframe', 'object', 'embed', 'link', 'meta', 'base'],
    FORBID_ATTR: ['style'],
  });
  return (
    <iframe class="html-body" title="Formatted version of the message" sandbox=""
            srcdoc={'<!doctype html><meta charset="utf-8"><base target="_blank">' + clean} />
  );
}

export function Message({ id, justSent }: { id: string; justSent: boolean }) {
  const [msg, setMsg] = useState<MessageView | null>(null);
  const [broken, setBroken] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useTitle(msg ? msg.subject || '(no subject)' : broken ? 'Seal broken' : 'Message');

  useEffect(() => {
    setMsg(null);
    setBroken(false);
    setError(null);
    api.message(id).then(setMsg, (e) => {
      if (e instanceof ApiError && e.type === 'integrity-failure') setBroken(true);
      else setError(e instanceof ApiError ? e.message : String(e));
    });
  }, [id]);

  if (broken) {
    return (
      <article class="message">
        <h1 tabIndex={-1}>Message cannot be shown</h1>
        <SealBanner status="broken" />
        <p>
          <Link href="/mailbox/inbox">Back to the inbox</Link>
        </p>
      </article>
    );
  }
  if (error) {
    return (
      <article class="message">
        <h1 tabIndex={-1}>Message</h1>
        <FormError message={error} />
      </article>
    );
  }
  if (!msg) return <p role="status">Opening the message…</p>;
  return (
    <article class="message">
      {justSent && <Notice>Message sent and sealed.</Notice>}
      <h1 tabIndex={-1}>{msg.subject || '(no subject)'}</h1>
      <SealBanner status={msg.seal.status} signer={msg.seal.signer} />
      <dl class="meta">
        <dt>From</dt>
        <dd>{msg.from?.name && msg.from.name !== msg.from.email ? `${msg.from.name} <${msg.from.email}>` : msg.from?.email}</dd>
        <dt>To</dt>
        <dd>{(msg.to || []).join(', ')}</dd>
        <dt>Sent</dt>
        <dd>
          <time dateTime={msg.created_at}>{formatFullTime(msg.created_at)}</time>
        </dd>
      </dl>
      {msg.seal.status === 'valid' && (
        <>
          <pre class="body" data-testid="message-text">{msg.text}</pre>
          {msg.html && <HtmlBody html={msg.html} />}
          {msg.attachments.length > 0 && (
            <section aria-labelledby="att-title">
              <h2 id="att-title">Attachments</h2>
              <ul class="attachments">
                {msg.attachments.map((a) => (
                  <li key={a.index}>
                    <a href={attachmentUrl(msg.id, a.index)} download={a.name}>
                      Download {a.name}
                    </a>{' '}
                    <span class="hint">({formatBytes(a.size)})</span>
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}
      <p>
        <Link href={`/mailbox/${msg.folder}`}>Back to {msg.folder === 'sent' ? 'Sent' : 'the inbox'}</Link>
      </p>
    </article>
  );
}

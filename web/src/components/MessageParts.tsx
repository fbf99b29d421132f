// The parts of a message shown the same way to members (screens/Message) and to guests on the
// pickup page (screens/Pickup): sender, recipients and time, the text, the formatted version.
import DOMPurify from 'dompurify';
import type { ComponentChildren } from 'preact';
import type { AttachmentInfo } from '../api';
import { formatBytes, formatFullTime } from '../format';

// Message HTML, if any, is cleaned and shown in a sandboxed frame that may run no script, submit
// no form and load nothing from other sites (the page's own CSP applies to it as well).
export function HtmlBody({ html }: { html: string }) {
  const clean = DOMPurify.sanitize(html, {
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'iframe', 'object', 'embed', 'link', 'meta', 'base'],
    FORBID_ATTR: ['style'],
  });
  return (
    <iframe class="html-body" title="Formatted version of the message" sandbox=""
            srcdoc={'<!doctype html><meta charset="utf-8"><base target="_blank">' + clean} />
  );
}

export function sender(from?: { email: string; name: string }): string {
  if (!from) return '';
  return from.name && from.name !== from.email ? `${from.name} <${from.email}>` : from.email;
}

export function MessageMeta({ from, to, cc, bcc, createdAt }: {
  from?: { email: string; name: string };
  to?: string[];
  cc?: string[];
  bcc?: string[];  // only on a Bcc recipient's own message: that recipient
  createdAt: string;
}) {
  return (
    <dl class="meta">
      <dt>From</dt>
      <dd>{sender(from)}</dd>
      {/* Registered mail before acceptance: the recipients are withheld with the content. */}
      {to && to.length > 0 && (
        <>
          <dt>To</dt>
          <dd>{to.join(', ')}</dd>
        </>
      )}
      {cc && cc.length > 0 && (
        <>
          <dt>Cc</dt>
          <dd data-testid="meta-cc">{cc.join(', ')}</dd>
        </>
      )}
      {bcc && bcc.length > 0 && (
        <>
          <dt>Bcc</dt>
          <dd data-testid="meta-bcc">{bcc.join(', ')} <span class="hint">(a blind copy: other recipients do not see this address)</span></dd>
        </>
      )}
      <dt>Sent</dt>
      <dd>
        <time dateTime={createdAt}>{formatFullTime(createdAt)}</time>
      </dd>
    </dl>
  );
}

export function MessageText({ text, html }: { text: string; html: string }) {
  return (
    <>
      <pre class="body" data-testid="message-text">{text}</pre>
      {html && <HtmlBody html={html} />}
    </>
  );
}

// The attachment list; `item` renders the download control of one attachment.
export function AttachmentList({ attachments, item }: {
  attachments: AttachmentInfo[];
  item: (a: AttachmentInfo) => ComponentChildren;
}) {
  if (!attachments.length) return null;
  return (
    <section aria-labelledby="att-title">
      <h2 id="att-title">Attachments</h2>
      <ul class="attachments">
        {attachments.map((a, i) => (
          <li key={a.index >= 0 ? a.index : `inner-${i}`}>
            {item(a)} <span class="hint">({formatBytes(a.size)})</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

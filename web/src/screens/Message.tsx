import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, attachmentUrl, type MessageView } from '../api';
import { FormError, Notice } from '../components/Field';
import { Link } from '../components/Link';
import { useTitle } from '../components/Page';
import { AttachmentList, MessageMeta, MessageText, sender } from '../components/MessageParts';
import { RegisteredNotice } from '../components/Registered';
import { Recipients } from '../components/Recipients';
import { SealBanner } from '../components/Seal';
import { SignatureBanner } from '../components/Signature';

export function Message({ id, justSent }: { id: string; justSent: boolean }) {
  const [msg, setMsg] = useState<MessageView | null>(null);
  const [broken, setBroken] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Bumped to fetch the message again (recipients' states after a recall or a new code).
  const [version, setVersion] = useState(0);
  // Registered mail not accepted: the server sent only the notice.
  const awaiting = !!msg?.registered && msg.registered.state !== 'accepted';
  useTitle(msg ? (awaiting ? 'Registered mail' : msg.subject || '(no subject)') : broken ? 'Seal broken' : 'Message');

  useEffect(() => {
    setMsg(null);
    setBroken(false);
    setError(null);
  }, [id]);
  useEffect(() => {
    api.message(id).then(setMsg, (e) => {
      if (e instanceof ApiError && e.type === 'integrity-failure') setBroken(true);
      else setError(e instanceof ApiError ? e.message : String(e));
    });
  }, [id, version]);

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
      <h1 tabIndex={-1}>{awaiting ? 'Registered mail' : msg.subject || '(no subject)'}</h1>
      <SealBanner status={msg.seal.status} signer={msg.seal.signer} kind={msg.seal.kind} />
      {msg.signature && <SignatureBanner signature={msg.signature} from={msg.from?.email} />}
      {msg.received && (
        <p class="hint" data-testid="received">
          Received from {msg.received.client_address}
          {msg.received.envelope_from ? ` (sender ${msg.received.envelope_from})` : ' (a bounce)'}: SPF{' '}
          {msg.received.spf.result}
          {msg.received.spf.domain ? ` for ${msg.received.spf.domain}` : ''} · DKIM {msg.received.dkim.result}
          {msg.received.dkim.domain ? ` for ${msg.received.dkim.domain}` : ''}
          {msg.received.protection && !msg.signature ? ' · encrypted, not opened' : ''}
        </p>
      )}
      {msg.registered && (
        <RegisteredNotice registered={msg.registered} from={sender(msg.from)}
                          onAccept={async () => setMsg(await api.acceptRegistered(msg.id))}
                          onRefuse={async () => {
                            await api.refuseRegistered(msg.id);
                            setVersion((v) => v + 1);
                          }} />
      )}
      <MessageMeta from={msg.from} to={msg.to} cc={msg.cc} bcc={msg.bcc} createdAt={msg.created_at} />
      {msg.content_withheld && !awaiting && <p class="hint">The text and attachments are not shown: {msg.content_withheld.detail}</p>}
      {msg.seal.status === 'valid' && !msg.content_withheld && (
        <>
          {(!msg.signature || msg.signature.content_shown) && <MessageText text={msg.text} html={msg.html} />}
          <AttachmentList attachments={msg.attachments}
                          item={(a) =>
                            a.index >= 0 ? (
                              <a href={attachmentUrl(msg.id, a.index)} download={a.name}>Download {a.name}</a>
                            ) : (
                              <span>{a.name} <span class="hint">(encrypted inside the original, original.eml)</span></span>
                            )} />
        </>
      )}
      {msg.folder === 'sent' && msg.recipients && msg.recipients.length > 0 && (
        <Recipients msg={msg} onChanged={() => setVersion((v) => v + 1)} />
      )}
      <p>
        <Link href={`/mailbox/${msg.folder}`}>Back to {msg.folder === 'sent' ? 'Sent' : 'the inbox'}</Link>
      </p>
    </article>
  );
}

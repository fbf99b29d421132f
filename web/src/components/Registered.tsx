// Registered mail, shown the same way to members (screens/Message) and guests (screens/Pickup):
// until the recipient accepts, the server sends only the sender, that it is registered and the
// deadline; this notice offers Accept and Refuse, and afterwards says what was decided.
import { useState } from 'preact/hooks';
import { ApiError, type RegisteredStatus } from '../api';
import { FormError } from './Field';
import { formatFullTime } from '../format';

export function RegisteredNotice({ registered, from, onAccept, onRefuse }: {
  registered: RegisteredStatus;
  from: string;
  onAccept: () => Promise<void>;
  onRefuse: () => Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = (action: () => Promise<void>) => async () => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const deadline = <time dateTime={registered.deadline}>{formatFullTime(registered.deadline)}</time>;
  if (registered.state === 'accepted') {
    return <p class="registered-notice hint" data-testid="registered-state">Registered mail — you accepted it.</p>;
  }
  return (
    <section class="registered-notice" aria-labelledby="registered-title" data-testid="registered-notice">
      <h2 id="registered-title">Registered mail from {from}</h2>
      {registered.state === 'pending' && (
        <>
          <p>
            The sender needs proof that you received this message. Accept it to see its subject, text and
            attachments — the sender gets a signed receipt saying you accepted it. Or refuse it: you will not see it,
            and the sender gets a receipt saying you refused. Decide by {deadline}.
          </p>
          <div class="actions">
            <button type="button" disabled={busy} onClick={run(onAccept)}>Accept and open</button>
            <button type="button" class="secondary" disabled={busy} onClick={run(onRefuse)}>Refuse</button>
          </div>
          <FormError message={error} />
        </>
      )}
      {registered.state === 'refused' && <p data-testid="registered-state">You refused this message. Its content is not shown.</p>}
      {registered.state === 'expired' && (
        <p data-testid="registered-state">It was not accepted by {deadline}: its content is no longer available.</p>
      )}
    </section>
  );
}

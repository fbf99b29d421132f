import type { SealStatus } from '../api';

// The seal in a list: a short badge with the same words everywhere.
export function SealBadge({ status }: { status: SealStatus }) {
  return status === 'valid' ? (
    <span class="badge seal-ok">Sealed</span>
  ) : (
    <span class="badge seal-bad">Seal broken</span>
  );
}

// The seal on a message, said in plain words.
export function SealBanner({ status, signer, kind }: { status: SealStatus; signer?: string; kind?: string }) {
  if (status === 'valid' && (kind === 'portal' || kind === 'guest')) {
    return (
      <p class="seal-banner seal-ok" data-testid="seal">
        <span aria-hidden="true">✔ </span>Sent by {signer} from the secure portal (identity checked by
        unlock code) — unchanged since sent
      </p>
    );
  }
  if (status === 'valid' && kind === 'inbound') {
    return (
      <p class="seal-banner seal-ok" data-testid="seal">
        <span aria-hidden="true">✔ </span>Received from outside by the mail gateway as from {signer}{' '}
        — sealed on arrival, unchanged since; the sender's identity is not proven by this seal
      </p>
    );
  }
  if (status === 'valid' && kind === 'gateway') {
    // Mail the organisation's mail server handed over: the member's own key was not at hand.
    return (
      <p class="seal-banner seal-ok" data-testid="seal">
        <span aria-hidden="true">✔ </span>Sealed by the Sealpost gateway on behalf of {signer} (sent
        from the organisation's mail server, not with {signer}'s own key) — unchanged since sent
      </p>
    );
  }
  if (status === 'valid') {
    return (
      <p class="seal-banner seal-ok" data-testid="seal">
        <span aria-hidden="true">✔ </span>Sealed by {signer} — unchanged since sent
      </p>
    );
  }
  return (
    <div class="seal-banner seal-bad" data-testid="seal" role="alert">
      <p>
        <span aria-hidden="true">✖ </span>
        <strong>Seal broken — do not trust this message</strong>
      </p>
      <p>
        The stored message no longer matches the seal its sender put on it: someone or something
        changed it after it was sent. Its content is not shown. Tell your administrator.
      </p>
    </div>
  );
}

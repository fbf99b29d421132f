import type { SignatureCheck } from '../api';

// The signature of S/MIME or OpenPGP mail from outside (checked by the server when the message
// is opened), said in plain words. Unlike the seal, it speaks for the sender: who signed it.
export function SignatureBanner({ signature, from }: { signature: SignatureCheck; from?: string }) {
  const { method, state, signer, detail, content_shown: shown } = signature;
  if (state === 'valid') {
    return (
      <div class="seal-banner seal-ok" data-testid="signature">
        <p>
          <span aria-hidden="true">✔ </span>Signed with {method} by {method === 'S/MIME' ? signer : from || signer} — valid
        </p>
        <p>{detail}</p>
      </div>
    );
  }
  if (state === 'unknown_signer') {
    return (
      <div class="seal-banner seal-warn" data-testid="signature">
        <p>
          <span aria-hidden="true">⚠ </span>
          {method === 'S/MIME'
            ? `Signed with S/MIME by an unknown signer${signer ? ` (${signer})` : ''}: no trusted authority vouches for the certificate`
            : shown
              ? 'Signed with OpenPGP by an unknown key: you have not verified it'
              : 'Signed with OpenPGP by an unknown key: content not opened'}
        </p>
        <p>{detail}</p>
      </div>
    );
  }
  return (
    <div class="seal-banner seal-bad" data-testid="signature" role="alert">
      <p>
        <span aria-hidden="true">✖ </span>
        <strong>{method} signature invalid{shown ? ' — do not trust this message' : ': content withheld'}</strong>
      </p>
      <p>{detail}</p>
    </div>
  );
}

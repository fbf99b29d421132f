import { useState } from 'preact/hooks';

interface Props {
  code: string;
  onDone: () => void;
  doneLabel: string;
}

// The one-time recovery code: shown once, with a "saved it" confirmation before moving on.
export function RecoveryCode({ code, onDone, doneLabel }: Props) {
  const [saved, setSaved] = useState(false);
  const [copied, setCopied] = useState(false);
  return (
    <section class="recovery" aria-labelledby="recovery-title">
      <h2 id="recovery-title">Your recovery code</h2>
      <p>
        This code is the <strong>only</strong> way back to your messages if you forget your password.
        Nobody else has it — not your administrator, not Sealpost. It is shown this one time.
      </p>
      <p class="recovery-code" data-testid="recovery-code">
        {code}
      </p>
      <p>Write it down or store it in a password manager. Keep it somewhere other than this device.</p>
      <div class="actions">
        <button
          type="button"
          class="secondary"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(code);
              setCopied(true);
            } catch {
              setCopied(false);
            }
          }}
        >
          Copy code
        </button>
        <span role="status" class="hint">
          {copied ? 'Copied.' : ''}
        </span>
      </div>
      <div class="check">
        <input id="recovery-saved" type="checkbox" checked={saved} onChange={(e) => setSaved(e.currentTarget.checked)} />
        <label for="recovery-saved">I have saved my recovery code somewhere safe</label>
      </div>
      <button type="button" disabled={!saved} onClick={onDone}>
        {doneLabel}
      </button>
    </section>
  );
}

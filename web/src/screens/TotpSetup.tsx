import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { Field, FormError } from '../components/Field';
import { useTitle } from '../components/Page';
import { applySession } from '../session';
import { navigate } from '../router';

function secretOf(uri: string): string {
  try {
    return new URL(uri).searchParams.get('secret') || '';
  } catch {
    return '';
  }
}

// Two-factor set-up: a QR code for the authenticator app (or the secret to type in), then one
// code to prove it works.
export function TotpSetup() {
  useTitle('Set up two-factor authentication');
  const [enrolment, setEnrolment] = useState<{ otpauth_uri: string; qr_svg: string } | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.beginTotp().then(setEnrolment, (e) => setLoadError(e instanceof ApiError ? e.message : String(e)));
  }, []);

  const submit = async (e: Event) => {
    e.preventDefault();
    const c = code.replace(/\s/g, '');
    if (!/^\d{6}$/.test(c)) {
      setError('Enter the 6 digits your authenticator app shows.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await api.confirmTotp(c);
      applySession(await api.session());
      navigate('/mailbox/inbox', true);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  const secret = enrolment ? secretOf(enrolment.otpauth_uri) : '';
  return (
    <section class="card narrow">
      <h1 tabIndex={-1}>Set up two-factor authentication</h1>
      <p>
        Sealpost asks for a code from an authenticator app (such as FreeOTP, Aegis or Google
        Authenticator) each time you log in, so that a stolen password alone opens nothing.
      </p>
      <FormError message={loadError} />
      {enrolment && (
        <>
          <ol class="steps">
            <li>Scan this QR code with your authenticator app.</li>
            <li>Enter the 6-digit code the app then shows.</li>
          </ol>
          <img class="qr" alt="QR code for your authenticator app"
               src={'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(enrolment.qr_svg)} />
          <details>
            <summary>Cannot scan? Type the key in instead</summary>
            <p class="secret" data-testid="totp-secret" data-uri={enrolment.otpauth_uri}>
              {secret.replace(/(.{4})/g, '$1 ').trim()}
            </p>
          </details>
          <form onSubmit={submit} noValidate>
            <Field id="totp-code" label="Code from the app" value={code} onInput={setCode} autoComplete="one-time-code"
                   inputMode="numeric" maxLength={8} required error={error || undefined} />
            <button type="submit" disabled={busy}>
              {busy ? 'Checking…' : 'Turn on two-factor authentication'}
            </button>
          </form>
        </>
      )}
    </section>
  );
}

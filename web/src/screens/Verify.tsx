import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { FormError } from '../components/Field';
import { Link } from '../components/Link';
import { RecoveryCode } from '../components/RecoveryCode';
import { useTitle } from '../components/Page';
import { takeHashToken } from '../format';
import { navigate } from '../router';

// /verify#token=… — the link from the confirmation mail. One click confirms (mail scanners that
// fetch links never run this page's script, so they cannot use up the token).
export function Verify() {
  useTitle('Confirm your email address');
  const [token] = useState(takeHashToken);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<{ email: string; recovery_code: string } | null>(null);

  if (result) {
    return (
      <section class="card narrow">
        <h1 tabIndex={-1}>Address confirmed</h1>
        <p>
          <strong>{result.email}</strong> is confirmed. One last step before you log in:
        </p>
        <RecoveryCode code={result.recovery_code} doneLabel="Continue to log in"
                      onDone={() => navigate('/login?email=' + encodeURIComponent(result.email))} />
      </section>
    );
  }
  return (
    <section class="card narrow">
      <h1 tabIndex={-1}>Confirm your email address</h1>
      {token ? (
        <>
          <p>Confirm the address to finish setting up your account. You will then see your recovery code.</p>
          <FormError message={error} />
          <button
            type="button"
            disabled={busy}
            onClick={async () => {
              setBusy(true);
              setError(null);
              try {
                setResult(await api.verifyEmail(token));
              } catch (e) {
                setError(e instanceof ApiError ? e.message : String(e));
              } finally {
                setBusy(false);
              }
            }}
          >
            {busy ? 'Confirming…' : 'Confirm my address'}
          </button>
        </>
      ) : (
        <p class="form-error" role="alert">
          This page needs the link from your confirmation mail. Open the mail and use its link, or{' '}
          <Link href="/signup">sign up again</Link>.
        </p>
      )}
    </section>
  );
}

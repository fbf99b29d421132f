import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { Field, FormError } from '../components/Field';
import { RecoveryCode } from '../components/RecoveryCode';
import { useTitle } from '../components/Page';
import { isValidAddress, passwordProblem, takeHashToken } from '../format';
import { navigate } from '../router';

// /setup#token=… — the link `sealpost serve` prints once to create the first administrator.
export function AdminSetup() {
  useTitle('Create the first administrator');
  const [token] = useState(takeHashToken);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ email: string; recovery_code: string } | null>(null);

  if (result) {
    return (
      <section class="card narrow">
        <h1 tabIndex={-1}>Administrator created</h1>
        <RecoveryCode code={result.recovery_code} doneLabel="Continue to log in"
                      onDone={() => navigate('/login?email=' + encodeURIComponent(result.email))} />
      </section>
    );
  }
  const submit = async (e: Event) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!isValidAddress(email.trim())) errs.email = 'Enter an email address like name@example.org.';
    const pw = passwordProblem(password);
    if (pw) errs.password = pw;
    setErrors(errs);
    setFormError(null);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      setResult(await api.setupAdmin(token, email.trim(), password, name.trim()));
    } catch (err) {
      const msg = err instanceof ApiError ? err.message : String(err);
      if (err instanceof ApiError && err.type === 'invalid-password') setErrors({ password: msg });
      else setFormError(msg);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card narrow">
      <h1 tabIndex={-1}>Create the first administrator</h1>
      {!token && (
        <p class="form-error" role="alert">
          This page needs the set-up link that <code>sealpost serve</code> printed when it first started.
        </p>
      )}
      <form onSubmit={submit} noValidate>
        <Field id="email" label="Administrator email address" type="email" value={email} onInput={setEmail}
               autoComplete="email" inputMode="email" required error={errors.email} />
        <Field id="name" label="Name (optional)" value={name} onInput={setName} autoComplete="name" />
        <Field id="password" label="Password" type="password" value={password} onInput={setPassword}
               autoComplete="new-password" required error={errors.password} hint="At least 10 characters." />
        <FormError message={formError} />
        <button type="submit" disabled={busy || !token}>
          {busy ? 'Creating…' : 'Create administrator'}
        </button>
      </form>
    </section>
  );
}

import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { Field, FormError } from '../components/Field';
import { Link } from '../components/Link';
import { RecoveryCode } from '../components/RecoveryCode';
import { useTitle } from '../components/Page';
import { isValidAddress, passwordProblem } from '../format';
import { navigate } from '../router';

// Forgotten password: explains what a reset costs, then resets with the recovery code.
export function Recover() {
  useTitle('Forgotten password');
  const [email, setEmail] = useState('');
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [newCode, setNewCode] = useState<string | null>(null);

  if (newCode) {
    return (
      <section class="card narrow">
        <h1 tabIndex={-1}>Password changed</h1>
        <p>Your new password is set and your messages are readable again. Your old recovery code no longer works — here is the new one.</p>
        <RecoveryCode code={newCode} doneLabel="Continue to log in"
                      onDone={() => navigate('/login?email=' + encodeURIComponent(email.trim()))} />
      </section>
    );
  }
  const submit = async (e: Event) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!isValidAddress(email.trim())) errs.email = 'Enter an email address like name@example.org.';
    if (!code.trim()) errs.code = 'Enter the recovery code you saved when you created the account.';
    const pw = passwordProblem(password);
    if (pw) errs.password = pw;
    setErrors(errs);
    setFormError(null);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      setNewCode((await api.recover(email.trim(), code.trim(), password)).recovery_code);
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
      <h1 tabIndex={-1}>Forgotten password</h1>
      <div class="explain">
        <p>
          <strong>Your messages are locked with your password.</strong> Sealpost cannot read them and
          cannot unlock them for you — that is what keeps them safe if the server is ever stolen.
        </p>
        <p>
          The only way back to your messages is the <strong>recovery code</strong> you saved when you
          created your account. With it you choose a new password here and keep everything.
        </p>
        <p>
          Without it, nobody can give you access again: an administrator can only let you start over
          with an empty mailbox.
        </p>
      </div>
      <form onSubmit={submit} noValidate>
        <Field id="email" label="Email address" type="email" value={email} onInput={setEmail}
               autoComplete="username" inputMode="email" required error={errors.email} />
        <Field id="code" label="Recovery code" value={code} onInput={setCode} autoComplete="off" required error={errors.code} />
        <Field id="password" label="New password" type="password" value={password} onInput={setPassword}
               autoComplete="new-password" required error={errors.password} hint="At least 10 characters." />
        <FormError message={formError} />
        <button type="submit" disabled={busy}>
          {busy ? 'Resetting…' : 'Set new password'}
        </button>
      </form>
      <p>
        <Link href="/login">Back to log in</Link>
      </p>
    </section>
  );
}

import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { Field, FormError } from '../components/Field';
import { Link } from '../components/Link';
import { isValidAddress, passwordProblem } from '../format';
import { useTitle } from '../components/Page';

export function SignUp({ presetEmail }: { presetEmail: string }) {
  useTitle('Sign up');
  const [email, setEmail] = useState(presetEmail);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);

  if (sent) {
    return (
      <section class="card narrow">
        <h1 tabIndex={-1}>Check your mailbox</h1>
        <p>
          If <strong>{email}</strong> can be enrolled, a confirmation link is on its way. Open it on this
          device to finish: you will get your recovery code there.
        </p>
        <p>
          <Link href="/login">Back to log in</Link>
        </p>
      </section>
    );
  }

  const submit = async (e: Event) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!isValidAddress(email.trim())) errs.email = 'Enter an email address like name@example.org.';
    const pw = passwordProblem(password);
    if (pw) errs.password = pw;
    else if (password !== repeat) errs.repeat = 'The two passwords are not the same.';
    setErrors(errs);
    setFormError(null);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      await api.signUp(email.trim(), password, name.trim());
      setSent(true);
    } catch (err) {
      const msg = err instanceof ApiError ? err.message : String(err);
      if (err instanceof ApiError && err.type === 'invalid-password') setErrors({ password: msg });
      else if (err instanceof ApiError && err.type === 'invalid-display-name') setErrors({ name: msg });
      else if (err instanceof ApiError && err.type === 'invalid-email') setErrors({ email: msg });
      else setFormError(msg);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card narrow">
      <h1 tabIndex={-1}>Create your Sealpost account</h1>
      <form onSubmit={submit} noValidate>
        <Field id="email" label="Email address" type="email" value={email} onInput={setEmail}
               autoComplete="email" inputMode="email" required error={errors.email} />
        <Field id="name" label="Your name (optional)" value={name} onInput={setName} autoComplete="name"
               error={errors.name} />
        <Field id="password" label="Password" type="password" value={password} onInput={setPassword}
               autoComplete="new-password" required error={errors.password}
               hint="At least 10 characters. Your password unlocks your messages: nobody can reset it for you without your recovery code." />
        <Field id="repeat" label="Password again" type="password" value={repeat} onInput={setRepeat}
               autoComplete="new-password" required error={errors.repeat} />
        <FormError message={formError} />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing up…' : 'Sign up'}
        </button>
      </form>
      <p>
        Already have an account? <Link href="/login">Log in</Link>
      </p>
    </section>
  );
}

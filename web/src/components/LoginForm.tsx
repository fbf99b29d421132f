import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { applySession } from '../session';
import { Field, FormError } from './Field';

interface Props {
  initialEmail?: string;
  onDone: () => void;
  idPrefix?: string;
}

// Password first; then, for members with two-factor authentication, the code from their app.
export function LoginForm({ initialEmail = '', onDone, idPrefix = 'login' }: Props) {
  const [email, setEmail] = useState(initialEmail);
  const [password, setPassword] = useState('');
  const [ticket, setTicket] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<{ field: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const fail = (field: string, err: unknown) =>
    setError({ field, message: err instanceof ApiError ? err.message : String(err) });

  const submitPassword = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (!email.trim() || !password) {
      setError({ field: email.trim() ? 'password' : 'email', message: 'Enter your email address and password.' });
      return;
    }
    setBusy(true);
    try {
      const answer = await api.login(email.trim(), password);
      if (answer.status === 'totp_required' && answer.login_ticket) {
        setTicket(answer.login_ticket);
        setPassword('');
      } else {
        applySession(await api.session());
        onDone();
      }
    } catch (err) {
      fail('password', err);
    } finally {
      setBusy(false);
    }
  };

  const submitCode = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const c = code.replace(/\s/g, '');
    if (!/^\d{6}$/.test(c)) {
      setError({ field: 'code', message: 'Enter the 6 digits your authenticator app shows.' });
      return;
    }
    setBusy(true);
    try {
      applySession(await api.loginTotp(ticket!, c));
      onDone();
    } catch (err) {
      if (err instanceof ApiError && err.type === 'login-expired') {
        setTicket(null);
        setCode('');
        fail('password', err);
      } else {
        fail('code', err);
      }
    } finally {
      setBusy(false);
    }
  };

  if (ticket) {
    return (
      <form key="code" onSubmit={submitCode} noValidate>
        <p>Open your authenticator app and enter the 6-digit code for Sealpost ({email}).</p>
        <Field id={`${idPrefix}-code`} label="One-time code" value={code} onInput={setCode} autoComplete="one-time-code"
               inputMode="numeric" maxLength={8} required autoFocus error={error?.field === 'code' ? error.message : undefined} />
        <FormError message={error && error.field !== 'code' ? error.message : null} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Checking…' : 'Log in'}
          </button>
          <button type="button" class="secondary" onClick={() => { setTicket(null); setCode(''); setError(null); }}>
            Back
          </button>
        </div>
      </form>
    );
  }
  return (
    <form key="password" onSubmit={submitPassword} noValidate>
      <Field id={`${idPrefix}-email`} label="Email address" type="email" value={email} onInput={setEmail}
             autoComplete="username" inputMode="email" required
             error={error?.field === 'email' ? error.message : undefined} />
      <Field id={`${idPrefix}-password`} label="Password" type="password" value={password} onInput={setPassword}
             autoComplete="current-password" required
             error={error?.field === 'password' ? error.message : undefined} />
      <button type="submit" disabled={busy}>
        {busy ? 'Logging in…' : 'Next'}
      </button>
    </form>
  );
}

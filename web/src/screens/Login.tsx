import { LoginForm } from '../components/LoginForm';
import { Link } from '../components/Link';
import { useTitle } from '../components/Page';
import { getSession } from '../session';
import { navigate } from '../router';

export function Login({ email, next }: { email: string; next: string }) {
  useTitle('Log in');
  return (
    <section class="card narrow">
      <h1 tabIndex={-1}>Log in to Sealpost</h1>
      <LoginForm
        initialEmail={email}
        onDone={() => {
          const s = getSession();
          if (s.kind === 'setup') navigate('/two-factor', true);
          else navigate(next.startsWith('/') && !next.startsWith('//') ? next : '/mailbox/inbox', true);
        }}
      />
      <p>
        <Link href="/recover">Forgot your password?</Link>
      </p>
      <p>
        New here? <Link href="/signup">Create an account</Link>
      </p>
    </section>
  );
}

import { useEffect, useRef } from 'preact/hooks';
import { LoginForm } from './LoginForm';

interface Props {
  email: string;
  onDone: () => void;
  onLogout: () => void;
}

// Shown over the current screen when the session ends (expired, logged out elsewhere): the member
// logs in again in place, so what they were writing stays where it is.
export function ReLogin({ email, onDone, onLogout }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog ref={ref} class="relogin" aria-labelledby="relogin-title" onCancel={(e) => e.preventDefault()}>
      <h2 id="relogin-title">Your session has ended</h2>
      <p>
        For your security you were logged out. Log in again to carry on —{' '}
        <strong>what you were writing is kept</strong>.
      </p>
      <LoginForm initialEmail={email} onDone={onDone} idPrefix="relogin" />
      <p>
        <button type="button" class="link" onClick={onLogout}>
          Log out instead
        </button>
      </p>
    </dialog>
  );
}

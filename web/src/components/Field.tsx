import type { JSX } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';

interface Props {
  id: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  type?: 'text' | 'email' | 'password';
  error?: string;
  hint?: JSX.Element | string;
  autoComplete?: string;
  inputMode?: 'numeric' | 'email' | 'text';
  required?: boolean;
  maxLength?: number;
  pattern?: string;
  autoFocus?: boolean;
}

// A labelled input with its hint and its error right under it (announced by screen readers).
export function Field(p: Props) {
  const input = useRef<HTMLInputElement>(null);
  // The autofocus attribute only works when a page loads; fields that appear later (the TOTP step)
  // take the focus here, before the browser paints them: with useEffect there was a frame in which
  // the field showed but the focus was on nothing, and keys typed then were lost.
  useLayoutEffect(() => {
    if (p.autoFocus) input.current?.focus();
  }, []);
  const describedBy = [p.hint ? `${p.id}-hint` : '', p.error ? `${p.id}-error` : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div class={'field' + (p.error ? ' has-error' : '')}>
      <label for={p.id}>{p.label}</label>
      <input
        id={p.id}
        name={p.id}
        type={(p.type || 'text') as 'text'}
        value={p.value}
        onInput={(e) => p.onInput((e.currentTarget as HTMLInputElement).value)}
        autoComplete={p.autoComplete}
        inputMode={p.inputMode}
        required={p.required}
        maxLength={p.maxLength}
        pattern={p.pattern}
        ref={input}
        aria-invalid={p.error ? 'true' : undefined}
        aria-describedby={describedBy || undefined}
      />
      {p.hint && (
        <p class="hint" id={`${p.id}-hint`}>
          {p.hint}
        </p>
      )}
      {p.error && (
        <p class="error" id={`${p.id}-error`} role="alert">
          {p.error}
        </p>
      )}
    </div>
  );
}

// A form-level message next to the button that caused it.
export function FormError({ message }: { message?: string | null }) {
  if (!message) return null;
  return (
    <p class="form-error" role="alert">
      {message}
    </p>
  );
}

export function Notice({ children }: { children: JSX.Element | string | (JSX.Element | string)[] }) {
  return (
    <div class="notice" role="status">
      {children}
    </div>
  );
}

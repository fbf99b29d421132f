import { useEffect } from 'preact/hooks';

// Sets the document title for the current screen (read out by screen readers on navigation).
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Sealpost`;
  }, [title]);
}

// The message being written. Kept in memory across screens (so a lost session or a detour to
// another screen loses nothing) and its text also in sessionStorage, so a reload of the tab keeps
// it. sessionStorage holds the draft's words only: never a token or a password.
import { useEffect, useState } from 'preact/hooks';
import type { UploadHandle } from './api';

export type AttachmentStatus = 'uploading' | 'done' | 'failed' | 'refused';

export interface DraftAttachment {
  key: number;
  file: File;
  status: AttachmentStatus;
  sent: number;
  uploadId?: string;
  error?: string;
  handle?: UploadHandle;
}

export interface Draft {
  recipients: string[];  // To
  pending: string;
  cc: string[];
  ccPending: string;
  bcc: string[];
  bccPending: string;
  subject: string;
  text: string;
  attachments: DraftAttachment[];
}

const KEY = 'sealpost.draft';

function empty(): Draft {
  return { recipients: [], pending: '', cc: [], ccPending: '', bcc: [], bccPending: '', subject: '', text: '', attachments: [] };
}

let draft: Draft | null = null;
const listeners = new Set<() => void>();

export function loadDraft(): Draft {
  if (draft) return draft;
  draft = empty();
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    if (saved && typeof saved === 'object') {
      draft.recipients = Array.isArray(saved.recipients) ? saved.recipients.map(String) : [];
      draft.pending = typeof saved.pending === 'string' ? saved.pending : '';
      draft.cc = Array.isArray(saved.cc) ? saved.cc.map(String) : [];
      draft.ccPending = typeof saved.ccPending === 'string' ? saved.ccPending : '';
      draft.bcc = Array.isArray(saved.bcc) ? saved.bcc.map(String) : [];
      draft.bccPending = typeof saved.bccPending === 'string' ? saved.bccPending : '';
      draft.subject = typeof saved.subject === 'string' ? saved.subject : '';
      draft.text = typeof saved.text === 'string' ? saved.text : '';
    }
  } catch {
    /* storage unavailable or unreadable: start empty */
  }
  return draft;
}

export function updateDraft(change: (d: Draft) => Draft): void {
  saveDraft(change(loadDraft()));
  listeners.forEach((l) => l());
}

export function useDraft(): Draft {
  const [d, setD] = useState(loadDraft);
  useEffect(() => {
    const l = () => setD(loadDraft());
    listeners.add(l);
    l(); // a change made before this effect ran (typing right after the screen appeared) counts too
    return () => {
      listeners.delete(l);
    };
  }, []);
  return d;
}

function saveDraft(next: Draft): void {
  draft = next;
  try {
    sessionStorage.setItem(KEY, JSON.stringify({
      recipients: next.recipients, pending: next.pending, cc: next.cc, ccPending: next.ccPending,
      bcc: next.bcc, bccPending: next.bccPending, subject: next.subject, text: next.text,
    }));
  } catch {
    /* full or unavailable: the in-memory copy still holds it */
  }
}

export function discardDraft(): void {
  draft?.attachments.forEach((a) => a.handle?.abort());
  draft = null;
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    /* nothing to remove */
  }
  listeners.forEach((l) => l());
}

export function hasDraft(): boolean {
  const d = draft;
  return !!d && (d.recipients.length > 0 || d.cc.length > 0 || d.bcc.length > 0 || !!d.subject || !!d.text || d.attachments.length > 0);
}

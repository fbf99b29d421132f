import { api } from './api';

// Limits the compose screen shows and checks before anything is uploaded. They start as the
// server's defaults ([limits] in sealpost.toml) and are replaced by the values the server reports
// in GET /account; the server enforces its own values in any case, and its answer (413 / 400) is
// shown should it still be stricter.
export const LIMITS = {
  maxUploadBytes: 100 * 1024 * 1024,
  maxAttachments: 100,
  maxRecipients: 10000,
  maxSubjectChars: 998,
  // Days a pickup link for a non-member works: 0 until the server reports them (then the sender
  // may choose, up to the maximum).
  defaultExpiryDays: 0,
  maxExpiryDays: 0,
};

let loaded: Promise<void> | null = null;

// Fetches the server's limits once per page load; a failure keeps the defaults (and is retried
// next time).
export function loadServerLimits(): Promise<void> {
  loaded ??= api.account().then(
    (a) => {
      LIMITS.maxUploadBytes = a.limits.max_upload_bytes;
      LIMITS.maxAttachments = a.limits.max_attachments;
      LIMITS.maxRecipients = a.limits.max_recipients;
      LIMITS.maxSubjectChars = a.limits.max_subject_bytes;
      LIMITS.defaultExpiryDays = a.limits.default_expiry_days ?? 0;
      LIMITS.maxExpiryDays = a.limits.max_expiry_days ?? 0;
    },
    () => {
      loaded = null;
    },
  );
  return loaded;
}

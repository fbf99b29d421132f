// Limits the compose screen shows before anything is uploaded. They are the server's defaults
// ([limits] in sealpost.toml); the server enforces its configured values in any case and its
// answer (413 / 400) is shown when it is stricter than these.
export const LIMITS = {
  maxUploadBytes: 100 * 1024 * 1024,
  maxAttachments: 100,
  maxRecipients: 10000,
  maxSubjectChars: 998,
};

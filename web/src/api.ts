// The only way the UI talks to the server: the public REST API under /api/v1.
//
// - Every unsafe call (POST, DELETE, …) carries the session's CSRF token in X-CSRF-Token.
// - The token lives in memory only (never localStorage); the session itself is an HttpOnly
//   cookie the page cannot read.
// - Errors (RFC 9457 problem+json) become ApiError with a human sentence in `message`.
// - A 401 on a call that needed a session tells the app (onSessionExpired) so it can ask the
//   member to log in again without leaving the screen (drafts stay where they are).

import { formatBytes } from './format';

const BASE = '/api/v1';

let csrfToken: string | null = null;
const expiredListeners = new Set<() => void>();

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function onSessionExpired(listener: () => void): () => void {
  expiredListeners.add(listener);
  return () => expiredListeners.delete(listener);
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly type: string,
    readonly detail: string = '',
    // The problem document's extension members (e.g. "addresses" of muc-required).
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const NETWORK_ERROR = 'network';

// An API route this server does not have yet (the UI can be newer than the server).
const NOT_OFFERED = 'This server does not offer this yet: it needs a newer Sealpost version.';

function sentence(text: string): string {
  const t = text.trim();
  if (!t) return '';
  const s = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : s + '.';
}

// Human sentences for the server's stable problem types: the UI decides by `type` alone.
// `detail` is the server's text for people (a rule the input broke, e.g. "password must have at
// least 10 characters", or the catalogue's sentence for the type), shown where no better
// sentence is known here.
export function humanMessage(status: number, type: string, title: string, detail: string,
                             retryAfter: string | null = null): string {
  const minutes = () => (retryAfter ? Math.max(1, Math.ceil(Number(retryAfter) / 60)) : 15);
  switch (type) {
    case 'invalid-credentials':
      return 'Wrong email address or password.';
    case 'invalid-one-time-code':
      return 'That code is not right (or was already used). Enter the current code from your app.';
    case 'login-expired':
      return 'The log-in took too long. Start again with your password.';
    case 'too-many-attempts':
      return `Too many failed attempts. Wait ${minutes()} minutes before you try again.`;
    case 'session-required':
      return 'Your session has ended. Log in again to continue — what you typed is kept.';
    case 'csrf-failed':
      return 'This page lost its link to your session. Reload the page and try again.';
    case 'totp-setup-required':
      return 'Set up two-factor authentication first.';
    case 'payload-too-large':
      return sentence((detail || 'That is larger than the server accepts')
        .replace(/(\d{4,}) bytes/g, (_, n) => formatBytes(Number(n))));
    case 'storage-full':
      return 'The server has no room to store this right now. Try again later, or tell your administrator.';
    case 'integrity-failure':
      return 'Seal broken — the stored data was changed. Do not trust this message.';
    case 'seal-broken':
      return 'Seal broken — this message cannot be shown to come from its sender, so its content is withheld.';
    case 'forbidden':
      return 'You are not allowed to do this.';
    case 'unknown-route':
    case 'method-not-allowed':
      return NOT_OFFERED;
    case 'not-found':
      return sentence(detail || 'Not found — the link may be wrong or out of date');
    case 'link-invalid':
      return 'This link does not work (any more): it may be incomplete, already used, or expired.';
    case 'unavailable':
    case 'too-many-transfers':
      return 'The server is unavailable for a moment. Try again shortly.';
    case 'rate-limited':
      return sentence(detail || 'Too many requests for now; try again later');
    case 'conflict':
      return sentence(detail || 'That conflicts with the current state');
    case 'too-many-requests':
      return `Too many failed attempts from your network. Wait ${minutes()} minutes before you try again.`;
    case 'pickup-not-found':
      return 'This link does not open a message (any more). It may be incomplete, or the message has expired or was withdrawn by its sender. Ask the sender to send it again.';
    case 'muc-locked':
      return 'The unlock code is locked after too many wrong tries. The sender has been told by email and can give you a new code — ask them for it.';
    case 'already-member':
    case 'address-taken':
      return 'This address already has a Sealpost account. Log in to read your messages.';
    case 'nothing-to-recall':
      return 'Nothing left to recall: every recipient has already opened this message.';
    case 'wrong-password':
      return 'Your current password is not right.';
    case 'recovery-failed':
      return 'That did not work: check the email address and the recovery code (the code works only once, and only for a confirmed account).';
    case 'origin-mismatch':
      return 'This request came from another site and was refused. Open Sealpost directly and try again.';
    case 'unsupported-media-type':
    case 'malformed-request':
    case 'internal':
      return 'Something went wrong on our side. Try again; if it keeps happening, tell your administrator.';
    default:
      if (detail) return sentence(detail);
      if (title) return sentence(title);
      return `The server answered with an error (${status}).`;
  }
}

async function toError(res: Response): Promise<ApiError> {
  let type = 'http-' + res.status;
  let title = '';
  let detail = '';
  let extra: Record<string, unknown> = {};
  const ct = res.headers.get('Content-Type') || '';
  if (ct.includes('json')) {
    try {
      const doc = await res.json();
      if (doc && typeof doc === 'object') extra = doc;
      if (typeof doc.type === 'string') type = doc.type.split('/').pop() || type;
      if (typeof doc.title === 'string') title = doc.title;
      if (typeof doc.detail === 'string') detail = doc.detail;
    } catch {
      /* an unreadable error body keeps the generic text */
    }
  }
  return new ApiError(humanMessage(res.status, type, title, detail, res.headers.get('Retry-After')),
                      res.status, type, detail, extra);
}

function networkError(): ApiError {
  return new ApiError(
    'No connection to the server. Check your network and try again — nothing you typed is lost.',
    0, NETWORK_ERROR);
}

interface CallOptions {
  // A 401 here is an expected answer (log-in forms), not an ended session.
  anonymous?: boolean;
  headers?: Record<string, string>;
  // A file sent as it is (a key or certificate upload), with its media type.
  raw?: Blob;
  rawType?: string;
}

export async function call<T>(method: string, path: string, body?: unknown,
                              options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.raw) headers['Content-Type'] = options.rawType || 'application/octet-stream';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(BASE + path, {
      method,
      headers,
      body: options.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw networkError();
  }
  if (!res.ok) {
    const err = await toError(res);
    if (err.type === 'session-required' && !options.anonymous) {
      expiredListeners.forEach((l) => l());
    }
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const ct = res.headers.get('Content-Type') || '';
  return (ct.includes('json') ? await res.json() : undefined) as T;
}

// ---- Types (see src/api/openapi.json) ----

export interface User {
  id: string;
  email: string;
  display_name: string;
  is_admin: boolean;
  totp_enabled: boolean;
}

export type Role = 'administrator' | 'auditor' | 'compliance_officer';

export interface RoleGrant {
  user_id: string;
  email: string;
  role: Role;
  domain: string; // a mail domain or '*'
  granted_by: string;
  granted_at: string;
}

export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
}

// An app password for a mail program (SMTP submission); the password itself only in the creation
// answer.
export interface AppPassword {
  id: string;
  name: string;
  created_at: string;
  last_used_at: string | null;
}

// What a mail program needs besides the password; a port is null when not offered.
export interface MailSettings {
  host: string;
  username: string;
  starttls_port: number | null;
  tls_port: number | null;
}

export interface Account {
  email: string;
  role: 'member' | 'admin';
  totp_enabled: boolean;
  created_at: string;
  limits: {
    max_upload_bytes: number;
    max_attachments: number;
    max_recipients: number;
    max_subject_bytes: number;
    // Pickup links for non-members (present once the server supports a chosen expiry).
    default_expiry_days?: number;
    max_expiry_days?: number;
  };
}

// The member's own certified keys (GET /account/keys).
export interface AccountKeys {
  smime: { sha256_fingerprint: string; serial: string; subject: string; issuer: string; not_after: string };
  openpgp: { fingerprint: string; algorithm: string; user_id: string };
  created_at: string;
}

// An entry of the key directory (GET /contacts/keys).
export interface ContactKey {
  id: string;
  address: string;
  kind: 'smime' | 'openpgp';
  fingerprint: string;
  algorithm: string;
  subject?: string;
  issuer?: string;
  not_before: string;
  not_after: string | null;
  source: 'upload' | 'signed-mail' | 'seen-in-signed-mail';
  organisation: boolean;
  added_by: string;
  added_at: string;
  personally_verified: boolean;
  verified_at: string | null;
  status: 'trusted' | 'needs-verification' | 'refused';
  problem: string | null;
  revoked_at: string | null;
  revoked_reason: string | null;
}

// A CA certificate administrators added (GET /admin/anchors).
export interface TrustAnchor {
  id: string;
  subject: string;
  fingerprint: string;
  not_after: string;
  added_by: string;
  added_at: string;
}

// An enforced-TLS partner domain (GET /admin/tls-partners). owner_domain: the organisation
// domain whose members' mail it routes, or '*' for an instance-wide entry.
export interface TlsPartner {
  domain: string;
  owner_domain: string;
  editable: boolean;
  mode: 'verify' | 'pin';
  pins: string[];
  override: string | null;
  source: 'config' | 'admin';
  added_by: string | null;
  added_at: string | null;
  updated_by: string | null;
  updated_at: string | null;
}

export interface TlsPolicy {
  forbid_tls_only: boolean;
  forbidden_domains: string[];
}

// A domain's SMTP gateway policy (GET /admin/smtp-policies): which messages of mail programs go
// out securely.
export type GatewayMode = 'all' | 'tag' | 'rules';
export interface GatewayPolicy {
  mode: GatewayMode;
  tag: string;
  ready: string[];
  regexes: string[];
}
export interface SmtpPolicy extends GatewayPolicy {
  domain: string;
  source: 'domain' | 'instance';
  updated_by: string | null;
  updated_at: string | null;
}

function ownerQuery(owner: string): string {
  return owner ? `?owner_domain=${encodeURIComponent(owner)}` : '';
}

// What a picked file most likely is, by its name (the server sniffs the rest).
export function keyFileType(name: string): string {
  const n = name.toLowerCase();
  if (n.endsWith('.asc') || n.endsWith('.gpg') || n.endsWith('.pgp')) return 'application/pgp-keys';
  if (n.endsWith('.eml')) return 'message/rfc822';
  if (n.endsWith('.p7b') || n.endsWith('.p7c') || n.endsWith('.p7s')) return 'application/pkcs7-mime';
  if (n.endsWith('.pem') || n.endsWith('.crt')) return 'application/x-pem-file';
  if (n.endsWith('.cer') || n.endsWith('.der')) return 'application/pkix-cert';
  return 'application/octet-stream';
}

export interface SessionInfo {
  status: 'active' | 'totp_setup_required';
  csrf_token: string;
  expires_at: string;
  user: User;
}

export interface LoginAnswer {
  status: 'active' | 'totp_setup_required' | 'totp_required';
  login_ticket?: string;
  csrf_token?: string;
  user?: User;
}

export type SealStatus = 'valid' | 'invalid' | 'broken';

export interface Seal {
  status: SealStatus;
  signer?: string;
  // "portal": sealed by the platform for a guest's reply from the secure pickup page;
  // "gateway": by the platform's gateway on behalf of the member (mail from the organisation's
  // mail server); "member": by the sender's own key.
  kind?: string;
}

// Registered mail as its recipient sees it: until `state` is 'accepted', the server sends only
// the sender, this and the deadline (no subject, recipients, text or attachments).
export interface RegisteredStatus {
  state: 'pending' | 'accepted' | 'refused' | 'expired';
  deadline: string;
  decided_at?: string;
}

export interface MessageHeader {
  id: string;
  folder: 'inbox' | 'sent';
  unread: boolean;
  created_at: string;
  from?: { email: string; name: string };
  to?: string[];
  cc?: string[];
  // Only on a Bcc recipient's own message: that one recipient (nobody else sees it).
  bcc?: string[];
  subject?: string;
  attachment_count?: number;
  seal: Seal;
  thread_id?: string;
  registered?: RegisteredStatus;
  // A message to a new member not yet re-sealed into their mailbox (only id, from, created_at).
  waiting?: boolean;
  // Mail received from outside by the inbound gateway: what it saw on arrival.
  received?: Received;
}

export interface Received {
  envelope_from: string;
  client_address: string;
  spf: { result: string; domain: string };
  dkim: { result: string; domain: string };
  protection: string;
}

export interface AttachmentInfo {
  // -1: an attachment of decrypted mail from outside, kept only inside its original (index 0).
  index: number;
  name: string;
  content_type: string;
  size: number;
}

// A signed receipt (GET /messages/{id}/receipts): one ETSI EN 319 522 event for one recipient.
export interface ReceiptItem {
  id: string;
  recipient: string;
  event: string;
  time: string;
  log_index: number;
  href: string;  // the DER receipt
}

export type RecipientStatus =
  | 'delivered' | 'queued' | 'deferred' | 'notified' | 'opened' | 'replied' | 'recalled' | 'expired'
  | 'failed';

export interface RecipientState {
  address: string;
  // member: their inbox; portal: a pickup link; secure: a copy by email (method says how).
  delivery: 'member' | 'portal' | 'secure';
  method?: string; // member, pickup, smime, openpgp, tls
  status: RecipientStatus;
  detail?: string; // secure copies: who took it and its reply, or why it waits or failed
  next_attempt_at?: string;
  notified_at?: string;
  opened_at?: string;
  replied_at?: string;
  locked?: boolean;
}

// Present when the server withholds a message's text and attachments (its seal is broken).
export interface ContentWithheld {
  reason: string;
  detail: string;
}

// S/MIME or OpenPGP mail from outside, opened with the member's keys when read: its signature.
// When content_shown is false, the text and the decrypted attachments are not sent.
export interface SignatureCheck {
  method: 'S/MIME' | 'OpenPGP';
  state: 'valid' | 'invalid' | 'unknown_signer';
  signer: string;  // an address (S/MIME) or a key fingerprint (OpenPGP); may be empty
  detail: string;
  content_shown: boolean;
}

export interface MessageView extends MessageHeader {
  text: string;
  html: string;
  attachments: AttachmentInfo[];
  content_withheld?: ContentWithheld;
  signature?: SignatureCheck;
  // The sender's own copy only.
  recipients?: RecipientState[];
  expires_at?: string;
  can_recall?: boolean;
}

// What POST /pickup/unlock answers: the message for one guest, and a short-lived pickup token.
export interface PickupView {
  id: string;
  recipient: string;
  created_at: string;
  from: { email: string; name: string };
  to: string[];
  cc?: string[];
  bcc?: string[];  // only on a Bcc recipient's own message: that recipient
  subject: string;
  text: string;
  html: string;
  attachments: AttachmentInfo[];
  content_withheld?: ContentWithheld;
  registered?: RegisteredStatus;
  seal: Seal;
  pickup_token: string;
  pickup_token_expires_at: string;
  thread_id?: string;
  expires_at?: string;
  can_reply?: boolean;
  reply_all?: string[];
  can_enrol?: boolean;
  limits?: { max_upload_bytes: number; max_attachments: number; max_text_bytes: number };
}

export interface Attachment {
  upload_id: string;
  name: string;
  content_type: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
  // Inbox, first page: messages sent to this address before it became a member, not yet
  // re-sealed to it (they move in when their sender is next online, or with their link).
  waiting?: { id: string; created_at: string; from: { email: string; name: string } }[];
}

export interface SessionItem {
  id: string;
  created_at: string;
  last_seen_at: string;
  client_ip: string;
  user_agent: string;
  current: boolean;
}

export interface AdminUser {
  id: string;
  email: string;
  role: string;
  status: 'unverified' | 'active' | 'disabled';
  totp_enabled: boolean;
  created_at: string;
}

export interface AuditEntry {
  index: number | null;  // log index; null while the event waits for the sequencer
  pending: boolean;
  time: string;
  event: string;
  actor: string;
  subject?: string;
  details: Record<string, unknown>;
  leaf_hash: string;
  legacy_seq?: number;  // entries migrated from the old hash chain
}

export interface RetentionPolicy {
  domain: string;
  days: number;
  updated_at: string;
}

// A domain's escrow state (docs/escrow.md): off unless its administrators gave a public key.
export interface EscrowKey {
  domain: string;
  enabled: boolean;
  public_key: string | null;
  fingerprint: string | null;
  set_by: string | null;
  set_at: string | null;
}

export interface Hold {
  id: string;
  target: 'member' | 'message';
  subject: string;  // the member's user id or the message id
  reason: string;
  placed_by: string;
  placed_at: string;
  released_at: string | null;
  released_by: string | null;
}

export interface AuditReport {
  ok: boolean;
  entries: number;
  legacy_entries: number;
  checkpoints: number;
  last_checkpoint_seq: number;
  tree_size: number;
  pending: number;
  first_bad_index: number;
  problem: string;
}

// ---- Calls ----

// How a recipient will be reached (GET /contacts/methods), shown in Compose as addresses are added.
export interface MethodHint {
  address: string;
  method: 'member' | 'smime' | 'openpgp' | 'tls' | 'pickup';
  label: string;
  needs_muc: boolean;
}

export const api = {
  methods: (addresses: string[], forcePickup: boolean) => {
    const params = new URLSearchParams();
    for (const a of addresses) params.append('address', a);
    if (forcePickup) params.set('force_pickup', 'true');
    return call<{ items: MethodHint[] }>('GET', `/contacts/methods?${params}`);
  },
  signUp: (email: string, password: string, display_name: string) =>
    call<{ status: string; detail: string }>('POST', '/accounts', { email, password, display_name },
                                             { anonymous: true }),
  verifyEmail: (token: string) =>
    call<{ email: string; recovery_code: string }>('POST', '/accounts/verify', { token },
                                                   { anonymous: true }),
  setupAdmin: (token: string, email: string, password: string, display_name: string) =>
    call<{ email: string; recovery_code: string }>('POST', '/setup/admin',
                                                   { token, email, password, display_name },
                                                   { anonymous: true }),
  login: (email: string, password: string) =>
    call<LoginAnswer>('POST', '/session', { email, password }, { anonymous: true }),
  loginTotp: (login_ticket: string, code: string) =>
    call<SessionInfo>('POST', '/session/totp', { login_ticket, code }, { anonymous: true }),
  session: () => call<SessionInfo>('GET', '/session', undefined, { anonymous: true }),
  logout: () => call<void>('DELETE', '/session'),
  logoutEverywhere: () => call<void>('DELETE', '/sessions'),
  beginTotp: () => call<{ otpauth_uri: string; qr_svg: string }>('POST', '/account/totp'),
  confirmTotp: (code: string) => call<{ status: string }>('POST', '/account/totp/confirm', { code }),
  changePassword: (current_password: string, new_password: string) =>
    call<void>('POST', '/account/password', { current_password, new_password }),
  recover: (email: string, recovery_code: string, new_password: string) =>
    call<{ recovery_code: string }>('POST', '/account/recover',
                                    { email, recovery_code, new_password }, { anonymous: true }),
  account: () => call<Account>('GET', '/account'),
  accountKeys: () => call<AccountKeys>('GET', '/account/keys'),
  contactKeys: () => call<{ items: ContactKey[] }>('GET', '/contacts/keys'),
  importContactKey: (file: File, address: string) =>
    call<ContactKey>('POST', '/contacts/keys' + (address ? `?address=${encodeURIComponent(address)}` : ''),
                     undefined, { raw: file, rawType: keyFileType(file.name) }),
  deleteContactKey: (id: string) => call<void>('DELETE', `/contacts/keys/${encodeURIComponent(id)}`),
  verifyContactKey: (id: string, fingerprint: string) =>
    call<ContactKey>('POST', `/contacts/keys/${encodeURIComponent(id)}/verify`, { fingerprint }),
  revokeContactKey: (id: string, reason: string) =>
    call<ContactKey>('POST', `/contacts/keys/${encodeURIComponent(id)}/revoke`, { reason }),
  sessions: () => call<{ sessions: SessionItem[] }>('GET', '/sessions'),
  endSession: (id: string) => call<void>('DELETE', `/sessions/${encodeURIComponent(id)}`),
  mailbox: (folder: string, cursor: string | null, q: string, limit = 25) => {
    const params = new URLSearchParams({ limit: String(limit) });
    if (cursor) params.set('cursor', cursor);
    if (q) params.set('q', q);
    return call<Page<MessageHeader>>('GET', `/mailbox/${folder}?${params}`);
  },
  message: (id: string) => call<MessageView>('GET', `/messages/${encodeURIComponent(id)}`),
  send: (msg: {
    to: string[];
    cc?: string[];
    bcc?: string[];
    subject: string;
    text: string;
    attachments: Attachment[];
    mucs?: Record<string, string>;
    generate_mucs?: boolean;
    expires_in_days?: number;
    registered?: boolean;
    acceptance_days?: number;
    force_pickup?: boolean;
  }) => call<{ id: string; generated_mucs?: Record<string, string>; bcc_messages?: Record<string, string> }>(
    'POST', '/messages', msg),
  issueMuc: (id: string, address: string, muc: string | null) =>
    call<{ address: string; generated_muc?: string }>(
      'POST', `/messages/${encodeURIComponent(id)}/muc`,
      muc ? { address, muc } : { address, generate: true }),
  // Registered mail: accepting answers with the content; refusing with the state.
  acceptRegistered: (id: string) =>
    call<MessageView>('POST', `/messages/${encodeURIComponent(id)}/accept`),
  refuseRegistered: (id: string) =>
    call<{ id: string; state: string }>('POST', `/messages/${encodeURIComponent(id)}/refuse`),
  recall: (id: string) =>
    call<{ recalled: string[]; kept: string[] }>('POST', `/messages/${encodeURIComponent(id)}/recall`),
  receipts: (id: string) =>
    call<{ receipts: ReceiptItem[] }>('GET', `/messages/${encodeURIComponent(id)}/receipts`),
  // `muc` only where the server asks for it (muc-needed): a member who holds no address key.
  claimPickup: (link: string, muc?: string) =>
    call<{ id: string }>('POST', '/pickup/claim', muc ? { link, muc } : { link }),
  // `domain`: only that domain's users ("" for every domain the caller administers).
  adminUsers: (cursor: string | null, domain = '') =>
    call<Page<AdminUser>>('GET', '/admin/users?limit=50' + (cursor ? `&cursor=${encodeURIComponent(cursor)}` : '')
      + (domain ? `&domain=${encodeURIComponent(domain)}` : '')),
  disableUser: (id: string) => call<void>('POST', `/admin/users/${encodeURIComponent(id)}/disable`),
  enableUser: (id: string) => call<void>('POST', `/admin/users/${encodeURIComponent(id)}/enable`),
  invite: (email: string) => call<void>('POST', '/admin/invitations', { email }),
  audit: (before: number | null) =>
    call<{ items: AuditEntry[]; next_before: number | null; pending: number }>(
      'GET', '/admin/audit?limit=50' + (before !== null ? `&before=${before}` : '')),
  verifyAudit: () => call<AuditReport>('POST', '/admin/audit/verify'),
  tlsPartners: () => call<{ items: TlsPartner[] }>('GET', '/admin/tls-partners'),
  // owner: '' (the caller's own domain), '*' (instance-wide) or an organisation domain.
  putTlsPartner: (domain: string, entry: { mode: string; pins?: string[]; override?: string },
                  owner = '') =>
    call<TlsPartner>('PUT', `/admin/tls-partners/${encodeURIComponent(domain)}${ownerQuery(owner)}`, entry),
  deleteTlsPartner: (domain: string, owner = '') =>
    call<void>('DELETE', `/admin/tls-partners/${encodeURIComponent(domain)}${ownerQuery(owner)}`),
  smtpPolicies: () => call<{ default: GatewayPolicy; items: SmtpPolicy[] }>('GET', '/admin/smtp-policies'),
  smtpPolicy: (domain: string) =>
    call<SmtpPolicy>('GET', `/admin/smtp-policies/${encodeURIComponent(domain)}`),
  setSmtpPolicy: (domain: string, policy: GatewayPolicy) =>
    call<SmtpPolicy>('PUT', `/admin/smtp-policies/${encodeURIComponent(domain)}`, policy),
  clearSmtpPolicy: (domain: string) =>
    call<void>('DELETE', `/admin/smtp-policies/${encodeURIComponent(domain)}`),
  tlsPolicy: () => call<TlsPolicy>('GET', '/admin/tls-policy'),
  setTlsPolicy: (policy: TlsPolicy) => call<TlsPolicy>('PUT', '/admin/tls-policy', policy),
  organisationKeys: () => call<{ items: ContactKey[] }>('GET', '/admin/keys'),
  importOrganisationKey: (file: File, address: string) =>
    call<ContactKey>('POST', '/admin/keys' + (address ? `?address=${encodeURIComponent(address)}` : ''),
                     undefined, { raw: file, rawType: keyFileType(file.name) }),
  deleteOrganisationKey: (id: string) => call<void>('DELETE', `/admin/keys/${encodeURIComponent(id)}`),
  revokeOrganisationKey: (id: string, reason: string) =>
    call<ContactKey>('POST', `/admin/keys/${encodeURIComponent(id)}/revoke`, { reason }),
  trustAnchors: () => call<{ items: TrustAnchor[] }>('GET', '/admin/anchors'),
  addTrustAnchor: (file: File) =>
    call<TrustAnchor>('POST', '/admin/anchors', undefined,
                      { raw: file, rawType: 'application/x-pem-file' }),
  deleteTrustAnchor: (id: string) => call<void>('DELETE', `/admin/anchors/${encodeURIComponent(id)}`),
  roles: () => call<{ items: RoleGrant[] }>('GET', '/admin/roles'),
  myRoles: () => call<{ items: { role: Role; domain: string }[] }>('GET', '/account/roles'),
  grantRole: (userId: string, role: Role, domain: string) =>
    call<void>('PUT', `/admin/roles/${encodeURIComponent(userId)}/${role}/${encodeURIComponent(domain)}`),
  revokeRole: (userId: string, role: Role, domain: string) =>
    call<void>('DELETE', `/admin/roles/${encodeURIComponent(userId)}/${role}/${encodeURIComponent(domain)}`),
  apiTokens: () => call<{ items: ApiToken[] }>('GET', '/account/tokens'),
  createApiToken: (name: string, role: Role, expires_in_days: number) =>
    call<ApiToken & { token: string }>('POST', '/account/tokens', { name, role, expires_in_days }),
  revokeApiToken: (id: string) => call<void>('DELETE', `/account/tokens/${encodeURIComponent(id)}`),
  // Escrow per domain (docs/escrow.md).
  escrowKey: (domain: string) =>
    call<EscrowKey>('GET', `/admin/escrow/${encodeURIComponent(domain)}`),
  setEscrowKey: (domain: string, publicKey: string) =>
    call<EscrowKey>('PUT', `/admin/escrow/${encodeURIComponent(domain)}`, { public_key: publicKey }),
  clearEscrowKey: (domain: string) =>
    call<void>('DELETE', `/admin/escrow/${encodeURIComponent(domain)}`),
  appPasswords: () => call<{ items: AppPassword[]; mail_settings: MailSettings }>('GET', '/account/app-passwords'),
  createAppPassword: (name: string) =>
    call<AppPassword & { password: string; mail_settings: MailSettings }>('POST', '/account/app-passwords', { name }),
  revokeAppPassword: (id: string) =>
    call<void>('DELETE', `/account/app-passwords/${encodeURIComponent(id)}`),
  // Retention and legal hold (docs/retention.md).
  myRetention: () => call<{ domain: string; days: number | null }>('GET', '/account/retention'),
  retentionPolicies: () => call<{ items: RetentionPolicy[] }>('GET', '/admin/retention'),
  setRetention: (domain: string, days: number) =>
    call<RetentionPolicy>('POST', '/admin/retention', { domain, days }),
  clearRetention: (domain: string) =>
    call<void>('DELETE', `/admin/retention/${encodeURIComponent(domain)}`),
  holds: (includeReleased: boolean) =>
    call<{ items: Hold[] }>('GET', '/admin/holds?limit=200' + (includeReleased ? '&include_released=true' : '')),
  placeHold: (target: 'member' | 'message', subject: string, reason: string) =>
    call<Hold>('POST', '/admin/holds', { target, subject, reason }),
  releaseHold: (id: string) => call<void>('POST', `/admin/holds/${encodeURIComponent(id)}/release`),
};

// ---- The guest's pickup page: no session; the pickup token goes in a header, never a URL ----

const PICKUP_TOKEN = 'X-Pickup-Token';

export const pickup = {
  unlock: (link: string, muc: string) =>
    call<PickupView>('POST', '/pickup/unlock', { link, muc }, { anonymous: true }),
  reply: (token: string, reply: { text: string; attachments: Attachment[]; reply_all: boolean }) =>
    call<{ id: string; to: string[] }>('POST', '/pickup/reply', reply,
                                       { anonymous: true, headers: { [PICKUP_TOKEN]: token } }),
  // Registered mail: the message as the guest may now see it (content after acceptance).
  accept: (token: string) =>
    call<PickupView>('POST', '/pickup/accept', undefined,
                     { anonymous: true, headers: { [PICKUP_TOKEN]: token } }),
  refuse: (token: string) =>
    call<PickupView>('POST', '/pickup/refuse', undefined,
                     { anonymous: true, headers: { [PICKUP_TOKEN]: token } }),
  enrol: (token: string, password: string, display_name: string) =>
    call<{ email: string; recovery_code: string; csrf_token: string }>(
      'POST', '/pickup/enrol', display_name ? { password, display_name } : { password },
      { anonymous: true, headers: { [PICKUP_TOKEN]: token } }),
  // The attachment's bytes (a Blob for a download link made in the page).
  attachment: async (token: string, index: number): Promise<Blob> => {
    let res: Response;
    try {
      res = await fetch(`${BASE}/pickup/attachments/${index}`, {
        headers: { [PICKUP_TOKEN]: token },
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      throw networkError();
    }
    if (!res.ok) throw await toError(res);
    return res.blob();
  },
  upload: (token: string, file: File, onProgress: (sent: number, total: number) => void) =>
    upload(file, onProgress, { path: '/pickup/uploads', headers: { [PICKUP_TOKEN]: token } }),
};

// Downloads of the member's public keys: plain links (the session cookie goes along).
export const accountKeyUrls = {
  smimePem: `${BASE}/account/keys/smime.pem`,
  smimeDer: `${BASE}/account/keys/smime.der`,
  openpgp: `${BASE}/account/keys/openpgp.asc`,
};

export function attachmentUrl(messageId: string, index: number): string {
  return `${BASE}/messages/${encodeURIComponent(messageId)}/attachments/${index}`;
}

// The sender's evidence package of a sent message (a ZIP; 409 until a receipt was issued).
export function evidenceUrl(messageId: string): string {
  return `${BASE}/messages/${encodeURIComponent(messageId)}/evidence`;
}

// ---- Uploads: XMLHttpRequest, because fetch reports no upload progress ----

export interface UploadHandle {
  done: Promise<{ id: string; size: number }>;
  abort: () => void;
}

export const ABORTED = 'aborted';

interface UploadTarget {
  path: string;
  // Pickup uploads carry the pickup token and have no session to expire.
  headers: Record<string, string>;
}

export function upload(file: File, onProgress: (sent: number, total: number) => void,
                       target?: UploadTarget): UploadHandle {
  const xhr = new XMLHttpRequest();
  const done = new Promise<{ id: string; size: number }>((resolve, reject) => {
    xhr.open('POST', BASE + (target ? target.path : '/uploads'));
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    if (target) {
      for (const [k, v] of Object.entries(target.headers)) xhr.setRequestHeader(k, v);
    } else if (csrfToken) {
      xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    }
    xhr.responseType = 'text';
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      if (xhr.status === 201) {
        try {
          const r = JSON.parse(xhr.responseText);
          // POST /uploads answers {id}, POST /pickup/uploads {upload_id}.
          resolve({ id: r.id ?? r.upload_id, size: r.size });
        } catch {
          reject(new ApiError('The server sent an unreadable answer.', xhr.status, 'internal'));
        }
        return;
      }
      let type = 'http-' + xhr.status;
      let title = '';
      let detail = '';
      try {
        const doc = JSON.parse(xhr.responseText);
        type = String(doc.type || '').split('/').pop() || type;
        title = doc.title || '';
        detail = doc.detail || '';
      } catch {
        /* keep the generic text */
      }
      if (xhr.status === 401 && !target) {
        type = 'session-required';
        expiredListeners.forEach((l) => l());
      }
      reject(new ApiError(humanMessage(xhr.status, type, title, detail), xhr.status, type, detail));
    };
    xhr.onerror = () => reject(networkError());
    xhr.onabort = () => reject(new ApiError('Upload cancelled.', 0, ABORTED));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}

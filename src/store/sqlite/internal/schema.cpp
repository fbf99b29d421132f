#include "store/sqlite/internal/schema.h"

#include <string>
#include <vector>

namespace sealpost::store::sqlite {
namespace {

// Never edit a migration that has shipped: add a new one.
const std::vector<std::string>& Migrations() {
  static const std::vector<std::string> kMigrations = {
      R"sql(
CREATE TABLE users(
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  state INTEGER NOT NULL,
  is_admin INTEGER NOT NULL,
  box_public_key BLOB NOT NULL,
  verify_key BLOB NOT NULL,
  wrapped_private_keys BLOB NOT NULL,
  password_salt BLOB NOT NULL,
  password_ops INTEGER NOT NULL,
  password_mem INTEGER NOT NULL,
  umk_by_password BLOB NOT NULL,
  recovery_salt BLOB NOT NULL,
  umk_by_recovery BLOB NOT NULL,
  totp_secret BLOB NOT NULL,
  totp_enabled INTEGER NOT NULL,
  totp_last_step INTEGER NOT NULL,
  created_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE sessions(
  lookup TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind INTEGER NOT NULL,
  wrapped_umk BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  failures INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE TABLE tokens(
  lookup TEXT PRIMARY KEY,
  purpose INTEGER NOT NULL,
  user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
  payload BLOB NOT NULL,
  expires_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE messages(
  id TEXT PRIMARY KEY,
  sender_id TEXT NOT NULL REFERENCES users(id),
  created_ms INTEGER NOT NULL,
  summary BLOB NOT NULL,
  body BLOB NOT NULL
) STRICT;
CREATE TABLE mailbox(
  owner_id TEXT NOT NULL REFERENCES users(id),
  message_id TEXT NOT NULL REFERENCES messages(id),
  folder INTEGER NOT NULL,
  sealed_key BLOB NOT NULL,
  unread INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY(owner_id, message_id, folder)
) STRICT;
CREATE INDEX mailbox_listing ON mailbox(owner_id, folder, created_ms DESC, message_id DESC);
CREATE TABLE attachments(
  message_id TEXT NOT NULL REFERENCES messages(id),
  idx INTEGER NOT NULL,
  blob_id TEXT NOT NULL,
  stored_size INTEGER NOT NULL,
  PRIMARY KEY(message_id, idx)
) STRICT;
CREATE TABLE uploads(
  id TEXT PRIMARY KEY,
  owner_id TEXT NOT NULL REFERENCES users(id),
  blob_id TEXT NOT NULL,
  sealed_key BLOB NOT NULL,
  size INTEGER NOT NULL,
  created_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE counters(
  key TEXT PRIMARY KEY,
  window_start_ms INTEGER NOT NULL,
  count INTEGER NOT NULL
) STRICT;
CREATE TABLE audit_log(
  seq INTEGER PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  type TEXT NOT NULL,
  actor TEXT NOT NULL,
  subject TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL
) STRICT;
CREATE TABLE audit_checkpoints(
  seq INTEGER PRIMARY KEY,
  hash BLOB NOT NULL,
  signature BLOB NOT NULL,
  time_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE platform_keys(
  name TEXT PRIMARY KEY,
  public_key BLOB NOT NULL,
  wrapped_secret BLOB NOT NULL
) STRICT;
)sql",
      // 2: administrators disable accounts; members see and end their sessions one by one.
      R"sql(
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN public_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN client_ip TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
UPDATE sessions SET public_id = lower(hex(randomblob(16)));
CREATE UNIQUE INDEX sessions_by_public_id ON sessions(public_id);
)sql",
      // 3: the durable outbound mail queue.
      R"sql(
CREATE TABLE outbound_mail(
  id TEXT PRIMARY KEY,
  sealed_mail BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  lease_until_ms INTEGER,
  last_error TEXT NOT NULL
) STRICT;
CREATE INDEX outbound_mail_due ON outbound_mail(next_attempt_ms);
)sql",
      // 4: guests (non-members) and their pickups (docs/formats/guest-pickup.md).
      R"sql(
CREATE TABLE guest_addresses(
  email TEXT PRIMARY KEY,
  muc_hash TEXT NOT NULL,
  failures INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE pickups(
  lookup TEXT PRIMARY KEY,
  message_id TEXT NOT NULL REFERENCES messages(id),
  sender_id TEXT NOT NULL REFERENCES users(id),
  email TEXT NOT NULL,
  wrapped_key BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  state INTEGER NOT NULL
) STRICT;
CREATE INDEX pickups_by_message ON pickups(message_id);
CREATE INDEX pickups_by_email ON pickups(email, created_ms);
)sql",
      // 5: the sender's per-recipient status of guest pickups, recall and expiry.
      R"sql(
ALTER TABLE pickups ADD COLUMN notified_ms INTEGER;
ALTER TABLE pickups ADD COLUMN notify_failed_ms INTEGER;
ALTER TABLE pickups ADD COLUMN opened_ms INTEGER;
ALTER TABLE pickups ADD COLUMN replied_ms INTEGER;
CREATE INDEX pickups_live_by_expiry ON pickups(expires_ms) WHERE state IN (0, 1);
ALTER TABLE outbound_mail ADD COLUMN pickup_lookup TEXT;
CREATE INDEX outbound_mail_by_pickup ON outbound_mail(pickup_lookup)
  WHERE pickup_lookup IS NOT NULL;
CREATE INDEX mailbox_by_message ON mailbox(message_id);
)sql",
      // 6: a sender's live pickups, looked up on each folder listing (Guests::ResealWaiting).
      R"sql(
CREATE INDEX pickups_live_by_sender ON pickups(sender_id) WHERE state IN (0, 1);
)sql",
      // 7: the MUC as a key factor: address key pairs and per-pickup shares
      // (docs/formats/guest-pickup.md). Existing rows stay as they are (legacy, empty columns).
      R"sql(
ALTER TABLE guest_addresses ADD COLUMN public_key BLOB NOT NULL DEFAULT X'';
ALTER TABLE guest_addresses ADD COLUMN wrapped_secret BLOB NOT NULL DEFAULT X'';
ALTER TABLE guest_addresses ADD COLUMN kek_salt BLOB NOT NULL DEFAULT X'';
ALTER TABLE guest_addresses ADD COLUMN kek_ops INTEGER NOT NULL DEFAULT 0;
ALTER TABLE guest_addresses ADD COLUMN kek_mem INTEGER NOT NULL DEFAULT 0;
ALTER TABLE guest_addresses ADD COLUMN member_sealed_secret BLOB NOT NULL DEFAULT X'';
ALTER TABLE pickups ADD COLUMN sealed_share BLOB NOT NULL DEFAULT X'';
ALTER TABLE pickups ADD COLUMN share_key BLOB NOT NULL DEFAULT X'';
ALTER TABLE pickups ADD COLUMN sender_share BLOB NOT NULL DEFAULT X'';
)sql",
      // 8: the recovery slot's argon2id parameters (0 for older slots: the configured ones).
      R"sql(
ALTER TABLE users ADD COLUMN recovery_ops INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN recovery_mem INTEGER NOT NULL DEFAULT 0;
)sql",
      // 9: the transparency log (store/log_store.h, docs/formats/log-entry.md). The hash chain
      // above stays, read-only, as the history the log's legacy leaves carry.
      R"sql(
CREATE TABLE log_pending(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  leaf BLOB NOT NULL,
  created_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE log_entries(
  idx INTEGER PRIMARY KEY,
  leaf BLOB NOT NULL
) STRICT;
CREATE TABLE log_tiles(
  level INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  width INTEGER NOT NULL,
  hashes BLOB NOT NULL,
  PRIMARY KEY(level, idx)
) STRICT;
CREATE TABLE log_checkpoints(
  size INTEGER PRIMARY KEY,
  root_hash BLOB NOT NULL,
  note TEXT NOT NULL,
  created_ms INTEGER NOT NULL
) STRICT;
)sql",
      // 10: members' S/MIME certificates and OpenPGP keys, private halves wrapped under their UMK
      // (docs/formats/key-slots.md). Members from before get theirs at their next log-in.
      R"sql(
CREATE TABLE member_keys(
  user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  smime_certificate BLOB NOT NULL,
  smime_fingerprint TEXT NOT NULL,
  smime_wrapped_key BLOB NOT NULL,
  openpgp_public_key BLOB NOT NULL,
  openpgp_fingerprint TEXT NOT NULL,
  openpgp_wrapped_key BLOB NOT NULL,
  created_ms INTEGER NOT NULL
) STRICT;
)sql",
      // 11: the key directory (store/keys_store.h): contacts' public keys that members and
      // administrators imported (owner NULL: organisation-wide), and administrators' trust
      // anchors. Deleted keys stay, marked, as evidence of what was trusted when.
      R"sql(
CREATE TABLE contact_keys(
  id TEXT PRIMARY KEY,
  owner_id TEXT REFERENCES users(id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  kind INTEGER NOT NULL,
  material BLOB NOT NULL,
  chain_pem TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  not_before_ms INTEGER NOT NULL,
  not_after_ms INTEGER,
  source INTEGER NOT NULL,
  added_by TEXT NOT NULL,
  added_ms INTEGER NOT NULL,
  verified_by TEXT,
  verified_ms INTEGER,
  revoked_ms INTEGER,
  deleted_ms INTEGER
) STRICT;
CREATE UNIQUE INDEX contact_keys_live
  ON contact_keys(COALESCE(owner_id, ''), address, fingerprint) WHERE deleted_ms IS NULL;
CREATE INDEX contact_keys_by_owner ON contact_keys(owner_id, address);
CREATE INDEX contact_keys_by_address ON contact_keys(address);
CREATE TABLE trust_anchors(
  id TEXT PRIMARY KEY,
  der BLOB NOT NULL,
  subject TEXT NOT NULL,
  fingerprint TEXT NOT NULL UNIQUE,
  added_by TEXT NOT NULL,
  added_ms INTEGER NOT NULL
) STRICT;
)sql",
      // 12: receipts (docs/formats/receipt.md, "Receipts in the store"): what each sent message's
      // receipts name, the receipts issued, and how far the issuer has read the log.
      R"sql(
CREATE TABLE message_evidence(
  message_id TEXT PRIMARY KEY,
  sender TEXT NOT NULL,
  sealed_digest TEXT NOT NULL,
  created_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE receipts(
  id TEXT PRIMARY KEY,
  message_id TEXT NOT NULL,
  recipient TEXT NOT NULL,
  event TEXT NOT NULL,
  log_index INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  der BLOB NOT NULL
) STRICT;
CREATE INDEX receipts_by_message ON receipts(message_id, log_index);
CREATE TABLE receipt_cursor(
  one INTEGER PRIMARY KEY CHECK(one = 1),
  next_index INTEGER NOT NULL
) STRICT;
)sql",
      // 13: secure delivery (store/secure_delivery_store.h): each recipient's S/MIME, OpenPGP or
      // enforced-TLS copy, its state, and the sealed copy until it is delivered or given up.
      R"sql(
CREATE TABLE secure_copies(
  id TEXT PRIMARY KEY,
  message_id TEXT NOT NULL,
  sender_id TEXT NOT NULL,
  recipient TEXT NOT NULL,
  method TEXT NOT NULL,
  state INTEGER NOT NULL,
  host TEXT NOT NULL,
  reply TEXT NOT NULL,
  last_error TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  next_attempt_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  lease_until_ms INTEGER,
  finished_ms INTEGER,
  sealed_copy BLOB NOT NULL
) STRICT;
CREATE INDEX secure_copies_by_message ON secure_copies(message_id);
CREATE INDEX secure_copies_due ON secure_copies(next_attempt_ms) WHERE state IN (0, 2);
)sql",
      // 14: registered mail (app/registered_mail.h): per recipient, the acceptance deadline and the
      // decision (state 0 pending, 1 accepted, 2 refused, 3 expired; decided_ms 0 while pending).
      R"sql(
CREATE TABLE registered_recipients(
  message_id TEXT NOT NULL,
  recipient TEXT NOT NULL,
  deadline_ms INTEGER NOT NULL,
  state INTEGER NOT NULL,
  decided_ms INTEGER NOT NULL,
  PRIMARY KEY(message_id, recipient)
) STRICT;
CREATE INDEX registered_pending_by_deadline ON registered_recipients(deadline_ms) WHERE state = 0;
)sql",
      // 15: enforced-TLS partners that administrators keep
      // (store/tls_partners_store.h), the TLS-only rules, and the reason a contact key was
      // revoked with.
      R"sql(
CREATE TABLE tls_partners(
  domain TEXT PRIMARY KEY,
  mode INTEGER NOT NULL,
  pins TEXT NOT NULL,
  override_host TEXT NOT NULL,
  override_port INTEGER NOT NULL,
  added_by TEXT NOT NULL,
  added_ms INTEGER NOT NULL,
  updated_by TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE tls_only_rules(
  domain TEXT PRIMARY KEY,
  added_by TEXT NOT NULL,
  added_ms INTEGER NOT NULL
) STRICT;
ALTER TABLE contact_keys ADD COLUMN revoked_reason TEXT;
)sql",
      // Roles and API tokens (store/access_store.h, docs/roles.md): grants scoped to a domain
      // or "*", and tokens kept only as the lookup derived from their secret.
      R"sql(
CREATE TABLE role_grants(
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role INTEGER NOT NULL,
  domain TEXT NOT NULL,
  granted_by TEXT NOT NULL,
  granted_ms INTEGER NOT NULL,
  PRIMARY KEY(user_id, role, domain)
) STRICT;
CREATE INDEX role_grants_by_domain ON role_grants(domain, user_id);
CREATE TABLE api_tokens(
  public_id TEXT PRIMARY KEY,
  lookup TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  role INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  last_used_ms INTEGER
) STRICT;
CREATE INDEX api_tokens_by_user ON api_tokens(user_id, created_ms);
)sql",
      // Retention and legal hold (store/retention_store.h, docs/retention.md): domains'
      // policies, holds, tombstones of what retention shredded, and the age indexes its due
      // queries use.
      R"sql(
CREATE TABLE retention_policies(
  domain TEXT PRIMARY KEY,
  days INTEGER NOT NULL,
  set_by TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE legal_holds(
  id TEXT PRIMARY KEY,
  target INTEGER NOT NULL,
  subject TEXT NOT NULL,
  reason TEXT NOT NULL,
  placed_by TEXT NOT NULL,
  placed_ms INTEGER NOT NULL,
  released_by TEXT NOT NULL,
  released_ms INTEGER
) STRICT;
CREATE INDEX legal_holds_active ON legal_holds(target, subject) WHERE released_ms IS NULL;
CREATE INDEX legal_holds_by_time ON legal_holds(placed_ms);
CREATE TABLE retention_tombstones(
  message_id TEXT NOT NULL,
  kind INTEGER NOT NULL,
  owner TEXT NOT NULL,
  run_id TEXT NOT NULL,
  shredded_ms INTEGER NOT NULL,
  blobs_pending INTEGER NOT NULL,
  PRIMARY KEY(message_id, kind, owner)
) STRICT;
CREATE INDEX retention_tombstones_by_run ON retention_tombstones(run_id);
CREATE INDEX retention_tombstones_blobs_pending ON retention_tombstones(message_id)
  WHERE blobs_pending = 1;
CREATE INDEX mailbox_by_age ON mailbox(created_ms);
CREATE INDEX pickups_by_age ON pickups(created_ms);
)sql",
      // Escrow (store/escrow_store.h): a domain's escrow public key, and each message's data key
      // sealed to it.
      R"sql(
CREATE TABLE escrow_keys(
  domain TEXT PRIMARY KEY,
  public_key BLOB NOT NULL,
  set_by TEXT NOT NULL,
  set_ms INTEGER NOT NULL
) STRICT;
CREATE TABLE escrow_wraps(
  message_id TEXT NOT NULL REFERENCES messages(id),
  domain TEXT NOT NULL,
  sealed_key BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY(message_id, domain)
) STRICT;
CREATE INDEX escrow_wraps_by_domain ON escrow_wraps(domain, message_id);
)sql",
      // The SMIMECapabilities a contact's signed mail announced, for the envelope choice.
      R"sql(
ALTER TABLE contact_keys ADD COLUMN smime_capabilities TEXT NOT NULL DEFAULT '';
)sql",
      // App passwords for mail programs (store/app_password_store.h): only a derived lookup and
      // the UMK wrapped under another derivation of the password are kept.
      R"sql(
CREATE TABLE app_passwords(
  id TEXT PRIMARY KEY,
  lookup TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  wrapped_umk BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  last_used_ms INTEGER,
  revoked_ms INTEGER
) STRICT;
CREATE INDEX app_passwords_by_user ON app_passwords(user_id, created_ms);
)sql",
      // Per-domain delivery policies (store/tls_partners_store.h): a TLS partner entry belongs to
      // an organisation domain or, as every existing one, to the whole instance ("*"); and the
      // domains' own SMTP gateway policies. SQLite cannot change a primary key: the table is
      // rebuilt.
      R"sql(
CREATE TABLE tls_partners_by_owner(
  domain TEXT NOT NULL,
  mode INTEGER NOT NULL,
  pins TEXT NOT NULL,
  override_host TEXT NOT NULL,
  override_port INTEGER NOT NULL,
  added_by TEXT NOT NULL,
  added_ms INTEGER NOT NULL,
  updated_by TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  owner_domain TEXT NOT NULL,
  PRIMARY KEY(owner_domain, domain)
) STRICT;
INSERT INTO tls_partners_by_owner SELECT domain, mode, pins, override_host, override_port,
  added_by, added_ms, updated_by, updated_ms, '*' FROM tls_partners;
DROP TABLE tls_partners;
ALTER TABLE tls_partners_by_owner RENAME TO tls_partners;
CREATE INDEX tls_partners_by_domain ON tls_partners(domain, owner_domain);
CREATE TABLE smtp_policies(
  domain TEXT PRIMARY KEY,
  mode INTEGER NOT NULL,
  tag TEXT NOT NULL,
  ready TEXT NOT NULL,
  regexes TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
) STRICT;
)sql",
      // Secure copies made chunk by chunk (store/secure_delivery_store.h, kPreparing = 5): the
      // deliverers look for preparations whose send request died.
      R"sql(
CREATE INDEX secure_copies_preparing ON secure_copies(lease_until_ms) WHERE state = 5;
)sql",
      // Small blobs as rows (store/sqlite/sqlite_blobs.h): the bytes of docs/formats/blob.md of
      // each blob up to the inline threshold, committed in the group commit instead of as a file
      // of its own. Larger blobs stay files in the blob directory.
      R"sql(
CREATE TABLE inline_blobs(
  id TEXT PRIMARY KEY,
  data BLOB NOT NULL
) STRICT;
)sql",
  };
  return kMigrations;
}

}  // namespace

Status Migrate(Connection& db) {
  SP_ASSIGN_OR_RETURN(auto version_stmt, db.Prepare("PRAGMA user_version"));
  SP_ASSIGN_OR_RETURN(const bool has_row, version_stmt.Step());
  const int64_t version = has_row ? version_stmt.Int(0) : 0;
  // A statement left mid-step keeps the schema locked: a migration's DROP TABLE would fail with
  // "database table is locked".
  db.ResetAll();
  const auto& migrations = Migrations();
  if (version > static_cast<int64_t>(migrations.size())) {
    return Conflict("database schema is newer than this sealpost binary");
  }
  for (size_t i = static_cast<size_t>(version); i < migrations.size(); ++i) {
    SP_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    Status s = db.Exec(migrations[i]);
    if (s.ok()) s = db.Exec("PRAGMA user_version = " + std::to_string(i + 1));
    if (!s.ok()) {
      (void)db.Exec("ROLLBACK");
      return s;
    }
    SP_RETURN_IF_ERROR(db.Exec("COMMIT"));
  }
  return Status::Ok();
}

}  // namespace sealpost::store::sqlite

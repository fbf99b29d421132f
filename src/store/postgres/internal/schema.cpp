#include "store/postgres/internal/schema.h"

#include <string>
#include <vector>

#include "store/postgres/internal/statements.h"

namespace sealpost::store::postgres {
namespace {

// Never edit a migration that has shipped: add a new one. Ids and hex digests compare bytewise
// (COLLATE "C") whatever the cluster's locale, so orderings match the SQLite store's.
const std::vector<std::string>& Migrations() {
  static const std::vector<std::string> kMigrations = {
      R"sql(
CREATE TABLE users(
  id TEXT COLLATE "C" PRIMARY KEY,
  email TEXT COLLATE "C" NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  state INTEGER NOT NULL,
  is_admin BOOLEAN NOT NULL,
  box_public_key BYTEA NOT NULL,
  verify_key BYTEA NOT NULL,
  wrapped_private_keys BYTEA NOT NULL,
  password_salt BYTEA NOT NULL,
  password_ops BIGINT NOT NULL,
  password_mem BIGINT NOT NULL,
  umk_by_password BYTEA NOT NULL,
  recovery_salt BYTEA NOT NULL,
  umk_by_recovery BYTEA NOT NULL,
  totp_secret BYTEA NOT NULL,
  totp_enabled BOOLEAN NOT NULL,
  totp_last_step BIGINT NOT NULL,
  created_ms BIGINT NOT NULL,
  disabled BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE sessions(
  lookup TEXT COLLATE "C" PRIMARY KEY,
  user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind INTEGER NOT NULL,
  wrapped_umk BYTEA NOT NULL,
  created_ms BIGINT NOT NULL,
  last_seen_ms BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL,
  failures BIGINT NOT NULL,
  public_id TEXT COLLATE "C" NOT NULL,
  client_ip TEXT NOT NULL,
  user_agent TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions(user_id);
CREATE UNIQUE INDEX sessions_by_public_id ON sessions(public_id);
CREATE INDEX sessions_by_expiry ON sessions(expires_ms);
CREATE TABLE tokens(
  lookup TEXT COLLATE "C" PRIMARY KEY,
  purpose INTEGER NOT NULL,
  user_id TEXT COLLATE "C" REFERENCES users(id) ON DELETE CASCADE,
  payload BYTEA NOT NULL,
  expires_ms BIGINT NOT NULL
);
CREATE INDEX tokens_by_user ON tokens(user_id);
CREATE TABLE messages(
  id TEXT COLLATE "C" PRIMARY KEY,
  sender_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
  created_ms BIGINT NOT NULL,
  summary BYTEA NOT NULL,
  body BYTEA NOT NULL
);
CREATE TABLE mailbox(
  owner_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
  message_id TEXT COLLATE "C" NOT NULL REFERENCES messages(id),
  folder INTEGER NOT NULL,
  sealed_key BYTEA NOT NULL,
  unread BOOLEAN NOT NULL,
  created_ms BIGINT NOT NULL,
  PRIMARY KEY(owner_id, message_id, folder)
);
CREATE INDEX mailbox_listing ON mailbox(owner_id, folder, created_ms DESC, message_id DESC);
CREATE TABLE attachments(
  message_id TEXT COLLATE "C" NOT NULL REFERENCES messages(id),
  idx INTEGER NOT NULL,
  blob_id TEXT COLLATE "C" NOT NULL,
  stored_size BIGINT NOT NULL,
  PRIMARY KEY(message_id, idx)
);
CREATE TABLE uploads(
  id TEXT COLLATE "C" PRIMARY KEY,
  owner_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
  blob_id TEXT COLLATE "C" NOT NULL,
  sealed_key BYTEA NOT NULL,
  size BIGINT NOT NULL,
  created_ms BIGINT NOT NULL
);
CREATE INDEX uploads_by_age ON uploads(created_ms);
CREATE TABLE counters(
  key TEXT COLLATE "C" PRIMARY KEY,
  window_start_ms BIGINT NOT NULL,
  count BIGINT NOT NULL
);
CREATE TABLE audit_log(
  seq BIGINT PRIMARY KEY,
  time_ms BIGINT NOT NULL,
  type TEXT NOT NULL,
  actor TEXT NOT NULL,
  subject TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash BYTEA NOT NULL,
  hash BYTEA NOT NULL
);
CREATE TABLE audit_checkpoints(
  seq BIGINT PRIMARY KEY,
  hash BYTEA NOT NULL,
  signature BYTEA NOT NULL,
  time_ms BIGINT NOT NULL
);
CREATE TABLE platform_keys(
  name TEXT COLLATE "C" PRIMARY KEY,
  public_key BYTEA NOT NULL,
  wrapped_secret BYTEA NOT NULL
);
)sql",
      // Blobs (encrypted bodies and attachments) for stores shared by several processes: the
      // bytes of docs/formats/blob.md, one row per piece written (a frame of at most 64 KiB of
      // ciphertext), so reading and writing stream in constant memory. Ciphertext does not
      // compress: stored out of line without trying.
      R"sql(
CREATE TABLE blobs(
  id TEXT COLLATE "C" PRIMARY KEY,
  size BIGINT NOT NULL,
  created_ms BIGINT NOT NULL
);
CREATE TABLE blob_chunks(
  blob_id TEXT COLLATE "C" NOT NULL REFERENCES blobs(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  data BYTEA NOT NULL,
  PRIMARY KEY(blob_id, seq)
);
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
)sql",
      // 3: the durable outbound mail queue, claimed with FOR UPDATE SKIP LOCKED and a lease.
      R"sql(
CREATE TABLE outbound_mail(
  id TEXT COLLATE "C" PRIMARY KEY,
  sealed_mail BYTEA NOT NULL,
  created_ms BIGINT NOT NULL,
  next_attempt_ms BIGINT NOT NULL,
  attempts INTEGER NOT NULL,
  lease_until_ms BIGINT,
  last_error TEXT NOT NULL
);
CREATE INDEX outbound_mail_due ON outbound_mail(next_attempt_ms, id);
)sql",
      // 4: guests (non-members) and their pickups (docs/formats/guest-pickup.md).
      R"sql(
CREATE TABLE guest_addresses(
  email TEXT COLLATE "C" PRIMARY KEY,
  muc_hash TEXT NOT NULL,
  failures BIGINT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL
);
CREATE TABLE pickups(
  lookup TEXT COLLATE "C" PRIMARY KEY,
  message_id TEXT COLLATE "C" NOT NULL REFERENCES messages(id),
  sender_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
  email TEXT COLLATE "C" NOT NULL,
  wrapped_key BYTEA NOT NULL,
  created_ms BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL,
  state INTEGER NOT NULL
);
CREATE INDEX pickups_by_message ON pickups(message_id);
CREATE INDEX pickups_by_email ON pickups(email, created_ms);
)sql",
      // 5: the sender's per-recipient status of guest pickups, recall and expiry.
      R"sql(
ALTER TABLE pickups ADD COLUMN notified_ms BIGINT;
ALTER TABLE pickups ADD COLUMN notify_failed_ms BIGINT;
ALTER TABLE pickups ADD COLUMN opened_ms BIGINT;
ALTER TABLE pickups ADD COLUMN replied_ms BIGINT;
CREATE INDEX pickups_live_by_expiry ON pickups(expires_ms) WHERE state IN (0, 1);
ALTER TABLE outbound_mail ADD COLUMN pickup_lookup TEXT COLLATE "C";
CREATE INDEX outbound_mail_by_pickup ON outbound_mail(pickup_lookup)
  WHERE pickup_lookup IS NOT NULL;
CREATE INDEX mailbox_by_message ON mailbox(message_id);
)sql",
      // 6: a sender's live pickups, looked up on each folder listing (Guests::ResealWaiting).
      R"sql(
CREATE INDEX pickups_live_by_sender ON pickups(sender_id) WHERE state IN (0, 1);
)sql",
      // 7: sealed messages and mails are ciphertext, which does not compress: PostgreSQL stops
      // trying (a wasted pass over every body), and a message up to a page stays in its row
      // rather than costing a second insert into the TOAST table.
      R"sql(
ALTER TABLE messages ALTER COLUMN summary SET STORAGE EXTERNAL,
  ALTER COLUMN body SET STORAGE EXTERNAL, SET (toast_tuple_target = 8160);
ALTER TABLE outbound_mail ALTER COLUMN sealed_mail SET STORAGE EXTERNAL,
  SET (toast_tuple_target = 8160);
)sql",
      // 8: the MUC as a key factor: address key pairs and per-pickup shares
      // (docs/formats/guest-pickup.md). Existing rows stay as they are (legacy, empty columns).
      R"sql(
ALTER TABLE guest_addresses ADD COLUMN public_key BYTEA NOT NULL DEFAULT ''::bytea,
  ADD COLUMN wrapped_secret BYTEA NOT NULL DEFAULT ''::bytea,
  ADD COLUMN kek_salt BYTEA NOT NULL DEFAULT ''::bytea,
  ADD COLUMN kek_ops BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN kek_mem BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN member_sealed_secret BYTEA NOT NULL DEFAULT ''::bytea;
ALTER TABLE pickups ADD COLUMN sealed_share BYTEA NOT NULL DEFAULT ''::bytea,
  ADD COLUMN share_key BYTEA NOT NULL DEFAULT ''::bytea,
  ADD COLUMN sender_share BYTEA NOT NULL DEFAULT ''::bytea;
)sql",
      // 9: the recovery slot's argon2id parameters (0 for older slots: the configured ones).
      R"sql(
ALTER TABLE users ADD COLUMN recovery_ops BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN recovery_mem BIGINT NOT NULL DEFAULT 0;
)sql",
      // 10: the transparency log (store/log_store.h, docs/formats/log-entry.md). The hash chain
      // stays, read-only, as the history the log's legacy leaves carry.
      R"sql(
CREATE TABLE log_pending(
  id BIGSERIAL PRIMARY KEY,
  leaf BYTEA NOT NULL,
  created_ms BIGINT NOT NULL
);
CREATE TABLE log_entries(
  idx BIGINT PRIMARY KEY,
  leaf BYTEA NOT NULL
);
CREATE TABLE log_tiles(
  level INTEGER NOT NULL,
  idx BIGINT NOT NULL,
  width INTEGER NOT NULL,
  hashes BYTEA NOT NULL,
  PRIMARY KEY(level, idx)
);
CREATE TABLE log_checkpoints(
  size BIGINT PRIMARY KEY,
  root_hash BYTEA NOT NULL,
  note TEXT NOT NULL,
  created_ms BIGINT NOT NULL
);
)sql",
      // 11: members' S/MIME certificates and OpenPGP keys, private halves wrapped under their UMK
      // (docs/formats/key-slots.md). Members from before get theirs at their next log-in.
      R"sql(
CREATE TABLE member_keys(
  user_id TEXT COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  smime_certificate BYTEA NOT NULL,
  smime_fingerprint TEXT NOT NULL,
  smime_wrapped_key BYTEA NOT NULL,
  openpgp_public_key BYTEA NOT NULL,
  openpgp_fingerprint TEXT NOT NULL,
  openpgp_wrapped_key BYTEA NOT NULL,
  created_ms BIGINT NOT NULL
);
)sql",
      // 12: the key directory (store/keys_store.h): contacts' public keys that members and
      // administrators imported (owner NULL: organisation-wide), and administrators' trust
      // anchors. Deleted keys stay, marked, as evidence of what was trusted when.
      R"sql(
CREATE TABLE contact_keys(
  id TEXT COLLATE "C" PRIMARY KEY,
  owner_id TEXT COLLATE "C" REFERENCES users(id) ON DELETE CASCADE,
  address TEXT COLLATE "C" NOT NULL,
  kind BIGINT NOT NULL,
  material BYTEA NOT NULL,
  chain_pem TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  not_before_ms BIGINT NOT NULL,
  not_after_ms BIGINT,
  source BIGINT NOT NULL,
  added_by TEXT NOT NULL,
  added_ms BIGINT NOT NULL,
  verified_by TEXT,
  verified_ms BIGINT,
  revoked_ms BIGINT,
  deleted_ms BIGINT
);
CREATE UNIQUE INDEX contact_keys_live
  ON contact_keys(COALESCE(owner_id, ''), address, fingerprint) WHERE deleted_ms IS NULL;
CREATE INDEX contact_keys_by_owner ON contact_keys(owner_id, address);
CREATE INDEX contact_keys_by_address ON contact_keys(address);
CREATE TABLE trust_anchors(
  id TEXT COLLATE "C" PRIMARY KEY,
  der BYTEA NOT NULL,
  subject TEXT NOT NULL,
  fingerprint TEXT NOT NULL UNIQUE,
  added_by TEXT NOT NULL,
  added_ms BIGINT NOT NULL
);
)sql",
      // 13: receipts (docs/formats/receipt.md, "Receipts in the store").
      R"sql(
CREATE TABLE message_evidence(
  message_id TEXT PRIMARY KEY,
  sender TEXT NOT NULL,
  sealed_digest TEXT NOT NULL,
  created_ms BIGINT NOT NULL
);
CREATE TABLE receipts(
  id TEXT PRIMARY KEY,
  message_id TEXT NOT NULL,
  recipient TEXT NOT NULL,
  event TEXT NOT NULL,
  log_index BIGINT NOT NULL,
  created_ms BIGINT NOT NULL,
  der BYTEA NOT NULL
);
CREATE INDEX receipts_by_message ON receipts(message_id, log_index);
CREATE TABLE receipt_cursor(
  one INTEGER PRIMARY KEY CHECK(one = 1),
  next_index BIGINT NOT NULL
);
)sql",
      // 14: secure delivery (store/secure_delivery_store.h): each recipient's S/MIME, OpenPGP or
      // enforced-TLS copy, its state, and the sealed copy until it is delivered or given up.
      R"sql(
CREATE TABLE secure_copies(
  id TEXT COLLATE "C" PRIMARY KEY,
  message_id TEXT COLLATE "C" NOT NULL,
  sender_id TEXT COLLATE "C" NOT NULL,
  recipient TEXT COLLATE "C" NOT NULL,
  method TEXT NOT NULL,
  state INTEGER NOT NULL,
  host TEXT NOT NULL,
  reply TEXT NOT NULL,
  last_error TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  next_attempt_ms BIGINT NOT NULL,
  attempts INTEGER NOT NULL,
  lease_until_ms BIGINT,
  finished_ms BIGINT,
  sealed_copy BYTEA NOT NULL
);
ALTER TABLE secure_copies ALTER COLUMN sealed_copy SET STORAGE EXTERNAL;
CREATE INDEX secure_copies_by_message ON secure_copies(message_id);
CREATE INDEX secure_copies_due ON secure_copies(next_attempt_ms, id) WHERE state IN (0, 2);
)sql",
      // 15: registered mail (app/registered_mail.h): per recipient, the acceptance deadline and the
      // decision (state 0 pending, 1 accepted, 2 refused, 3 expired; decided_ms 0 while pending).
      R"sql(
CREATE TABLE registered_recipients(
  message_id TEXT NOT NULL,
  recipient TEXT NOT NULL,
  deadline_ms BIGINT NOT NULL,
  state INTEGER NOT NULL,
  decided_ms BIGINT NOT NULL,
  PRIMARY KEY(message_id, recipient)
);
CREATE INDEX registered_pending_by_deadline ON registered_recipients(deadline_ms) WHERE state = 0;
)sql",
      // 16: enforced-TLS partners that administrators keep
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
  added_ms BIGINT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_ms BIGINT NOT NULL
);
CREATE TABLE tls_only_rules(
  domain TEXT PRIMARY KEY,
  added_by TEXT NOT NULL,
  added_ms BIGINT NOT NULL
);
ALTER TABLE contact_keys ADD COLUMN revoked_reason TEXT;
)sql",
      // Roles and API tokens (store/access_store.h, docs/roles.md).
      R"sql(
CREATE TABLE role_grants(
  user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role INTEGER NOT NULL,
  domain TEXT COLLATE "C" NOT NULL,
  granted_by TEXT NOT NULL,
  granted_ms BIGINT NOT NULL,
  PRIMARY KEY(user_id, role, domain)
);
CREATE INDEX role_grants_by_domain ON role_grants(domain, user_id);
CREATE TABLE api_tokens(
  public_id TEXT COLLATE "C" PRIMARY KEY,
  lookup TEXT COLLATE "C" NOT NULL UNIQUE,
  user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  role INTEGER NOT NULL,
  created_ms BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL,
  last_used_ms BIGINT
);
CREATE INDEX api_tokens_by_user ON api_tokens(user_id, created_ms);
)sql",
      // Retention and legal hold (store/retention_store.h, docs/retention.md): domains'
      // policies, holds, tombstones of what retention shredded, and the age indexes its due
      // queries use.
      R"sql(
CREATE TABLE retention_policies(
  domain TEXT COLLATE "C" PRIMARY KEY,
  days BIGINT NOT NULL,
  set_by TEXT NOT NULL,
  updated_ms BIGINT NOT NULL
);
CREATE TABLE legal_holds(
  id TEXT COLLATE "C" PRIMARY KEY,
  target INTEGER NOT NULL,
  subject TEXT COLLATE "C" NOT NULL,
  reason TEXT NOT NULL,
  placed_by TEXT NOT NULL,
  placed_ms BIGINT NOT NULL,
  released_by TEXT NOT NULL,
  released_ms BIGINT
);
CREATE INDEX legal_holds_active ON legal_holds(target, subject) WHERE released_ms IS NULL;
CREATE INDEX legal_holds_by_time ON legal_holds(placed_ms);
CREATE TABLE retention_tombstones(
  message_id TEXT COLLATE "C" NOT NULL,
  kind INTEGER NOT NULL,
  owner TEXT NOT NULL,
  run_id TEXT NOT NULL,
  shredded_ms BIGINT NOT NULL,
  blobs_pending INTEGER NOT NULL,
  PRIMARY KEY(message_id, kind, owner)
);
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
  public_key BYTEA NOT NULL,
  set_by TEXT NOT NULL,
  set_ms BIGINT NOT NULL
);
CREATE TABLE escrow_wraps(
  message_id TEXT NOT NULL REFERENCES messages(id),
  domain TEXT NOT NULL,
  sealed_key BYTEA NOT NULL,
  created_ms BIGINT NOT NULL,
  PRIMARY KEY(message_id, domain)
);
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
  id TEXT COLLATE "C" PRIMARY KEY,
  lookup TEXT COLLATE "C" NOT NULL UNIQUE,
  user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  wrapped_umk BYTEA NOT NULL,
  created_ms BIGINT NOT NULL,
  last_used_ms BIGINT,
  revoked_ms BIGINT
);
CREATE INDEX app_passwords_by_user ON app_passwords(user_id, created_ms);
)sql",
      // Per-domain delivery policies (store/tls_partners_store.h): a TLS partner entry belongs to
      // an organisation domain or, as every existing one, to the whole instance ("*"); and the
      // domains' own SMTP gateway policies.
      R"sql(
ALTER TABLE tls_partners ADD COLUMN owner_domain TEXT NOT NULL DEFAULT '*';
ALTER TABLE tls_partners DROP CONSTRAINT tls_partners_pkey;
ALTER TABLE tls_partners ADD PRIMARY KEY (owner_domain, domain);
CREATE INDEX tls_partners_by_domain ON tls_partners(domain, owner_domain);
CREATE TABLE smtp_policies(
  domain TEXT PRIMARY KEY,
  mode INTEGER NOT NULL,
  tag TEXT NOT NULL,
  ready TEXT NOT NULL,
  regexes TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_ms BIGINT NOT NULL
);
)sql",
      // Secure copies made chunk by chunk (store/secure_delivery_store.h, kPreparing = 5): the
      // deliverers look for preparations whose send request died.
      R"sql(
CREATE INDEX secure_copies_preparing ON secure_copies(lease_until_ms, id) WHERE state = 5;
)sql",
  };
  return kMigrations;
}

}  // namespace

Status Migrate(pqxx::connection& conn) {
  try {
    const auto& migrations = Migrations();
    for (;;) {
      pqxx::work w(conn);
      // Two processes starting at once: the second waits here, then finds nothing to do.
      w.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLock) + ")");
      w.exec("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)");
      const pqxx::result r = w.exec("SELECT max(version) FROM schema_version");
      const int64_t version = r[0][0].is_null() ? 0 : r[0][0].as<int64_t>();
      if (version > static_cast<int64_t>(migrations.size())) {
        return Conflict("database schema is newer than this sealpost binary");
      }
      if (version == static_cast<int64_t>(migrations.size())) {
        w.commit();
        return Status::Ok();
      }
      w.exec(migrations[static_cast<size_t>(version)]);
      w.exec("INSERT INTO schema_version(version) VALUES(" + std::to_string(version + 1) + ")");
      w.commit();
    }
  } catch (...) {
    return StatusFromException(std::current_exception(), nullptr);
  }
}

}  // namespace sealpost::store::postgres

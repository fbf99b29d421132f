#include "store/sqlite/internal/keys.h"

#include <string>

#include "store/sqlite/internal/rows.h"

namespace sealpost::store::sqlite {
namespace {

constexpr const char* kContactKeyColumns =
    "id, owner_id, address, kind, material, fingerprint, algorithm, not_before_ms, "
    "not_after_ms, source, added_by, added_ms, verified_by, verified_ms, revoked_ms, chain_pem, "
    "smime_capabilities";
constexpr const char* kAnchorColumns = "id, der, subject, fingerprint, added_by, added_ms";

std::string Select(const char* where) {
  // The reason comes last: it is read, never inserted (a new key is not revoked).
  return std::string("SELECT ") + kContactKeyColumns +
         ", COALESCE(revoked_reason, '') FROM contact_keys WHERE " + where;
}

bool IsNull(const Statement& s, int col) {
  return sqlite3_column_type(s.raw(), col) == SQLITE_NULL;
}

std::optional<TimePoint> TimeOrNone(const Statement& s, int col) {
  if (IsNull(s, col)) return std::nullopt;
  return FromUnixMillis(s.Int(col));
}

ContactKeyRecord ReadContactKey(const Statement& s) {
  ContactKeyRecord k;
  k.id = ContactKeyId::FromTrusted(s.Text(0));
  if (!IsNull(s, 1)) k.owner = UserId::FromTrusted(s.Text(1));
  k.address = s.Text(2);
  k.kind = static_cast<ContactKeyKind>(s.Int(3));
  k.material = s.Blob(4);
  k.fingerprint = s.Text(5);
  k.algorithm = s.Text(6);
  k.not_before = FromUnixMillis(s.Int(7));
  k.not_after = TimeOrNone(s, 8);
  k.source = static_cast<ContactKeySource>(s.Int(9));
  k.added_by = UserId::FromTrusted(s.Text(10));
  k.added_at = FromUnixMillis(s.Int(11));
  if (!IsNull(s, 12)) k.verified_by = UserId::FromTrusted(s.Text(12));
  k.verified_at = TimeOrNone(s, 13);
  k.revoked_at = TimeOrNone(s, 14);
  k.chain_pem = s.Text(15);
  k.smime_capabilities = s.Text(16);
  k.revoked_reason = s.Text(17);
  return k;
}

Result<std::vector<ContactKeyRecord>> ReadAll(Statement& s) {
  std::vector<ContactKeyRecord> out;
  for (;;) {
    SP_ASSIGN_OR_RETURN(const bool row, s.Step());
    if (!row) return out;
    out.push_back(ReadContactKey(s));
  }
}

void BindOptionalTime(Statement& s, int index, const std::optional<TimePoint>& t) {
  if (t) {
    s.Bind(index, ToUnixMillis(*t));
  } else {
    s.BindNull(index);
  }
}

}  // namespace

Result<ContactKeyRecord> SqliteKeysReader::GetContactKey(const ContactKeyId& id) {
  return pool_.ReadOne<ContactKeyRecord>(
      Select("id = ? AND deleted_ms IS NULL"), [&](Statement& s) { s.Bind(1, id.str()); },
      ReadContactKey, "contact key");
}

Result<std::vector<ContactKeyRecord>> SqliteKeysReader::ListContactKeys(
    const std::optional<UserId>& owner) {
  using Out = std::vector<ContactKeyRecord>;
  return pool_.WithReader<Out>([&](Connection& db) -> Result<Out> {
    if (owner) {
      SP_ASSIGN_OR_RETURN(auto s, db.Prepare(Select("owner_id = ? AND deleted_ms IS NULL "
                                                    "ORDER BY address, added_ms, id")));
      s.Bind(1, owner->str());
      return ReadAll(s);
    }
    SP_ASSIGN_OR_RETURN(auto s, db.Prepare(Select("owner_id IS NULL AND deleted_ms IS NULL "
                                                  "ORDER BY address, added_ms, id")));
    return ReadAll(s);
  });
}

Result<std::vector<ContactKeyRecord>> SqliteKeysReader::FindContactKeys(
    const UserId& owner, const std::string& address) {
  using Out = std::vector<ContactKeyRecord>;
  return pool_.WithReader<Out>([&](Connection& db) -> Result<Out> {
    SP_ASSIGN_OR_RETURN(auto s,
                        db.Prepare(Select("address = ? AND (owner_id = ? OR owner_id IS NULL) AND "
                                          "deleted_ms IS NULL "
                                          "ORDER BY owner_id IS NULL, added_ms DESC, id")));
    s.Bind(1, address).Bind(2, owner.str());
    return ReadAll(s);
  });
}

Result<std::vector<TrustAnchorRecord>> SqliteKeysReader::ListTrustAnchors() {
  using Out = std::vector<TrustAnchorRecord>;
  return pool_.WithReader<Out>([&](Connection& db) -> Result<Out> {
    SP_ASSIGN_OR_RETURN(auto s, db.Prepare(std::string("SELECT ") + kAnchorColumns +
                                           " FROM trust_anchors ORDER BY added_ms, id"));
    Out out;
    for (;;) {
      SP_ASSIGN_OR_RETURN(const bool row, s.Step());
      if (!row) return out;
      out.push_back({TrustAnchorId::FromTrusted(s.Text(0)), s.Blob(1), s.Text(2), s.Text(3),
                     UserId::FromTrusted(s.Text(4)), FromUnixMillis(s.Int(5))});
    }
  });
}

Status SqliteKeysWriter::AddContactKey(const ContactKeyRecord& k) {
  // DO NOTHING: a live duplicate (the partial unique index) is reported as Conflict below.
  SP_ASSIGN_OR_RETURN(
      auto s, db_.Prepare(std::string("INSERT INTO contact_keys(") + kContactKeyColumns +
                          ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING"));
  s.Bind(1, k.id.str());
  if (k.owner) {
    s.Bind(2, k.owner->str());
  } else {
    s.BindNull(2);
  }
  s.Bind(3, k.address)
      .Bind(4, static_cast<int64_t>(k.kind))
      .Bind(5, ByteView(k.material))
      .Bind(6, k.fingerprint)
      .Bind(7, k.algorithm)
      .Bind(8, ToUnixMillis(k.not_before));
  BindOptionalTime(s, 9, k.not_after);
  s.Bind(10, static_cast<int64_t>(k.source))
      .Bind(11, k.added_by.str())
      .Bind(12, ToUnixMillis(k.added_at));
  if (k.verified_by) {
    s.Bind(13, k.verified_by->str());
  } else {
    s.BindNull(13);
  }
  BindOptionalTime(s, 14, k.verified_at);
  BindOptionalTime(s, 15, k.revoked_at);
  s.Bind(16, k.chain_pem).Bind(17, k.smime_capabilities);
  SP_RETURN_IF_ERROR(s.Run());
  if (db_.Changes() == 0) return Conflict("contact key already exists");
  return Status::Ok();
}

Result<int64_t> SqliteKeysWriter::CountContactKeys(const std::optional<UserId>& owner) {
  if (owner) {
    SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("SELECT count(*) FROM contact_keys WHERE "
                                            "owner_id = ? AND deleted_ms IS NULL"));
    s.Bind(1, owner->str());
    SP_ASSIGN_OR_RETURN(const bool row, s.Step());
    return row ? s.Int(0) : int64_t{0};
  }
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("SELECT count(*) FROM contact_keys WHERE "
                                          "owner_id IS NULL AND deleted_ms IS NULL"));
  SP_ASSIGN_OR_RETURN(const bool row, s.Step());
  return row ? s.Int(0) : int64_t{0};
}

Status SqliteKeysWriter::MarkContactKeyVerified(const ContactKeyId& id, const UserId& by,
                                                TimePoint at) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE contact_keys SET verified_by = ?, "
                                          "verified_ms = ? WHERE id = ? AND deleted_ms IS NULL"));
  SP_RETURN_IF_ERROR(s.Bind(1, by.str()).Bind(2, ToUnixMillis(at)).Bind(3, id.str()).Run());
  return ExpectOneRow(db_, "contact key");
}

Status SqliteKeysWriter::MarkContactKeyRevoked(const ContactKeyId& id, TimePoint at,
                                               const std::string& reason) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare("UPDATE contact_keys SET revoked_ms = ?, revoked_reason = ? "
                                  "WHERE id = ? AND deleted_ms IS NULL AND revoked_ms IS NULL"));
  SP_RETURN_IF_ERROR(s.Bind(1, ToUnixMillis(at)).Bind(2, reason).Bind(3, id.str()).Run());
  if (db_.Changes() != 0) return Status::Ok();
  // Nothing changed: either no live key, or one revoked already.
  SP_ASSIGN_OR_RETURN(auto q, db_.Prepare("SELECT revoked_ms IS NOT NULL FROM contact_keys "
                                          "WHERE id = ? AND deleted_ms IS NULL"));
  q.Bind(1, id.str());
  SP_ASSIGN_OR_RETURN(const bool row, q.Step());
  if (!row) return NotFound("contact key not found");
  return Conflict("contact key revoked already");
}

Status SqliteKeysWriter::DeleteContactKey(const ContactKeyId& id, TimePoint at) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("UPDATE contact_keys SET deleted_ms = ? "
                                          "WHERE id = ? AND deleted_ms IS NULL"));
  SP_RETURN_IF_ERROR(s.Bind(1, ToUnixMillis(at)).Bind(2, id.str()).Run());
  return ExpectOneRow(db_, "contact key");
}

Status SqliteKeysWriter::AddTrustAnchor(const TrustAnchorRecord& a) {
  SP_ASSIGN_OR_RETURN(auto s,
                      db_.Prepare(std::string("INSERT INTO trust_anchors(") + kAnchorColumns +
                                  ") VALUES(?,?,?,?,?,?) ON CONFLICT DO NOTHING"));
  SP_RETURN_IF_ERROR(s.Bind(1, a.id.str())
                         .Bind(2, ByteView(a.der))
                         .Bind(3, a.subject)
                         .Bind(4, a.fingerprint)
                         .Bind(5, a.added_by.str())
                         .Bind(6, ToUnixMillis(a.added_at))
                         .Run());
  if (db_.Changes() == 0) return Conflict("trust anchor already exists");
  return Status::Ok();
}

Status SqliteKeysWriter::DeleteTrustAnchor(const TrustAnchorId& id) {
  SP_ASSIGN_OR_RETURN(auto s, db_.Prepare("DELETE FROM trust_anchors WHERE id = ?"));
  SP_RETURN_IF_ERROR(s.Bind(1, id.str()).Run());
  return ExpectOneRow(db_, "trust anchor");
}

}  // namespace sealpost::store::sqlite

#include "store/postgres/internal/keys.h"

#include <string>

namespace sealpost::store::postgres {
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

std::optional<TimePoint> TimeOrNone(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return FromUnixMillis(f.as<int64_t>());
}

ContactKeyRecord ReadContactKey(const pqxx::row& r) {
  ContactKeyRecord k;
  k.id = ContactKeyId::FromTrusted(r[0].as<std::string>());
  if (!r[1].is_null()) k.owner = UserId::FromTrusted(r[1].as<std::string>());
  k.address = r[2].as<std::string>();
  k.kind = static_cast<ContactKeyKind>(r[3].as<int64_t>());
  k.material = ReadBytes(r[4]);
  k.fingerprint = r[5].as<std::string>();
  k.algorithm = r[6].as<std::string>();
  k.not_before = FromUnixMillis(r[7].as<int64_t>());
  k.not_after = TimeOrNone(r[8]);
  k.source = static_cast<ContactKeySource>(r[9].as<int64_t>());
  k.added_by = UserId::FromTrusted(r[10].as<std::string>());
  k.added_at = FromUnixMillis(r[11].as<int64_t>());
  if (!r[12].is_null()) k.verified_by = UserId::FromTrusted(r[12].as<std::string>());
  k.verified_at = TimeOrNone(r[13]);
  k.revoked_at = TimeOrNone(r[14]);
  k.chain_pem = r[15].as<std::string>();
  k.smime_capabilities = r[16].as<std::string>();
  k.revoked_reason = r[17].as<std::string>();
  return k;
}

std::vector<ContactKeyRecord> ReadAll(const pqxx::result& r) {
  std::vector<ContactKeyRecord> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(ReadContactKey(row));
  return out;
}

// No owner travels as "" and becomes NULL in the statement (NULLIF), as times do with -1.
std::string OwnerText(const std::optional<UserId>& owner) { return owner ? owner->str() : ""; }

}  // namespace

Result<ContactKeyRecord> PgKeysReader::GetContactKey(const ContactKeyId& id) {
  return reader_.Read<ContactKeyRecord>(
      [&](pqxx::transaction_base& tx) -> Result<ContactKeyRecord> {
        const auto r = tx.exec_params(Select("id = $1 AND deleted_ms IS NULL"), id.str());
        if (r.empty()) return NotFound("contact key not found");
        return ReadContactKey(r[0]);
      });
}

Result<std::vector<ContactKeyRecord>> PgKeysReader::ListContactKeys(
    const std::optional<UserId>& owner) {
  return reader_.Read<std::vector<ContactKeyRecord>>([&](pqxx::transaction_base& tx) {
    if (owner) {
      return ReadAll(tx.exec_params(
          Select("owner_id = $1 AND deleted_ms IS NULL ORDER BY address, added_ms, id"),
          owner->str()));
    }
    return ReadAll(
        tx.exec(Select("owner_id IS NULL AND deleted_ms IS NULL ORDER BY address, added_ms, id")));
  });
}

Result<std::vector<ContactKeyRecord>> PgKeysReader::FindContactKeys(const UserId& owner,
                                                                    const std::string& address) {
  return reader_.Read<std::vector<ContactKeyRecord>>([&](pqxx::transaction_base& tx) {
    return ReadAll(tx.exec_params(
        Select("address = $1 AND (owner_id = $2 OR owner_id IS NULL) AND deleted_ms IS NULL "
               "ORDER BY owner_id IS NULL, added_ms DESC, id"),
        address, owner.str()));
  });
}

Result<std::vector<TrustAnchorRecord>> PgKeysReader::ListTrustAnchors() {
  return reader_.Read<std::vector<TrustAnchorRecord>>([&](pqxx::transaction_base& tx) {
    const auto r = tx.exec(std::string("SELECT ") + kAnchorColumns +
                           " FROM trust_anchors ORDER BY added_ms, id");
    std::vector<TrustAnchorRecord> out;
    out.reserve(r.size());
    for (const auto& row : r) {
      out.push_back({TrustAnchorId::FromTrusted(row[0].as<std::string>()), ReadBytes(row[1]),
                     row[2].as<std::string>(), row[3].as<std::string>(),
                     UserId::FromTrusted(row[4].as<std::string>()),
                     FromUnixMillis(row[5].as<int64_t>())});
    }
    return out;
  });
}

Status PgKeysWriter::AddContactKey(const ContactKeyRecord& k) {
  return txn_.GuardStatus([&] {
    // DO NOTHING: a failed statement would abort the batch; a live duplicate is Conflict.
    return ExpectInserted(
        tx_.exec_params(
            std::string("INSERT INTO contact_keys(") + kContactKeyColumns +
                ") VALUES($1, NULLIF($2, ''), $3, $4, $5, $6, $7, $8, "
                "NULLIF($9::BIGINT, -1), $10, $11, $12, NULLIF($13, ''), NULLIF($14::BIGINT, -1), "
                "NULLIF($15::BIGINT, -1), $16, $17) ON CONFLICT DO NOTHING",
            k.id.str(), OwnerText(k.owner), k.address, static_cast<int64_t>(k.kind),
            Bin(k.material), k.fingerprint, k.algorithm, ToUnixMillis(k.not_before),
            MillisOrNone(k.not_after), static_cast<int64_t>(k.source), k.added_by.str(),
            ToUnixMillis(k.added_at), OwnerText(k.verified_by), MillisOrNone(k.verified_at),
            MillisOrNone(k.revoked_at), k.chain_pem, k.smime_capabilities),
        "contact key");
  });
}

Result<int64_t> PgKeysWriter::CountContactKeys(const std::optional<UserId>& owner) {
  return txn_.Guard<int64_t>([&]() -> Result<int64_t> {
    const auto r = owner ? tx_.exec_params(
                               "SELECT count(*) FROM contact_keys WHERE owner_id = $1 AND "
                               "deleted_ms IS NULL",
                               owner->str())
                         : tx_.exec(
                               "SELECT count(*) FROM contact_keys WHERE owner_id IS NULL AND "
                               "deleted_ms IS NULL");
    return r[0][0].as<int64_t>();
  });
}

Status PgKeysWriter::MarkContactKeyVerified(const ContactKeyId& id, const UserId& by,
                                            TimePoint at) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_params("UPDATE contact_keys SET verified_by = $1, "
                                        "verified_ms = $2 WHERE id = $3 AND deleted_ms IS NULL",
                                        by.str(), ToUnixMillis(at), id.str()),
                        "contact key");
  });
}

Status PgKeysWriter::MarkContactKeyRevoked(const ContactKeyId& id, TimePoint at,
                                           const std::string& reason) {
  return txn_.GuardStatus([&]() -> Status {
    const auto r = tx_.exec_params(
        "UPDATE contact_keys SET revoked_ms = $1, revoked_reason = $2 "
        "WHERE id = $3 AND deleted_ms IS NULL AND revoked_ms IS NULL",
        ToUnixMillis(at), reason, id.str());
    if (r.affected_rows() != 0) return Status::Ok();
    // Nothing changed: either no live key, or one revoked already.
    const auto q = tx_.exec_params(
        "SELECT 1 FROM contact_keys WHERE id = $1 AND deleted_ms IS NULL", id.str());
    if (q.empty()) return NotFound("contact key not found");
    return Conflict("contact key revoked already");
  });
}

Status PgKeysWriter::DeleteContactKey(const ContactKeyId& id, TimePoint at) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_params("UPDATE contact_keys SET deleted_ms = $1 "
                                        "WHERE id = $2 AND deleted_ms IS NULL",
                                        ToUnixMillis(at), id.str()),
                        "contact key");
  });
}

Status PgKeysWriter::AddTrustAnchor(const TrustAnchorRecord& a) {
  return txn_.GuardStatus([&] {
    return ExpectInserted(
        tx_.exec_params(std::string("INSERT INTO trust_anchors(") + kAnchorColumns +
                            ") VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                        a.id.str(), Bin(a.der), a.subject, a.fingerprint, a.added_by.str(),
                        ToUnixMillis(a.added_at)),
        "trust anchor");
  });
}

Status PgKeysWriter::DeleteTrustAnchor(const TrustAnchorId& id) {
  return txn_.GuardStatus([&] {
    return ExpectOneRow(tx_.exec_params("DELETE FROM trust_anchors WHERE id = $1", id.str()),
                        "trust anchor");
  });
}

}  // namespace sealpost::store::postgres

#include "app/internal/certified_keys.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "app/internal/audit_event.h"
#include "keys/member_keys.h"
#include "pgp/member_key.h"
#include "smime/platform_ca.h"

namespace sealpost::app {

Result<std::optional<store::MemberKeysRecord>> MakeCertifiedKeys(const Services& s,
                                                                 const store::UserRecord& user,
                                                                 const crypto::Umk& umk) {
  if (s.pki == nullptr) return std::optional<store::MemberKeysRecord>();
  SP_ASSIGN_OR_RETURN(const EmailAddress address, EmailAddress::Parse(user.email));
  const TimePoint now = s.clock.Now();

  smime::LeafRequest request;
  request.profile = smime::LeafProfile::kMemberSmime;
  // The CN is at most 64 characters; the address (at most 254) is in emailAddress and the SAN.
  request.common_name = user.display_name.substr(0, 64);
  if (request.common_name.empty()) request.common_name = std::string(address.local_part());
  request.email = address;
  auto smime = smime::IssueLeafWithNewKey(s.pki->issuing, s.pki_names, request, now);
  if (!smime.ok() && smime.status().code() == ErrorCode::kInvalidArgument) {
    // A display name the certificate profile refuses (e.g. cut inside a UTF-8 sequence): the
    // local part is plain ASCII.
    request.common_name = std::string(address.local_part()).substr(0, 64);
    smime = smime::IssueLeafWithNewKey(s.pki->issuing, s.pki_names, request, now);
  }
  SP_RETURN_IF_ERROR(smime.status());
  SP_ASSIGN_OR_RETURN(const crypto::SecretBytes pkcs8, smime->key.ExposePkcs8Der());
  SP_ASSIGN_OR_RETURN(const pgp::GeneratedMemberKey openpgp, pgp::GenerateMemberKey(address, now));

  store::MemberKeysRecord record;
  record.user_id = user.id;
  record.smime_certificate = smime->certificate.der();
  record.smime_fingerprint = smime->certificate.FingerprintHex();
  record.smime_wrapped_key =
      keys::WrapCertifiedKey(umk, keys::CertifiedKeyKind::kSmime, pkcs8, user.id);
  record.openpgp_public_key = openpgp.public_key;
  record.openpgp_fingerprint = openpgp.fingerprint;
  record.openpgp_wrapped_key =
      keys::WrapCertifiedKey(umk, keys::CertifiedKeyKind::kOpenPgp, openpgp.secret_key, user.id);
  record.created_at = now;
  return std::optional<store::MemberKeysRecord>(std::move(record));
}

std::optional<store::MemberKeysRecord> TryMakeCertifiedKeys(const Services& s,
                                                            const store::UserRecord& user,
                                                            const crypto::Umk& umk) {
  auto made = MakeCertifiedKeys(s, user, umk);
  if (made.ok()) return std::move(*made);
  spdlog::warn("member {}: making S/MIME and OpenPGP keys failed ({}); retried at next log-in",
               user.id.str(), made.status().ToString());
  return std::nullopt;
}

Status StoreCertifiedKeys(const Services& s, store::WriteTxn& tx,
                          const store::MemberKeysRecord& keys) {
  SP_RETURN_IF_ERROR(tx.accounts().CreateMemberKeys(keys));
  const nlohmann::json details = {{"keys", {"smime-p256", "openpgp-ed25519-cv25519"}},
                                  {"smime_sha256", keys.smime_fingerprint},
                                  {"openpgp_fingerprint", keys.openpgp_fingerprint}};
  return RecordEvent(s, tx, "key.create", keys.user_id.str(), keys.user_id.str(), details.dump());
}

void EnsureCertifiedKeys(const Services& s, const store::UserRecord& user, const crypto::Umk& umk) {
  if (s.pki == nullptr) return;
  auto existing = s.store.accounts().GetMemberKeys(user.id);
  if (existing.ok()) return;
  if (existing.status().code() != ErrorCode::kNotFound) {
    spdlog::warn("member {}: reading certified keys failed: {}", user.id.str(),
                 existing.status().ToString());
    return;
  }
  const std::optional<store::MemberKeysRecord> keys = TryMakeCertifiedKeys(s, user, umk);
  if (!keys) return;
  const Status stored = s.store.Write([&](store::WriteTxn& tx) -> Status {
    const Status st = StoreCertifiedKeys(s, tx, *keys);
    // Another log-in stored its keys first: those stay, these are dropped.
    return st.code() == ErrorCode::kConflict ? Status::Ok() : st;
  });
  if (!stored.ok()) {
    spdlog::warn("member {}: storing certified keys failed: {}", user.id.str(), stored.ToString());
  }
}

}  // namespace sealpost::app

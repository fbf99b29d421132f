#include "trust/platform_pki.h"

#include <optional>
#include <string>

namespace sealpost::trust {
namespace {

using Loaded = std::optional<smime::IssuedKey>;

Status Damaged(std::string_view name, std::string_view what) {
  return Corruption("platform PKI row " + std::string(name) + ": " + std::string(what));
}

// The row `name`, checked: its certificate parses, its key unwraps under `name` and matches.
Result<Loaded> LoadRow(store::Store& store, const keys::MasterKey& master, std::string_view name) {
  auto row = store.platform().GetPlatformKey(std::string(name));
  if (!row.ok()) {
    if (row.status().code() == ErrorCode::kNotFound) return Loaded();
    return row.status();
  }
  auto certificate = smime::Certificate::FromDer(row->public_key);
  if (!certificate.ok()) return Damaged(name, "certificate unreadable");
  auto pkcs8 = master.Unwrap(row->wrapped_secret, name);
  if (!pkcs8.ok()) return Damaged(name, "key does not unwrap");
  auto key = smime::CertificateKey::FromPkcs8Der(pkcs8->view());
  if (!key.ok()) return Damaged(name, "key unreadable");
  if (!smime::CheckKeyMatches(*certificate, *key).ok()) {
    return Damaged(name, "key does not match the certificate");
  }
  return Loaded(smime::IssuedKey{std::move(*certificate), std::move(*key)});
}

Result<store::PlatformKeyRecord> Row(std::string_view name, const smime::IssuedKey& entry,
                                     const keys::MasterKey& master) {
  SP_ASSIGN_OR_RETURN(const crypto::SecretBytes pkcs8, entry.key.ExposePkcs8Der());
  return store::PlatformKeyRecord{std::string(name), entry.certificate.der(),
                                  master.Wrap(pkcs8.view(), name)};
}

struct Slot {
  std::string_view name;
  Loaded* value;
};

// One attempt: load what exists, make what is missing, write the new rows together. Conflict
// when another process wrote one of them first.
Result<PlatformPki> Attempt(store::Store& store, const keys::MasterKey& master, TimePoint now,
                            const smime::CaNames& names) {
  Loaded root, issuing, evidence, tsa;
  const Slot slots[] = {{crypto::kMasterPurposePkiRootCa, &root},
                        {crypto::kMasterPurposePkiIssuingCa, &issuing},
                        {crypto::kMasterPurposePkiEvidenceSigner, &evidence},
                        {crypto::kMasterPurposePkiTsa, &tsa}};
  for (const Slot& slot : slots) {
    SP_ASSIGN_OR_RETURN(*slot.value, LoadRow(store, master, slot.name));
  }

  std::vector<store::PlatformKeyRecord> created;
  if (!root && !issuing) {
    if (evidence || tsa) return Corruption("platform PKI: leaf certificates without their CAs");
    SP_ASSIGN_OR_RETURN(root, smime::CreateRootCa(names, now));
    SP_ASSIGN_OR_RETURN(issuing, smime::CreateIssuingCa(*root, names, now));
    SP_ASSIGN_OR_RETURN(auto root_row, Row(crypto::kMasterPurposePkiRootCa, *root, master));
    SP_ASSIGN_OR_RETURN(auto issuing_row,
                        Row(crypto::kMasterPurposePkiIssuingCa, *issuing, master));
    created.push_back(std::move(root_row));
    created.push_back(std::move(issuing_row));
  } else if (!root || !issuing) {
    return Corruption("platform PKI: the root or the issuing CA is missing");
  }
  if (!smime::CheckIssuedBy(root->certificate, root->certificate).ok()) {
    return Damaged(crypto::kMasterPurposePkiRootCa, "not a self-signed root");
  }
  if (!smime::CheckIssuedBy(issuing->certificate, root->certificate).ok()) {
    return Damaged(crypto::kMasterPurposePkiIssuingCa, "not issued by the root");
  }

  const auto leaf = [&](Loaded& value, std::string_view name, smime::LeafProfile profile,
                        std::string common_name) -> Status {
    if (value) {
      if (!smime::CheckIssuedBy(value->certificate, issuing->certificate).ok()) {
        return Damaged(name, "not issued by the issuing CA");
      }
      return Status::Ok();
    }
    SP_ASSIGN_OR_RETURN(value, smime::IssueLeafWithNewKey(
                                   *issuing, names, {profile, std::move(common_name), {}}, now));
    SP_ASSIGN_OR_RETURN(auto row, Row(name, *value, master));
    created.push_back(std::move(row));
    return Status::Ok();
  };
  SP_RETURN_IF_ERROR(leaf(evidence, crypto::kMasterPurposePkiEvidenceSigner,
                          smime::LeafProfile::kEvidenceSigner,
                          names.organization + " Evidence Signer"));
  SP_RETURN_IF_ERROR(leaf(tsa, crypto::kMasterPurposePkiTsa, smime::LeafProfile::kTimeStamping,
                          names.organization + " TSA"));

  if (!created.empty()) {
    SP_RETURN_IF_ERROR(store.Write([&](store::WriteTxn& tx) -> Status {
      for (const store::PlatformKeyRecord& record : created) {
        SP_RETURN_IF_ERROR(tx.platform().PutPlatformKey(record));
      }
      return Status::Ok();
    }));
  }
  return PlatformPki{std::move(*root), std::move(*issuing), std::move(*evidence), std::move(*tsa)};
}

}  // namespace

Result<PlatformPki> LoadOrCreatePlatformPki(store::Store& store, const keys::MasterKey& master,
                                            const platform::Clock& clock,
                                            const smime::CaNames& names) {
  // Another process sharing the database may be creating the rows at the same time: its insert
  // wins (Conflict here), or it commits between two of our row reads, which look like a partial
  // set (Corruption). Either way a fresh attempt reads its rows; a store that is really damaged
  // answers Corruption every time.
  auto pki = Attempt(store, master, clock.Now(), names);
  for (int retry = 0; retry < 2; ++retry) {
    const ErrorCode code = pki.status().code();
    if (code != ErrorCode::kConflict && code != ErrorCode::kCorruption) break;
    pki = Attempt(store, master, clock.Now(), names);
  }
  return pki;
}

}  // namespace sealpost::trust

#include "pgp/public_key.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "crypto/hash.h"
#include "crypto/secret_bytes.h"
#include "crypto/security_policy.h"
#include "pgp/internal/packet_scan.h"
#include "pgp/internal/rnp_handles.h"
#include "pgp/internal/rnp_keys.h"

namespace sealpost::pgp {

namespace {

using internal::FromRnp;
namespace policy = crypto::policy;

std::atomic<uint64_t> g_imports{0};  // keys read and checked (PublicKeyImports)

constexpr std::string_view kArmorBegin = "-----BEGIN PGP ";

bool LooksArmored(ByteView bytes) {
  const std::string_view text = AsChars(bytes);
  const size_t start = text.find_first_not_of(" \t\r\n");
  return start != std::string_view::npos && text.substr(start).starts_with(kArmorBegin);
}

// The binary form of the key: a wiping copy of the de-armoured bytes, or the input itself.
class BinaryKey final {
 public:
  ~BinaryKey() { crypto::Wipe(copy_); }
  BinaryKey() = default;
  BinaryKey(const BinaryKey&) = delete;
  BinaryKey& operator=(const BinaryKey&) = delete;

  Status From(ByteView bytes) {
    if (!LooksArmored(bytes)) {
      view_ = bytes;
      return Status::Ok();
    }
    SP_ASSIGN_OR_RETURN(internal::Input input, internal::InputOver(bytes));
    SP_ASSIGN_OR_RETURN(internal::Output output, internal::MemoryOutput(bytes.size()));
    const Status dearmored = FromRnp(rnp_dearmor(input.get(), output.get()), "dearmor");
    const ByteView out = internal::OutputBytes(output.get());
    copy_.assign(out.begin(), out.end());
    internal::WipeOutput(output.get());
    SP_RETURN_IF_ERROR(dearmored);
    view_ = copy_;
    return Status::Ok();
  }
  ByteView view() const { return view_; }

 private:
  std::vector<uint8_t> copy_;
  ByteView view_;
};

bool AlgorithmAllowed(const std::string& alg, const std::string& curve, uint32_t bits) {
  const auto& p = policy::kOpenPgp;
  if (std::find(p.public_key_algorithms.begin(), p.public_key_algorithms.end(), alg) ==
      p.public_key_algorithms.end()) {
    return false;
  }
  if (alg == "RSA") return bits >= static_cast<uint32_t>(p.min_rsa_bits);
  return std::find(p.curves.begin(), p.curves.end(), curve) != p.curves.end();
}

struct KeyFacts {
  std::string fingerprint;
  std::string alg;
  std::string curve;
  uint32_t bits = 0;
  uint32_t created = 0;
  uint32_t expiration = 0;  // seconds after creation; 0: never
  bool valid = false;
  bool revoked = false;

  std::string Describe() const {
    return curve.empty() ? fmt::format("{} {}", alg, bits) : fmt::format("{} {}", alg, curve);
  }
  bool ExpiredAt(int64_t now) const {
    return expiration != 0 && int64_t{created} + expiration <= now;
  }
  std::optional<TimePoint> Expires() const {
    if (expiration == 0) return std::nullopt;
    return internal::FromRnpTime(uint64_t{created} + expiration);
  }
};

Result<KeyFacts> FactsOf(rnp_key_handle_t key) {
  KeyFacts f;
  SP_ASSIGN_OR_RETURN(f.fingerprint, internal::Fingerprint(key));
  SP_ASSIGN_OR_RETURN(f.alg, internal::Algorithm(key));
  SP_ASSIGN_OR_RETURN(f.curve, internal::Curve(key));
  SP_ASSIGN_OR_RETURN(f.bits, internal::Bits(key));
  SP_ASSIGN_OR_RETURN(f.created, internal::CreationTime(key));
  SP_ASSIGN_OR_RETURN(f.expiration, internal::ExpirationSeconds(key));
  SP_ASSIGN_OR_RETURN(f.valid, internal::Flag(rnp_key_is_valid, key, "is valid"));
  SP_ASSIGN_OR_RETURN(f.revoked, internal::Flag(rnp_key_is_revoked, key, "is revoked"));
  return f;
}

// A self-signature's hash is weak when it is MD5, or SHA-1 made after the policy's cut-off.
Result<bool> WeakSelfSignature(rnp_signature_handle_t sig, const std::string& primary_keyid) {
  char* raw = nullptr;
  rnp_result_t rc = rnp_signature_get_keyid(sig, &raw);
  internal::RnpString keyid(raw);
  SP_RETURN_IF_ERROR(FromRnp(rc, "signature keyid"));
  if (internal::Str(keyid) != primary_keyid) return false;  // a third-party certification
  raw = nullptr;
  rc = rnp_signature_get_hash_alg(sig, &raw);
  internal::RnpString hash(raw);
  SP_RETURN_IF_ERROR(FromRnp(rc, "signature hash"));
  uint32_t created = 0;
  SP_RETURN_IF_ERROR(FromRnp(rnp_signature_get_creation(sig, &created), "signature creation"));
  const std::string h = internal::Str(hash);
  if (h == "MD5") return true;
  return h == "SHA1" && int64_t{created} > policy::kOpenPgp.sha1_key_signature_cutoff;
}

// Any weak self-signature on the primary key (direct, user IDs) or its subkeys (bindings).
Result<bool> HasWeakSelfSignature(rnp_key_handle_t primary,
                                  const std::vector<internal::Key>& subkeys) {
  char* raw = nullptr;
  const rnp_result_t rc = rnp_key_get_keyid(primary, &raw);
  internal::RnpString keyid_s(raw);
  SP_RETURN_IF_ERROR(FromRnp(rc, "keyid"));
  const std::string keyid = internal::Str(keyid_s);

  auto check_key = [&](rnp_key_handle_t key) -> Result<bool> {
    size_t count = 0;
    SP_RETURN_IF_ERROR(FromRnp(rnp_key_get_signature_count(key, &count), "signature count"));
    for (size_t i = 0; i < count; ++i) {
      rnp_signature_handle_t s = nullptr;
      SP_RETURN_IF_ERROR(FromRnp(rnp_key_get_signature_at(key, i, &s), "signature"));
      internal::Signature sig(s);
      SP_ASSIGN_OR_RETURN(const bool weak, WeakSelfSignature(sig.get(), keyid));
      if (weak) return true;
    }
    return false;
  };
  SP_ASSIGN_OR_RETURN(bool weak, check_key(primary));
  if (weak) return true;
  for (const internal::Key& sub : subkeys) {
    SP_ASSIGN_OR_RETURN(weak, check_key(sub.get()));
    if (weak) return true;
  }
  size_t uids = 0;
  SP_RETURN_IF_ERROR(FromRnp(rnp_key_get_uid_count(primary, &uids), "uid count"));
  for (size_t i = 0; i < uids; ++i) {
    rnp_uid_handle_t u = nullptr;
    SP_RETURN_IF_ERROR(FromRnp(rnp_key_get_uid_handle_at(primary, i, &u), "uid"));
    internal::Uid uid(u);
    size_t count = 0;
    SP_RETURN_IF_ERROR(FromRnp(rnp_uid_get_signature_count(uid.get(), &count), "uid sigs"));
    for (size_t j = 0; j < count; ++j) {
      rnp_signature_handle_t s = nullptr;
      SP_RETURN_IF_ERROR(FromRnp(rnp_uid_get_signature_at(uid.get(), j, &s), "uid sig"));
      internal::Signature sig(s);
      SP_ASSIGN_OR_RETURN(weak, WeakSelfSignature(sig.get(), keyid));
      if (weak) return true;
    }
  }
  return false;
}

// The address a user ID names: the part in the last angle brackets, or the whole text.
std::string_view AddressPart(std::string_view uid) {
  const size_t open = uid.rfind('<');
  const size_t close = uid.rfind('>');
  if (open != std::string_view::npos && close != std::string_view::npos && open < close) {
    return uid.substr(open + 1, close - open - 1);
  }
  const size_t first = uid.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const size_t last = uid.find_last_not_of(" \t");
  return uid.substr(first, last - first + 1);
}

struct UidMatch {
  KeyProblem problem = KeyProblem::kAddressMismatch;
  std::string user_id;
};

Result<UidMatch> MatchUserId(rnp_key_handle_t primary, const EmailAddress& expected) {
  UidMatch match;
  size_t count = 0;
  SP_RETURN_IF_ERROR(FromRnp(rnp_key_get_uid_count(primary, &count), "uid count"));
  for (size_t i = 0; i < count; ++i) {
    rnp_uid_handle_t u = nullptr;
    SP_RETURN_IF_ERROR(FromRnp(rnp_key_get_uid_handle_at(primary, i, &u), "uid"));
    internal::Uid uid(u);
    uint32_t type = 0;
    SP_RETURN_IF_ERROR(FromRnp(rnp_uid_get_type(uid.get(), &type), "uid type"));
    if (type != RNP_USER_ID) continue;
    void* data = nullptr;
    size_t size = 0;
    SP_RETURN_IF_ERROR(FromRnp(rnp_uid_get_data(uid.get(), &data, &size), "uid data"));
    const std::string text(static_cast<const char*>(data), size);
    rnp_buffer_destroy(data);
    auto address = EmailAddress::Parse(AddressPart(text));
    if (!address.ok() || *address != expected) continue;
    bool valid = false;
    bool revoked = false;
    SP_RETURN_IF_ERROR(FromRnp(rnp_uid_is_valid(uid.get(), &valid), "uid valid"));
    SP_RETURN_IF_ERROR(FromRnp(rnp_uid_is_revoked(uid.get(), &revoked), "uid revoked"));
    if (valid && !revoked) return UidMatch{KeyProblem::kNone, text};
    // Remember the most telling reason a matching user ID was not usable.
    if (revoked) {
      match.problem = KeyProblem::kRevoked;
    } else if (match.problem == KeyProblem::kAddressMismatch) {
      match.problem = KeyProblem::kBadSignature;
    }
  }
  return match;
}

KeyImport Refuse(KeyProblem problem, std::string detail) {
  return KeyImport::Refused(problem, std::move(detail));
}

// What the rules say about a whole key, before one address's user ID is looked for: RNP's copy
// of it (its signatures checked once, when first asked), and either the refusal or what an
// accepted key is, less the user ID. One key read for many addresses is checked once.
struct CheckedKey {
  internal::Ffi ffi;
  internal::Key primary;
  std::string primary_fingerprint;
  std::optional<KeyImport> refused;        // a rule before the user ID broken
  std::optional<KeyImport> no_encryption;  // the encryption-key rule broken
  ContactKey contact;                      // otherwise: all but user_id
};

std::unique_ptr<CheckedKey> CheckKey(ByteView binary, TimePoint now) {
  g_imports.fetch_add(1, std::memory_order_relaxed);
  auto out = std::make_unique<CheckedKey>();
  const auto refuse = [&](KeyProblem problem, std::string detail) {
    out->refused.emplace(Refuse(problem, std::move(detail)));
    return std::move(out);
  };
  const auto& limits = policy::kImport;
  auto counts = internal::CountPackets(binary);
  if (!counts.ok()) return refuse(KeyProblem::kNotOpenPgp, counts.status().message());
  if (counts->secret_keys > 0) return refuse(KeyProblem::kSecretKey, "secret key packets");
  if (counts->primary_keys != 1) {
    return refuse(KeyProblem::kNotOpenPgp,
                  fmt::format("{} primary keys (exactly one expected)", counts->primary_keys));
  }
  if (counts->user_ids + counts->user_attributes > limits.max_openpgp_user_ids) {
    return refuse(
        KeyProblem::kTooManyUserIds,
        fmt::format("{} user IDs (at most {})", counts->user_ids + counts->user_attributes,
                    limits.max_openpgp_user_ids));
  }
  if (counts->subkeys > limits.max_openpgp_subkeys) {
    return refuse(
        KeyProblem::kTooManySubkeys,
        fmt::format("{} subkeys (at most {})", counts->subkeys, limits.max_openpgp_subkeys));
  }

  auto ffi = internal::NewFfi(now);
  if (!ffi.ok()) return refuse(KeyProblem::kNotOpenPgp, ffi.status().message());
  out->ffi = std::move(*ffi);
  const Status imported = internal::ImportKeys(out->ffi.get(), binary, RNP_LOAD_SAVE_PUBLIC_KEYS);
  if (!imported.ok()) return refuse(KeyProblem::kNotOpenPgp, imported.message());
  auto primaries = internal::PrimaryKeys(out->ffi.get());
  if (!primaries.ok()) return refuse(KeyProblem::kNotOpenPgp, primaries.status().message());
  if (primaries->size() != 1) {
    return refuse(KeyProblem::kNotOpenPgp,
                  fmt::format("{} primary keys after import", primaries->size()));
  }
  out->primary = std::move(primaries->front());
  rnp_key_handle_t primary = out->primary.get();

  // Everything below reads RNP's view of the key; an FFI failure there means a key RNP could
  // not describe, which is reported as not OpenPGP (with RNP's words in the log).
  auto checked = [&]() -> Status {
    const int64_t now_s = internal::ToRnpTime(now);
    SP_ASSIGN_OR_RETURN(const KeyFacts key, FactsOf(primary));
    out->primary_fingerprint = key.fingerprint;
    SP_ASSIGN_OR_RETURN(const std::vector<internal::Key> subkeys, internal::Subkeys(primary));
    if (!AlgorithmAllowed(key.alg, key.curve, key.bits)) {
      out->refused.emplace(Refuse(KeyProblem::kWeakAlgorithm, "primary key is " + key.Describe()));
      return Status::Ok();
    }
    SP_ASSIGN_OR_RETURN(const bool weak_sig, HasWeakSelfSignature(primary, subkeys));
    if (weak_sig) {
      out->refused.emplace(Refuse(KeyProblem::kWeakAlgorithm, "SHA-1 or MD5 self-signature"));
    } else if (key.revoked) {
      out->refused.emplace(Refuse(KeyProblem::kRevoked, "primary key revoked"));
    } else if (key.ExpiredAt(now_s)) {
      out->refused.emplace(Refuse(KeyProblem::kExpired, "primary key expired"));
    } else if (!key.valid) {
      out->refused.emplace(Refuse(KeyProblem::kBadSignature, "primary key not valid"));
    }
    if (out->refused) return Status::Ok();

    // The encryption key: the newest usable one. Otherwise the most telling reason.
    std::optional<KeyFacts> chosen;
    KeyProblem why = KeyProblem::kNoEncryptionKey;
    auto consider = [&](rnp_key_handle_t k) -> Status {
      SP_ASSIGN_OR_RETURN(const bool encrypts, internal::AllowsUsage(k, "encrypt"));
      if (!encrypts) return Status::Ok();
      SP_ASSIGN_OR_RETURN(const KeyFacts f, FactsOf(k));
      KeyProblem problem = KeyProblem::kNone;
      if (f.revoked) {
        problem = KeyProblem::kRevoked;
      } else if (f.ExpiredAt(now_s)) {
        problem = KeyProblem::kExpired;
      } else if (!AlgorithmAllowed(f.alg, f.curve, f.bits)) {
        problem = KeyProblem::kWeakAlgorithm;
      } else if (!f.valid) {
        problem = KeyProblem::kBadSignature;
      }
      if (problem == KeyProblem::kNone) {
        if (!chosen || f.created > chosen->created) chosen = f;
      } else if (why == KeyProblem::kNoEncryptionKey) {
        why = problem;
      }
      return Status::Ok();
    };
    SP_RETURN_IF_ERROR(consider(primary));
    for (const internal::Key& sub : subkeys) SP_RETURN_IF_ERROR(consider(sub.get()));
    if (!chosen) {
      out->no_encryption.emplace(Refuse(why, "no usable encryption key"));
      return Status::Ok();
    }

    SP_ASSIGN_OR_RETURN(Bytes exported, internal::ExportPublic(primary, false));
    ContactKey& contact = out->contact;
    contact.fingerprint = key.fingerprint;
    contact.algorithm = key.Describe();
    contact.created = internal::FromRnpTime(key.created);
    contact.expires = key.Expires();
    contact.encryption_fingerprint = chosen->fingerprint;
    contact.encryption_algorithm = chosen->Describe();
    contact.encryption_expires = chosen->Expires();
    contact.public_key = std::move(exported);
    return Status::Ok();
  }();
  if (!checked.ok()) return refuse(KeyProblem::kNotOpenPgp, checked.message());
  return out;
}

// The answer for `expected`, in the order of the rules: the key-wide ones before the user ID,
// the user ID, then the encryption key.
KeyImport ForAddress(const CheckedKey& key, const EmailAddress& expected) {
  const auto answer = [&](KeyImport import) {
    return std::move(import).WithRevokedFingerprint(key.primary_fingerprint);
  };
  if (key.refused) return answer(*key.refused);
  auto uid = MatchUserId(key.primary.get(), expected);
  if (!uid.ok()) return answer(Refuse(KeyProblem::kNotOpenPgp, uid.status().message()));
  if (uid->problem != KeyProblem::kNone) {
    return answer(Refuse(uid->problem, "no valid user ID for " + expected.str()));
  }
  if (key.no_encryption) return answer(*key.no_encryption);
  ContactKey contact = key.contact;
  contact.user_id = std::move(uid->user_id);
  return KeyImport::Accepted(std::move(contact));
}

// The size check and the binary form, as every import starts; then CheckKey. Null when refused
// before RNP read anything (`refused` says why).
std::unique_ptr<CheckedKey> ReadAndCheck(ByteView bytes, TimePoint now,
                                         std::optional<KeyImport>& refused) {
  crypto::EnsureInitialized();
  if (bytes.size() > policy::kImport.max_openpgp_key_bytes) {
    refused.emplace(Refuse(
        KeyProblem::kTooLarge,
        fmt::format("{} bytes (at most {})", bytes.size(), policy::kImport.max_openpgp_key_bytes)));
    return nullptr;
  }
  BinaryKey binary;
  const Status read = binary.From(bytes);
  if (!read.ok()) {
    refused.emplace(Refuse(KeyProblem::kNotOpenPgp, read.message()));
    return nullptr;
  }
  if (binary.view().empty()) {
    refused.emplace(Refuse(KeyProblem::kNotOpenPgp, "empty key"));
    return nullptr;
  }
  return CheckKey(binary.view(), now);
}

}  // namespace

std::string_view KeyProblemName(KeyProblem problem) {
  switch (problem) {
    case KeyProblem::kNone:
      return "none";
    case KeyProblem::kTooLarge:
      return "too-large";
    case KeyProblem::kTooManyUserIds:
      return "too-many-user-ids";
    case KeyProblem::kTooManySubkeys:
      return "too-many-subkeys";
    case KeyProblem::kSecretKey:
      return "secret-key";
    case KeyProblem::kNoEncryptionKey:
      return "no-encryption-key";
    case KeyProblem::kRevoked:
      return "revoked";
    case KeyProblem::kExpired:
      return "expired";
    case KeyProblem::kAddressMismatch:
      return "address-mismatch";
    case KeyProblem::kWeakAlgorithm:
      return "weak-algorithm";
    case KeyProblem::kBadSignature:
      return "bad-signature";
    case KeyProblem::kNotOpenPgp:
      return "not-openpgp";
  }
  return "unknown";
}

KeyImport KeyImport::Refused(KeyProblem problem, std::string detail) {
  return KeyImport(problem == KeyProblem::kNone ? KeyProblem::kNotOpenPgp : problem,
                   std::move(detail));
}

Status KeyImport::status() const {
  if (ok()) return Status::Ok();
  std::string message =
      fmt::format("OpenPGP key refused ({}): {}", KeyProblemName(problem_), detail_);
  const bool limit = problem_ == KeyProblem::kTooLarge || problem_ == KeyProblem::kTooManyUserIds ||
                     problem_ == KeyProblem::kTooManySubkeys;
  Status s = limit ? TooLarge(std::move(message)) : InvalidArgument(std::move(message));
  return std::move(s).ShownToClient();
}

uint64_t PublicKeyImports() { return g_imports.load(std::memory_order_relaxed); }

KeyImport ImportPublicKey(ByteView bytes, const EmailAddress& expected, TimePoint now) {
  std::optional<KeyImport> refused;
  const std::unique_ptr<CheckedKey> checked = ReadAndCheck(bytes, now, refused);
  if (refused) return *std::move(refused);
  return ForAddress(*checked, expected);
}

struct PublicKeyImporter::Checked {
  std::unique_ptr<CheckedKey> key;
  std::optional<KeyImport> refused;  // before RNP read it (size, armour)
};

PublicKeyImporter::PublicKeyImporter(TimePoint now) : now_(now) {}
PublicKeyImporter::~PublicKeyImporter() = default;

KeyImport PublicKeyImporter::Import(ByteView bytes, const EmailAddress& expected) {
  const crypto::Digest256 digest = crypto::Sha256(bytes);
  std::string id(reinterpret_cast<const char*>(digest.data()), digest.size());
  auto found = keys_.find(id);
  if (found == keys_.end()) {
    auto checked = std::make_unique<Checked>();
    checked->key = ReadAndCheck(bytes, now_, checked->refused);
    found = keys_.emplace(std::move(id), std::move(checked)).first;
  }
  const Checked& c = *found->second;
  if (c.refused) return *c.refused;
  return ForAddress(*c.key, expected);
}

}  // namespace sealpost::pgp

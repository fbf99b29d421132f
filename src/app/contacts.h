// The key directory's use cases (issue "secure delivery", contacts' keys): a member imports,
// lists, deletes and personally verifies their contacts' S/MIME certificates and OpenPGP keys;
// an administrator does the same for organisation-wide keys (a partner domain's) and manages the
// trust anchors (CA certificates) certificates may chain to. Shared by every front end.
//
// What is validated (docs/key-directory.md): a certificate by smime::ValidateCertificate (chain to
// an anchor — the system bundle, the administrators' anchors, the platform CA — validity,
// emailProtection, the address, key and signature algorithms of crypto/security_policy.h); an
// OpenPGP key by pgp::ImportPublicKey (self-signatures, the address in a user ID, an encryption
// key neither revoked nor expired, allowed algorithms). A certificate that passes every check but
// does not chain is kept with the status "needs-verification" and used only once its owner
// confirmed its fingerprint (Verify). Anything refused is not stored.
//
// SECURITY: the key bytes, ids, addresses and fingerprints are untrusted input from the network.
// Import limits come from crypto/security_policy.h (kImport sizes and counts, kKeyDirectory
// entries); a secret key (an OpenPGP secret key, a PEM private key) is refused before it is
// parsed further and is never stored or logged. Members see and change only their own entries
// (organisation-wide ones they may read); the administrator methods answer PermissionDenied to
// anyone else. Every change is audited in the same transaction. Errors the client may see carry
// the problem's slug ("certificate refused (expired): …"). Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/auth_context.h"
#include "app/key_directory.h"
#include "app/services.h"
#include "smime/trust_anchors.h"
#include "store/keys_store.h"

namespace sealpost::app {

namespace internal {
class ContactAnchors;
struct KeyAssessment;
}  // namespace internal

// What the uploaded bytes are; kAuto sniffs them (PEM armour, DER, OpenPGP packets, mail).
enum class KeyFormat { kAuto, kCertificate, kSignedMail, kOpenPgp };

struct ContactKeyView {
  std::string id;
  std::string address;
  store::ContactKeyKind kind = store::ContactKeyKind::kSmime;
  std::string fingerprint;  // S/MIME: SHA-256 hex; OpenPGP: the primary key's, upper-case hex
  std::string algorithm;
  std::string subject;  // S/MIME: the certificate's subject (RFC 2253), else ""
  std::string issuer;   // S/MIME: its issuer, else ""
  // S/MIME: the ciphers the contact's signed mail announced (store::ContactKeyRecord::
  // smime_capabilities: "aes256-gcm aes256-cbc", "none"), "" when none was seen.
  std::string smime_capabilities;
  TimePoint not_before;
  std::optional<TimePoint> not_after;
  store::ContactKeySource source = store::ContactKeySource::kUpload;
  bool organisation = false;  // organisation-wide (added by an administrator)
  std::string added_by;       // user id
  TimePoint added_at;
  std::optional<TimePoint> verified_at;  // personally verified
  std::optional<TimePoint> revoked_at;   // revoked (Revoke): status "refused", problem "revoked"
  std::string revoked_reason;            // what the revoker said
  std::string status;                    // "trusted", "needs-verification", "refused"
  std::string problem;                   // the slug when refused
};

struct TrustAnchorView {
  std::string id;
  std::string subject;
  std::string fingerprint;  // SHA-256 hex
  TimePoint not_after;
  std::string added_by;
  TimePoint added_at;
};

inline constexpr size_t kMaxRevokeReasonBytes = 500;
// The reason recorded when an uploaded OpenPGP revocation revoked an entry.
inline constexpr const char* kRevocationCertificateReason =
    "the key holder's OpenPGP revocation signature was imported";

std::string_view KindName(store::ContactKeyKind kind);  // "smime", "openpgp"
// "upload", "signed-mail", "seen-in-signed-mail"
std::string_view SourceName(store::ContactKeySource source);

class Contacts final {
 public:
  explicit Contacts(const Services& services, KeyDirectoryOptions options = {});

  // Member: imports a contact's key for `address` ("" : the certificate's one address, or the
  // signed mail's sender; an OpenPGP key needs it). InvalidArgument / TooLarge with the problem's
  // slug when refused; Conflict when the key is there already or the member's limit is reached.
  // An OpenPGP key refused as revoked whose fingerprint is one of the member's entries for the
  // address (the key holder's revocation certificate, imported into their key) revokes that
  // entry instead (reason kRevocationCertificateReason), and its view is returned.
  Result<ContactKeyView> Import(const AuthContext& ctx, ByteView bytes, KeyFormat format,
                                std::string_view address);
  // The member's entries, then the organisation-wide ones, each with its status now.
  Result<std::vector<ContactKeyView>> List(const AuthContext& ctx);
  // One of them; NotFound for anything else.
  Result<ContactKeyView> Get(const AuthContext& ctx, std::string_view id);
  // Removes one of the member's own entries (routing stops using it at once).
  Status Delete(const AuthContext& ctx, std::string_view id);
  // Marks one of the member's own certificates personally verified; `fingerprint` is what the
  // member compared (hex; white space and colons ignored) and must match, compared in constant time
  // (InvalidArgument otherwise). Refused keys cannot be verified.
  Result<ContactKeyView> Verify(const AuthContext& ctx, std::string_view id,
                                std::string_view fingerprint);

  // Revokes one of the member's own entries with a reason (1 to kMaxRevokeReasonBytes of
  // printable text, shown in the listing). The key stays listed, status "refused" (problem
  // "revoked"), and routing stops using it at once. NotFound for anything else; Conflict when
  // revoked already.
  Result<ContactKeyView> Revoke(const AuthContext& ctx, std::string_view id,
                                std::string_view reason);

  // Administrators: organisation-wide keys (used for every member's mail to the address).
  Result<ContactKeyView> ImportOrganisationKey(const AuthContext& ctx, ByteView bytes,
                                               KeyFormat format, std::string_view address);
  Result<std::vector<ContactKeyView>> ListOrganisationKeys(const AuthContext& ctx);
  Status DeleteOrganisationKey(const AuthContext& ctx, std::string_view id);
  Result<ContactKeyView> RevokeOrganisationKey(const AuthContext& ctx, std::string_view id,
                                               std::string_view reason);

  // Administrators: trust anchors. The certificate (PEM or DER, one) must be a CA certificate.
  Result<TrustAnchorView> AddTrustAnchor(const AuthContext& ctx, ByteView bytes);
  Result<std::vector<TrustAnchorView>> ListTrustAnchors(const AuthContext& ctx);
  Status DeleteTrustAnchor(const AuthContext& ctx, std::string_view id);

 private:
  Result<ContactKeyView> ImportFor(const AuthContext& ctx, const std::optional<UserId>& owner,
                                   ByteView bytes, KeyFormat format, std::string_view address);
  Result<ContactKeyView> ViewOf(const store::ContactKeyRecord& key);
  Result<std::vector<ContactKeyView>> ViewsOf(const std::vector<store::ContactKeyRecord>& keys);
  ContactKeyView ViewWith(const store::ContactKeyRecord& key,
                          const std::optional<smime::TrustAnchors>& anchors, TimePoint now) const;
  // The view of `key` judged `assessment` (internal::AssessContactKey's answer for it now).
  ContactKeyView ViewFrom(const store::ContactKeyRecord& key,
                          const internal::KeyAssessment& assessment) const;
  Status DeleteKey(const AuthContext& ctx, const std::optional<UserId>& owner, std::string_view id);
  Result<ContactKeyView> RevokeKey(const AuthContext& ctx, const std::optional<UserId>& owner,
                                   std::string_view id, std::string_view reason);
  // The entry of `owner` for `address` with this OpenPGP fingerprint, revoked now (if it was
  // not); nullopt when there is none.
  Result<std::optional<ContactKeyView>> RevokeByCertificate(const AuthContext& ctx,
                                                            const std::optional<UserId>& owner,
                                                            const EmailAddress& address,
                                                            const std::string& fingerprint);

  Services s_;
  std::shared_ptr<internal::ContactAnchors> anchors_;
};

}  // namespace sealpost::app

#include "app/account_keys.h"

#include "pgp/member_key.h"
#include "smime/platform_ca.h"

namespace sealpost::app {

Result<store::MemberKeysRecord> AccountKeys::Load(const AuthContext& ctx) const {
  auto keys = s_.store.accounts().GetMemberKeys(ctx.user.id);
  if (keys.status().code() == ErrorCode::kNotFound) {
    return NotFound("no certificate or OpenPGP key yet: they are made at the next log-in")
        .ShownToClient();
  }
  return keys;
}

Result<MemberKeysView> AccountKeys::Describe(const AuthContext& ctx) const {
  SP_ASSIGN_OR_RETURN(const store::MemberKeysRecord keys, Load(ctx));
  SP_ASSIGN_OR_RETURN(const smime::Certificate certificate,
                      smime::Certificate::FromDer(keys.smime_certificate));
  MemberKeysView view;
  view.smime_sha256 = certificate.FingerprintHex();
  view.smime_serial = certificate.SerialHex();
  view.smime_subject = certificate.subject();
  view.smime_issuer = certificate.issuer();
  view.smime_not_after = certificate.not_after();
  view.openpgp_fingerprint = keys.openpgp_fingerprint;
  // What pgp::GenerateMemberKey makes, the only kind of member key there is.
  view.openpgp_algorithm = "ed25519/cv25519";
  view.openpgp_user_id = ctx.user.email;
  view.created_at = keys.created_at;
  return view;
}

Result<Bytes> AccountKeys::SmimeCertificateDer(const AuthContext& ctx) const {
  SP_ASSIGN_OR_RETURN(store::MemberKeysRecord keys, Load(ctx));
  return std::move(keys.smime_certificate);
}

Result<std::string> AccountKeys::SmimeCertificatePem(const AuthContext& ctx) const {
  SP_ASSIGN_OR_RETURN(const store::MemberKeysRecord keys, Load(ctx));
  SP_ASSIGN_OR_RETURN(const smime::Certificate certificate,
                      smime::Certificate::FromDer(keys.smime_certificate));
  std::string pem = certificate.ToPem();
  if (s_.pki != nullptr) {
    for (const smime::Certificate& ca : s_.pki->Chain()) pem += ca.ToPem();
  }
  return pem;
}

Result<std::string> AccountKeys::OpenPgpPublicKey(const AuthContext& ctx) const {
  SP_ASSIGN_OR_RETURN(const store::MemberKeysRecord keys, Load(ctx));
  return pgp::ArmorPublicKey(keys.openpgp_public_key);
}

}  // namespace sealpost::app

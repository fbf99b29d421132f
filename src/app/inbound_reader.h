// Reading mail received from outside (app/inbound_mail.h): the mailbox view (app/mailbox.h) plus,
// for S/MIME or OpenPGP mail encrypted to the member, the decrypted content and the signature
// check, done when the member opens it (their private keys are unwrapped with their session's
// UMK for this call only; nothing decrypted is stored).
//
// S/MIME (application/pkcs7-mime enveloped, signed inside: smime::ReadSmime): the signer's
// certificate is validated against the trust anchors the key directory uses (system bundle,
// administrators' anchors, the platform CA): kValid when it chains, kUnknownSigner when the
// signature holds but the certificate does not chain. OpenPGP (PGP/MIME or inline, signed
// inside: pgp::DecryptAndVerify): the signer must be one of the member's contact keys for the
// From: address (their own or organisation-wide, app/contacts.h); kValid when one verifies,
// kUnknownSigner when no key for that address is known (then the content is not opened: RNP's
// verification needs the signer's key), kInvalid when decryption or the signature fails (a
// flipped byte): the content is withheld.
//
// SECURITY: the stored original is untrusted mail, authenticated only as what arrived. Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "app/auth_context.h"
#include "app/mailbox.h"
#include "app/services.h"

namespace sealpost::app {

namespace internal {
class ContactAnchors;
}

struct SignatureCheck {
  enum class State { kValid, kInvalid, kUnknownSigner };
  std::string method;  // "S/MIME" or "OpenPGP"
  State state = State::kInvalid;
  std::string signer;  // the signer's address (S/MIME) or key fingerprint (OpenPGP); may be ""
  std::string detail;  // in plain words, for the member
  // Whether the decrypted content is in the view; when false, it is withheld (not encrypted for
  // the member, changed after signing, or an OpenPGP signer whose key is not known).
  bool content_shown = false;
};

struct InboundView {
  MessageView message;
  // Set for S/MIME and OpenPGP mail (ReceivedFromOutside::protection).
  std::optional<SignatureCheck> signature;
};

class InboundReader final {
 public:
  // `ca_bundle_path`: the system CA bundle S/MIME signers may chain to ("" for none: tests).
  InboundReader(const Services& services, std::string ca_bundle_path);

  // Mailbox::Read, then the protected content opened as above. Any message the caller can read
  // may be given (for others, signature stays empty).
  Result<InboundView> Read(const AuthContext& ctx, std::string_view message_id);

 private:
  Services s_;
  // Parsed once (the system bundle is large), rebuilt when the administrators' anchors change.
  std::shared_ptr<internal::ContactAnchors> anchors_;
};

}  // namespace sealpost::app

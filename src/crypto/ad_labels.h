// The registry of associated-data labels: every purpose string that Sealpost binds into an AEAD
// ciphertext (or a master-key wrap) lives here, once, with what it protects.
//
// Associated data names the purpose and the owning record, so a ciphertext cannot be moved to
// another record or used for another purpose (docs/architecture.md, convention 5). The bytes of
// these strings are part of every stored ciphertext: changing one makes existing data fail to
// open. They are kept exactly as they were first written, including the two older spellings
// (the record labels "sealpost/<what>/v1" and the master-key purposes "<what>" or "<what>/");
// only their C++ names follow one scheme: kAd<What> for record labels, kMasterPurpose<What> for
// the purposes inside kAdMasterWrap. A new label gets a new name here, never a reused string, and
// ad_labels_test.cpp checks that all of them stay distinct.
//
// Form of the associated data (BindAd): label ‖ "|" ‖ part ‖ "|" ‖ part … where the parts are ids
// and addresses of the owning record (none of them contains '|').
//
// The seal statement ("sealpost-seal/v1", app/message_codec.cpp), the audit entry and checkpoint
// domains ("sealpost-audit-entry/v1", "sealpost-audit-checkpoint/v1") separate signatures and
// hashes, not AEAD ciphertexts, and stay with their formats (docs/formats/).
//
// Pure constants; thread-safe.
#pragma once

#include <array>
#include <initializer_list>
#include <string>
#include <string_view>

namespace sealpost::crypto {

// --- Record labels: the first field of the associated data. ----------------------------------

// The user master key wrapped under one of its key-encryption keys (keys/member_keys.h, UmkSlot).
// Parts: slot name ("password", "recovery", "session", "verification"), user id.
inline constexpr std::string_view kAdUmk = "sealpost/umk/v1";
// A member's X25519 secret ‖ Ed25519 seed wrapped under their UMK. Parts: user id.
inline constexpr std::string_view kAdMemberKeys = "sealpost/member-keys/v1";
// A member's S/MIME private key (PKCS#8 DER, ECDSA P-256) wrapped under their UMK
// (keys/member_keys.h, WrapCertifiedKey). Parts: user id.
inline constexpr std::string_view kAdMemberSmimeKey = "sealpost/member-smime-key/v1";
// A member's OpenPGP transferable secret key (Ed25519 + Cv25519, unprotected, binary) wrapped
// under their UMK (keys/member_keys.h, WrapCertifiedKey). Parts: user id.
inline constexpr std::string_view kAdMemberOpenPgpKey = "sealpost/member-openpgp-key/v1";
// A message's data key wrapped under its sender's UMK for their Sent copy.
// Parts: message id, owner id.
inline constexpr std::string_view kAdOwnCopyKey = "sealpost/own-copy-key/v1";
// A message's summary (parties, subject, attachment keys, digests, seal) under its data key.
// Parts: message id, sender id.
inline constexpr std::string_view kAdMessageSummary = "sealpost/message-summary/v1";
// A message's body (text and HTML) under its data key. Parts: message id, sender id.
inline constexpr std::string_view kAdMessageBody = "sealpost/message-body/v1";
// A message's data key wrapped for a guest under the key of the pickup link.
// Parts: message id, guest address.
inline constexpr std::string_view kAdPickupKey = "sealpost/pickup-key/v1";
// A message's data key wrapped under a guest's pickup-token key. Parts: pickup lookup.
inline constexpr std::string_view kAdPickupToken = "sealpost/pickup-token/v1";
// A guest's upload key blob wrapped under their pickup-token key. Parts: upload id, pickup lookup.
inline constexpr std::string_view kAdPickupUpload = "sealpost/pickup-upload/v1";
// A guest address's X25519 secret key wrapped under the key argon2id derives from its MUC
// (keys/pickup_keys.h). Parts: guest address.
inline constexpr std::string_view kAdGuestAddressKey = "sealpost/guest-address-key/v1";
// A guest address's X25519 secret key wrapped under a pickup-token key, for enrolment.
// Parts: pickup lookup.
inline constexpr std::string_view kAdPickupTokenAddressKey = "sealpost/pickup-token-address-key/v1";
// Not associated data but the domain label of the key that wraps a pickup's data key: keyed
// BLAKE2b of the link key over this label ‖ the pickup's share (crypto::CombineSecrets). No parts.
inline constexpr std::string_view kAdPickupShareKey = "sealpost/pickup-share-key/v1";
// Every chunk of an attachment blob (secretstream, docs/formats/blob.md). Parts: blob id.
inline constexpr std::string_view kAdBlob = "sealpost/blob/v1";
// A platform secret wrapped under the master key (keys/master_key.h). Parts: one purpose below.
inline constexpr std::string_view kAdMasterWrap = "sealpost/master-wrap/v1";
// A message being received over SMTP, spooled to a temporary file under a key held only in
// memory (app/internal/message_spool.h). Parts: the spool file's random name.
inline constexpr std::string_view kAdSmtpSpool = "sealpost/smtp-spool/v1";
// An attachment's upload key blob made by the relay gateway for one send, under a key held only
// in memory (app/gateway_author.h). Parts: upload id.
inline constexpr std::string_view kAdGatewayUpload = "sealpost/gateway-upload/v1";

// --- Master-key purposes: the part after kAdMasterWrap. -------------------------------------
// Those ending in '/' are followed by the owning record's id.

// A member's TOTP seed. Followed by the user id.
inline constexpr std::string_view kMasterPurposeTotp = "totp/";
// A queued outbound mail (it holds pickup links). Followed by the mail job id.
inline constexpr std::string_view kMasterPurposeOutboundMail = "outbound-mail/";
// A queued secure copy (S/MIME, OpenPGP or enforced-TLS RFC 5322 bytes; app/secure_delivery.h).
// Followed by the copy's id.
inline constexpr std::string_view kMasterPurposeSecureCopy = "secure-copy/";
// The platform's Ed25519 seed that seals portal replies; also its platform_keys row name.
inline constexpr std::string_view kMasterPurposeGuestSeal = "guest-seal";
// The platform's Ed25519 seed that seals mail received from outside (app/inbound_seal.h); also
// its platform_keys row name.
inline constexpr std::string_view kMasterPurposeInboundSeal = "inbound-seal";
// The audit log's Ed25519 signing seed; also its platform_keys row name.
inline constexpr std::string_view kMasterPurposeAuditSigning = "audit-signing";

// The HMAC key that tags bounce addresses (delivery/bounce_address.h); also its platform_keys
// row name (no public part).
inline constexpr std::string_view kMasterPurposeBounceTag = "bounce-tag";
// The platform's Ed25519 seed that seals mail the relay face takes from the organisation's mail
// server on a member's behalf (app/gateway_author.h); also its platform_keys row name.
inline constexpr std::string_view kMasterPurposeGatewaySeal = "gateway-seal";

// The platform PKI's private keys as PKCS#8 (trust/platform_pki.h); each is also the name of its
// platform_keys row, whose public part holds the certificate (docs/formats/platform-pki.md).
inline constexpr std::string_view kMasterPurposePkiRootCa = "pki-root-ca";
inline constexpr std::string_view kMasterPurposePkiIssuingCa = "pki-issuing-ca";
inline constexpr std::string_view kMasterPurposePkiEvidenceSigner = "pki-evidence-signer";
inline constexpr std::string_view kMasterPurposePkiTsa = "pki-tsa";

// Every label and purpose above, for tests and documentation.
inline constexpr std::array<std::string_view, 17> kAllAdLabels = {kAdUmk,
                                                                  kAdMemberKeys,
                                                                  kAdMemberSmimeKey,
                                                                  kAdMemberOpenPgpKey,
                                                                  kAdOwnCopyKey,
                                                                  kAdMessageSummary,
                                                                  kAdMessageBody,
                                                                  kAdPickupKey,
                                                                  kAdPickupToken,
                                                                  kAdPickupUpload,
                                                                  kAdGuestAddressKey,
                                                                  kAdPickupTokenAddressKey,
                                                                  kAdPickupShareKey,
                                                                  kAdBlob,
                                                                  kAdMasterWrap,
                                                                  kAdSmtpSpool,
                                                                  kAdGatewayUpload};
inline constexpr std::array<std::string_view, 12> kAllMasterPurposes = {
    kMasterPurposeTotp,         kMasterPurposeOutboundMail,      kMasterPurposeSecureCopy,
    kMasterPurposeGuestSeal,    kMasterPurposeAuditSigning,      kMasterPurposePkiRootCa,
    kMasterPurposePkiIssuingCa, kMasterPurposePkiEvidenceSigner, kMasterPurposePkiTsa,
    kMasterPurposeInboundSeal,  kMasterPurposeBounceTag,         kMasterPurposeGatewaySeal};

// label ‖ "|" ‖ parts[0] ‖ "|" ‖ parts[1] … — the associated data of one record.
inline std::string BindAd(std::string_view label, std::initializer_list<std::string_view> parts) {
  std::string out(label);
  for (std::string_view part : parts) {
    out += '|';
    out += part;
  }
  return out;
}

}  // namespace sealpost::crypto

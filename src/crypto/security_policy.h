// The one security-policy table (docs/architecture.md, convention 8): which algorithms, key sizes
// and protocol versions Sealpost accepts and uses for S/MIME, OpenPGP, its own PKI and outbound
// TLS, each with where the choice comes from and when it was adopted. Code that validates or makes
// a certificate, key or connection reads its limits here and nowhere else; a change of policy is a
// change of this file (and of the tests that pin it).
//
// The TLS servers (HTTPS in http/internal/tls_policy.cpp, SMTP in smtp/internal/tls_context.cpp)
// take their cipher strings and groups from kTlsServer below; the OpenSSL option flags that go
// with them are set beside each server (they need OpenSSL's headers).
//
// Pure constants; thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sealpost::crypto::policy {

// Dates are Unix seconds (UTC) so that the table stays constexpr.
inline constexpr int64_t kUnix2019_01_19 = 1547856000;  // 2019-01-19T00:00:00Z
inline constexpr int64_t kUnix2024_01_19 = 1705622400;  // 2024-01-19T00:00:00Z

// --- Limits on keys and certificates that users import (the key directory). ----------------

struct ImportLimits {
  std::string_view source;
  size_t max_certificate_bytes;  // one certificate, or one .p7b/.p7s bundle, PEM or DER
  size_t max_certificates_in_bundle;
  size_t max_openpgp_key_bytes;  // one transferable public key, armoured or binary
  size_t max_openpgp_user_ids;   // more than this: refused (keys with 100,000 UIDs exist)
  size_t max_openpgp_subkeys;
  size_t max_signed_mail_bytes;  // a signed .eml offered for its signer's certificate
};

inline constexpr ImportLimits kImport = {
    "Sealpost 2026-12: sizes that fit every real certificate and key with a wide margin",
    /*max_certificate_bytes=*/64 * 1024,
    /*max_certificates_in_bundle=*/16,
    /*max_openpgp_key_bytes=*/256 * 1024,
    /*max_openpgp_user_ids=*/64,
    /*max_openpgp_subkeys=*/32,
    /*max_signed_mail_bytes=*/1024 * 1024,
};

// How many entries the key directory keeps (app/contacts.h): a bound on what one member or the
// administration can make the store hold and every routing look-up scan.
struct KeyDirectoryLimits {
  std::string_view source;
  size_t max_keys_per_member;    // live contact keys one member imported
  size_t max_organisation_keys;  // live organisation-wide keys (administrators)
  size_t max_trust_anchors;      // CA certificates administrators added
};

inline constexpr KeyDirectoryLimits kKeyDirectory = {
    "Sealpost 2026-12: far above a member's address book of certificates, small enough to list",
    /*max_keys_per_member=*/1000,
    /*max_organisation_keys=*/10000,
    /*max_trust_anchors=*/200,
};

// How many enforced-TLS partners and TLS-only rules administrators may keep in the store
// (app/tls_partners.h); the config file has its own bound (cmd/tls_partner_config.h).
struct TlsPartnerLimits {
  std::string_view source;
  size_t max_partners;        // partner domains added through the admin API
  size_t max_tls_only_rules;  // domains where TLS-only delivery is forbidden
};

inline constexpr TlsPartnerLimits kTlsPartnerTable = {
    "Sealpost 2026-12: the config file's bound, small enough to list in one page",
    /*max_partners=*/10000,
    /*max_tls_only_rules=*/10000,
};

// --- E-mail messages parsed from outside (mime/message_parser.h). ---------------------------
//
// What the SMTP gateway receives and what S/MIME and OpenPGP decrypt is parsed with GMime, which
// builds the whole MIME tree in memory and descends into nested parts recursively: without
// bounds a small hostile message could exhaust memory, stack or CPU. Real mail stays far inside
// these (a message of the web UI has at most 100 attachments: app::Limits).

struct MimeParseLimits {
  std::string_view source;
  size_t max_message_bytes;       // the whole message, as received or decrypted
  size_t max_header_fields;       // all header fields of all parts together
  size_t max_header_field_bytes;  // one field, folded lines included
  size_t max_depth;               // nesting of multipart and message/rfc822 parts (top = 1)
  size_t max_parts;               // every MIME entity, containers included
  // A message parsed where it lies (mime/streamed_message.h: the SMTP gateway's spool): GMime
  // keeps part contents as ranges of the file, so size costs disk and time, not memory.
  uint64_t max_streamed_message_bytes;
  size_t max_streamed_body_bytes;  // a text or HTML body (or signature) read into memory, encoded
};

inline constexpr MimeParseLimits kMimeParse = {
    "Sealpost 2026-12: 64 MiB is above the 50 MB many providers accept and parses in 0.25 s "
    "and under 300 MB (measured, 2 cores); Sealpost's own messages nest 3 deep and hold at most "
    "104 entities (mixed, alternative, text, HTML, 100 attachments: app::Limits), so 20 and 500 "
    "leave room for forwarded mail; streamed: 1 GiB holds a 100 MiB attachment many times over "
    "(base64: x 1.37) and parses in constant memory, 16 MiB of encoded body is 5 times the "
    "1 MiB text the web UI sends, quoted-printable at its worst",
    /*max_message_bytes=*/64 * 1024 * 1024,
    /*max_header_fields=*/5000,
    /*max_header_field_bytes=*/256 * 1024,
    /*max_depth=*/20,
    /*max_parts=*/500,
    /*max_streamed_message_bytes=*/1024ull * 1024 * 1024,
    /*max_streamed_body_bytes=*/16 * 1024 * 1024,
};

// --- Delivery status notifications (RFC 3464) for mail Sealpost sent (mime/delivery_status.h).
// A report comes from any mail server on the way (or anyone who can reach the bounce address),
// so what is read from it is bounded: the report as a whole by kMimeParse (a bounce may return
// the whole message), the per-recipient groups, and each value (shown to the sender).

struct DeliveryReportLimits {
  std::string_view source;
  size_t max_recipients;   // per-recipient field groups read from one report
  size_t max_value_bytes;  // one field value after unfolding; longer ones are cut (UTF-8 whole)
};

inline constexpr DeliveryReportLimits kDeliveryReport = {
    "Sealpost 2026-12: Sealpost sends each copy to one recipient and system mail to one; 100 "
    "leaves room for a relay that batches; 1,000 octets hold any real Diagnostic-Code (RFC 5321 "
    "limits a reply line to 512)",
    /*max_recipients=*/100,
    /*max_value_bytes=*/1000,
};

// --- S/MIME (RFC 8551, RFC 8550) and X.509 validation. -----------------------------------

struct SmimePolicy {
  std::string_view source;
  int min_rsa_bits;                        // RSA keys below this are refused
  std::array<std::string_view, 2> curves;  // OpenSSL group names of the EC keys accepted
  // Signature digests accepted in certificates and CMS signatures (no MD5, no SHA-1).
  std::array<std::string_view, 3> digests;
  std::string_view sign_digest;  // what Sealpost signs with
  // Content encryption: AuthEnvelopedData with AES-256-GCM (RFC 5083/5084) when the recipient
  // allows it, otherwise EnvelopedData with AES-256-CBC (the signature inside gives integrity).
  std::string_view preferred_cipher;
  std::string_view fallback_cipher;
  bool rsa_oaep;  // RSA key transport with OAEP (RFC 8017), never v1.5
  // Whether a recipient whose capabilities are unknown (no signed mail of theirs seen) gets
  // AuthEnvelopedData. Not yet: not every deployed client reads AuthEnvelopedData (RFC 5083,
  // 2007), and a message the recipient cannot open is a failed delivery; they get
  // EnvelopedData with AES-256-CBC around our signature until they announce AES-256-GCM.
  bool gcm_when_capabilities_unknown;
};

inline constexpr SmimePolicy kSmime = {
    "RFC 8551 section 2.7 and BSI TR-02102-1 (2024); adopted 2026-12",
    /*min_rsa_bits=*/2048,
    /*curves=*/{"prime256v1", "secp384r1"},
    /*digests=*/{"SHA256", "SHA384", "SHA512"},
    /*sign_digest=*/"SHA256",
    /*preferred_cipher=*/"AES-256-GCM",
    /*fallback_cipher=*/"AES-256-CBC",
    /*rsa_oaep=*/true,
    /*gcm_when_capabilities_unknown=*/false,
};

// --- Secure copies for other domains (delivery/secure_copy.h): S/MIME and PGP/MIME mail. -----
//
// One copy per recipient is built in memory: the payload is base64 inside (attachments), signed
// and base64'd again, encrypted and base64'd once more, so a copy is about 2.6 times its
// attachments. The payload must stay within kMimeParse so that every reader Sealpost itself runs
// (and the recipient's, which have similar bounds) can open it.

struct SecureCopyPolicy {
  std::string_view source;
  size_t max_payload_bytes;  // the cryptographic payload (the MIME message that is signed)
  size_t max_message_bytes;  // the finished copy handed to SMTP
  size_t max_attachments;    // as app::Limits allows a message of the web UI
};

inline constexpr SecureCopyPolicy kSecureCopy = {
    "Sealpost 2026-12: kMimeParse bounds the payload; 96 MiB fits a 32 MiB payload after two "
    "more base64 layers (x 1.37 each) and the CMS/armour overhead",
    /*max_payload_bytes=*/32 * 1024 * 1024,
    /*max_message_bytes=*/96 * 1024 * 1024,
    /*max_attachments=*/100,
};

// --- OpenPGP (RFC 4880 as GnuPG 2.2 and Sequoia speak it; RNP 0.16). ----------------------

struct OpenPgpPolicy {
  std::string_view source;
  int min_rsa_bits;
  // RNP algorithm names accepted for primary keys and subkeys. Refused: DSA, ElGamal.
  std::array<std::string_view, 4> public_key_algorithms;
  // RNP curve names accepted for ECC keys.
  std::array<std::string_view, 5> curves;
  // SHA-1 self-signatures (binding and certification) made after this date are not accepted;
  // older ones are, as GnuPG and RNP do, so long-lived keys made before then still import.
  int64_t sha1_key_signature_cutoff;
  // SHA-1 data signatures made after this date are not accepted.
  int64_t sha1_data_signature_cutoff;
  std::string_view cipher;  // what Sealpost encrypts with (integrity-protected, SEIPD v1)
  std::string_view hash;    // what Sealpost signs with
};

inline constexpr OpenPgpPolicy kOpenPgp = {
    "RNP 0.16 security profile defaults (src/lib/sec_profile.cpp) and RFC 9580 section 12; "
    "adopted 2026-12",
    /*min_rsa_bits=*/2048,
    /*public_key_algorithms=*/{"RSA", "EDDSA", "ECDH", "ECDSA"},
    /*curves=*/{"Ed25519", "Curve25519", "NIST P-256", "NIST P-384", "NIST P-521"},
    /*sha1_key_signature_cutoff=*/kUnix2024_01_19,
    /*sha1_data_signature_cutoff=*/kUnix2019_01_19,
    /*cipher=*/"AES256",
    /*hash=*/"SHA256",
};

// --- The platform's own PKI (root, issuing CA, member, evidence and TSA certificates). -------

struct PkiPolicy {
  std::string_view source;
  std::string_view key_curve;  // every platform-issued key: ECDSA on this curve
  std::string_view digest;     // signature digest of every certificate Sealpost issues
  int root_validity_days;
  int issuing_validity_days;
  int leaf_validity_days;  // member S/MIME, evidence signer, TSA
};

inline constexpr PkiPolicy kPki = {
    "CA/Browser Forum S/MIME Baseline Requirements 1.0 (validity) and RFC 5480; adopted 2026-12",
    /*key_curve=*/"prime256v1",
    /*digest=*/"SHA256",
    /*root_validity_days=*/20 * 365,
    /*issuing_validity_days=*/10 * 365,
    /*leaf_validity_days=*/825,
};

// --- The RFC 3161 time-stamping authority (receipts/tsa.h). ---------------------------------

struct TsaPolicy {
  std::string_view source;
  // Message-imprint hash algorithms accepted in a TimeStampReq (OpenSSL names); anything else is
  // answered with a rejection (badAlg).
  std::array<std::string_view, 3> imprint_digests;
  std::string_view sign_digest;  // the token's signature and its ESSCertIDv2 (RFC 5816)
  size_t max_query_bytes;        // a TimeStampReq is about 100 bytes; larger ones are refused
};

inline constexpr TsaPolicy kTsa = {
    "RFC 3161, RFC 5816 (ESSCertIDv2), ETSI EN 319 422 with ETSI TS 119 312 hashes; adopted "
    "2026-12",
    /*imprint_digests=*/{"SHA256", "SHA384", "SHA512"},
    /*sign_digest=*/"SHA256",
    /*max_query_bytes=*/64 * 1024,
};

// --- Signed receipts (receipts/receipt_issuer.h, docs/formats/receipt.md). -----------------

struct ReceiptPolicy {
  std::string_view source;
  std::string_view digest;   // CMS message digest, ESSCertIDv2 and the time-stamp imprint
  size_t max_receipt_bytes;  // a receipt is a few KiB; the verifier refuses larger input
};

inline constexpr ReceiptPolicy kReceipts = {
    "RFC 5652 CMS, RFC 5035 signing-certificate-v2, RFC 3161 appendix A (CAdES-T, ETSI EN 319 "
    "122-1) with ETSI TS 119 312 hashes; adopted 2026-12",
    /*digest=*/"SHA256",
    /*max_receipt_bytes=*/1 << 20,
};

// --- Evidence packages (receipts/evidence_package.h, docs/formats/evidence-package.md). ----
//
// A package is built in memory for one download, so its inputs are bounded. A receipt is about
// 5 KiB; 4096 of them cover 512 recipients with all eight events each. A message with more
// recipients than that is packaged per recipient.

struct EvidencePackagePolicy {
  std::string_view source;
  size_t max_message_bytes;       // message.eml, the sender's signed EML
  size_t max_seal_bytes;          // the seal file (an Ed25519 signature is 64 bytes)
  size_t max_receipts;            // receipts in one package
  size_t max_receipts_bytes;      // all receipts together (each also within kReceipts)
  size_t max_display_names;       // address -> name pairs shown in the report
  size_t max_display_name_bytes;  // one name, UTF-8
};

inline constexpr EvidencePackagePolicy kEvidencePackage = {
    "Sealpost 2026-12: the message limit of kMimeParse, 4096 receipts (512 recipients x 8 events "
    "of ETSI EN 319 522-1), 64 MiB of receipts",
    /*max_message_bytes=*/64 * 1024 * 1024,
    /*max_seal_bytes=*/64 * 1024,
    /*max_receipts=*/4096,
    /*max_receipts_bytes=*/64 * 1024 * 1024,
    /*max_display_names=*/4096,
    /*max_display_name_bytes=*/256,
};

// --- Audit exports (receipts/audit_export.h, docs/formats/audit-export.md). ---------------
//
// An export is built in memory for one download and read whole by `sealpost verify export`.
// It lists every log entry of its index range (the ones outside the filter by leaf hash only,
// about 70 bytes a line), so the range is bounded; a larger one is exported in parts.

struct AuditExportPolicy {
  std::string_view source;
  uint64_t max_range_entries;  // log entries in one export's index range
  size_t max_export_bytes;     // the JSON Lines file the verifier reads
  size_t max_line_bytes;       // one line (a leaf's details are at most 64 KiB)
};

inline constexpr AuditExportPolicy kAuditExport = {
    "Sealpost 2026-12: 200,000 entries (about 14 MiB of hash lines), leaf limits of "
    "tlog/log_entry.h",
    /*max_range_entries=*/200'000,
    /*max_export_bytes=*/512u * 1024 * 1024,
    /*max_line_bytes=*/512u * 1024,
};

// --- TLS, outbound (enforced TLS to partner domains) and the protocol floor. ---------------

struct TlsClientPolicy {
  std::string_view source;
  int min_version;  // TLS1_2_VERSION (0x0303); written as the number to keep OpenSSL out
  std::string_view tls12_cipher_list;
};

inline constexpr TlsClientPolicy kTls = {
    "RFC 9325 (BCP 195, 2022) section 4; adopted 2026-12",
    /*min_version=*/0x0303,
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
};

// --- TLS, inbound: what Sealpost's servers (HTTPS, SMTP) accept. ----------------------------
// Mozilla Server Side TLS guidelines (https://wiki.mozilla.org/Security/Server_Side_TLS),
// "intermediate" configuration, version 5 as published in 2023, narrowed to ECDHE key exchange
// (its DHE-RSA suites dropped). TLS 1.2 minimum, 1.3 preferred; TLS 1.2 only ECDHE with AEAD.
// Null-terminated (string literals): handed to OpenSSL as C strings.

struct TlsServerPolicy {
  std::string_view source;
  int min_version;  // TLS1_2_VERSION (0x0303)
  std::string_view tls12_cipher_list;
  std::string_view tls13_ciphersuites;
  std::string_view groups;  // key-exchange groups, preferred first
};

inline constexpr TlsServerPolicy kTlsServer = {
    "Mozilla Server Side TLS intermediate v5 (2023), ECDHE only; adopted 2026-11",
    /*min_version=*/0x0303,
    kTls.tls12_cipher_list,
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
    "X25519:prime256v1:secp384r1",
};

}  // namespace sealpost::crypto::policy

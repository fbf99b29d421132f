// The two halves of producing escrowed messages (app/escrow.h; format
// docs/formats/escrow-export.md).
//
// ExportEscrow runs on the server and needs no secret: it copies, for the messages selected, what
// the store holds in sealed form (encrypted summary and body, the escrow wrap, the attachments'
// encrypted blobs) plus the metadata needed to open them (ids, the sender's verify key), and
// writes manifest.json last, so a directory without it is not an export. Each export is audited
// (escrow.exported), as a pending log event a running server's sequencer takes up.
//
// OpenEscrowExport runs offline at the organisation with the escrow private key: it opens each
// wrap, decrypts, checks the sender's seal and writes one .eml per message (mime::BuildMessage,
// attachments included; for mail from outside, app/inbound_mail.h, the original as it arrived,
// sealed by the inbound gateway's key). A message that does not open (wrong key, altered bytes)
// gets no .eml and counts as failed; nothing is shown from it.
//
// SECURITY: OpenEscrowExport reads an export that passed through other hands: every file is
// untrusted (size-bounded, its SHA-256 checked against the manifest, every ciphertext
// authenticated). The seal check proves that the Ed25519 key named in the export signed the
// message's summary (parties, subject, time, body and attachment digests); that this key is the
// sender's is as good as the server's record of it (compare it with the key directory or the
// transparency log when that matters). Not thread-safe across calls on the same directory.
#pragma once

#include <optional>
#include <string>

#include "blob/raw_blob_store.h"
#include "core/status.h"
#include "core/time.h"
#include "crypto/sealed_box.h"
#include "crypto/secret_string.h"
#include "platform/filesystem.h"
#include "store/store.h"

namespace sealpost::app {

inline constexpr const char* kEscrowExportFormat = "sealpost-escrow-export/1";

struct EscrowExportRequest {
  std::string domain;
  std::optional<TimePoint> from;      // created at or after
  std::optional<TimePoint> to;        // created before
  std::optional<std::string> member;  // a member's address: what they sent or received
  std::string out_dir;                // created; must not hold an export already
  // Who exported, for the audit event escrow.exported (recorded once the manifest is written,
  // with the domain as subject and the filter and counts as details; never content).
  std::string actor = "cli";
};

struct EscrowExportResult {
  int64_t messages = 0;
  int64_t attachments = 0;
  int64_t shredded = 0;  // selected, but their content was shredded by retention: left out
};

Result<EscrowExportResult> ExportEscrow(store::Store& store, blob::RawBlobStore& blobs,
                                        platform::Filesystem& fs,
                                        const EscrowExportRequest& request, TimePoint now);

struct EscrowOpenResult {
  int64_t opened = 0;                 // .eml written
  int64_t seal_broken = 0;            // of those, whose seal did not verify (marked in the .eml)
  int64_t failed = 0;                 // did not open: no .eml
  std::vector<std::string> failures;  // "<message id>: <why>", for the operator
};

Result<EscrowOpenResult> OpenEscrowExport(const crypto::BoxKeyPair& key, platform::Filesystem& fs,
                                          const std::string& in_dir, const std::string& out_dir);

// The private key file `sealpost escrow keygen` writes: one line "sealpost-escrow-key-1:" and the
// base64 of the 32-byte X25519 private key. InvalidArgument when the text is not that.
crypto::SecretString FormatEscrowPrivateKey(const crypto::BoxKeyPair& key);
Result<crypto::BoxKeyPair> ParseEscrowPrivateKey(std::string_view text);

}  // namespace sealpost::app

// An upload's key blob: what reading an attachment takes, kept sealed for its uploader between the
// upload and the message that uses it (docs/formats/blob.md, "Upload key blob").
//
//   offset  size  field
//   0       32    blob key (the blob's secretstream key, crypto::BlobKey)
//   32      32    SHA-256 of the attachment's plaintext
//
// The serialised form is secret (it holds the key) and is only ever sealed: to the member's X25519
// key (uploads.sealed_key) or under a guest's pickup-token key. Pure; thread-safe; move-only.
#pragma once

#include <cstddef>

#include "core/encoding.h"
#include "core/status.h"
#include "crypto/hash.h"
#include "crypto/key_roles.h"
#include "crypto/secret_bytes.h"

namespace sealpost::keys {

class UploadKeyBlob final {
 public:
  static constexpr size_t kBlobKeyOffset = 0;
  static constexpr size_t kBlobKeyBytes = 32;
  static constexpr size_t kDigestOffset = kBlobKeyOffset + kBlobKeyBytes;
  static constexpr size_t kDigestBytes = 32;
  static constexpr size_t kBytes = kDigestOffset + kDigestBytes;

  UploadKeyBlob(crypto::BlobKey blob_key, const crypto::Digest256& plaintext_digest)
      : blob_key_(std::move(blob_key)), digest_(plaintext_digest) {}

  // Exactly kBytes in the layout above; Corruption otherwise (the bytes come from an opened seal,
  // so a wrong size means damaged data, not a client's mistake).
  static Result<UploadKeyBlob> Parse(ByteView serialized);
  crypto::SecretBytes Serialize() const;

  const crypto::BlobKey& blob_key() const { return blob_key_; }
  const crypto::Digest256& plaintext_digest() const { return digest_; }
  // The key, for the message summary that takes over the upload.
  crypto::BlobKey TakeBlobKey() && { return std::move(blob_key_); }

 private:
  crypto::BlobKey blob_key_;
  crypto::Digest256 digest_;
};

}  // namespace sealpost::keys

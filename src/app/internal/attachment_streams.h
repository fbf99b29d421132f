// The two streams behind attachments: an upload that encrypts into a blob as it arrives, and a
// download reader that checks the sealed digest before it lets the last byte go. Internal to
// app/; Mailbox hands them out through the UploadSession and BlobReader interfaces.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "app/auth_context.h"
#include "app/mailbox.h"
#include "app/services.h"
#include "blob/blob_store.h"
#include "crypto/hash.h"

namespace sealpost::app::internal {

inline constexpr const char* kIntegrityFailure = "message failed its integrity check";

// Whom an upload belongs to until a message uses it, and how its key blob is kept for them.
struct UploadOwner {
  UserId owner_id;
  std::string actor;  // for the audit log
  // Protects the serialised key blob (keys/upload_key_blob.h: blob key ‖ digest) so that only the
  // owner can use the upload; bound to the upload's id.
  std::function<Result<Bytes>(const UploadId&, const crypto::SecretBytes& key_blob)> seal_key;
};

// A member's upload: the key blob sealed to their X25519 key.
UploadOwner MemberUploadOwner(const store::UserRecord& user);

// Starts encrypting an upload into a new blob in constant memory; Finish() records it for
// `owner`. TooLarge when `declared_size` is over the limit.
Result<std::unique_ptr<UploadSession>> BeginBlobUpload(const Services& s, UploadOwner owner,
                                                       std::optional<uint64_t> declared_size);

// Passes `inner` through but withholds the final byte until the plaintext matched
// `expected_digest`; any mismatch or read failure is Corruption.
std::unique_ptr<blob::BlobReader> MakeDigestCheckingReader(std::unique_ptr<blob::BlobReader> inner,
                                                           Bytes expected_digest);

}  // namespace sealpost::app::internal

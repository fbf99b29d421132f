// The two streams behind attachments: an upload that encrypts into a blob as it arrives, and a
// download reader that checks the sealed digest before it lets the last byte go. Internal to
// app/; Mailbox hands them out through the UploadSession and BlobReader interfaces.
#pragma once

#include <memory>

#include "app/auth_context.h"
#include "app/mailbox.h"
#include "app/services.h"
#include "blob/blob_store.h"
#include "crypto/hash.h"

namespace sealpost::app::internal {

inline constexpr const char* kIntegrityFailure = "message failed its integrity check";
// What an upload's sealed box holds: the blob's data key ‖ SHA-256 of the plaintext.
inline constexpr size_t kUploadKeyBlob = 32 + 32;

// Encrypts an upload into a new blob in constant memory; Finish() records it for `ctx`'s user.
std::unique_ptr<UploadSession> MakeBlobUploadSession(const Services& s, const AuthContext& ctx,
                                                     BlobId blob_id, crypto::AeadKey key,
                                                     std::unique_ptr<blob::BlobWriter> writer);

// Passes `inner` through but withholds the final byte until the plaintext matched
// `expected_digest`; any mismatch or read failure is Corruption.
std::unique_ptr<blob::BlobReader> MakeDigestCheckingReader(std::unique_ptr<blob::BlobReader> inner,
                                                           Bytes expected_digest);

}  // namespace sealpost::app::internal

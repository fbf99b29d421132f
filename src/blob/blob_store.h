// Encrypted blob storage for message bodies and attachments (docs/architecture.md).
//
// A blob is written as a libsodium secretstream under a blob key the caller supplies (the store
// never sees keys it could keep); associated data binds every chunk to the blob id, so a blob
// cannot be swapped for another. Writers stream in constant memory and publish the blob only on
// Commit (write, fsync, rename): an aborted or crashed upload leaves nothing under a final name.
// Readers authenticate each chunk before returning it and report truncation as Unauthenticated.
// Byte layout: docs/formats/blob.md.
//
// Thread-safe store; writer and reader objects are used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/ids.h"
#include "core/status.h"
#include "crypto/key_roles.h"
#include "platform/filesystem.h"

namespace sealpost::blob {

inline constexpr size_t kChunkBytes = 64 * 1024;  // plaintext per secretstream message

class BlobWriter {
 public:
  virtual ~BlobWriter() = default;
  // A failed Write (a full disk) ends the writer: what it wrote is discarded at once, and later
  // Writes and Commit fail, so a blob with a missing piece is never published.
  virtual Status Write(ByteView plaintext) = 0;
  // Seals the last chunk and makes the blob durable under its id. Returns the stored size. On
  // failure (a full disk, a failed fsync or rename) nothing stays under the id or in tmp/.
  virtual Result<uint64_t> Commit() = 0;
  // Discards everything written; safe to call more than once and after a failed Write.
  virtual void Abort() = 0;
};

class BlobReader {
 public:
  virtual ~BlobReader() = default;
  // Up to out.size() authenticated plaintext bytes; 0 at the (authenticated) end.
  virtual Result<size_t> Read(std::span<uint8_t> out) = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  virtual Result<std::unique_ptr<BlobWriter>> Create(const BlobId& id,
                                                     const crypto::BlobKey& key) = 0;
  virtual Result<std::unique_ptr<BlobReader>> Open(const BlobId& id,
                                                   const crypto::BlobKey& key) = 0;
  virtual Status Remove(const BlobId& id) = 0;
};

// The bytes a blob of `plaintext` is stored as (docs/formats/blob.md), made in memory, for a
// caller that stores a small blob in a transaction of its own (store::WriteTxn::blob_rows):
// whatever store then holds these bytes under `id` opens them like any blob.
Result<Bytes> SealInMemory(const BlobId& id, const crypto::BlobKey& key, ByteView plaintext);

// Blobs as files under `root` (fanned out by the first two hex digits of the id).
Result<std::unique_ptr<BlobStore>> OpenLocalBlobStore(platform::Filesystem& fs,
                                                      const std::string& root);

}  // namespace sealpost::blob

// Where the bytes of encrypted blobs live: a local directory (local_blob_store.cpp) or rows of a
// PostgreSQL database shared by every process (store/postgres/postgres_blobs.h). A raw store
// sees only ciphertext in the format of docs/formats/blob.md; encryption, framing and
// authentication are OpenEncryptedBlobStore's. Both directions stream: a writer takes the bytes
// piece by piece and a reader hands them out piece by piece, so memory stays constant.
#pragma once

#include <memory>

#include "blob/blob_store.h"
#include "core/ids.h"
#include "core/status.h"
#include "platform/filesystem.h"

namespace sealpost::blob {

class RawBlobWriter {
 public:
  virtual ~RawBlobWriter() = default;
  virtual Status Append(ByteView bytes) = 0;
  // Makes the blob durable and visible under its id, all or nothing.
  virtual Status Commit() = 0;
  // Discards everything appended; safe to call more than once. Also what destruction does
  // before Commit.
  virtual void Abort() = 0;
};

class RawBlobStore {
 public:
  virtual ~RawBlobStore() = default;
  virtual Result<std::unique_ptr<RawBlobWriter>> Create(const BlobId& id) = 0;
  // NotFound when no committed blob has this id.
  virtual Result<std::unique_ptr<platform::ReadableFile>> Open(const BlobId& id) = 0;
  virtual Status Remove(const BlobId& id) = 0;
};

// The bytes as files under `root` (what OpenLocalBlobStore encrypts into); for copying them.
Result<std::unique_ptr<RawBlobStore>> OpenLocalRawBlobStore(platform::Filesystem& fs,
                                                            const std::string& root);

// The encrypted blob store (format docs/formats/blob.md) over any raw store.
std::unique_ptr<BlobStore> OpenEncryptedBlobStore(std::unique_ptr<RawBlobStore> raw);

}  // namespace sealpost::blob

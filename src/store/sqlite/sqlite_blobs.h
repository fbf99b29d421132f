// Blob bytes for the SQLite deployment (`sealpost serve` without [store] url): small blobs as rows
// of the store's own database, the others as files of the local blob store.
//
// A writer keeps what it is given in memory up to kInlineBlobBytes. If the blob ends there, Commit
// inserts it as one row through the store's group commit (Store::Write): durable when Commit
// returns, like a file after its fsync, but without a file of its own to create, fsync, rename
// and fsync the directory of — a row shares the one fsync of every write committed beside it.
// Past the threshold the writer hands what it has to a writer of the file store and streams on,
// so large attachments keep their constant memory. Either way nothing is visible before Commit,
// and an aborted or crashed writer leaves nothing (the row is never written; the file store
// discards its temporary file).
//
// Open looks for a row first, then a file (blobs of data directories from before are files);
// Remove removes both. Reads go through the store's read-only connections, so they never wait
// for the writer. The stored bytes are the same either way (docs/formats/blob.md).
#pragma once

#include <cstddef>
#include <memory>

#include "blob/raw_blob_store.h"
#include "core/status.h"
#include "store/store.h"

namespace sealpost::store::sqlite {

// The largest blob kept as a row. Below it, a row in the write-ahead log costs less than a
// file's creation and flushes, which do not shrink with the blob. Above it the row's bytes
// written twice (log, then checkpoint) by the one writer thread that every other write waits
// for would cost more than a file's own fsync saves; and a writer buffers up to this much per
// upload in flight (at 100 SMTP sessions, 25 MiB). 256 KiB covers most mail with its
// attachments.
inline constexpr size_t kInlineBlobBytes = 256 * 1024;

// `store` must come from OpenSqliteStore (InvalidArgument otherwise) and outlive the result;
// `files` keeps the blobs above the threshold (blob::OpenLocalRawBlobStore on the blob
// directory).
Result<std::unique_ptr<blob::RawBlobStore>> OpenSqliteBlobs(
    Store& store, std::unique_ptr<blob::RawBlobStore> files);

}  // namespace sealpost::store::sqlite

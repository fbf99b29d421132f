// A submitted message's bytes on their way in (SMTP DATA/BDAT): spooled to a temporary file,
// encrypted under a random key that exists only in this object's memory, so memory stays bounded
// while the client sends and the clear text never reaches the disk. The file is removed when the
// spool is destroyed; one left by a crash cannot be read by anyone (its key died with the
// process) and is swept by SweepSpoolDirectory at start-up.
//
// File layout: the 24-byte secretstream header, then frames of [4-byte big-endian length ‖
// ciphertext], one per plaintext chunk of at most blob::kChunkBytes, the last marked final.
// Associated data: crypto::kAdSmtpSpool ‖ the spool's random name.
//
// Not thread-safe: one spool belongs to one SMTP session.
//
// SECURITY: the bytes are untrusted (a mail program's message) and only stored and returned;
// the size limit is checked on every Append, before anything is written.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "crypto/aead.h"
#include "crypto/stream_aead.h"
#include "platform/filesystem.h"
#include "platform/rng.h"

namespace sealpost::app::internal {

class MessageSpool final {
 public:
  // A new empty spool file in `directory` (created 0700 if missing).
  static Result<std::unique_ptr<MessageSpool>> Create(platform::Filesystem& fs, platform::Rng& rng,
                                                      const std::string& directory,
                                                      uint64_t max_bytes);
  ~MessageSpool();
  MessageSpool(const MessageSpool&) = delete;
  MessageSpool& operator=(const MessageSpool&) = delete;

  // TooLarge once the total passes max_bytes (nothing of that call is written); a write failure
  // is the filesystem's status. After a failure every later call fails.
  Status Append(std::string_view bytes);
  uint64_t size() const { return size_; }
  // Ends the stream and reads every byte back, authenticated (Corruption if the file was
  // altered). Call once, after the last Append.
  Result<std::string> ReadAll();

 private:
  MessageSpool(platform::Filesystem& fs, std::string path, std::string name, uint64_t max_bytes,
               crypto::AeadKey key);
  Status WriteChunk(bool final);

  platform::Filesystem& fs_;
  const std::string path_;
  const std::string ad_;
  const uint64_t max_bytes_;
  crypto::AeadKey key_;
  std::unique_ptr<platform::WritableFile> file_;
  std::optional<crypto::StreamEncryptor> encryptor_;
  std::string pending_;  // plaintext not yet in a chunk (at most one chunk)
  uint64_t size_ = 0;
  Status failed_;
};

// Removes every "*.spool" file in `directory` (those of a process that ended without removing
// them: unreadable anyway). Returns how many went; a missing directory is none.
Result<int> SweepSpoolDirectory(const std::string& directory);

}  // namespace sealpost::app::internal

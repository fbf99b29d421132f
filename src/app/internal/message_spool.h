// A submitted message's bytes on their way in (SMTP DATA/BDAT), encrypted under a random key
// that exists only in this object's memory. A small message (up to `memory_bytes`,
// kSpoolMemoryBytes by default) stays in memory, sealed as it would be on disk: creating
// and removing a temporary file per message cost a fifth of the SMTP intake's CPU (an inode
// allocated and freed each time). A larger one spills, from the frame that would pass the
// bound, to a temporary file, so memory stays bounded while the client sends and the clear text
// never reaches the disk. The file is removed when the spool is destroyed; one left by a crash
// cannot be read by anyone (its key died with the process) and is swept by SweepSpoolDirectory
// at start-up.
//
// Once Finish()ed it is read back where it lies, at any offset (mime::MessageSource), so that
// the message is parsed and its attachments streamed without ever being whole in memory.
// Reading on is cheap; a jump back reopens the file and reads forward to the chunk, decrypting
// only that one (a message is read front to back a few times: scan, parse, each attachment).
//
// File layout: frames of [4-byte big-endian length ‖ crypto::AeadSeal(chunk)], one per plaintext
// chunk of blob::kChunkBytes (the last may be shorter), so chunk i lies at a fixed offset.
// Associated data: crypto::kAdSmtpSpool ‖ the spool's random name ‖ the chunk's index; the
// number of chunks follows from the size held in memory, so a chunk moved, swapped, dropped or
// added does not authenticate or is missing.
//
// Not thread-safe: one spool belongs to one SMTP session.
//
// SECURITY: the bytes are untrusted (a mail program's message) and only stored and returned;
// the size limit is checked on every Append, before anything is written. The one chunk kept in
// clear for reading is wiped when replaced and on destruction.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "crypto/aead.h"
#include "crypto/wiping_allocator.h"
#include "mime/streamed_message.h"
#include "platform/filesystem.h"
#include "platform/rng.h"

namespace sealpost::app::internal {

// The largest message a spool keeps in memory (sealed) rather than in a file.
inline constexpr uint64_t kSpoolMemoryBytes = 256 * 1024;

class MessageSpool final : public mime::MessageSource {
 public:
  // A new empty spool; its file, if it needs one, goes into `directory` (created 0700 if
  // missing). `memory_bytes`: the largest message kept in memory (0: always a file).
  static Result<std::unique_ptr<MessageSpool>> Create(platform::Filesystem& fs, platform::Rng& rng,
                                                      const std::string& directory,
                                                      uint64_t max_bytes,
                                                      uint64_t memory_bytes = kSpoolMemoryBytes);
  ~MessageSpool() override;
  MessageSpool(const MessageSpool&) = delete;
  MessageSpool& operator=(const MessageSpool&) = delete;

  // TooLarge once the total passes max_bytes (nothing of that call is written); a write failure
  // is the filesystem's status. After a failure every later call fails.
  Status Append(std::string_view bytes);
  uint64_t size() const override { return size_; }
  // Writes the last chunk and closes the file: from then on the spool can only be read. Call
  // after the last Append; again is a no-op.
  Status Finish();
  // After Finish: authenticated bytes from `offset` (Corruption if the file was altered).
  Result<size_t> ReadAt(uint64_t offset, std::span<uint8_t> out) override;
  // After Finish: every byte (for a message relayed as it is).
  Result<std::string> ReadAll();
  // Whether the spool went to a file (tests).
  bool on_disk() const { return spilled_; }

 private:
  MessageSpool(platform::Filesystem& fs, std::string directory, std::string name,
               uint64_t max_bytes, uint64_t memory_bytes, crypto::AeadKey key);
  Status WriteChunk();
  // Creates the file and moves the frames held in memory into it.
  Status Spill();
  void WipeMemory();
  Status LoadChunk(uint64_t index);
  // Puts reader_ at the start of frame `index`.
  Status MoveTo(uint64_t index);

  platform::Filesystem& fs_;
  const std::string directory_;
  const std::string path_;
  const std::string name_;
  const uint64_t max_bytes_;
  const uint64_t memory_bytes_;
  crypto::AeadKey key_;
  // Sealed frames while the spool is in memory (ciphertext; wiped all the same when dropped).
  std::vector<uint8_t, crypto::WipingAllocator<uint8_t>> memory_;
  bool spilled_ = false;  // the frames are in the file at path_ instead
  std::unique_ptr<platform::WritableFile> file_;
  std::string pending_;  // plaintext not yet in a chunk (at most one chunk)
  uint64_t size_ = 0;
  uint64_t chunks_written_ = 0;
  bool finished_ = false;
  Status failed_;
  // Reading: the file (at frame next_frame_) once spilled, and the chunk last read.
  std::unique_ptr<platform::ReadableFile> reader_;
  uint64_t next_frame_ = 0;
  std::optional<crypto::SecretBytes> chunk_;
  uint64_t chunk_index_ = 0;
};

// Removes every "*.spool" file in `directory` (those of a process that ended without removing
// them: unreadable anyway). Returns how many went; a missing directory is none.
Result<int> SweepSpoolDirectory(const std::string& directory);

}  // namespace sealpost::app::internal

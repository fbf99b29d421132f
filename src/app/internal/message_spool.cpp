#include "app/internal/message_spool.h"

#include <array>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "blob/blob_store.h"
#include "core/encoding.h"
#include "crypto/ad_labels.h"
#include "crypto/aead.h"

namespace sealpost::app::internal {
namespace {

constexpr size_t kLengthBytes = 4;

void PutLength(uint32_t n, Bytes& out) {
  out.push_back(static_cast<uint8_t>(n >> 24));
  out.push_back(static_cast<uint8_t>(n >> 16));
  out.push_back(static_cast<uint8_t>(n >> 8));
  out.push_back(static_cast<uint8_t>(n));
}

// Reads exactly out.size() bytes; false at a clean or short end.
Result<bool> ReadExactly(platform::ReadableFile& file, std::span<uint8_t> out) {
  size_t got = 0;
  while (got < out.size()) {
    SP_ASSIGN_OR_RETURN(const size_t n, file.Read(out.subspan(got)));
    if (n == 0) return false;
    got += n;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<MessageSpool>> MessageSpool::Create(platform::Filesystem& fs,
                                                           platform::Rng& rng,
                                                           const std::string& directory,
                                                           uint64_t max_bytes,
                                                           uint64_t memory_bytes) {
  std::array<uint8_t, 16> random{};
  rng.Fill(random);
  const std::string name = HexEncode(ByteView(random.data(), random.size()));
  std::unique_ptr<MessageSpool> spool(
      new MessageSpool(fs, directory, name, max_bytes, memory_bytes, crypto::AeadKey::Generate()));
  if (memory_bytes == 0) SP_RETURN_IF_ERROR(spool->Spill());
  return spool;
}

MessageSpool::MessageSpool(platform::Filesystem& fs, std::string directory, std::string name,
                           uint64_t max_bytes, uint64_t memory_bytes, crypto::AeadKey key)
    : fs_(fs),
      directory_(std::move(directory)),
      path_(directory_ + "/" + name + ".spool"),
      name_(std::move(name)),
      max_bytes_(max_bytes),
      memory_bytes_(memory_bytes),
      key_(std::move(key)) {}

MessageSpool::~MessageSpool() {
  reader_.reset();
  if (file_) (void)file_->Close();
  if (spilled_) (void)fs_.Remove(path_);
  WipeMemory();
  std::fill(pending_.begin(), pending_.end(), '\0');
}

void MessageSpool::WipeMemory() {
  decltype(memory_)().swap(memory_);  // the allocator wipes the block it frees
}

Status MessageSpool::Spill() {
  SP_RETURN_IF_ERROR(fs_.CreateDirectories(directory_));
  SP_ASSIGN_OR_RETURN(file_, fs_.CreateWritable(path_));
  spilled_ = true;
  if (!memory_.empty()) SP_RETURN_IF_ERROR(file_->Append(memory_));
  WipeMemory();
  return Status::Ok();
}

namespace {

std::string ChunkAd(const std::string& name, uint64_t index) {
  return crypto::BindAd(crypto::kAdSmtpSpool, {name, std::to_string(index)});
}

constexpr uint64_t kFrameBytes = kLengthBytes + blob::kChunkBytes + crypto::kAeadOverhead;

}  // namespace

Status MessageSpool::WriteChunk() {
  // Every chunk before this one is whole: this is how much of the message is sealed by now.
  const uint64_t sealed_bytes = chunks_written_ * blob::kChunkBytes + pending_.size();
  if (!spilled_ && sealed_bytes > memory_bytes_) SP_RETURN_IF_ERROR(Spill());
  const Bytes sealed =
      crypto::AeadSeal(key_, AsBytes(pending_), AsBytes(ChunkAd(name_, chunks_written_)));
  std::fill(pending_.begin(), pending_.end(), '\0');
  pending_.clear();
  Bytes frame;
  frame.reserve(kLengthBytes + sealed.size());
  PutLength(static_cast<uint32_t>(sealed.size()), frame);
  frame.insert(frame.end(), sealed.begin(), sealed.end());
  ++chunks_written_;
  if (spilled_) return file_->Append(frame);
  if (memory_.empty()) memory_.reserve(frame.size());  // most messages are one chunk
  memory_.insert(memory_.end(), frame.begin(), frame.end());
  return Status::Ok();
}

Status MessageSpool::Append(std::string_view bytes) {
  if (!failed_.ok()) return failed_;
  if (finished_) return failed_ = Internal("spool: append after the end");
  if (bytes.size() > max_bytes_ - size_) {
    return failed_ = TooLarge("message is larger than the submission limit");
  }
  size_ += bytes.size();
  while (!bytes.empty()) {
    const size_t room = blob::kChunkBytes - pending_.size();
    const size_t take = std::min(room, bytes.size());
    pending_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (pending_.size() == blob::kChunkBytes) {
      if (Status s = WriteChunk(); !s.ok()) return failed_ = s;
    }
  }
  return Status::Ok();
}

Status MessageSpool::Finish() {
  if (!failed_.ok() || finished_) return failed_;
  finished_ = true;
  Status s = pending_.empty() ? Status::Ok() : WriteChunk();
  if (s.ok() && file_) s = file_->Close();
  file_.reset();
  if (!s.ok()) return failed_ = s;
  return Status::Ok();
}

Status MessageSpool::MoveTo(uint64_t index) {
  if (!reader_ || index < next_frame_) {
    reader_.reset();
    SP_ASSIGN_OR_RETURN(reader_, fs_.OpenReadable(path_));
    next_frame_ = 0;
  }
  Bytes skipped(static_cast<size_t>(kFrameBytes));
  for (; next_frame_ < index; ++next_frame_) {
    SP_ASSIGN_OR_RETURN(const bool whole, ReadExactly(*reader_, skipped));
    if (!whole) return Corruption("spool: truncated");
  }
  return Status::Ok();
}

Status MessageSpool::LoadChunk(uint64_t index) {
  if (chunk_ && chunk_index_ == index) return Status::Ok();
  chunk_.reset();
  const uint64_t expected =
      std::min<uint64_t>(blob::kChunkBytes, size_ - index * blob::kChunkBytes);
  if (!spilled_) {
    // Frames lie back to back, every one but the last of full size.
    const uint64_t at = index * kFrameBytes;
    if (at + kLengthBytes > memory_.size()) return Corruption("spool: truncated");
    const uint8_t* length = memory_.data() + at;
    const uint32_t n = (uint32_t{length[0]} << 24) | (uint32_t{length[1]} << 16) |
                       (uint32_t{length[2]} << 8) | uint32_t{length[3]};
    if (n != expected + crypto::kAeadOverhead || at + kLengthBytes + n > memory_.size()) {
      return Corruption("spool: bad frame");
    }
    auto opened = crypto::AeadOpen(key_, ByteView(memory_.data() + at + kLengthBytes, n),
                                   AsBytes(ChunkAd(name_, index)));
    if (!opened.ok()) return Corruption("spool: does not authenticate");
    chunk_.emplace(std::move(*opened));
    chunk_index_ = index;
    return Status::Ok();
  }
  SP_RETURN_IF_ERROR(MoveTo(index));
  ++next_frame_;  // whatever happens below, the reader is past this frame's start
  std::array<uint8_t, kLengthBytes> length{};
  SP_ASSIGN_OR_RETURN(const bool have_length, ReadExactly(*reader_, length));
  if (!have_length) return Corruption("spool: truncated");
  const uint32_t n = (uint32_t{length[0]} << 24) | (uint32_t{length[1]} << 16) |
                     (uint32_t{length[2]} << 8) | uint32_t{length[3]};
  if (n != expected + crypto::kAeadOverhead) return Corruption("spool: bad frame");
  Bytes sealed(n);
  SP_ASSIGN_OR_RETURN(const bool whole, ReadExactly(*reader_, sealed));
  if (!whole) return Corruption("spool: truncated");
  auto opened = crypto::AeadOpen(key_, sealed, AsBytes(ChunkAd(name_, index)));
  if (!opened.ok()) return Corruption("spool: does not authenticate");
  chunk_.emplace(std::move(*opened));
  chunk_index_ = index;
  return Status::Ok();
}

Result<size_t> MessageSpool::ReadAt(uint64_t offset, std::span<uint8_t> out) {
  if (!failed_.ok()) return failed_;
  if (!finished_) return Internal("spool: read before Finish");
  if (offset >= size_ || out.empty()) return size_t{0};
  size_t n = 0;
  while (n < out.size() && offset < size_) {
    const uint64_t index = offset / blob::kChunkBytes;
    if (Status s = LoadChunk(index); !s.ok()) return failed_ = s;
    const size_t within = static_cast<size_t>(offset - index * blob::kChunkBytes);
    const size_t take = std::min(chunk_->size() - within, out.size() - n);
    std::memcpy(out.data() + n, chunk_->data() + within, take);
    n += take;
    offset += take;
  }
  return n;
}

Result<std::string> MessageSpool::ReadAll() {
  SP_RETURN_IF_ERROR(Finish());
  std::string out(size_, '\0');
  uint64_t offset = 0;
  while (offset < size_) {
    SP_ASSIGN_OR_RETURN(
        const size_t n,
        ReadAt(offset, std::span<uint8_t>(reinterpret_cast<uint8_t*>(out.data()) + offset,
                                          size_ - offset)));
    if (n == 0) return Corruption("spool: wrong length");
    offset += n;
  }
  return out;
}

Result<int> SweepSpoolDirectory(const std::string& directory) {
  std::error_code ec;
  if (!std::filesystem::exists(directory, ec)) return 0;
  int removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    if (entry.path().extension() == ".spool" && std::filesystem::remove(entry.path(), ec)) {
      ++removed;
    }
  }
  if (ec) return Unavailable("spool sweep: " + directory + ": " + ec.message());
  return removed;
}

}  // namespace sealpost::app::internal

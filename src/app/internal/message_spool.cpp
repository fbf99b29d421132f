#include "app/internal/message_spool.h"

#include <array>
#include <filesystem>
#include <system_error>

#include "blob/blob_store.h"
#include "core/encoding.h"
#include "crypto/ad_labels.h"

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
                                                           uint64_t max_bytes) {
  SP_RETURN_IF_ERROR(fs.CreateDirectories(directory));
  std::array<uint8_t, 16> random{};
  rng.Fill(random);
  const std::string name = HexEncode(ByteView(random.data(), random.size()));
  std::unique_ptr<MessageSpool> spool(new MessageSpool(fs, directory + "/" + name + ".spool", name,
                                                       max_bytes, crypto::AeadKey::Generate()));
  SP_ASSIGN_OR_RETURN(spool->file_, fs.CreateWritable(spool->path_));
  Bytes header;
  spool->encryptor_.emplace(crypto::StreamEncryptor::Create(spool->key_, header));
  SP_RETURN_IF_ERROR(spool->file_->Append(header));
  return spool;
}

MessageSpool::MessageSpool(platform::Filesystem& fs, std::string path, std::string name,
                           uint64_t max_bytes, crypto::AeadKey key)
    : fs_(fs),
      path_(std::move(path)),
      ad_(crypto::BindAd(crypto::kAdSmtpSpool, {name})),
      max_bytes_(max_bytes),
      key_(std::move(key)) {}

MessageSpool::~MessageSpool() {
  if (file_) (void)file_->Close();
  (void)fs_.Remove(path_);
  std::fill(pending_.begin(), pending_.end(), '\0');
}

Status MessageSpool::WriteChunk(bool final) {
  Bytes ciphertext;
  encryptor_->Push(AsBytes(pending_), AsBytes(ad_), final, ciphertext);
  std::fill(pending_.begin(), pending_.end(), '\0');
  pending_.clear();
  Bytes frame;
  frame.reserve(kLengthBytes + ciphertext.size());
  PutLength(static_cast<uint32_t>(ciphertext.size()), frame);
  frame.insert(frame.end(), ciphertext.begin(), ciphertext.end());
  return file_->Append(frame);
}

Status MessageSpool::Append(std::string_view bytes) {
  if (!failed_.ok()) return failed_;
  if (!file_) return failed_ = Internal("spool: append after the end");
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
      if (Status s = WriteChunk(false); !s.ok()) return failed_ = s;
    }
  }
  return Status::Ok();
}

Result<std::string> MessageSpool::ReadAll() {
  if (!failed_.ok()) return failed_;
  if (!file_) return Internal("spool: read twice");
  {
    Status s = WriteChunk(true);
    if (s.ok()) s = file_->Close();
    file_.reset();
    if (!s.ok()) return failed_ = s;
  }
  SP_ASSIGN_OR_RETURN(std::unique_ptr<platform::ReadableFile> in, fs_.OpenReadable(path_));
  std::array<uint8_t, crypto::kStreamHeaderBytes> header{};
  SP_ASSIGN_OR_RETURN(const bool have_header, ReadExactly(*in, header));
  if (!have_header) return Corruption("spool: truncated");
  SP_ASSIGN_OR_RETURN(
      crypto::StreamDecryptor decryptor,
      crypto::StreamDecryptor::Create(key_, ByteView(header.data(), header.size())));
  std::string out;
  out.reserve(size_);
  Bytes ciphertext;
  Bytes plain;
  while (!decryptor.is_finished()) {
    std::array<uint8_t, kLengthBytes> length{};
    SP_ASSIGN_OR_RETURN(const bool more, ReadExactly(*in, length));
    if (!more) return Corruption("spool: truncated");
    const uint32_t n = (uint32_t{length[0]} << 24) | (uint32_t{length[1]} << 16) |
                       (uint32_t{length[2]} << 8) | uint32_t{length[3]};
    if (n < crypto::kStreamChunkOverhead || n > blob::kChunkBytes + crypto::kStreamChunkOverhead) {
      return Corruption("spool: bad frame");
    }
    ciphertext.resize(n);
    SP_ASSIGN_OR_RETURN(const bool whole, ReadExactly(*in, ciphertext));
    if (!whole) return Corruption("spool: truncated");
    auto pulled = decryptor.Pull(ciphertext, AsBytes(ad_), plain);
    if (!pulled.ok()) return Corruption("spool: does not authenticate");
    out.append(reinterpret_cast<const char*>(plain.data()), plain.size());
  }
  if (out.size() != size_) return Corruption("spool: wrong length");
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

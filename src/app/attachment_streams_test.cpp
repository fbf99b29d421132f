// The download reader that withholds the last byte until the digest matched, and the hasher
// thread behind it and the upload: every buffer size, against a one-shot SHA-256.
#include "app/internal/attachment_streams.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "app/internal/background_hasher.h"

namespace sealpost::app::internal {
namespace {

Bytes Pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>((i * 131 + i / 251) & 0xff);
  return b;
}

Bytes Digest(ByteView b) {
  const crypto::Digest256 d = crypto::Sha256(b);
  return Bytes(d.begin(), d.end());
}

// Hands out `data` at most `step` bytes per read, like a blob reader with that frame size.
class SteppingReader final : public blob::BlobReader {
 public:
  SteppingReader(Bytes data, size_t step, bool fail_at_end = false)
      : data_(std::move(data)), step_(step), fail_at_end_(fail_at_end) {}
  Result<size_t> Read(std::span<uint8_t> out) override {
    const size_t n = std::min({out.size(), step_, data_.size() - offset_});
    if (n == 0 && fail_at_end_) return Unauthenticated("blob is truncated");
    std::copy_n(data_.begin() + static_cast<ptrdiff_t>(offset_), n, out.begin());
    offset_ += n;
    return n;
  }

 private:
  Bytes data_;
  size_t step_;
  size_t offset_ = 0;
  bool fail_at_end_;
};

// Reads everything with buffers of `buffer` bytes; stops at the first error.
Result<Bytes> ReadAll(blob::BlobReader& reader, size_t buffer) {
  Bytes all;
  Bytes piece(buffer);
  for (;;) {
    SP_ASSIGN_OR_RETURN(const size_t n, reader.Read(piece));
    if (n == 0) return all;
    all.insert(all.end(), piece.begin(), piece.begin() + static_cast<ptrdiff_t>(n));
  }
}

TEST(DigestCheckingReaderTest, PassesEveryByteForEveryBufferAndFrameSize) {
  for (const size_t size : {size_t{0}, size_t{1}, size_t{2}, size_t{1000}, size_t{700'001}}) {
    const Bytes data = Pattern(size);
    for (const size_t buffer : {size_t{1}, size_t{2}, size_t{3}, size_t{4096}, size_t{1 << 20}}) {
      for (const size_t step : {size_t{1}, size_t{65536}}) {
        if (step == 1 && size > 1000) continue;  // byte by byte: slow and says nothing more
        auto reader =
            MakeDigestCheckingReader(std::make_unique<SteppingReader>(data, step), Digest(data));
        auto got = ReadAll(*reader, buffer);
        ASSERT_TRUE(got.ok()) << size << "/" << buffer << "/" << step << ": "
                              << got.status().ToString();
        EXPECT_EQ(*got, data) << size << "/" << buffer << "/" << step;
      }
    }
  }
}

TEST(DigestCheckingReaderTest, AMismatchWithholdsTheLastByte) {
  for (const size_t size : {size_t{1}, size_t{5}, size_t{700'001}}) {
    const Bytes data = Pattern(size);
    Bytes other = data;
    other.back() ^= 1;
    for (const size_t buffer : {size_t{1}, size_t{4096}, size_t{1 << 20}}) {
      auto reader =
          MakeDigestCheckingReader(std::make_unique<SteppingReader>(data, 65536), Digest(other));
      Bytes piece(buffer);
      size_t delivered = 0;
      Status failure = Status::Ok();
      for (;;) {
        auto n = reader->Read(piece);
        if (!n.ok()) {
          failure = n.status();
          break;
        }
        ASSERT_NE(*n, 0u) << "reported a complete file whose digest differs";
        delivered += *n;
      }
      EXPECT_EQ(failure.code(), ErrorCode::kCorruption);
      // Never the whole file (how much comes before the end depends on the buffer).
      EXPECT_LT(delivered, size) << "buffer " << buffer;
      // And it stays failed: no later read can look like a clean end.
      auto again = reader->Read(piece);
      ASSERT_FALSE(again.ok());
      EXPECT_EQ(again.status().code(), ErrorCode::kCorruption);
    }
  }
}

TEST(DigestCheckingReaderTest, AnInnerFailureIsCorruption) {
  const Bytes data = Pattern(300'000);
  auto reader = MakeDigestCheckingReader(
      std::make_unique<SteppingReader>(data, 65536, /*fail_at_end=*/true), Digest(data));
  auto got = ReadAll(*reader, 1 << 20);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), ErrorCode::kCorruption);
}

TEST(BackgroundHasherTest, MatchesOneShotSha256ForMixedPieces) {
  const Bytes data = Pattern(3 * BackgroundHasher::kMinBackgroundBytes + 12345);
  BackgroundHasher hasher;
  // Small (inline) and large (threaded) pieces, in order.
  const size_t cuts[] = {0,       10,      10 + BackgroundHasher::kMinBackgroundBytes,
                         200'000, 200'001, data.size()};
  for (size_t i = 0; i + 1 < std::size(cuts); ++i) {
    hasher.Update(ByteView(data).subspan(cuts[i], cuts[i + 1] - cuts[i]));
  }
  EXPECT_EQ(hasher.Finish(), crypto::Sha256(data));
  // It starts over after Finish.
  hasher.Update(data);
  EXPECT_EQ(hasher.Finish(), crypto::Sha256(data));
}

}  // namespace
}  // namespace sealpost::app::internal

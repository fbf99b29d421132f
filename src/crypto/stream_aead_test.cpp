#include "crypto/stream_aead.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/encoding.h"
#include "crypto/random.h"
#include "testing/status_matchers.h"

namespace sealpost::crypto {
namespace {

struct Sealed {
  Bytes header;
  std::vector<Bytes> chunks;
};

// Encrypts `plaintexts` as one stream; the last chunk is marked final.
Sealed Encrypt(const AeadKey& key, const std::vector<Bytes>& plaintexts, ByteView ad) {
  Sealed s;
  StreamEncryptor enc = StreamEncryptor::Create(key, s.header);
  for (size_t i = 0; i < plaintexts.size(); ++i) {
    Bytes out;
    enc.Push(plaintexts[i], ad, i + 1 == plaintexts.size(), out);
    s.chunks.push_back(std::move(out));
  }
  return s;
}

Bytes B(std::string_view text) {
  const ByteView bytes = AsBytes(text);
  return Bytes(bytes.begin(), bytes.end());
}

std::vector<Bytes> ThreeChunks() { return {B("first chunk"), RandomBytes(1000), B("last")}; }

void ExpectDecryptionFailed(const Result<bool>& r) {
  ASSERT_THAT(r.status(), StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_EQ(r.status().message(), "decryption failed");
}

// Pulls every chunk; returns the first failure or OK if all opened and the stream finished.
Status DecryptAll(const AeadKey& key, const Sealed& s, ByteView ad) {
  SP_ASSIGN_OR_RETURN(StreamDecryptor dec, StreamDecryptor::Create(key, s.header));
  Bytes out;
  for (const Bytes& c : s.chunks) {
    SP_ASSIGN_OR_RETURN(bool is_final, dec.Pull(c, ad, out));
    (void)is_final;
  }
  if (!dec.is_finished()) return Unauthenticated("truncated");
  return Status::Ok();
}

TEST(StreamAeadTest, RoundTrip) {
  const AeadKey key = AeadKey::Generate();
  const std::vector<Bytes> plaintexts = ThreeChunks();
  const Sealed s = Encrypt(key, plaintexts, AsBytes("blob/v1"));
  ASSERT_EQ(s.header.size(), kStreamHeaderBytes);
  ASSERT_EQ(s.chunks.size(), 3u);

  auto dec = StreamDecryptor::Create(key, s.header);
  ASSERT_THAT(dec.status(), IsOk());
  for (size_t i = 0; i < s.chunks.size(); ++i) {
    EXPECT_EQ(s.chunks[i].size(), plaintexts[i].size() + kStreamChunkOverhead);
    EXPECT_FALSE(dec->is_finished());
    Bytes out;
    auto is_final = dec->Pull(s.chunks[i], AsBytes("blob/v1"), out);
    ASSERT_THAT(is_final.status(), IsOk());
    EXPECT_EQ(*is_final, i == 2);
    EXPECT_EQ(out, plaintexts[i]);
  }
  EXPECT_TRUE(dec->is_finished());
}

TEST(StreamAeadTest, EmptyChunksAndSingleFinalChunk) {
  const AeadKey key = AeadKey::Generate();
  const Sealed s = Encrypt(key, {Bytes(), Bytes()}, {});
  EXPECT_EQ(s.chunks[0].size(), kStreamChunkOverhead);
  EXPECT_THAT(DecryptAll(key, s, {}), IsOk());

  const Sealed only = Encrypt(key, {Bytes()}, {});
  EXPECT_THAT(DecryptAll(key, only, {}), IsOk());
}

TEST(StreamAeadTest, HeadersDifferEachTime) {
  const AeadKey key = AeadKey::Generate();
  const Sealed a = Encrypt(key, ThreeChunks(), {});
  const Sealed b = Encrypt(key, ThreeChunks(), {});
  EXPECT_NE(a.header, b.header);
  EXPECT_NE(a.chunks[0], b.chunks[0]);
}

TEST(StreamAeadTest, FlippedHeaderByteFails) {
  const AeadKey key = AeadKey::Generate();
  const Sealed s = Encrypt(key, ThreeChunks(), {});
  for (size_t i = 0; i < s.header.size(); ++i) {
    Sealed bad = s;
    bad.header[i] ^= 0x01;
    EXPECT_THAT(DecryptAll(key, bad, {}), StatusIs(ErrorCode::kUnauthenticated)) << i;
  }
}

TEST(StreamAeadTest, FlippedChunkByteFails) {
  const AeadKey key = AeadKey::Generate();
  const Sealed s = Encrypt(key, {Bytes(5, 'a'), Bytes(7, 'b')}, AsBytes("ad"));
  for (size_t c = 0; c < s.chunks.size(); ++c) {
    for (size_t i = 0; i < s.chunks[c].size(); ++i) {
      Sealed bad = s;
      bad.chunks[c][i] ^= 0x01;
      EXPECT_THAT(DecryptAll(key, bad, AsBytes("ad")), StatusIs(ErrorCode::kUnauthenticated))
          << "chunk " << c << " byte " << i;
    }
  }
}

TEST(StreamAeadTest, FailedPullWipesOutputAndPoisons) {
  const AeadKey key = AeadKey::Generate();
  const Sealed s = Encrypt(key, ThreeChunks(), {});
  auto dec = StreamDecryptor::Create(key, s.header);
  ASSERT_THAT(dec.status(), IsOk());
  Bytes out = {1, 2, 3};
  Bytes bad = s.chunks[0];
  bad.back() ^= 0x01;
  ExpectDecryptionFailed(dec->Pull(bad, {}, out));
  EXPECT_TRUE(out.empty());
  // The genuine chunk no longer helps: the decryptor stays failed.
  ExpectDecryptionFailed(dec->Pull(s.chunks[0], {}, out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(dec->is_finished());
}

TEST(StreamAeadTest, WrongKeyFails) {
  const AeadKey key = AeadKey::Generate();
  const Sealed s = Encrypt(key, ThreeChunks(), {});
  EXPECT_THAT(DecryptAll(AeadKey::Generate(), s, {}), StatusIs(ErrorCode::kUnauthenticated));
}

TEST(StreamAeadTest, WrongAssociatedDataFails) {
  const AeadKey key = AeadKey::Generate();
  const Sealed s = Encrypt(key, ThreeChunks(), AsBytes("blob/v1 id=1"));
  EXPECT_THAT(DecryptAll(key, s, AsBytes("blob/v1 id=1")), IsOk());
  EXPECT_THAT(DecryptAll(key, s, AsBytes("blob/v1 id=2")), StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(DecryptAll(key, s, {}), StatusIs(ErrorCode::kUnauthenticated));
}

TEST(StreamAeadTest, TruncatedStreamIsDetectable) {
  const AeadKey key = AeadKey::Generate();
  const Sealed s = Encrypt(key, ThreeChunks(), {});
  auto dec = StreamDecryptor::Create(key, s.header);
  ASSERT_THAT(dec.status(), IsOk());
  Bytes out;
  for (size_t i = 0; i < 2; ++i) {  // The final chunk never arrives.
    auto is_final = dec->Pull(s.chunks[i], {}, out);
    ASSERT_THAT(is_final.status(), IsOk());
    EXPECT_FALSE(*is_final);
  }
  EXPECT_FALSE(dec->is_finished());

  Sealed truncated = s;
  truncated.chunks.pop_back();
  EXPECT_THAT(DecryptAll(key, truncated, {}), StatusIs(ErrorCode::kUnauthenticated));
}

TEST(StreamAeadTest, ReorderedOrDroppedChunksFail) {
  const AeadKey key = AeadKey::Generate();
  const Sealed s = Encrypt(key, ThreeChunks(), {});
  Sealed swapped = s;
  std::swap(swapped.chunks[0], swapped.chunks[1]);
  EXPECT_THAT(DecryptAll(key, swapped, {}), StatusIs(ErrorCode::kUnauthenticated));
  Sealed middle_dropped = s;
  middle_dropped.chunks.erase(middle_dropped.chunks.begin() + 1);
  EXPECT_THAT(DecryptAll(key, middle_dropped, {}), StatusIs(ErrorCode::kUnauthenticated));
  Sealed duplicated = s;
  duplicated.chunks.insert(duplicated.chunks.begin(), s.chunks[0]);
  EXPECT_THAT(DecryptAll(key, duplicated, {}), StatusIs(ErrorCode::kUnauthenticated));
}

TEST(StreamAeadTest, ChunkAfterFinalFails) {
  const AeadKey key = AeadKey::Generate();
  const Sealed s = Encrypt(key, ThreeChunks(), {});
  auto dec = StreamDecryptor::Create(key, s.header);
  ASSERT_THAT(dec.status(), IsOk());
  Bytes out;
  for (const Bytes& c : s.chunks) ASSERT_THAT(dec->Pull(c, {}, out).status(), IsOk());
  ASSERT_TRUE(dec->is_finished());
  // Replaying the final chunk, or appending a chunk of another stream under the same key.
  ExpectDecryptionFailed(dec->Pull(s.chunks[2], {}, out));
  EXPECT_TRUE(out.empty());
  const Sealed other = Encrypt(key, ThreeChunks(), {});
  ExpectDecryptionFailed(dec->Pull(other.chunks[0], {}, out));
  EXPECT_FALSE(dec->is_finished());
}

TEST(StreamAeadTest, ChunksFromAnotherStreamFail) {
  const AeadKey key = AeadKey::Generate();
  const Sealed a = Encrypt(key, ThreeChunks(), {});
  Sealed b = Encrypt(key, ThreeChunks(), {});
  b.chunks[1] = a.chunks[1];
  EXPECT_THAT(DecryptAll(key, b, {}), StatusIs(ErrorCode::kUnauthenticated));
}

TEST(StreamAeadTest, ShortInputsFail) {
  const AeadKey key = AeadKey::Generate();
  const Sealed s = Encrypt(key, ThreeChunks(), {});
  for (size_t n : {0, 1, 23, 25}) {
    Bytes header = s.header;
    header.resize(n);
    EXPECT_THAT(StreamDecryptor::Create(key, header).status(),
                StatusIs(ErrorCode::kUnauthenticated));
  }
  for (size_t n = 0; n < kStreamChunkOverhead; ++n) {
    auto dec = StreamDecryptor::Create(key, s.header);
    ASSERT_THAT(dec.status(), IsOk());
    Bytes out;
    ExpectDecryptionFailed(dec->Pull(ByteView(s.chunks[0]).first(n), {}, out));
  }
}

TEST(StreamAeadTest, ObjectsAreMovable) {
  const AeadKey key = AeadKey::Generate();
  Bytes header;
  StreamEncryptor first = StreamEncryptor::Create(key, header);
  StreamEncryptor enc = std::move(first);
  Bytes c1, c2;
  enc.Push(AsBytes("a"), {}, false, c1);
  StreamEncryptor moved(std::move(enc));
  moved.Push(AsBytes("b"), {}, true, c2);

  auto created = StreamDecryptor::Create(key, header);
  ASSERT_THAT(created.status(), IsOk());
  StreamDecryptor dec = std::move(created).value();
  Bytes out;
  ASSERT_THAT(dec.Pull(c1, {}, out).status(), IsOk());
  EXPECT_EQ(AsChars(out), "a");
  StreamDecryptor dec2 = std::move(dec);
  auto is_final = dec2.Pull(c2, {}, out);
  ASSERT_THAT(is_final.status(), IsOk());
  EXPECT_TRUE(*is_final);
  EXPECT_EQ(AsChars(out), "b");
  EXPECT_TRUE(dec2.is_finished());
}

TEST(StreamAeadDeathTest, PushAfterFinalAborts) {
  const AeadKey key = AeadKey::Generate();
  Bytes header, out;
  StreamEncryptor enc = StreamEncryptor::Create(key, header);
  enc.Push(AsBytes("last"), {}, true, out);
  EXPECT_DEATH(enc.Push(AsBytes("more"), {}, false, out), "after the final chunk");
}

}  // namespace
}  // namespace sealpost::crypto

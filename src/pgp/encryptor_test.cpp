#include "pgp/encryptor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/encoding.h"
#include "pgp/pgp_mime.h"
#include "testing/status_matchers.h"

namespace sealpost::pgp {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

EmailAddress Addr(std::string_view text) { return *EmailAddress::Parse(text); }
TimePoint At(int64_t unix_seconds) { return TimePoint(std::chrono::seconds(unix_seconds)); }
constexpr int64_t kCreated = 1764000000;

struct Party {
  std::unique_ptr<MemberKey> key;
  ContactKey contact;  // the same key as another party imports it
};

Party MakeParty(std::string_view address) {
  Party p;
  auto generated = GenerateMemberKey(Addr(address), At(kCreated));
  EXPECT_THAT(generated.status(), IsOk());
  auto loaded = MemberKey::Load(generated->secret_key);
  EXPECT_THAT(loaded.status(), IsOk());
  p.key = std::move(*loaded);
  const KeyImport imported = ImportPublicKey(generated->public_key, Addr(address), At(kCreated));
  EXPECT_TRUE(imported.ok()) << imported.status().ToString();
  p.contact = imported.key();
  return p;
}

class EncryptorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alice_ = MakeParty("alice@example.org");
    bob_ = MakeParty("bob@example.net");
    ASSERT_NE(alice_.key, nullptr);
    ASSERT_NE(bob_.key, nullptr);
  }
  Party alice_;
  Party bob_;
  const std::string plaintext_ = "Subject: hi\r\n\r\nHello Bob.\r\n";
  const TimePoint now_ = At(kCreated + 60);
};

TEST_F(EncryptorTest, RoundTrip) {
  auto message = EncryptAndSign(AsBytes(plaintext_), bob_.contact, *alice_.key, now_);
  ASSERT_THAT(message.status(), IsOk());
  EXPECT_THAT(*message, StartsWith("-----BEGIN PGP MESSAGE-----"));
  EXPECT_THAT(*message, ::testing::Not(HasSubstr("Hello Bob")));
  auto decrypted = DecryptAndVerify(AsBytes(*message), *bob_.key, alice_.contact, now_);
  ASSERT_THAT(decrypted.status(), IsOk());
  EXPECT_EQ(decrypted->plaintext.AsStringView(), plaintext_);
  EXPECT_EQ(decrypted->signer_fingerprint, alice_.key->fingerprint());
  EXPECT_EQ(decrypted->signed_at, now_);
}

TEST_F(EncryptorTest, EmptyAndLargePlaintexts) {
  for (const size_t size : {size_t{0}, size_t{1}, size_t{100000}}) {
    std::string text(size, 'x');
    for (size_t i = 0; i < size; ++i) text[i] = static_cast<char>(i * 31);
    auto message = EncryptAndSign(AsBytes(text), bob_.contact, *alice_.key, now_);
    ASSERT_THAT(message.status(), IsOk());
    auto decrypted = DecryptAndVerify(AsBytes(*message), *bob_.key, alice_.contact, now_);
    ASSERT_THAT(decrypted.status(), IsOk()) << size;
    EXPECT_EQ(decrypted->plaintext.AsStringView(), text);
  }
}

TEST_F(EncryptorTest, EveryFlippedByteIsRefusedOrChangesNothing) {
  auto message = EncryptAndSign(AsBytes(plaintext_), bob_.contact, *alice_.key, now_);
  ASSERT_THAT(message.status(), IsOk());
  // The base64 body lies between the blank line after the header and the CRC line.
  const size_t body = message->find("\n\n") + 2;
  const size_t crc = message->rfind("\n=");
  ASSERT_LT(body, crc);
  int refused = 0;
  int unchanged = 0;
  for (size_t at = body; at < crc; ++at) {
    const char c = (*message)[at];
    if (c == '\n') continue;
    std::string flipped = *message;
    // Another base64 character, so the armour still decodes and the packets see the change.
    flipped[at] = c == 'A' ? 'B' : 'A';
    auto result = DecryptAndVerify(AsBytes(flipped), *bob_.key, alice_.contact, now_);
    if (result.ok()) {
      // RNP reads a packet whose length header claims more than is there up to the end of the
      // input, so a change to the SEIPD length octets alone leaves the (authenticated) content
      // as it was. Anything else must be refused.
      EXPECT_EQ(result->plaintext.AsStringView(), plaintext_) << "at " << at;
      ++unchanged;
    } else {
      EXPECT_THAT(result.status(), StatusIs(ErrorCode::kUnauthenticated)) << "at " << at;
      ++refused;
    }
  }
  EXPECT_LE(unchanged, 3);
  EXPECT_GT(refused, 100);
}

TEST_F(EncryptorTest, WrongRecipientOrSignerIsRefused) {
  auto message = EncryptAndSign(AsBytes(plaintext_), bob_.contact, *alice_.key, now_);
  ASSERT_THAT(message.status(), IsOk());
  Party carol = MakeParty("carol@example.com");
  // Carol cannot decrypt what was encrypted to Bob.
  EXPECT_THAT(DecryptAndVerify(AsBytes(*message), *carol.key, alice_.contact, now_).status(),
              StatusIs(ErrorCode::kUnauthenticated));
  // Bob expecting Carol's signature refuses Alice's.
  EXPECT_THAT(DecryptAndVerify(AsBytes(*message), *bob_.key, carol.contact, now_).status(),
              StatusIs(ErrorCode::kUnauthenticated));
}

TEST_F(EncryptorTest, ManyContactsAndThreadsShareOneMemberKey) {
  // More contacts than the member's context keeps loaded: it unloads and starts over, and every
  // message still goes to the right key.
  std::vector<Party> contacts;
  for (int i = 0; i < 70; ++i) contacts.push_back(MakeParty(fmt::format("c{}@example.com", i)));
  for (const Party& c : contacts) {
    auto message = EncryptAndSign(AsBytes(plaintext_), c.contact, *alice_.key, now_);
    ASSERT_THAT(message.status(), IsOk());
    auto decrypted = DecryptAndVerify(AsBytes(*message), *c.key, alice_.contact, now_);
    ASSERT_THAT(decrypted.status(), IsOk());
    EXPECT_EQ(decrypted->plaintext.AsStringView(), plaintext_);
  }
  // The first contact was unloaded on the way; it loads again.
  auto again = EncryptAndSign(AsBytes(plaintext_), contacts[0].contact, *alice_.key, now_);
  ASSERT_THAT(again.status(), IsOk());
  EXPECT_THAT(DecryptAndVerify(AsBytes(*again), *contacts[0].key, alice_.contact, now_).status(),
              IsOk());

  // Four threads, one signer key, different recipients.
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const Party& to = contacts[(t * 10 + i) % contacts.size()];
        auto message = EncryptAndSign(AsBytes(plaintext_), to.contact, *alice_.key, now_);
        if (!message.ok()) continue;
        if (DecryptAndVerify(AsBytes(*message), *to.key, alice_.contact, now_).ok()) ++good;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(good.load(), 40);
}

TEST_F(EncryptorTest, GarbageIsRefused) {
  for (const std::string_view bad :
       {std::string_view(""), std::string_view("hello"),
        std::string_view("-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP MESSAGE-----\n")}) {
    EXPECT_THAT(DecryptAndVerify(AsBytes(bad), *bob_.key, alice_.contact, now_).status(),
                StatusIs(ErrorCode::kUnauthenticated));
  }
}

// Whatever line ends the armour arrives with, the part carries CRLF only: LF and CRLF become
// CRLF, a stray CR is dropped, a missing final line end is added.
TEST(PgpMimeTest, ArmourLineEndsBecomeCrlf) {
  const std::string body = WrapPgpMime("a\nb\r\nc\rd\n\ne").body;
  EXPECT_THAT(body, HasSubstr("\r\n\r\na\r\nb\r\ncd\r\n\r\ne\r\n--"));
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\n') {
      EXPECT_TRUE(i > 0 && body[i - 1] == '\r') << i;
    }
    if (body[i] == '\r') {
      EXPECT_TRUE(i + 1 < body.size() && body[i + 1] == '\n') << i;
    }
  }
  EXPECT_THAT(WrapPgpMime("").body, HasSubstr("\r\n\r\n\r\n--"));
}

TEST_F(EncryptorTest, PgpMimeWrapsTheArmouredMessage) {
  auto message = EncryptAndSign(AsBytes(plaintext_), bob_.contact, *alice_.key, now_);
  ASSERT_THAT(message.status(), IsOk());
  const PgpMimeEntity entity = WrapPgpMime(*message);
  EXPECT_THAT(entity.content_type,
              StartsWith("multipart/encrypted; protocol=\"application/pgp-encrypted\"; "
                         "boundary=\"=_sealpost_"));
  const size_t b = entity.content_type.find("boundary=\"") + 10;
  const std::string boundary = entity.content_type.substr(b, entity.content_type.size() - b - 1);
  EXPECT_EQ(boundary.size(), 11u + 36u);
  EXPECT_THAT(entity.body, HasSubstr("--" + boundary +
                                     "\r\nContent-Type: application/pgp-encrypted"
                                     "\r\nContent-Description: PGP/MIME version identification"
                                     "\r\n\r\nVersion: 1\r\n"));
  EXPECT_THAT(entity.body, HasSubstr("Content-Type: application/octet-stream"));
  EXPECT_THAT(entity.body, HasSubstr("\r\n-----BEGIN PGP MESSAGE-----\r\n"));
  EXPECT_TRUE(entity.body.ends_with("--" + boundary + "--\r\n"));
  EXPECT_EQ(entity.body.find("\n\n"), std::string::npos);  // no bare LF anywhere
  EXPECT_THAT(entity.ToEntity(), StartsWith("Content-Type: multipart/encrypted;"));
  // A fresh boundary each time.
  EXPECT_NE(WrapPgpMime(*message).content_type, entity.content_type);

  // The armoured part comes back out and still decrypts.
  const size_t start = entity.body.find("-----BEGIN PGP MESSAGE-----");
  const size_t end = entity.body.find("-----END PGP MESSAGE-----") + 25;
  const std::string part = entity.body.substr(start, end - start);
  auto decrypted = DecryptAndVerify(AsBytes(part), *bob_.key, alice_.contact, now_);
  ASSERT_THAT(decrypted.status(), IsOk());
  EXPECT_EQ(decrypted->plaintext.AsStringView(), plaintext_);
}

}  // namespace
}  // namespace sealpost::pgp

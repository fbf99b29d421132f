#include "tlog/note.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/secret_bytes.h"
#include "testing/status_matchers.h"

namespace sealpost::tlog {
namespace {

// The example of golang.org/x/mod/sumdb/note (note.go's package comment and note_test.go), also
// the example of c2sp.org/signed-note's predecessor: the PeterNeumann key and its signed text.
constexpr std::string_view kPeterSkeyB64 = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr std::string_view kPeterVkey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view kPeterText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr std::string_view kPeterNote =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

crypto::SigningKey PeterKey() {
  auto typed = Base64Decode(kPeterSkeyB64);
  EXPECT_TRUE(typed.ok());
  EXPECT_EQ((*typed)[0], 0x01);  // Ed25519
  auto key = crypto::SigningKey::FromSeed(crypto::SecretBytes::CopyOf(ByteView(*typed).subspan(1)));
  EXPECT_TRUE(key.ok());
  return std::move(key).value();
}

NoteVerifier PeterVerifier() {
  auto verifier = ParseVerifierKey(kPeterVkey);
  EXPECT_THAT(verifier.status(), IsOk());
  return *verifier;
}

TEST(NoteTest, GoVectorKeyHashAndVerifierKey) {
  const crypto::SigningKey key = PeterKey();
  EXPECT_EQ(Ed25519KeyHash("PeterNeumann", key.verify_key()), 0xc74f20a3u);
  const NoteVerifier verifier = PeterVerifier();
  EXPECT_EQ(verifier.key, key.verify_key());
  EXPECT_EQ(FormatVerifierKey(verifier), kPeterVkey);
}

TEST(NoteTest, GoVectorSignsAndOpensByteForByte) {
  const crypto::SigningKey key = PeterKey();
  auto signed_note = SignNote(kPeterText, "PeterNeumann", key);
  ASSERT_THAT(signed_note.status(), IsOk());
  EXPECT_EQ(*signed_note, kPeterNote);

  const std::vector<NoteVerifier> verifiers = {PeterVerifier()};
  auto text = OpenNote(kPeterNote, verifiers);
  ASSERT_THAT(text.status(), IsOk());
  EXPECT_EQ(*text, kPeterText);
}

TEST(NoteTest, AFlippedByteAnywhereFails) {
  const std::vector<NoteVerifier> verifiers = {PeterVerifier()};
  const std::string note(kPeterNote);
  for (size_t i = 0; i < note.size(); ++i) {
    std::string tampered = note;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    EXPECT_FALSE(OpenNote(tampered, verifiers).ok()) << "byte " << i;
  }
}

TEST(NoteTest, WrongKeyNameOrKeyIsNotAccepted) {
  const NoteVerifier peter = PeterVerifier();
  // Same key under another name: the signature line's name and hash no longer match it.
  const std::vector<NoteVerifier> renamed = {NoteVerifier{"PaulNeumann", peter.key}};
  EXPECT_THAT(OpenNote(kPeterNote, renamed).status(), StatusIs(ErrorCode::kUnauthenticated));
  const crypto::SigningKey other = crypto::SigningKey::Generate();
  const std::vector<NoteVerifier> stranger = {NoteVerifier{"PeterNeumann", other.verify_key()}};
  EXPECT_THAT(OpenNote(kPeterNote, stranger).status(), StatusIs(ErrorCode::kUnauthenticated));
  EXPECT_THAT(OpenNote(kPeterNote, {}).status(), StatusIs(ErrorCode::kUnauthenticated));
}

TEST(NoteTest, UnknownSignersAreIgnoredButABadKnownSignatureIsNot) {
  const crypto::SigningKey other = crypto::SigningKey::Generate();
  auto by_other = SignNote(kPeterText, "EnochRoot", other);
  ASSERT_THAT(by_other.status(), IsOk());
  // Peter's note with Enoch's signature line added after Peter's.
  const std::string both = std::string(kPeterNote) + by_other->substr(kPeterText.size() + 1);
  const std::vector<NoteVerifier> peter = {PeterVerifier()};
  EXPECT_THAT(OpenNote(both, peter).status(), IsOk());
  const std::vector<NoteVerifier> enoch = {NoteVerifier{"EnochRoot", other.verify_key()}};
  EXPECT_THAT(OpenNote(both, enoch).status(), IsOk());

  // A signature line carrying Peter's name and key hash but a wrong signature.
  std::string forged(kPeterNote);
  const size_t pos = forged.find("x08go/");
  forged[pos + 10] = forged[pos + 10] == 'A' ? 'B' : 'A';
  const std::string with_forged = std::string(kPeterText) + "\n" +
                                  by_other->substr(kPeterText.size() + 1) +
                                  forged.substr(kPeterText.size() + 1);
  EXPECT_THAT(OpenNote(with_forged, enoch).status(), IsOk());
  EXPECT_THAT(OpenNote(with_forged, peter).status(), StatusIs(ErrorCode::kUnauthenticated));
}

TEST(NoteTest, RefusesMalformedNotes) {
  const std::string sig_line(kPeterNote.substr(kPeterText.size() + 1));
  const std::vector<std::string> bad = {
      "",
      std::string(kPeterText) + sig_line,                              // no blank line
      std::string(kPeterText) + "\n",                                  // no signatures
      std::string(kPeterNote.substr(0, kPeterNote.size() - 1)),        // no final newline
      std::string(kPeterText) + "\n- PeterNeumann AAAAAAAA\n",         // ASCII dash
      std::string(kPeterText) + "\n\xE2\x80\x94 PeterNeumann\n",       // no signature
      std::string(kPeterText) + "\n\xE2\x80\x94 PeterNeumann !!!!\n",  // bad base64
      std::string(kPeterText) + "\n\xE2\x80\x94 PeterNeumann AAAA\n",  // too short
      std::string(kPeterText) + "\n\xE2\x80\x94  AAAAAAAA\n",          // empty name
      "bad\x01text\n\n" + sig_line,                                    // control character
      "bad \xC3\x28 utf-8\n\n" + sig_line,
  };
  for (const std::string& note : bad) {
    EXPECT_THAT(ParseNote(note).status(), StatusIs(ErrorCode::kInvalidArgument)) << note;
  }
  std::string many(kPeterText);
  many += "\n";
  for (int i = 0; i < 101; ++i) many += sig_line;
  EXPECT_THAT(ParseNote(many).status(), StatusIs(ErrorCode::kInvalidArgument));
  std::string huge(kMaxNoteBytes, 'a');
  huge += "\n\n" + sig_line;
  EXPECT_THAT(ParseNote(huge).status(), StatusIs(ErrorCode::kInvalidArgument));
}

TEST(NoteTest, RefusesBadVerifierKeysAndSigningInput) {
  EXPECT_FALSE(
      ParseVerifierKey("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
          .ok());  // key hash off by one
  EXPECT_FALSE(ParseVerifierKey("PeterNeumann+c74f20a3+AhpcQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
                   .ok());  // not Ed25519
  EXPECT_FALSE(ParseVerifierKey("PeterNeumann+c74f20a3").ok());
  const crypto::SigningKey key = crypto::SigningKey::Generate();
  EXPECT_FALSE(SignNote("no newline", "k", key).ok());
  EXPECT_FALSE(SignNote("a\n\nb\n", "k", key).ok());
  EXPECT_FALSE(SignNote("ok\n", "has space", key).ok());
  EXPECT_FALSE(SignNote("ok\n", "has+plus", key).ok());
  EXPECT_FALSE(SignNote("ok\n", "", key).ok());
}

}  // namespace
}  // namespace sealpost::tlog

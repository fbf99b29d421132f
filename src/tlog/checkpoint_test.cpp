#include "tlog/checkpoint.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/secret_bytes.h"
#include "testing/hex.h"
#include "testing/status_matchers.h"

namespace sealpost::tlog {
namespace {

Checkpoint Example() {
  Checkpoint checkpoint;
  checkpoint.origin = "sealpost.example/audit";
  checkpoint.size = 8;
  std::vector<Hash> leaves;
  for (int i = 0; i < 8; ++i) leaves.push_back(LeafHash(AsBytes(std::to_string(i))));
  checkpoint.root_hash = RootHash(leaves);
  return checkpoint;
}

TEST(CheckpointTest, FormatsTheC2spBody) {
  Checkpoint checkpoint;
  checkpoint.origin = "example.com/log";
  checkpoint.size = 1;
  checkpoint.root_hash = LeafHash({});  // 6e340b9c…, the first RFC 6962 reference root
  checkpoint.extensions = {"ext one", "ext two"};
  auto text = FormatCheckpoint(checkpoint);
  ASSERT_THAT(text.status(), IsOk());
  EXPECT_EQ(*text,
            "example.com/log\n"
            "1\n"
            "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n"
            "ext one\n"
            "ext two\n");
  auto parsed = ParseCheckpoint(*text);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(*parsed, checkpoint);
}

TEST(CheckpointTest, SignedRoundTrip) {
  const crypto::SigningKey key = crypto::SigningKey::Generate();
  const Checkpoint checkpoint = Example();
  auto note = SignCheckpoint(checkpoint, "sealpost.example/audit", key);
  ASSERT_THAT(note.status(), IsOk());
  const std::vector<NoteVerifier> verifiers = {
      NoteVerifier{"sealpost.example/audit", key.verify_key()}};
  auto opened = OpenCheckpoint(*note, verifiers);
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(*opened, checkpoint);

  for (size_t i = 0; i < note->size(); ++i) {
    std::string tampered = *note;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x20);
    EXPECT_FALSE(OpenCheckpoint(tampered, verifiers).ok()) << "byte " << i;
  }
  const crypto::SigningKey other = crypto::SigningKey::Generate();
  const std::vector<NoteVerifier> wrong = {
      NoteVerifier{"sealpost.example/audit", other.verify_key()}};
  EXPECT_THAT(OpenCheckpoint(*note, wrong).status(), StatusIs(ErrorCode::kUnauthenticated));
}

// The example of docs/formats/checkpoint.md: the RFC 6962 reference tree of 8 leaves, signed with
// the seed 00 01 … 1f. Ed25519 is deterministic, so the bytes are fixed; the signature was also
// checked with Python's cryptography package.
TEST(CheckpointTest, DocumentedExample) {
  Bytes seed(32);
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>(i);
  auto key = crypto::SigningKey::FromSeed(crypto::SecretBytes::CopyOf(seed));
  ASSERT_THAT(key.status(), IsOk());
  Checkpoint checkpoint;
  checkpoint.origin = "sealpost.example/audit";
  checkpoint.size = 8;
  std::vector<Hash> leaves;
  for (const char* hex : {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                          "606162636465666768696a6b6c6d6e6f"}) {
    leaves.push_back(LeafHash(testutil::Hex(hex)));
  }
  checkpoint.root_hash = RootHash(leaves);
  const std::string want =
      "sealpost.example/audit\n"
      "8\n"
      "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
      "\n"
      "\xE2\x80\x94 sealpost.example/audit "
      "/QtTv1X3sbPPeWdkVodyzXNpodMcL5l7IUdZqOU45BHi/xnTOrkO1OVhDND5aJ36hTLIK7fdzTDvB1/"
      "i811eQpHPPA8=\n";
  auto note = SignCheckpoint(checkpoint, "sealpost.example/audit", *key);
  ASSERT_THAT(note.status(), IsOk());
  EXPECT_EQ(*note, want);
  auto verifier = ParseVerifierKey(
      "sealpost.example/audit+fd0b53bf+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4");
  ASSERT_THAT(verifier.status(), IsOk());
  EXPECT_EQ(verifier->key, key->verify_key());
  const std::vector<NoteVerifier> verifiers = {*verifier};
  auto opened = OpenCheckpoint(want, verifiers);
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(*opened, checkpoint);
}

TEST(CheckpointTest, RefusesMalformedBodies) {
  const std::string root = "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=";
  const std::vector<std::string> bad = {
      "",
      "origin\n1\n" + root,                                         // no final newline
      "origin\n1\n",                                                // no root
      "\n1\n" + root + "\n",                                        // empty origin
      "origin\n01\n" + root + "\n",                                 // leading zero
      "origin\n-1\n" + root + "\n",                                 // not decimal
      "origin\n1 \n" + root + "\n",                                 // trailing space
      "origin\n0x10\n" + root + "\n",                               // hex
      "origin\n18446744073709551616\n" + root + "\n",               // 2^64
      "origin\n100000000000000000000\n" + root + "\n",              // 21 digits
      "origin\n1\n" + root.substr(0, 43) + "\n",                    // missing padding
      "origin\n1\n" + root + "AAAA\n",                              // 35 bytes
      "origin\n1\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB1=\n",  // non-canonical bits
      "origin\n1\n!!!!\n",                                          // bad base64
      "origin\n1\n" + root + "\n\next\n",                           // blank line
      "origin\n1\n" + root +
          "\nbad\x01"
          "ext\n",                    // control character
      "origin\r\n1\n" + root + "\n",  // CR
  };
  for (const std::string& text : bad) {
    EXPECT_THAT(ParseCheckpoint(text).status(), StatusIs(ErrorCode::kInvalidArgument)) << text;
  }
  std::string many = "origin\n1\n" + root + "\n";
  for (int i = 0; i < 100; ++i) many += "e\n";
  EXPECT_THAT(ParseCheckpoint(many).status(), IsOk());
  many += "e\n";
  EXPECT_THAT(ParseCheckpoint(many).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseCheckpoint("origin\n18446744073709551615\n" + root + "\n").status(), IsOk());
  EXPECT_THAT(ParseCheckpoint("origin\n0\n" + root + "\n").status(), IsOk());
}

TEST(CheckpointTest, RefusesFieldsThatAreNotOneLine) {
  Checkpoint checkpoint = Example();
  checkpoint.origin = "two\nlines";
  EXPECT_FALSE(FormatCheckpoint(checkpoint).ok());
  checkpoint.origin = "";
  EXPECT_FALSE(FormatCheckpoint(checkpoint).ok());
  checkpoint = Example();
  checkpoint.extensions = {""};
  EXPECT_FALSE(FormatCheckpoint(checkpoint).ok());
}

}  // namespace
}  // namespace sealpost::tlog

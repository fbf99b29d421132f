// Interop with the two OpenPGP implementations contacts actually use: GnuPG 2.2 and Sequoia
// (sq). Keys they make are imported through ImportPublicKey; what Sealpost encrypts and signs
// must decrypt and verify in them; what they encrypt and sign must pass DecryptAndVerify.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "pgp/encryptor.h"
#include "pgp/member_key.h"
#include "pgp/pgp_mime.h"
#include "pgp/public_key.h"
#include "pgp/testing/gnupg.h"
#include "testing/status_matchers.h"

namespace sealpost::pgp {
namespace {

using testing::GnuPg;
using ::testing::HasSubstr;
using testutil::ReadFileBytes;
using testutil::ToolResult;
using testutil::WriteFileBytes;

EmailAddress Addr(std::string_view text) { return *EmailAddress::Parse(text); }
TimePoint Now() { return std::chrono::system_clock::now(); }

// A MIME entity with CRLF line ends, 8-bit text and every byte value: the literal data must
// come out byte for byte (no text-mode line-end conversion anywhere).
std::string Plaintext() {
  std::string text =
      "Content-Type: application/octet-stream\r\n"
      "Content-Transfer-Encoding: binary\r\n\r\n"
      "Gr\xc3\xbc\xc3\x9f"
      "e aus Z\xc3\xbcrich\r\n";
  for (int i = 0; i < 256; ++i) text.push_back(static_cast<char>(i));
  text += "\n\r\nend without newline";
  return text;
}

class InteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto generated = GenerateMemberKey(Addr("alice@example.org"), Now());
    ASSERT_THAT(generated.status(), IsOk());
    member_public_armored_ = generated->public_key_armored;
    auto loaded = MemberKey::Load(generated->secret_key);
    ASSERT_THAT(loaded.status(), IsOk());
    member_ = std::move(*loaded);
    auto self = ImportPublicKey(member_->public_key(), Addr("alice@example.org"), Now());
    ASSERT_TRUE(self.ok()) << self.status().ToString();
    member_contact_ = self.key();
  }

  // Sealpost encrypts and signs to `contact`; gpg (holding the contact's secret key) decrypts
  // and verifies it with the member's public key imported.
  void ExpectGpgReads(const ContactKey& contact) {
    auto message = EncryptAndSign(AsBytes(Plaintext()), contact, *member_, Now());
    ASSERT_THAT(message.status(), IsOk());
    EXPECT_THAT(*message, HasSubstr("-----BEGIN PGP MESSAGE-----"));
    WriteFileBytes(gpg_.Path("member.asc"), member_public_armored_);
    WriteFileBytes(gpg_.Path("msg.asc"), *message);
    ASSERT_EQ(gpg_.Gpg({"--import", "member.asc"}).exit_code, 0);
    const ToolResult out =
        gpg_.Gpg({"--status-fd", "1", "--output", "plain.out", "--decrypt", "msg.asc"});
    EXPECT_EQ(out.exit_code, 0) << out.out << out.err;
    EXPECT_THAT(out.out, HasSubstr("[GNUPG:] DECRYPTION_OKAY"));
    // mdc_method 2 (SEIPD v1 with MDC), cipher 9 (AES-256), no AEAD.
    EXPECT_THAT(out.out, HasSubstr("[GNUPG:] DECRYPTION_INFO 2 9"));
    EXPECT_THAT(out.out, ::testing::Not(HasSubstr("DECRYPTION_INFO 2 9 2")));
    EXPECT_THAT(out.out, HasSubstr("[GNUPG:] GOODSIG " + member_->fingerprint().substr(24)));
    EXPECT_THAT(out.out, HasSubstr("[GNUPG:] VALIDSIG " + member_->fingerprint()));
    // Digest algorithm 8 (SHA-256) in VALIDSIG: "... <pk algo> <hash algo> ...".
    EXPECT_THAT(out.out,
                ::testing::ContainsRegex("VALIDSIG [0-9A-F]+ [0-9-]+ [0-9]+ 0 4 0 22 8 00"));
    EXPECT_EQ(ReadFileBytes(gpg_.Path("plain.out")), Plaintext());
  }

  GnuPg gpg_;
  std::unique_ptr<MemberKey> member_;
  ContactKey member_contact_;
  std::string member_public_armored_;
};

TEST_F(InteropTest, MemberKeyAsGpgSeesIt) {
  WriteFileBytes(gpg_.Path("member.asc"), member_public_armored_);
  const ToolResult packets = gpg_.Gpg({"--list-packets", "member.asc"});
  ASSERT_EQ(packets.exit_code, 0) << packets.err;
  // Two self-signatures (user ID certification, subkey binding), both SHA-256 (digest algo 8).
  EXPECT_THAT(packets.out, HasSubstr("user ID packet: \"alice@example.org\""));
  EXPECT_THAT(packets.out, ::testing::ContainsRegex("sigclass 0x13.*\n.*digest algo 8"));
  EXPECT_THAT(packets.out, ::testing::ContainsRegex("sigclass 0x18.*\n.*digest algo 8"));
  EXPECT_THAT(packets.out, ::testing::Not(HasSubstr("digest algo 2,")));  // no SHA-1
  ASSERT_EQ(gpg_.Gpg({"--import", "member.asc"}).exit_code, 0);
  const ToolResult listed = gpg_.Gpg({"--with-colons", "--list-keys", member_->fingerprint()});
  // pub: Ed25519 (algo 22), sign+certify, no expiry; sub: Cv25519 (algo 18), encrypt.
  EXPECT_THAT(listed.out, ::testing::ContainsRegex("\npub:[^:]*:255:22:[0-9A-F]+:[0-9]+:::"));
  EXPECT_THAT(listed.out, ::testing::ContainsRegex("\nsub:[^:]*:255:18:[0-9A-F]+:[0-9]+:::"));
  EXPECT_THAT(listed.out, ::testing::ContainsRegex("\npub:([^:]*:){10}sc"));
  EXPECT_THAT(listed.out, ::testing::ContainsRegex("\nsub:([^:]*:){10}e"));
}

TEST_F(InteropTest, GpgEd25519KeyImportsAndReadsOurMessage) {
  const std::string fpr =
      gpg_.MakeKey("Bob Builder <bob@example.net>", "ed25519", "cert,sign", "cv25519");
  ASSERT_EQ(fpr.size(), 40u);
  const KeyImport imported =
      ImportPublicKey(AsBytes(gpg_.Export(fpr)), Addr("bob@example.net"), Now());
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported.key().fingerprint, fpr);
  EXPECT_EQ(imported.key().algorithm, "EDDSA Ed25519");
  EXPECT_EQ(imported.key().user_id, "Bob Builder <bob@example.net>");
  EXPECT_EQ(imported.key().encryption_algorithm, "ECDH Curve25519");
  EXPECT_NE(imported.key().encryption_fingerprint, fpr);
  EXPECT_FALSE(imported.key().expires.has_value());
  ExpectGpgReads(imported.key());
}

TEST_F(InteropTest, PgpMimeParsesWithPythonEmailAndDecryptsWithGpg) {
  const std::string fpr = gpg_.MakeKey("bob@example.net", "ed25519", "cert,sign", "cv25519");
  const KeyImport bob = ImportPublicKey(AsBytes(gpg_.Export(fpr)), Addr("bob@example.net"), Now());
  ASSERT_TRUE(bob.ok()) << bob.status().ToString();
  auto message = EncryptAndSign(AsBytes(Plaintext()), bob.key(), *member_, Now());
  ASSERT_THAT(message.status(), IsOk());
  const PgpMimeEntity entity = WrapPgpMime(*message);
  WriteFileBytes(gpg_.Path("mail.eml"),
                 "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: ...\r\n"
                 "MIME-Version: 1.0\r\n" +
                     entity.ToEntity());
  // Python's email package (an independent MIME parser) sees RFC 3156's structure.
  const ToolResult parsed = testutil::RunTool(
      {"python3", "-c",
       "import email, email.policy, sys\n"
       "m = email.message_from_binary_file(open('mail.eml', 'rb'), policy=email.policy.default)\n"
       "parts = list(m.iter_parts())\n"
       "print(m.get_content_type(), m.get_param('protocol'), len(parts))\n"
       "print(parts[0].get_content_type(), parts[0].get_payload(decode=True).decode().strip())\n"
       "print(parts[1].get_content_type())\n"
       "open('part2.asc', 'wb').write(parts[1].get_payload(decode=True))\n"},
      gpg_.dir());
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err;
  EXPECT_EQ(parsed.out,
            "multipart/encrypted application/pgp-encrypted 2\n"
            "application/pgp-encrypted Version: 1\n"
            "application/octet-stream\n");
  WriteFileBytes(gpg_.Path("member.asc"), member_public_armored_);
  ASSERT_EQ(gpg_.Gpg({"--import", "member.asc"}).exit_code, 0);
  const ToolResult out =
      gpg_.Gpg({"--status-fd", "1", "--output", "plain.out", "--decrypt", "part2.asc"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_THAT(out.out, HasSubstr("[GNUPG:] VALIDSIG " + member_->fingerprint()));
  EXPECT_EQ(ReadFileBytes(gpg_.Path("plain.out")), Plaintext());
}

TEST_F(InteropTest, GpgRsa3072KeyImportsAndReadsOurMessage) {
  const std::string fpr = gpg_.MakeKey("carol@example.net", "rsa3072", "cert,sign", "rsa3072");
  ASSERT_EQ(fpr.size(), 40u);
  // Binary export this time.
  const KeyImport imported =
      ImportPublicKey(AsBytes(gpg_.Export(fpr, false)), Addr("carol@example.net"), Now());
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported.key().fingerprint, fpr);
  EXPECT_EQ(imported.key().algorithm, "RSA 3072");
  ExpectGpgReads(imported.key());
}

TEST_F(InteropTest, SequoiaKeyImportsAndSqReadsOurMessage) {
  ToolResult made =
      gpg_.Sq({"key", "generate", "--userid", "<dave@example.net>", "--export", "dave.key"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  made = gpg_.Sq({"key", "extract-cert", "--output", "dave.cert", "dave.key"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const KeyImport imported = ImportPublicKey(AsBytes(ReadFileBytes(gpg_.Path("dave.cert"))),
                                             Addr("dave@example.net"), Now());
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported.key().user_id, "<dave@example.net>");

  auto message = EncryptAndSign(AsBytes(Plaintext()), imported.key(), *member_, Now());
  ASSERT_THAT(message.status(), IsOk());
  WriteFileBytes(gpg_.Path("msg.asc"), *message);
  WriteFileBytes(gpg_.Path("member.pub"), AsChars(member_->public_key()));
  const ToolResult out = gpg_.Sq({"decrypt", "--recipient-key", "dave.key", "--signer-cert",
                                  "member.pub", "--output", "plain.out", "msg.asc"});
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(ReadFileBytes(gpg_.Path("plain.out")), Plaintext());

  // A signer sq does not know: the same message must not verify.
  WriteFileBytes(gpg_.Path("other.pub"), AsChars(member_contact_.public_key));
  auto other = GenerateMemberKey(Addr("mallory@example.org"), Now());
  ASSERT_THAT(other.status(), IsOk());
  WriteFileBytes(gpg_.Path("other.pub"), AsChars(other->public_key));
  const ToolResult wrong = gpg_.Sq({"decrypt", "--recipient-key", "dave.key", "--signer-cert",
                                    "other.pub", "--output", "plain2.out", "msg.asc"});
  EXPECT_NE(wrong.exit_code, 0);
}

TEST_F(InteropTest, GpgEncryptsAndSignsToMember) {
  const std::string fpr = gpg_.MakeKey("erin@example.net", "ed25519", "cert,sign", "cv25519");
  const KeyImport erin =
      ImportPublicKey(AsBytes(gpg_.Export(fpr)), Addr("erin@example.net"), Now());
  ASSERT_TRUE(erin.ok()) << erin.status().ToString();
  WriteFileBytes(gpg_.Path("member.asc"), member_public_armored_);
  WriteFileBytes(gpg_.Path("plain.in"), Plaintext());
  ASSERT_EQ(gpg_.Gpg({"--import", "member.asc"}).exit_code, 0);
  const ToolResult enc =
      gpg_.Gpg({"--armor", "--output", "msg.asc", "--encrypt", "--sign", "--recipient",
                member_->fingerprint(), "--local-user", fpr, "plain.in"});
  ASSERT_EQ(enc.exit_code, 0) << enc.err;
  const std::string message = ReadFileBytes(gpg_.Path("msg.asc"));

  auto decrypted = DecryptAndVerify(AsBytes(message), *member_, erin.key(), Now());
  ASSERT_THAT(decrypted.status(), IsOk());
  EXPECT_EQ(decrypted->plaintext.AsStringView(), Plaintext());
  EXPECT_EQ(decrypted->signer_fingerprint, fpr);

  // Expecting another signer (the member itself) fails.
  auto wrong_signer = DecryptAndVerify(AsBytes(message), *member_, member_contact_, Now());
  EXPECT_THAT(wrong_signer.status(), StatusIs(ErrorCode::kUnauthenticated));

  // Encrypted by gpg but not signed: refused, whatever the expected signer.
  const ToolResult unsigned_msg = gpg_.Gpg({"--armor", "--output", "unsigned.asc", "--encrypt",
                                            "--recipient", member_->fingerprint(), "plain.in"});
  ASSERT_EQ(unsigned_msg.exit_code, 0) << unsigned_msg.err;
  EXPECT_THAT(DecryptAndVerify(AsBytes(ReadFileBytes(gpg_.Path("unsigned.asc"))), *member_,
                               erin.key(), Now())
                  .status(),
              StatusIs(ErrorCode::kUnauthenticated));
  // Signed but not encrypted (gpg --sign): refused as well.
  const ToolResult signed_only =
      gpg_.Gpg({"--armor", "--output", "signed.asc", "--local-user", fpr, "--sign", "plain.in"});
  ASSERT_EQ(signed_only.exit_code, 0) << signed_only.err;
  EXPECT_THAT(
      DecryptAndVerify(AsBytes(ReadFileBytes(gpg_.Path("signed.asc"))), *member_, erin.key(), Now())
          .status(),
      StatusIs(ErrorCode::kUnauthenticated));

  // gpg's binary output, one byte flipped in the encrypted part: refused, nothing returned.
  const ToolResult bin = gpg_.Gpg({"--output", "msg.gpg", "--encrypt", "--sign", "--recipient",
                                   member_->fingerprint(), "--local-user", fpr, "plain.in"});
  ASSERT_EQ(bin.exit_code, 0) << bin.err;
  std::string binary = ReadFileBytes(gpg_.Path("msg.gpg"));
  ASSERT_THAT(DecryptAndVerify(AsBytes(binary), *member_, erin.key(), Now()).status(), IsOk());
  for (const size_t at : {binary.size() - 1, binary.size() - 30, binary.size() / 2 + 60}) {
    std::string flipped = binary;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x01);
    auto broken = DecryptAndVerify(AsBytes(flipped), *member_, erin.key(), Now());
    EXPECT_THAT(broken.status(), StatusIs(ErrorCode::kUnauthenticated)) << "flip at " << at;
  }
}

TEST_F(InteropTest, SqEncryptsAndSignsToMember) {
  ToolResult made =
      gpg_.Sq({"key", "generate", "--userid", "<frank@example.net>", "--export", "frank.key"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  made = gpg_.Sq({"key", "extract-cert", "--output", "frank.cert", "frank.key"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const KeyImport frank = ImportPublicKey(AsBytes(ReadFileBytes(gpg_.Path("frank.cert"))),
                                          Addr("frank@example.net"), Now());
  ASSERT_TRUE(frank.ok()) << frank.status().ToString();
  WriteFileBytes(gpg_.Path("member.pub"), AsChars(member_->public_key()));
  WriteFileBytes(gpg_.Path("plain.in"), Plaintext());
  const ToolResult enc = gpg_.Sq({"encrypt", "--recipient-cert", "member.pub", "--signer-key",
                                  "frank.key", "--output", "msg.asc", "plain.in"});
  ASSERT_EQ(enc.exit_code, 0) << enc.err;
  auto decrypted =
      DecryptAndVerify(AsBytes(ReadFileBytes(gpg_.Path("msg.asc"))), *member_, frank.key(), Now());
  ASSERT_THAT(decrypted.status(), IsOk());
  EXPECT_EQ(decrypted->plaintext.AsStringView(), Plaintext());
  EXPECT_EQ(decrypted->signer_fingerprint, frank.key().fingerprint);
}

}  // namespace
}  // namespace sealpost::pgp

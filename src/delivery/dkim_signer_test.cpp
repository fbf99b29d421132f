// Structure and key handling of DKIM signatures. Whether a signature verifies is checked by an
// independent verifier (dkimpy) in tests/integration/test_dkim.py against mail Postfix delivered.
#include "delivery/dkim_signer.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "delivery/mailer.h"
#include "platform/clock.h"
#include "platform/filesystem.h"
#include "platform/rng.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::delivery {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// A fresh RSA key in PEM (made by the test, never committed).
std::string NewRsaKeyPem(int bits = 2048) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(bits), &EVP_PKEY_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);  // NOLINT(google-runtime-int)
  return std::string(data, static_cast<size_t>(n));
}

crypto::SecretBytes Secret(const std::string& s) { return crypto::SecretBytes::CopyOf(AsBytes(s)); }

std::string Message() {
  OutgoingMail mail{*EmailAddress::Parse("carol@example.net"), "Grüße", "hello\n"};
  mail.html = "<p>hello</p>";
  return RenderMessage(mail, "Sealpost <no-reply@example.org>", "id@example.org",
                       FromUnixMillis(0));
}

TEST(DkimSignerTest, SignatureHeaderHasTheAgreedParameters) {
  auto signer = MakeDkimSigner(Secret(NewRsaKeyPem()), "sel1", "example.org");
  ASSERT_THAT(signer.status(), IsOk());
  auto header = (*signer)->Sign(Message());
  ASSERT_THAT(header.status(), IsOk());
  EXPECT_THAT(*header, StartsWith("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;"));
  EXPECT_THAT(*header, HasSubstr("d=example.org;"));
  EXPECT_THAT(*header, HasSubstr("s=sel1;"));
  std::string unfolded;
  for (const char c : *header) {
    if (c != '\r' && c != '\n' && c != '\t') unfolded += c;
  }
  size_t h = unfolded.find("h=");
  while (h != std::string::npos && h > 0 && unfolded[h - 1] == 'b') h = unfolded.find("h=", h + 1);
  ASSERT_NE(h, std::string::npos) << *header;
  const std::string list = unfolded.substr(h + 2, unfolded.find(';', h) - h - 2);
  for (const char* name : {"From", "To", "Subject", "Date", "Message-ID", "MIME-Version",
                           "Content-Type", "Auto-Submitted"}) {
    EXPECT_THAT(list, HasSubstr(name)) << list;
  }
  // Folded with CRLF only, ends with CRLF, and a complete header field.
  EXPECT_EQ(header->substr(header->size() - 2), "\r\n");
  for (size_t i = 0; i < header->size(); ++i) {
    if ((*header)[i] == '\n') {
      EXPECT_EQ((*header)[i - 1], '\r');
    }
  }
  // Signing the same message twice gives the same signature value only if time stood still;
  // what must hold is that both are well-formed and non-empty b= values.
  EXPECT_THAT(unfolded, Not(HasSubstr("b=;")));
}

TEST(DkimSignerTest, RenderSignedMessagePutsTheSignatureFirst) {
  auto signer = MakeDkimSigner(Secret(NewRsaKeyPem()), "sel1", "example.org");
  ASSERT_THAT(signer.status(), IsOk());
  OutgoingMail mail{*EmailAddress::Parse("carol@example.net"), "Hi", "hello\n"};
  auto signed_message = RenderSignedMessage(mail, "no-reply@example.org", "id@example.org",
                                            FromUnixMillis(0), signer->get());
  ASSERT_THAT(signed_message.status(), IsOk());
  EXPECT_THAT(*signed_message, StartsWith("DKIM-Signature: "));
  EXPECT_THAT(*signed_message, HasSubstr("\r\nFrom: no-reply@example.org\r\n"));
  auto unsigned_message = RenderSignedMessage(mail, "no-reply@example.org", "id@example.org",
                                              FromUnixMillis(0), nullptr);
  ASSERT_THAT(unsigned_message.status(), IsOk());
  EXPECT_THAT(*unsigned_message, StartsWith("From: "));
}

TEST(DkimSignerTest, TheEmlOutboxSignsToo) {
  auto signer = MakeDkimSigner(Secret(NewRsaKeyPem()), "sel1", "example.org");
  ASSERT_THAT(signer.status(), IsOk());
  testutil::TempDir dir;
  platform::SystemClock clock;
  platform::SystemRng rng;
  auto mailer = MakeEmlOutboxMailer(
      platform::DefaultFilesystem(), clock, rng,
      {dir.path() + "/outbox", "Sealpost <no-reply@example.org>", "example.org", *signer});
  ASSERT_THAT(mailer->Send({*EmailAddress::Parse("carol@example.net"), "Hi", "hello\n"}), IsOk());
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() + "/outbox")) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string eml{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    EXPECT_THAT(eml, StartsWith("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;"));
    EXPECT_THAT(eml, HasSubstr("\r\nFrom: Sealpost <no-reply@example.org>\r\n"));
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

TEST(DkimSignerTest, BadKeysAndNamesAreRefusedWithoutShowingTheKey) {
  EXPECT_THAT(MakeDkimSigner(Secret("not a key"), "sel1", "example.org").status(),
              StatusIs(ErrorCode::kInvalidArgument));
  const std::string pem = NewRsaKeyPem();
  EXPECT_THAT(MakeDkimSigner(Secret(pem), "bad selector", "example.org").status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(MakeDkimSigner(Secret(pem), "sel1", "example.org;x=1").status(),
              StatusIs(ErrorCode::kInvalidArgument));

  testutil::TempDir dir;
  const std::string path = dir.path() + "/dkim.pem";
  const std::string broken = pem.substr(0, pem.size() / 2);  // a truncated key file
  std::ofstream(path) << broken;
  const Status s = LoadDkimSigner({path, "sel1", "example.org"}).status();
  EXPECT_THAT(s, StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(s.message(), HasSubstr(path));
  EXPECT_THAT(s.message(), Not(HasSubstr(pem.substr(40, 30))));

  EXPECT_THAT(LoadDkimSigner({dir.path() + "/missing.pem", "sel1", "example.org"}).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  std::ofstream(path, std::ios::trunc) << pem;
  EXPECT_THAT(LoadDkimSigner({path, "sel1", "example.org"}).status(), IsOk());
}

}  // namespace
}  // namespace sealpost::delivery

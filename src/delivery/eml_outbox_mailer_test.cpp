// The .eml outbox: one file per mail, even when the at-least-once queue delivers it twice.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "delivery/mailer.h"
#include "platform/clock.h"
#include "platform/filesystem.h"
#include "platform/rng.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::delivery {
namespace {

std::vector<std::string> Files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return out;
}

TEST(EmlOutboxTest, AMailDeliveredTwiceIsOneIdenticalFile) {
  testutil::TempDir dir;
  platform::SystemClock clock;
  platform::SystemRng rng;
  auto mailer = MakeEmlOutboxMailer(platform::DefaultFilesystem(), clock, rng,
                                    {dir.path(), "Sealpost <no-reply@example.org>", "example.org"});
  OutgoingMail mail{*EmailAddress::Parse("carol@example.net"), "Hi", "hello\n", "00ab12cd34ef"};
  mail.written_at = FromUnixMillis(1'795'000'000'000);
  ASSERT_THAT(mailer->Send(mail), IsOk());
  const auto first = Files(dir.path());
  ASSERT_THAT(mailer->Send(mail), IsOk());  // again, as after a deliverer died before dequeuing
  const auto again = Files(dir.path());
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again, first);
  EXPECT_NE(again[0].find("Message-ID: <00ab12cd34ef@example.org>"), std::string::npos);

  // Without a queue time, two sends are two mails.
  OutgoingMail fresh{*EmailAddress::Parse("carol@example.net"), "Hi", "hello\n"};
  ASSERT_THAT(mailer->Send(fresh), IsOk());
  ASSERT_THAT(mailer->Send(fresh), IsOk());
  EXPECT_EQ(Files(dir.path()).size(), 3u);
}

// A prepared message (a secure copy) is written byte for byte: no headers of the mailer's own.
TEST(EmlOutboxTest, RawMessageIsWrittenAsItIs) {
  testutil::TempDir dir;
  platform::SystemClock clock;
  platform::SystemRng rng;
  auto mailer = MakeEmlOutboxMailer(platform::DefaultFilesystem(), clock, rng,
                                    {dir.path(), "Sealpost <no-reply@example.org>", "example.org"});
  OutgoingMail mail{*EmailAddress::Parse("carol@example.net"), "ignored", "ignored\n", "ab12"};
  mail.raw = "From: alice@example.org\r\nTo: carol@example.net\r\nSubject: [...]\r\n\r\nbody\r\n";
  ASSERT_THAT(mailer->Send(mail), IsOk());
  const auto files = Files(dir.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0], mail.raw);
}

// The consignment evidence of a mail written to the outbox says so; a mail that could not be
// written (the outbox is a file) gets no handoff.
TEST(EmlOutboxTest, HandoffsSayWrittenToOutbox) {
  testutil::TempDir dir;
  platform::SystemClock clock;
  platform::SystemRng rng;
  auto mailer = MakeEmlOutboxMailer(platform::DefaultFilesystem(), clock, rng,
                                    {dir.path(), "Sealpost <no-reply@example.org>", "example.org"});
  const std::vector<OutgoingMail> mails = {
      {*EmailAddress::Parse("carol@example.net"), "Hi", "hello\n"}};
  std::vector<MailHandoff> handoffs;
  const std::vector<Status> results = mailer->SendBatchWithHandoffs(mails, handoffs);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_THAT(results[0], IsOk());
  ASSERT_EQ(handoffs.size(), 1u);
  EXPECT_EQ(handoffs[0].receiver, "outbox");
  EXPECT_EQ(handoffs[0].reply, "written to outbox");

  const std::string file = dir.path() + "/not-a-directory";
  std::ofstream(file) << "x";
  auto broken = MakeEmlOutboxMailer(platform::DefaultFilesystem(), clock, rng,
                                    {file, "Sealpost <no-reply@example.org>", "example.org"});
  const std::vector<Status> failed = broken->SendBatchWithHandoffs(mails, handoffs);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_FALSE(failed[0].ok());
  ASSERT_EQ(handoffs.size(), 1u);
  EXPECT_EQ(handoffs[0].reply, "");
}

}  // namespace
}  // namespace sealpost::delivery

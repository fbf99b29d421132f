#include "app/guest_notice.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/time.h"

namespace sealpost::app {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

GuestNotice Notice() {
  return {"Sealpost",
          "Alice <b>\"A\" & Co",
          "alice@example.org",
          "https://sealpost.example/pickup#abc_DEF-123",
          "Read <this> & that",
          std::nullopt,
          FromUnixMillis(86'400'000)};
}

const EmailAddress kTo = *EmailAddress::Parse("carol@example.net");

TEST(GuestNoticeTest, TextAndHtmlCarrySenderNoticeLinkAndExpiry) {
  const delivery::OutgoingMail m = ComposeGuestNotice(kTo, Notice());
  EXPECT_EQ(m.to.str(), "carol@example.net");
  EXPECT_EQ(m.subject, "Sealpost: a secure message for you");
  EXPECT_THAT(m.text, HasSubstr("Alice <b>\"A\" & Co <alice@example.org> sent you"));
  EXPECT_THAT(m.text, HasSubstr("\nhttps://sealpost.example/pickup#abc_DEF-123\n"));
  EXPECT_THAT(m.text, HasSubstr("Read <this> & that"));
  EXPECT_THAT(m.text, HasSubstr("1970-01-02T00:00:00.000Z"));
  EXPECT_THAT(m.html, HasSubstr("<a href=\"https://sealpost.example/pickup#abc_DEF-123\""));
  EXPECT_THAT(m.html, HasSubstr("1970-01-02T00:00:00.000Z"));
}

TEST(GuestNoticeTest, HtmlEscapesEverythingFromUsers) {
  GuestNotice n = Notice();
  n.subject = "<script>alert(1)</script>";
  n.link_url = "https://x/pickup#\"><img src=x>";
  const delivery::OutgoingMail m = ComposeGuestNotice(kTo, n);
  EXPECT_THAT(m.html, HasSubstr("Alice &lt;b&gt;&quot;A&quot; &amp; Co &lt;alice@example.org&gt;"));
  EXPECT_THAT(m.html, HasSubstr("Read &lt;this&gt; &amp; that"));
  EXPECT_THAT(m.html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(m.html, HasSubstr("https://x/pickup#&quot;&gt;&lt;img src=x&gt;"));
  EXPECT_THAT(m.html, Not(HasSubstr("<script>")));
  EXPECT_THAT(m.html, Not(HasSubstr("<b>")));
  EXPECT_THAT(m.html, Not(HasSubstr("<img")));
}

TEST(GuestNoticeTest, SubjectOnlyWhenGiven) {
  GuestNotice n = Notice();
  EXPECT_THAT(ComposeGuestNotice(kTo, n).text, Not(HasSubstr("Subject:")));
  n.subject = "Quarterly figures";
  const delivery::OutgoingMail m = ComposeGuestNotice(kTo, n);
  EXPECT_EQ(m.subject, "Sealpost: Quarterly figures");
  EXPECT_THAT(m.text, HasSubstr("Subject: Quarterly figures\n"));
  EXPECT_THAT(m.html, HasSubstr("Quarterly figures"));
}

TEST(GuestNoticeTest, EmptySenderNameAndNoticeAreLeftOut) {
  GuestNotice n = Notice();
  n.sender_name.clear();
  n.notice_text.clear();
  const delivery::OutgoingMail m = ComposeGuestNotice(kTo, n);
  EXPECT_THAT(m.text, testing::StartsWith("alice@example.org sent you a secure message"));
  EXPECT_THAT(m.html, Not(HasSubstr("<p></p>")));
}

TEST(HtmlEscapeTest, EscapesTheFiveSpecialCharacters) {
  EXPECT_EQ(HtmlEscape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
}

}  // namespace
}  // namespace sealpost::app

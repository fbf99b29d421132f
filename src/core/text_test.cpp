#include "core/text.h"

#include <gtest/gtest.h>

namespace sealpost {
namespace {

TEST(TextTest, Utf8AcceptsWellFormed) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(
      IsValidUtf8("Gr\xc3\xbc\xc3\x9f"
                  "e \xe2\x82\xac \xf0\x9f\x94\x92"));
}

// Cases from Markus Kuhn's UTF-8 decoder stress test.
TEST(TextTest, Utf8RejectsMalformed) {
  for (const char* bad : {"\x80", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf",
                          "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xfe", "\xff", "a\xc3(b"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << bad;
  }
}

// Long ASCII runs are skipped eight bytes at a time: a bad sequence is still found at every
// offset around a word boundary, and good ones after a run still pass.
TEST(TextTest, Utf8AfterLongAsciiRuns) {
  for (size_t run = 0; run < 40; ++run) {
    const std::string ascii(run, 'a');
    EXPECT_TRUE(IsValidUtf8(ascii + "\xc3\xbc" + ascii)) << run;
    EXPECT_TRUE(IsValidUtf8(ascii + "\xf0\x9f\x94\x92")) << run;
    EXPECT_FALSE(IsValidUtf8(ascii + "\x80" + ascii)) << run;
    EXPECT_FALSE(IsValidUtf8(ascii + "\xc0\xaf")) << run;
    EXPECT_FALSE(IsValidUtf8(ascii + "\xed\xa0\x80" + ascii)) << run;
    EXPECT_FALSE(IsValidUtf8(ascii + "\xc3")) << run;
  }
}

TEST(TextTest, ControlCharacters) {
  EXPECT_FALSE(HasControlCharacters("report.pdf", false));
  EXPECT_TRUE(HasControlCharacters("a\nb", false));
  EXPECT_FALSE(HasControlCharacters("a\r\nb\tc", true));
  EXPECT_TRUE(HasControlCharacters(std::string_view("a\0b", 3), true));
  EXPECT_TRUE(HasControlCharacters("a\x7f", true));
}

}  // namespace
}  // namespace sealpost

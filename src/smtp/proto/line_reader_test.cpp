#include "smtp/proto/line_reader.h"

#include <gtest/gtest.h>

namespace sealpost::smtp::proto {
namespace {

using Kind = LineReader::Kind;

TEST(SmtpLineReader, SplitsOnCrlfAcrossPieces) {
  LineReader reader(100);
  reader.Append("EHLO a");
  EXPECT_EQ(reader.Take().kind, Kind::kNeedMore);
  reader.Append(".example\r");
  EXPECT_EQ(reader.Take().kind, Kind::kNeedMore);
  reader.Append("\nNOOP\r\nQU");
  auto first = reader.Take();
  EXPECT_EQ(first.kind, Kind::kLine);
  EXPECT_EQ(first.line, "EHLO a.example");
  EXPECT_EQ(reader.Take().line, "NOOP");
  EXPECT_EQ(reader.Take().kind, Kind::kNeedMore);
  EXPECT_EQ(reader.buffered(), "QU");
}

TEST(SmtpLineReader, BareLfIsReported) {
  LineReader reader(100);
  reader.Append("NOOP\nNOOP\r\n");
  EXPECT_EQ(reader.Take().kind, Kind::kBareLf);
  EXPECT_EQ(reader.Take().kind, Kind::kLine);
}

TEST(SmtpLineReader, OverlongLineIsDiscardedNotBuffered) {
  LineReader reader(1024);
  for (int i = 0; i < 100; ++i) {
    reader.Append(std::string(100, 'x'));
    EXPECT_EQ(reader.Take().kind, Kind::kNeedMore);
    EXPECT_LE(reader.buffered().size(), 1026u);
  }
  reader.Append("\r\nNOOP\r\n");
  EXPECT_EQ(reader.Take().kind, Kind::kTooLong);
  EXPECT_EQ(reader.Take().line, "NOOP");
}

TEST(SmtpLineReader, LineAtTheLimitPasses) {
  LineReader reader(10);
  reader.Append(std::string(10, 'a') + "\r\n" + std::string(11, 'a') + "\r\n");
  EXPECT_EQ(reader.Take().kind, Kind::kLine);
  EXPECT_EQ(reader.Take().kind, Kind::kTooLong);
}

TEST(SmtpLineReader, DiscardBufferedDropsPipelinedBytes) {
  LineReader reader(100);
  reader.Append("STARTTLS\r\nMAIL FROM:<evil@example.org>\r\n");
  EXPECT_EQ(reader.Take().line, "STARTTLS");
  reader.DiscardBuffered();
  EXPECT_FALSE(reader.has_buffered());
  EXPECT_EQ(reader.Take().kind, Kind::kNeedMore);
}

}  // namespace
}  // namespace sealpost::smtp::proto

#include "smtp/proto/message_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace sealpost::smtp::proto {
namespace {

ContentLimits Limits(uint64_t max = 1 << 20, bool eight_bit = false) {
  return ContentLimits{max, eight_bit, 998};
}

struct DataOutcome {
  bool done = false;
  size_t consumed = 0;
  std::string message;
  ContentError error = ContentError::kNone;
};

// Feeds `input` in pieces of `piece` bytes (0: at once).
DataOutcome ReadData(std::string_view input, size_t piece = 0, ContentLimits limits = Limits()) {
  DataReader reader(limits);
  DataOutcome out;
  while (out.consumed < input.size() && !reader.done()) {
    const size_t n = piece == 0 ? input.size() : std::min(piece, input.size() - out.consumed);
    const std::string_view chunk = input.substr(out.consumed, n);
    const size_t used = reader.Feed(chunk, &out.message);
    out.consumed += used;
    if (used < chunk.size()) break;
  }
  out.done = reader.done();
  out.error = reader.error();
  return out;
}

// Every line end in `message` is CRLF.
bool OnlyCrlf(std::string_view message) {
  for (size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\n' && (i == 0 || message[i - 1] != '\r')) return false;
    if (message[i] == '\r' && (i + 1 >= message.size() || message[i + 1] != '\n')) return false;
  }
  return true;
}

TEST(SmtpDataReader, EndsAtCrlfDotCrlfAndLeavesTheRest) {
  const std::string input = "Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n";
  for (size_t piece : {0, 1, 2, 3, 7}) {
    const DataOutcome out = ReadData(input, piece);
    EXPECT_TRUE(out.done) << piece;
    EXPECT_EQ(out.error, ContentError::kNone);
    EXPECT_EQ(out.message, "Subject: hi\r\n\r\nbody\r\n");
    EXPECT_EQ(input.substr(out.consumed), "QUIT\r\n") << piece;
  }
}

TEST(SmtpDataReader, EmptyMessage) {
  const DataOutcome out = ReadData(".\r\n");
  EXPECT_TRUE(out.done);
  EXPECT_EQ(out.message, "");
}

TEST(SmtpDataReader, DotUnstuffing) {
  for (size_t piece : {0, 1, 2}) {
    const DataOutcome out = ReadData("..leading\r\n...\r\n.x\r\nmid.dle\r\n.\r\n", piece);
    EXPECT_TRUE(out.done);
    EXPECT_EQ(out.error, ContentError::kNone);
    EXPECT_EQ(out.message, ".leading\r\n..\r\nx\r\nmid.dle\r\n") << piece;
  }
}

// The SMTP smuggling cases: every mix of bare LF / bare CR around the final dot. None of them
// may end the data; the message is refused for the bare line end, and only the real CRLF.CRLF
// later ends it, so the smuggled MAIL FROM is never read as a command.
TEST(SmtpDataReader, BareLineEndsAroundTheDotNeverEndData) {
  const char* kBefore[] = {"\r\n", "\n", "\r"};
  const char* kAfter[] = {"\r\n", "\n", "\r"};
  for (const char* before : kBefore) {
    for (const char* after : kAfter) {
      const std::string fake = std::string("body") + before + "." + after;
      const std::string smuggled = "MAIL FROM:<evil@example.org>\r\n";
      const std::string input = "Subject: x\r\n\r\n" + fake + smuggled + "tail\r\n.\r\n";
      const bool genuine = std::string(before) == "\r\n" && std::string(after) == "\r\n";
      for (size_t piece : {0, 1, 2, 5}) {
        SCOPED_TRACE(testing::Message() << "before=" << testing::PrintToString(before) << " after="
                                        << testing::PrintToString(after) << " piece=" << piece);
        const DataOutcome out = ReadData(input, piece);
        ASSERT_TRUE(out.done);
        EXPECT_TRUE(OnlyCrlf(out.message));
        if (genuine) {
          EXPECT_EQ(out.error, ContentError::kNone);
          EXPECT_EQ(input.substr(out.consumed), smuggled + "tail\r\n.\r\n");
        } else {
          EXPECT_TRUE(out.error == ContentError::kBareCr || out.error == ContentError::kBareLf);
          EXPECT_EQ(out.consumed, input.size());
          const Reply reply = ContentErrorReply(out.error);
          EXPECT_EQ(reply.code, 550);
          EXPECT_EQ(reply.enhanced, "5.6.11");
          EXPECT_NE(reply.text.find("Bare"), std::string::npos);
        }
      }
    }
  }
}

TEST(SmtpDataReader, BareLineEndsInsideTheMessage) {
  EXPECT_EQ(ReadData("a\nb\r\n.\r\n").error, ContentError::kBareLf);
  EXPECT_EQ(ReadData("a\rb\r\n.\r\n").error, ContentError::kBareCr);
  EXPECT_EQ(ReadData("a\r\r\n.\r\n").error, ContentError::kBareCr);
  EXPECT_EQ(ReadData("\n.\r\n\r\n.\r\n").error, ContentError::kBareLf);
  // ".\r" followed by text, split right after the CR.
  const DataOutcome split = ReadData("x\r\n.\rX\r\n.\r\n", 4);
  EXPECT_TRUE(split.done);
  EXPECT_EQ(split.error, ContentError::kBareCr);
}

TEST(SmtpDataReader, NulIsRefused) {
  const DataOutcome out = ReadData(std::string("a\0b\r\n.\r\n", 8));
  EXPECT_TRUE(out.done);
  EXPECT_EQ(out.error, ContentError::kNul);
  EXPECT_EQ(ContentErrorReply(out.error).code, 554);
}

TEST(SmtpDataReader, EightBitNeedsEightBitMime) {
  const std::string input = "Subject: caf\xC3\xA9\r\n.\r\n";
  EXPECT_EQ(ReadData(input).error, ContentError::kEightBit);
  EXPECT_EQ(ContentErrorReply(ContentError::kEightBit).enhanced, "5.6.1");
  EXPECT_EQ(ReadData(input, 0, Limits(1 << 20, true)).error, ContentError::kNone);
}

TEST(SmtpDataReader, LongLines) {
  EXPECT_EQ(ReadData(std::string(998, 'a') + "\r\n.\r\n").error, ContentError::kNone);
  EXPECT_EQ(ReadData(std::string(999, 'a') + "\r\n.\r\n").error, ContentError::kLineTooLong);
}

TEST(SmtpDataReader, GrowingPastTheLimitWhileStreaming) {
  const std::string line = std::string(78, 'x') + "\r\n";
  std::string input;
  for (int i = 0; i < 100; ++i) input += line;  // 8,000 bytes
  input += ".\r\n";
  DataReader reader(Limits(4000));
  std::string out;
  size_t fed = 0;
  while (!reader.done()) {
    const std::string_view piece = std::string_view(input).substr(fed, 500);
    fed += reader.Feed(piece, &out);
    // Nothing beyond the limit is ever passed on.
    EXPECT_LE(out.size(), 4000u);
  }
  EXPECT_EQ(reader.error(), ContentError::kTooLarge);
  EXPECT_EQ(ContentErrorReply(reader.error()).code, 552);
  EXPECT_EQ(ContentErrorReply(reader.error()).enhanced, "5.3.4");
  EXPECT_EQ(ReadData(input, 0, Limits(8000)).error, ContentError::kNone);
  EXPECT_EQ(ReadData(input, 0, Limits(7999)).error, ContentError::kTooLarge);
}

TEST(SmtpChunkReader, ReassemblesChunks) {
  ChunkReader reader(Limits());
  std::string out;
  reader.BeginChunk(5, false);
  EXPECT_EQ(reader.Feed("Subj\rBDAT", &out), 5u);  // a CRLF split across chunks is fine
  EXPECT_TRUE(reader.chunk_done());
  EXPECT_FALSE(reader.done());
  reader.BeginChunk(7, true);
  EXPECT_EQ(reader.Feed("\nbody\r\nQUIT", &out), 7u);
  EXPECT_TRUE(reader.done());
  EXPECT_EQ(reader.error(), ContentError::kNone);
  EXPECT_EQ(out, "Subj\r\nbody\r\n");
}

TEST(SmtpChunkReader, BareLineEndsAndLimits) {
  {
    ChunkReader reader(Limits());
    std::string out;
    reader.BeginChunk(3, true);
    reader.Feed("a\nb", &out);
    EXPECT_EQ(reader.error(), ContentError::kBareLf);
  }
  {
    ChunkReader reader(Limits());
    std::string out;
    reader.BeginChunk(2, false);
    reader.Feed("a\r", &out);
    reader.BeginChunk(0, true);  // the message ends on a CR
    EXPECT_TRUE(reader.done());
    EXPECT_EQ(reader.error(), ContentError::kBareCr);
  }
  {
    ChunkReader reader(Limits(10));
    std::string out;
    reader.BeginChunk(8, false);
    reader.Feed("12345678", &out);
    reader.BeginChunk(8, true);
    reader.Feed("12345678", &out);
    EXPECT_EQ(reader.error(), ContentError::kTooLarge);
    EXPECT_LE(out.size(), 10u);
  }
}

}  // namespace
}  // namespace sealpost::smtp::proto

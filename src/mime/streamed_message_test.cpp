#include "mime/streamed_message.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "crypto/security_policy.h"
#include "testing/peak_memory.h"
#include "testing/status_matchers.h"

namespace sealpost::mime {
namespace {

using crypto::policy::kMimeParse;
using ::testing::HasSubstr;

// A message in memory, read in small pieces (as a spool would hand it out, but unaligned).
class StringSource final : public MessageSource {
 public:
  explicit StringSource(std::string bytes, uint64_t fail_at = UINT64_MAX, size_t piece = 1000)
      : bytes_(std::move(bytes)), fail_at_(fail_at), piece_(piece) {}
  uint64_t size() const override { return bytes_.size(); }
  Result<size_t> ReadAt(uint64_t offset, std::span<uint8_t> out) override {
    if (offset >= fail_at_) return Corruption("spool: does not authenticate");
    const size_t n = std::min<size_t>({out.size(), bytes_.size() - offset, piece_});
    std::memcpy(out.data(), bytes_.data() + offset, n);
    return n;
  }

 private:
  std::string bytes_;
  uint64_t fail_at_;
  size_t piece_;
};

std::string Copy(const StreamedMessage& message, size_t index) {
  std::string out;
  const Status copied = message.CopyAttachment(index, [&](ByteView bytes) {
    out.append(AsChars(bytes));
    return Status::Ok();
  });
  EXPECT_THAT(copied, IsOk());
  return out;
}

// What a mail program sends: alternative bodies, an inline image, an attachment, a forwarded
// message, encoded words in headers and file names.
constexpr char kMailProgram[] =
    "From: =?UTF-8?Q?Zo=C3=AB?= <zoe@sealpost.example>\r\n"
    "To: Bob <bob@partner.example>\r\n"
    "Cc: carol@partner.example\r\n"
    "Subject: =?UTF-8?B?R3LDvMOfZQ==?= [secure]\r\n"
    "Message-ID: <m1@sealpost.example>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "--outer\r\n"
    "Content-Type: multipart/related; boundary=\"rel\"\r\n"
    "\r\n"
    "--rel\r\n"
    "Content-Type: multipart/alternative; boundary=\"alt\"\r\n"
    "\r\n"
    "--alt\r\n"
    "Content-Type: text/plain; charset=ISO-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Gr=FC=DFe\r\n"
    "--alt\r\n"
    "Content-Type: text/html; charset=UTF-8\r\n"
    "\r\n"
    "<p>Gr\xc3\xbc\xc3\x9f"
    "e <img src=\"cid:logo\"></p>\r\n"
    "--alt--\r\n"
    "--rel\r\n"
    "Content-Type: image/png\r\n"
    "Content-ID: <logo>\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "iVBORw0KGgo=\r\n"
    "--rel--\r\n"
    "--outer\r\n"
    "Content-Type: application/pdf\r\n"
    "Content-Disposition: attachment; filename*=UTF-8''Bericht%20M%C3%A4rz.pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0xLjcK\r\n"
    "--outer\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "Content-Disposition: attachment; filename=\"=?UTF-8?Q?notiz_=C3=BC.txt?=\"\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "a=3Db\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: the old one\r\n"
    "\r\n"
    "old body\r\n"
    "--outer--\r\n";

TEST(StreamedMessage, ReadsWhatParseMessageReads) {
  StringSource source(kMailProgram);
  auto streamed = StreamedMessage::Parse(source);
  ASSERT_THAT(streamed.status(), IsOk());
  auto whole = ParseMessage(kMailProgram);
  ASSERT_THAT(whole.status(), IsOk());
  const ParsedMessage& m = (*streamed)->message();
  EXPECT_EQ(m.subject, "Grüße [secure]");
  EXPECT_EQ(m.subject, whole->subject);
  ASSERT_EQ(m.from.size(), 1u);
  EXPECT_EQ(m.from[0].display_name, "Zoë");
  EXPECT_EQ(m.to.size(), 1u);
  EXPECT_EQ(m.cc.size(), 1u);
  EXPECT_EQ(m.message_id, "m1@sealpost.example");
  EXPECT_EQ(m.text_body, whole->text_body);
  EXPECT_THAT(m.text_body, HasSubstr("Grüße"));
  ASSERT_TRUE(m.html_body.has_value());
  EXPECT_EQ(*m.html_body, *whole->html_body);
  ASSERT_EQ(m.attachments.size(), whole->attachments.size());
  ASSERT_EQ(m.attachments.size(), 4u);
  for (size_t i = 0; i < m.attachments.size(); ++i) {
    EXPECT_EQ(m.attachments[i].filename, whole->attachments[i].filename) << i;
    EXPECT_EQ(m.attachments[i].content_type, whole->attachments[i].content_type) << i;
    EXPECT_TRUE(m.attachments[i].data.empty()) << i;
    EXPECT_EQ(Copy(**streamed, i), whole->attachments[i].data) << i;
  }
  EXPECT_EQ(m.attachments[0].content_type, "image/png");
  EXPECT_EQ(Copy(**streamed, 0), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(m.attachments[1].filename, "Bericht März.pdf");
  EXPECT_EQ(Copy(**streamed, 1), "%PDF-1.7\n");
  EXPECT_EQ(m.attachments[2].filename, "notiz ü.txt");
  EXPECT_EQ(Copy(**streamed, 2), "a=b");  // the line end before a boundary is the boundary's
  EXPECT_THAT(Copy(**streamed, 3), HasSubstr("old body"));
  // Copied again (each send of a Bcc split uploads its own): the same bytes.
  EXPECT_EQ(Copy(**streamed, 1), "%PDF-1.7\n");
  EXPECT_THAT((*streamed)->CopyAttachment(4, [](ByteView) { return Status::Ok(); }),
              StatusIs(ErrorCode::kInvalidArgument));
}

// GMime reads a header line holding a NUL differently when a read ends inside it; whatever
// pieces the source hands out, the streamed parse must read what ParseMessage reads (found by
// the mime_message fuzzer: the base64 body came out still encoded).
TEST(StreamedMessage, PiecesOfAnySizeReadTheSameMessage) {
  using namespace std::string_literals;  // the NULs are part of the message
  const std::string message =
      "From: a@sealpost.example\n"
      "Content-Type: multipart/mixed; boundary=b\n"
      "\n"
      "--b\n"
      "Content-\0\0\0\0;\n filename*1*=%20x.pdf\n"
      "Content-Transfer-Encoding: base64\n"
      "\n"
      "JVBERi0xLjcK\n"
      "--b--\n"s;
  auto whole = ParseMessage(message);
  ASSERT_THAT(whole.status(), IsOk());
  for (size_t piece = 1; piece <= 64; ++piece) {
    StringSource source(message, UINT64_MAX, piece);
    auto streamed = StreamedMessage::Parse(source);
    ASSERT_THAT(streamed.status(), IsOk()) << piece;
    EXPECT_EQ((*streamed)->message().text_body, whole->text_body) << piece;
    EXPECT_EQ((*streamed)->message().attachments.size(), whole->attachments.size()) << piece;
  }
}

TEST(StreamedMessage, AFailedWriteStopsTheCopy) {
  StringSource source(kMailProgram);
  auto streamed = StreamedMessage::Parse(source);
  ASSERT_THAT(streamed.status(), IsOk());
  EXPECT_THAT((*streamed)->CopyAttachment(1, [](ByteView) { return StorageFull("disk full"); }),
              StatusIs(ErrorCode::kStorageFull));
}

TEST(StreamedMessage, AFailingSourceFailsTheParseOrTheCopy) {
  const std::string message = kMailProgram;
  // Fails while the pre-scan reads.
  StringSource early(message, 100);
  EXPECT_THAT(StreamedMessage::Parse(early).status(), StatusIs(ErrorCode::kCorruption));
  // Fails only when the attachment is read again (the pre-scan and the parse read it first).
  class LateSource final : public MessageSource {
   public:
    explicit LateSource(std::string bytes) : inner_(std::move(bytes)) {}
    uint64_t size() const override { return inner_.size(); }
    Result<size_t> ReadAt(uint64_t offset, std::span<uint8_t> out) override {
      if (broken) return Corruption("spool: does not authenticate");
      return inner_.ReadAt(offset, out);
    }
    bool broken = false;

   private:
    StringSource inner_;
  } late(message);
  auto streamed = StreamedMessage::Parse(late);
  ASSERT_THAT(streamed.status(), IsOk());
  late.broken = true;
  EXPECT_THAT((*streamed)->CopyAttachment(1, [](ByteView) { return Status::Ok(); }),
              StatusIs(ErrorCode::kCorruption));
}

std::string Nested(size_t levels) {
  std::string head;
  for (size_t i = 0; i < levels; ++i) {
    head += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\r\n\r\n--b" +
            std::to_string(i) + "\r\n";
  }
  head += "Content-Type: text/plain\r\n\r\ndeep";
  for (size_t i = levels; i > 0; --i) head += "\r\n--b" + std::to_string(i - 1) + "--";
  return head + "\r\n";
}

Status ParseStatus(std::string message) {
  StringSource source(std::move(message));
  return StreamedMessage::Parse(source).status();
}

// The bounds of ParseMessage hold for the streamed parse (MIME bombs).
TEST(StreamedMessage, KeepsTheParserBounds) {
  StringSource deep_enough(Nested(kMimeParse.max_depth - 1));
  auto parsed = StreamedMessage::Parse(deep_enough);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ((*parsed)->message().text_body, "deep");
  EXPECT_THAT(ParseStatus(Nested(kMimeParse.max_depth)), StatusIs(ErrorCode::kTooLarge));
  EXPECT_THAT(ParseStatus(Nested(100000)), StatusIs(ErrorCode::kTooLarge));

  std::string parts = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  while (parts.size() < (8u << 20)) parts += "--b\r\n\r\n";
  EXPECT_THAT(ParseStatus(parts), StatusIs(ErrorCode::kTooLarge));
  std::string fields;
  while (fields.size() < (8u << 20)) fields += "a:b\r\n";
  EXPECT_THAT(ParseStatus(fields + "\r\nbody"), StatusIs(ErrorCode::kTooLarge));
  EXPECT_THAT(ParseStatus("Subject: " + std::string(kMimeParse.max_header_field_bytes + 1, 'a') +
                          "\r\n\r\nbody"),
              StatusIs(ErrorCode::kTooLarge));

  std::string groups = "To: ";
  for (int i = 0; i < 80000; ++i) groups += "g:";
  groups += "a@b" + std::string(80000, ';') + "\r\n\r\nbody";
  EXPECT_THAT(ParseStatus(groups), StatusIs(ErrorCode::kInvalidArgument));
  // The same with the colons past what the pre-scan keeps of a line.
  std::string long_groups = "To: " + std::string(kMimeParse.max_header_field_bytes, 'x');
  for (int i = 0; i < 80000; ++i) long_groups += "g:";
  long_groups += "a@b" + std::string(80000, ';') + "\r\n\r\nbody";
  EXPECT_THAT(ParseStatus(long_groups), StatusIs(ErrorCode::kInvalidArgument));

  // A text body is read into memory: bounded.
  std::string big_text = "Subject: log\r\nContent-Type: text/plain\r\n\r\n";
  big_text += std::string(kMimeParse.max_streamed_body_bytes + 1, 'a');
  EXPECT_THAT(ParseStatus(big_text), StatusIs(ErrorCode::kTooLarge));
}

TEST(StreamedMessage, GarbageIsAnErrorOrAMessageNeverACrash) {
  for (const char* garbage : {"", "\r\n", "no colon at all", "--b\r\n--b--", "\x00\xff\xfe"}) {
    StringSource source(garbage);
    auto parsed = StreamedMessage::Parse(source);
    if (!parsed.ok()) {
      EXPECT_TRUE(parsed.status().code() == ErrorCode::kInvalidArgument ||
                  parsed.status().code() == ErrorCode::kTooLarge);
    }
  }
}

// A message made up as it is read, never whole in memory: headers, a short text body and one
// base64 attachment of `attachment_bytes` pseudo-random bytes (76-character lines).
class GeneratedSource final : public MessageSource {
 public:
  explicit GeneratedSource(uint64_t attachment_bytes) : raw_bytes_(attachment_bytes) {
    head_ =
        "From: zoe@sealpost.example\r\nTo: bob@partner.example\r\nSubject: big\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        "--b\r\nContent-Type: application/octet-stream\r\n"
        "Content-Disposition: attachment; filename=\"big.bin\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n";
    tail_ = "--b--\r\n";
    const uint64_t lines = (raw_bytes_ + kRawPerLine - 1) / kRawPerLine;
    const uint64_t last_raw = raw_bytes_ - (lines - 1) * kRawPerLine;
    body_bytes_ = (lines - 1) * kLineBytes + (last_raw + 2) / 3 * 4 + 2;
  }
  uint64_t size() const override { return head_.size() + body_bytes_ + tail_.size(); }
  Result<size_t> ReadAt(uint64_t offset, std::span<uint8_t> out) override {
    size_t n = 0;
    while (n < out.size() && offset < size()) {
      const std::string_view piece = PieceAt(offset);
      const size_t take = std::min(piece.size(), out.size() - n);
      std::memcpy(out.data() + n, piece.data(), take);
      n += take;
      offset += take;
    }
    return n;
  }
  // Byte i of the attachment.
  static uint8_t RawByte(uint64_t i) {
    uint64_t x = (i / 8 + 1) * 0x9E3779B97F4A7C15ull;
    x ^= x >> 31;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 29;
    return static_cast<uint8_t>(x >> (8 * (i % 8)));
  }

 private:
  static constexpr uint64_t kRawPerLine = 57;  // 76 base64 characters
  static constexpr uint64_t kLineBytes = 78;
  // The rest of the line or fixed text that `offset` falls in.
  std::string_view PieceAt(uint64_t offset) {
    if (offset < head_.size()) return std::string_view(head_).substr(offset);
    offset -= head_.size();
    if (offset >= body_bytes_) return std::string_view(tail_).substr(offset - body_bytes_);
    const uint64_t line = offset / kLineBytes;
    if (line != line_index_) {
      const uint64_t first = line * kRawPerLine;
      const uint64_t count = std::min(kRawPerLine, raw_bytes_ - first);
      Bytes raw(count);
      for (uint64_t i = 0; i < count; ++i) raw[i] = RawByte(first + i);
      line_ = Base64Encode(raw) + "\r\n";
      line_index_ = line;
    }
    return std::string_view(line_).substr(offset % kLineBytes);
  }

  uint64_t raw_bytes_;
  uint64_t body_bytes_ = 0;
  std::string head_;
  std::string tail_;
  std::string line_;
  uint64_t line_index_ = UINT64_MAX;
};

// 100 MiB (the upload limit) and then some: parsed and decoded in bounded memory, every byte
// as it was.
TEST(StreamedMessage, AHundredMebibyteAttachmentStreamsInBoundedMemory) {
  const uint64_t raw_bytes = (100ull << 20) + 12345;
  crypto::Sha256Hasher original;
  {
    Bytes block;
    for (uint64_t i = 0; i < raw_bytes; ++i) {
      block.push_back(GeneratedSource::RawByte(i));
      if (block.size() == (1u << 20)) {
        original.Update(block);
        block.clear();
      }
    }
    original.Update(block);
  }
  GeneratedSource source(raw_bytes);
  ASSERT_GT(source.size(), raw_bytes / 3 * 4);
  crypto::Sha256Hasher copied;
  uint64_t copied_bytes = 0;
  const int64_t growth = testutil::PeakRssGrowth([&] {
    auto streamed = StreamedMessage::Parse(source);
    ASSERT_THAT(streamed.status(), IsOk());
    EXPECT_EQ((*streamed)->message().text_body, "see attached");
    ASSERT_EQ((*streamed)->message().attachments.size(), 1u);
    EXPECT_EQ((*streamed)->message().attachments[0].filename, "big.bin");
    ASSERT_THAT((*streamed)->CopyAttachment(0,
                                            [&](ByteView bytes) {
                                              EXPECT_LE(bytes.size(), 64u * 1024);
                                              copied.Update(bytes);
                                              copied_bytes += bytes.size();
                                              return Status::Ok();
                                            }),
                IsOk());
  });
  EXPECT_EQ(copied_bytes, raw_bytes);
  EXPECT_EQ(copied.Finish(), original.Finish());
  ASSERT_GE(growth, 0) << "the peak resident memory cannot be measured here";
  std::printf("peak resident memory growth, 100 MiB attachment parsed and decoded: %.1f MiB\n",
              static_cast<double>(growth) / (1 << 20));
  if (testutil::kPeakRssIsMeaningful) {
    EXPECT_LT(growth, int64_t{32} << 20);
  }
}

}  // namespace
}  // namespace sealpost::mime

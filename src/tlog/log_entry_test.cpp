#include "tlog/log_entry.h"

#include <gtest/gtest.h>

#include <string>

#include "testing/status_matchers.h"

namespace sealpost::tlog {
namespace {

LogEntry SampleEvent() {
  return {
      LogEntryKind::kEvent, {1700000000123, "message.send", "u1", "m1", R"({"n":1})"}, 0, {}, {}};
}

LogEntry SampleLegacy() {
  LogEntry e{LogEntryKind::kLegacyChainEntry, {42, "user.login", "u2", "", "{}"}, 7, {}, {}};
  e.legacy_prev_hash.fill(0x11);
  e.legacy_hash.fill(0x22);
  return e;
}

// Unwraps a Result or fails the test.
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                       \
  auto SP_CONCAT(result_, __LINE__) = (expr);                 \
  ASSERT_THAT(SP_CONCAT(result_, __LINE__).status(), IsOk()); \
  lhs = std::move(SP_CONCAT(result_, __LINE__)).value()

Bytes FromHex(const std::string& hex) { return HexDecode(hex).value(); }

TEST(LogEntryTest, EventLayoutIsTheDocumentedOne) {
  // Written by hand from docs/formats/log-entry.md, not from the encoder's output.
  const LogEntry e{LogEntryKind::kEvent, {0x0102, "a.b", "u", "", "{}"}, 0, {}, {}};
  const std::string expected =
      "01"                // version
      "01"                // kind: event
      "0000000000000102"  // time_ms
      "00000003"
      "612e62"  // type "a.b"
      "00000001"
      "75"        // actor "u"
      "00000000"  // subject ""
      "00000002"
      "7b7d";  // details "{}"
  ASSERT_OK_AND_ASSIGN(const Bytes leaf, EncodeLogEntry(e));
  EXPECT_EQ(HexEncode(leaf), expected);
  ASSERT_OK_AND_ASSIGN(const LogEntry back, ParseLogEntry(FromHex(expected)));
  EXPECT_EQ(back, e);
}

TEST(LogEntryTest, LegacyLayoutIsTheDocumentedOne) {
  const LogEntry e = SampleLegacy();
  const std::string expected = std::string("01") + "02" + "0000000000000007" + "000000000000002a" +
                               "0000000a" + HexEncode(AsBytes("user.login")) + "00000002" + "7532" +
                               "00000000" + "00000002" + "7b7d" + std::string(64, '1') +
                               std::string(64, '2');
  ASSERT_OK_AND_ASSIGN(const Bytes leaf, EncodeLogEntry(e));
  EXPECT_EQ(HexEncode(leaf), expected);
}

TEST(LogEntryTest, RoundTripsBothKinds) {
  for (const LogEntry& e : {SampleEvent(), SampleLegacy()}) {
    ASSERT_OK_AND_ASSIGN(const Bytes leaf, EncodeLogEntry(e));
    ASSERT_OK_AND_ASSIGN(const LogEntry back, ParseLogEntry(leaf));
    EXPECT_EQ(back, e);
  }
}

TEST(LogEntryTest, EveryTruncationAndAnyTrailingByteIsRefused) {
  for (const LogEntry& e : {SampleEvent(), SampleLegacy()}) {
    ASSERT_OK_AND_ASSIGN(const Bytes leaf, EncodeLogEntry(e));
    for (size_t n = 0; n < leaf.size(); ++n) {
      EXPECT_THAT(ParseLogEntry(ByteView(leaf).first(n)).status(),
                  StatusIs(ErrorCode::kInvalidArgument))
          << n;
    }
    Bytes longer = leaf;
    longer.push_back(0);
    EXPECT_THAT(ParseLogEntry(longer).status(), StatusIs(ErrorCode::kInvalidArgument));
  }
}

TEST(LogEntryTest, RefusesUnknownVersionKindAndBadValues) {
  ASSERT_OK_AND_ASSIGN(Bytes leaf, EncodeLogEntry(SampleEvent()));
  Bytes v2 = leaf;
  v2[0] = 2;
  EXPECT_THAT(ParseLogEntry(v2).status(), StatusIs(ErrorCode::kInvalidArgument));
  Bytes kind = leaf;
  kind[1] = 3;
  EXPECT_THAT(ParseLogEntry(kind).status(), StatusIs(ErrorCode::kInvalidArgument));
  Bytes negative = leaf;
  negative[2] = 0x80;  // time ≥ 2^63
  EXPECT_THAT(ParseLogEntry(negative).status(), StatusIs(ErrorCode::kInvalidArgument));
  Bytes huge_length = leaf;
  huge_length[10] = 0xff;  // type length 0xff000003
  EXPECT_THAT(ParseLogEntry(huge_length).status(), StatusIs(ErrorCode::kInvalidArgument));

  ASSERT_OK_AND_ASSIGN(Bytes legacy, EncodeLogEntry(SampleLegacy()));
  for (int i = 2; i < 10; ++i) legacy[i] = 0;  // seq 0
  EXPECT_THAT(ParseLogEntry(legacy).status(), StatusIs(ErrorCode::kInvalidArgument));
}

TEST(LogEntryTest, EncoderRefusesOversizedOrInvalidEntries) {
  LogEntry e = SampleEvent();
  e.event.details.assign(kMaxEventDetailsBytes + 1, 'x');
  EXPECT_THAT(EncodeLogEntry(e).status(), StatusIs(ErrorCode::kInvalidArgument));
  e = SampleEvent();
  e.event.type.assign(kMaxEventTypeBytes + 1, 'x');
  EXPECT_THAT(EncodeLogEntry(e).status(), StatusIs(ErrorCode::kInvalidArgument));
  e = SampleEvent();
  e.event.time_ms = -1;
  EXPECT_THAT(EncodeLogEntry(e).status(), StatusIs(ErrorCode::kInvalidArgument));
  LogEntry legacy = SampleLegacy();
  legacy.legacy_seq = 0;
  EXPECT_THAT(EncodeLogEntry(legacy).status(), StatusIs(ErrorCode::kInvalidArgument));
}

TEST(LogEntryTest, LargestEntryFitsTheLimit) {
  LogEntry e = SampleLegacy();
  e.event.type.assign(kMaxEventTypeBytes, 't');
  e.event.actor.assign(kMaxEventIdBytes, 'a');
  e.event.subject.assign(kMaxEventIdBytes, 's');
  e.event.details.assign(kMaxEventDetailsBytes, 'd');
  ASSERT_OK_AND_ASSIGN(const Bytes leaf, EncodeLogEntry(e));
  EXPECT_EQ(leaf.size(), kMaxLogEntryBytes);
  ASSERT_OK_AND_ASSIGN(const LogEntry back, ParseLogEntry(leaf));
  EXPECT_EQ(back, e);
}

}  // namespace
}  // namespace sealpost::tlog

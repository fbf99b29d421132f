#include "tlog/entry_bundle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "testing/status_matchers.h"

namespace sealpost::tlog {
namespace {

// The bytes spelled out from the spec's definition: uint16 big-endian length, then the entry.
TEST(EntryBundleTest, EncodesLengthPrefixedEntriesBigEndian) {
  const std::vector<Bytes> leaves = {{0xAA}, {}, Bytes(0x0102, 0x33)};
  auto bundle = EncodeEntryBundle(leaves);
  ASSERT_THAT(bundle.status(), IsOk());
  ASSERT_EQ(bundle->size(), 3u + 2u + 2u + 0x0102u);
  EXPECT_EQ((*bundle)[0], 0x00);
  EXPECT_EQ((*bundle)[1], 0x01);
  EXPECT_EQ((*bundle)[2], 0xAA);
  EXPECT_EQ((*bundle)[3], 0x00);
  EXPECT_EQ((*bundle)[4], 0x00);
  EXPECT_EQ((*bundle)[5], 0x01);
  EXPECT_EQ((*bundle)[6], 0x02);
  EXPECT_EQ((*bundle)[7], 0x33);

  auto parsed = ParseEntryBundle(*bundle);
  ASSERT_THAT(parsed.status(), IsOk());
  EXPECT_EQ(*parsed, leaves);
}

TEST(EntryBundleTest, RefusesWhatCannotBeABundle) {
  EXPECT_THAT(EncodeEntryBundle({}).status(), StatusIs(ErrorCode::kInvalidArgument));
  const std::vector<Bytes> too_many(257, Bytes{1});
  EXPECT_THAT(EncodeEntryBundle(too_many).status(), StatusIs(ErrorCode::kInvalidArgument));
  const std::vector<Bytes> too_large = {Bytes(0x10000, 0)};
  EXPECT_THAT(EncodeEntryBundle(too_large).status(), StatusIs(ErrorCode::kInvalidArgument));
  const std::vector<Bytes> largest = {Bytes(0xFFFF, 0)};
  EXPECT_THAT(EncodeEntryBundle(largest).status(), IsOk());

  const Bytes truncated_length = {0x00, 0x01, 0xAA, 0x00};
  EXPECT_THAT(ParseEntryBundle(truncated_length).status(), StatusIs(ErrorCode::kInvalidArgument));
  const Bytes truncated_entry = {0x00, 0x03, 0xAA, 0xBB};
  EXPECT_THAT(ParseEntryBundle(truncated_entry).status(), StatusIs(ErrorCode::kInvalidArgument));
  Bytes over_256;
  for (int i = 0; i < 257; ++i) over_256.insert(over_256.end(), {0x00, 0x00});
  EXPECT_THAT(ParseEntryBundle(over_256).status(), StatusIs(ErrorCode::kInvalidArgument));
}

TEST(EntryBundleTest, PathsFollowTheTileRules) {
  EXPECT_EQ(EntryBundlePath(0, 256), "tile/entries/000");
  EXPECT_EQ(EntryBundlePath(1234067, 256), "tile/entries/x001/x234/067");
  EXPECT_EQ(EntryBundlePath(5, 17), "tile/entries/005.p/17");

  auto full = ParseEntryBundlePath("tile/entries/x001/x234/067");
  ASSERT_THAT(full.status(), IsOk());
  EXPECT_EQ(*full, (TileId{0, 1234067, 256}));
  auto partial = ParseEntryBundlePath("tile/entries/005.p/17");
  ASSERT_THAT(partial.status(), IsOk());
  EXPECT_EQ(*partial, (TileId{0, 5, 17}));

  for (const char* bad :
       {"tile/entries/5", "tile/entries/005.p/256", "tile/entries/005.p/0", "tile/entries/x000/005",
        "tile/entries/", "tile/0/000", "tile/entries/000/", "tile/entries/005.p/07"}) {
    EXPECT_THAT(ParseEntryBundlePath(bad).status(), StatusIs(ErrorCode::kInvalidArgument)) << bad;
  }
}

}  // namespace
}  // namespace sealpost::tlog

// The evidence domain (store/evidence_store.h) on every backend, like store_test.cpp: message
// evidence once per message, receipts idempotent by id and scoped to their message, and a cursor
// that never moves back.
#include <gtest/gtest.h>

#include "store/store.h"
#include "store/testing/backend_test.h"
#include "store/testing/test_database.h"
#include "testing/status_matchers.h"

namespace sealpost::store {
namespace {

const TimePoint kT0 = FromUnixMillis(1'790'000'000'000);

using testing::Backend;

class EvidenceStoreTest : public testing::BackendTest {
 protected:
  static ReceiptRecord Receipt(const std::string& id, const MessageId& m, uint64_t index,
                               uint8_t fill) {
    return {id, m, "bob@example.org", "ContentConsignment", index, kT0, Bytes(300, fill)};
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, EvidenceStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

TEST_P(EvidenceStoreTest, MessageEvidenceIsWrittenOnce) {
  const MessageId m = MessageId::FromTrusted(std::string(32, 'a'));
  EXPECT_THAT(store_->evidence().GetMessageEvidence(m).status(), StatusIs(ErrorCode::kNotFound));
  const MessageEvidenceRecord record{m, "alice@example.org", std::string(64, 'f'), kT0};
  ASSERT_THAT(store_->Write([&](WriteTxn& tx) { return tx.evidence().PutMessageEvidence(record); }),
              IsOk());
  auto read = store_->evidence().GetMessageEvidence(m);
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_EQ(read->sender, "alice@example.org");
  EXPECT_EQ(read->sealed_digest_hex, std::string(64, 'f'));
  EXPECT_EQ(read->created_at, kT0);
  MessageEvidenceRecord other = record;
  other.sender = "mallory@example.org";
  EXPECT_THAT(store_->Write([&](WriteTxn& tx) { return tx.evidence().PutMessageEvidence(other); }),
              StatusIs(ErrorCode::kConflict));
  EXPECT_EQ(store_->evidence().GetMessageEvidence(m)->sender, "alice@example.org");
}

TEST_P(EvidenceStoreTest, ReceiptsAreIdempotentByIdAndScopedToTheirMessage) {
  const MessageId m = MessageId::FromTrusted(std::string(32, 'a'));
  const MessageId other = MessageId::FromTrusted(std::string(32, 'b'));
  ASSERT_THAT(store_->Write([&](WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.evidence().AddReceipt(Receipt("7-1", m, 7, 1)));
    SP_RETURN_IF_ERROR(tx.evidence().AddReceipt(Receipt("3-0", m, 3, 2)));
    SP_RETURN_IF_ERROR(tx.evidence().AddReceipt(Receipt("9-0", other, 9, 3)));
    return tx.evidence().AddReceipt(Receipt("7-1", m, 7, 4));  // again: kept as it was
  }),
              IsOk());
  auto list = store_->evidence().ListReceipts(m);
  ASSERT_THAT(list.status(), IsOk());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, "3-0");
  EXPECT_EQ((*list)[1].id, "7-1");
  EXPECT_EQ((*list)[1].der, Bytes(300, 1));
  EXPECT_EQ((*list)[1].log_index, 7u);
  EXPECT_EQ((*list)[1].event, "ContentConsignment");
  EXPECT_EQ((*list)[1].created_at, kT0);
  EXPECT_THAT(store_->evidence().GetReceipt(m, "3-0").status(), IsOk());
  EXPECT_THAT(store_->evidence().GetReceipt(other, "3-0").status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(store_->evidence().GetReceipt(m, "9-0").status(), StatusIs(ErrorCode::kNotFound));
}

TEST_P(EvidenceStoreTest, TheCursorOnlyMovesForward) {
  EXPECT_EQ(*store_->evidence().GetReceiptCursor(), 0u);
  ASSERT_THAT(store_->Write([](WriteTxn& tx) { return tx.evidence().AdvanceReceiptCursor(12); }),
              IsOk());
  EXPECT_EQ(*store_->evidence().GetReceiptCursor(), 12u);
  ASSERT_THAT(store_->Write([](WriteTxn& tx) { return tx.evidence().AdvanceReceiptCursor(5); }),
              IsOk());
  EXPECT_EQ(*store_->evidence().GetReceiptCursor(), 12u);
  ASSERT_THAT(store_->Write([](WriteTxn& tx) { return tx.evidence().AdvanceReceiptCursor(40); }),
              IsOk());
  EXPECT_EQ(*store_->evidence().GetReceiptCursor(), 40u);
}

}  // namespace
}  // namespace sealpost::store

// CheckStoreAgainstLog over in-memory readers: what the log names must be there, what later
// events removed may be gone.
#include "audit/store_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "testing/status_matchers.h"

namespace sealpost::audit {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Id(char c) { return std::string(kIdChars, c); }

class FakeMessages final : public store::MessagesReader {
 public:
  std::map<std::string, store::MessageRecord> messages;
  std::vector<store::MailboxEntry> entries;
  bool fail = false;

  Result<store::UploadRecord> GetUpload(const UploadId&) override { return NotFound("upload"); }
  Result<std::vector<store::UploadRecord>> ListUploadsCreatedBefore(TimePoint, int) override {
    return std::vector<store::UploadRecord>{};
  }
  Result<std::vector<store::MailboxItem>> ListMailbox(const UserId&, store::Folder,
                                                      const store::MailboxCursor*, int) override {
    return std::vector<store::MailboxItem>{};
  }
  Result<store::MailboxItem> GetMailboxItem(const UserId&, const MessageId&) override {
    return NotFound("item");
  }
  Result<std::vector<store::AttachmentRecord>> GetAttachments(const MessageId&) override {
    return std::vector<store::AttachmentRecord>{};
  }
  Result<store::MessageRecord> GetMessage(const MessageId& id) override {
    if (fail) return Unavailable("database is locked");
    const auto it = messages.find(id.str());
    if (it == messages.end()) return NotFound("message not found");
    return it->second;
  }
  Result<std::vector<store::MailboxEntry>> ListMailboxEntriesOfMessage(
      const MessageId& id) override {
    std::vector<store::MailboxEntry> out;
    for (const auto& e : entries) {
      if (e.message_id == id) out.push_back(e);
    }
    return out;
  }
};

class FakeGuests final : public store::GuestsReader {
 public:
  std::vector<store::PickupRecord> pickups;

  Result<store::GuestAddressRecord> GetGuestAddress(const std::string&) override {
    return NotFound("guest");
  }
  Result<store::PickupRecord> GetPickup(const std::string&) override { return NotFound("pickup"); }
  Result<std::vector<store::PickupRecord>> ListPickupsOfMessage(const MessageId& id) override {
    std::vector<store::PickupRecord> out;
    for (const auto& p : pickups) {
      if (p.message_id == id) out.push_back(p);
    }
    return out;
  }
  Result<std::vector<store::PickupRecord>> ListPickupsOfAddress(const std::string&, int) override {
    return std::vector<store::PickupRecord>{};
  }
  Result<std::vector<store::PickupRecord>> ListClaimablePickupsOfSender(const UserId&,
                                                                        int) override {
    return std::vector<store::PickupRecord>{};
  }
  Result<std::vector<store::PickupRecord>> ListStaleSharesOfSender(const UserId&, int) override {
    return std::vector<store::PickupRecord>{};
  }
  Result<std::vector<store::PickupRecord>> ListExpiredPickups(TimePoint, int) override {
    return std::vector<store::PickupRecord>{};
  }
};

// Tombstones only; the rest of the retention domain is not read by the check.
class FakeRetention final : public store::RetentionReader {
 public:
  std::vector<store::TombstoneRecord> tombstones;

  Result<std::vector<store::RetentionPolicyRecord>> ListPolicies() override {
    return std::vector<store::RetentionPolicyRecord>{};
  }
  Result<store::RetentionPolicyRecord> GetPolicy(const std::string&) override {
    return NotFound("policy");
  }
  Result<std::vector<store::HoldRecord>> ListHolds(bool, int) override {
    return std::vector<store::HoldRecord>{};
  }
  Result<store::HoldRecord> GetHold(const std::string&) override { return NotFound("hold"); }
  Result<bool> IsHeld(store::HoldTarget, const std::string&) override { return false; }
  Result<std::vector<store::DueEntry>> ListDueEntries(const std::string&, TimePoint, int) override {
    return std::vector<store::DueEntry>{};
  }
  Result<std::vector<store::DuePickup>> ListDuePickups(const std::string&, TimePoint,
                                                       int) override {
    return std::vector<store::DuePickup>{};
  }
  Result<std::vector<MessageId>> ListShreddedWithAttachments(int) override {
    return std::vector<MessageId>{};
  }
  Result<std::vector<store::TombstoneRecord>> ListTombstonesOfMessage(
      const MessageId& id) override {
    std::vector<store::TombstoneRecord> out;
    for (const auto& t : tombstones) {
      if (t.message_id == id) out.push_back(t);
    }
    return out;
  }
  Result<std::vector<store::TombstoneRecord>> ListTombstonesOfRun(const std::string& run) override {
    std::vector<store::TombstoneRecord> out;
    for (const auto& t : tombstones) {
      if (t.run_id == run) out.push_back(t);
    }
    return out;
  }
};

class StoreCheckTest : public ::testing::Test {
 protected:
  const std::string msg_ = Id('a');
  const std::string alice_ = Id('1');
  const std::string bob_ = Id('2');
  const std::string carol_ = Id('3');

  // Alice sends msg_ to Bob, Carol and one guest; the store holds all of it.
  void SetUp() override {
    Log(0, "message.send", alice_, msg_, R"({"recipients":3,"guests":1,"attachments":0})");
    const MessageId id = MessageId::FromTrusted(msg_);
    messages_.messages[msg_] = {id, UserId::FromTrusted(alice_), {}, {}, {}};
    Entry(bob_, store::Folder::kInbox);
    Entry(carol_, store::Folder::kInbox);
    Entry(alice_, store::Folder::kSent);
    store::PickupRecord p;
    p.message_id = id;
    p.email = "guest@example.net";
    guests_.pickups.push_back(p);
  }

  void Log(uint64_t index, std::string type, std::string actor, std::string subject,
           std::string details) {
    events_.push_back(
        {index, {1000, std::move(type), std::move(actor), std::move(subject), std::move(details)}});
  }
  void Entry(const std::string& owner, store::Folder folder) {
    messages_.entries.push_back(
        {UserId::FromTrusted(owner), MessageId::FromTrusted(msg_), folder, {}, true, {}});
  }
  void RemoveEntry(const std::string& owner, store::Folder folder) {
    std::erase_if(messages_.entries, [&](const store::MailboxEntry& e) {
      return e.owner_id.str() == owner && e.folder == folder;
    });
  }
  std::vector<StoreFinding> Check() {
    auto r = CheckStoreAgainstLog(events_, messages_, guests_, retention_);
    EXPECT_THAT(r.status(), IsOk());
    return r.ok() ? *r : std::vector<StoreFinding>{};
  }

  std::vector<IndexedEvent> events_;
  FakeMessages messages_;
  FakeGuests guests_;
  FakeRetention retention_;
};

TEST_F(StoreCheckTest, UntouchedStorePasses) { EXPECT_THAT(Check(), IsEmpty()); }

TEST_F(StoreCheckTest, DeletedMessageIsNamedWithItsLogEntry) {
  messages_.messages.clear();
  messages_.entries.clear();
  guests_.pickups.clear();
  const auto findings = Check();
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].log_index, 0u);
  EXPECT_EQ(findings[0].problem,
            "message " + msg_ + " named by log entry 0 is missing from the store");
}

TEST_F(StoreCheckTest, DeletedInboxSentAndPickupRowsAreNamed) {
  RemoveEntry(bob_, store::Folder::kInbox);
  auto findings = Check();
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_THAT(findings[0].problem, HasSubstr("1 of the 2 inbox entries of message " + msg_));

  Entry(bob_, store::Folder::kInbox);
  RemoveEntry(alice_, store::Folder::kSent);
  findings = Check();
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_THAT(findings[0].problem, HasSubstr("the Sent entry of message " + msg_ + " for " +
                                             alice_ + " named by log entry 0"));

  Entry(alice_, store::Folder::kSent);
  guests_.pickups.clear();
  findings = Check();
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_THAT(findings[0].problem, HasSubstr("1 of the 1 guest pickups of message " + msg_));
}

TEST_F(StoreCheckTest, RecalledEntriesAreNotReported) {
  RemoveEntry(bob_, store::Folder::kInbox);
  RemoveEntry(carol_, store::Folder::kInbox);
  Log(5, "message.recall", alice_, msg_, R"({"guests":1,"members":2,"kept":0})");
  EXPECT_THAT(Check(), IsEmpty());
  // A recall of one copy does not excuse the other.
  events_.back().event.details = R"({"guests":1,"members":1,"kept":0})";
  const auto findings = Check();
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_THAT(findings[0].problem, HasSubstr("1 of the 1 inbox entries"));
}

TEST_F(StoreCheckTest, ResealedEntryAndGuestPickupAreChecked) {
  const std::string dave = Id('4');
  Log(7, "pickup.resealed", dave, msg_,
      R"({"recipient":"guest@example.net","member":")" + dave + R"("})");
  Log(8, "guest.muc_set", alice_, "other@example.net", R"({"message":")" + msg_ + R"("})");
  auto findings = Check();
  ASSERT_EQ(findings.size(), 3u);
  // In log order: the count (entry 0), then the resealed copy (7), then the pickup (8).
  EXPECT_THAT(findings,
              ElementsAre(Field(&StoreFinding::log_index, 0u), Field(&StoreFinding::log_index, 7u),
                          Field(&StoreFinding::log_index, 8u)));
  EXPECT_THAT(findings[1].problem, HasSubstr("inbox entry of message " + msg_ + " for member " +
                                             dave + " named by log entry 7"));
  EXPECT_THAT(findings[2].problem,
              HasSubstr("guest pickup of message " + msg_ + " for other@example.net"));
  Entry(dave, store::Folder::kInbox);
  store::PickupRecord p;
  p.message_id = MessageId::FromTrusted(msg_);
  p.email = "other@example.net";
  guests_.pickups.push_back(p);
  EXPECT_THAT(Check(), IsEmpty());
}

// Retention shredded Bob's inbox entry and Alice's Sent entry: the run's event vouches for its
// tombstones, so nothing is reported.
TEST_F(StoreCheckTest, EntriesShreddedByALoggedRetentionRunPass) {
  const MessageId id = MessageId::FromTrusted(msg_);
  RemoveEntry(bob_, store::Folder::kInbox);
  RemoveEntry(alice_, store::Folder::kSent);
  retention_.tombstones = {{id, store::ShredKind::kInbox, bob_, "run1", {}},
                           {id, store::ShredKind::kSent, alice_, "run1", {}}};
  EXPECT_EQ(Check().size(), 2u);  // no run event yet: the tombstones vouch for nothing
  Log(5, "retention.shred", "system", "run1",
      R"({"entries":2,"tombstones":")" + RetentionRunDigest(retention_.tombstones) + "\"}");
  EXPECT_THAT(Check(), IsEmpty());
  EXPECT_TRUE(IsStoreCheckEvent("retention.shred"));
}

// Someone deletes Carol's entry and adds a tombstone for it to a logged run: the run's digest no
// longer matches, the run is named and its tombstones excuse nothing.
TEST_F(StoreCheckTest, ATombstoneAddedBehindTheLogIsNamed) {
  const MessageId id = MessageId::FromTrusted(msg_);
  RemoveEntry(bob_, store::Folder::kInbox);
  retention_.tombstones = {{id, store::ShredKind::kInbox, bob_, "run1", {}}};
  Log(5, "retention.shred", "system", "run1",
      R"({"entries":1,"tombstones":")" + RetentionRunDigest(retention_.tombstones) + "\"}");
  ASSERT_THAT(Check(), IsEmpty());
  RemoveEntry(carol_, store::Folder::kInbox);
  retention_.tombstones.push_back({id, store::ShredKind::kInbox, carol_, "run1", {}});
  const auto findings = Check();
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].log_index, 0u);
  EXPECT_THAT(findings[0].problem, HasSubstr("2 of the 2 inbox entries"));
  EXPECT_EQ(findings[1].log_index, 5u);
  EXPECT_THAT(findings[1].problem, HasSubstr("retention run run1"));
  // A tombstone naming a run the log never saw excuses nothing either.
  retention_.tombstones.back().run_id = "forged";
  const auto again = Check();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_THAT(again[0].problem, HasSubstr("1 of the 2 inbox entries"));
}

TEST_F(StoreCheckTest, MalformedEventsAreSkippedAndReadErrorsReturned) {
  Log(9, "message.send", alice_, "not-a-message-id", R"({"recipients":1,"guests":0})");
  Log(10, "message.portal_reply", alice_, Id('b'), "not json");  // row missing: still named
  Log(11, "message.recall", alice_, Id('c'), "[1,2]");
  const auto findings = Check();
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].log_index, 10u);
  EXPECT_TRUE(IsStoreCheckEvent("message.send"));
  EXPECT_FALSE(IsStoreCheckEvent("auth.login"));
  messages_.fail = true;
  EXPECT_THAT(CheckStoreAgainstLog(events_, messages_, guests_, retention_).status(),
              StatusIs(ErrorCode::kUnavailable));
}

}  // namespace
}  // namespace sealpost::audit

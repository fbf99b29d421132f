// Retention and legal hold with a frozen clock: old entries shredded by the owner's domain policy,
// held ones kept, a message emptied (and its blobs removed) only when its last key holder went,
// a shredded message NotFound in the read APIs, holds stopping recall and expiry, and the audit
// log's store check passing after shredding.
#include "app/retention.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/admin.h"
#include "app/app_test_fixture.h"
#include "app/mailbox.h"
#include "app/sent_status.h"

namespace sealpost::app {
namespace {

constexpr const char* kGuest = "guest@example.net";

class RetentionTest : public AppTest {
 protected:
  void SetUp() override {
    auto token = accounts_.CreateBootstrapTokenIfNeeded();
    ASSERT_THAT(token.status(), IsOk());
    ASSERT_THAT(
        accounts_
            .BootstrapAdmin(**token, {"root@example.org", crypto::SecretString::CopyOf(kPassword),
                                      "", "127.0.0.1"})
            .status(),
        IsOk());
    alice_totp_ = Enrol("alice@example.org");
    bob_totp_ = Enrol("bob@example.org");
    carol_totp_ = Enrol("carol@other.net");
    Relogin();
  }

  // Sessions expire while the clock jumps by days: log everyone in again.
  void Relogin() {
    auto login = accounts_.Login("root@example.org", kPassword, "127.0.0.1");
    ASSERT_THAT(login.status(), IsOk());
    auto ctx = accounts_.Authenticate(login->session->cookie_value.view(), "127.0.0.1");
    ASSERT_THAT(ctx.status(), IsOk());
    root_.emplace(std::move(*ctx));
    alice_.emplace(LoggedIn("alice@example.org", alice_totp_));
    bob_.emplace(LoggedIn("bob@example.org", bob_totp_));
    carol_.emplace(LoggedIn("carol@other.net", carol_totp_));
  }

  void Advance(std::chrono::seconds by) {
    clock_.Advance(by);
    Relogin();
  }

  // Alice sends to Bob, Carol and a guest, with one attachment.
  MessageId SendToAll(const std::string& subject) {
    auto session = mailbox_.BeginUpload(*alice_, 11);
    EXPECT_THAT(session.status(), IsOk());
    EXPECT_THAT((*session)->Write(AsBytes(std::string_view("hello world"))), IsOk());
    auto upload = (*session)->Finish();
    EXPECT_THAT(upload.status(), IsOk());
    SendRequest r;
    r.to = {"bob@example.org", "carol@other.net", kGuest};
    r.subject = subject;
    r.text = "text of " + subject;
    r.attachments = {{upload->id.str(), "a.txt", "text/plain"}};
    r.mucs = Mucs({{kGuest, "correct-muc-42"}});
    auto id = mailbox_.Send(*alice_, r);
    EXPECT_THAT(id.status(), IsOk());
    return *id;
  }

  bool PickupHasKeys(const MessageId& id) {
    auto pickups = store_->guests().ListPickupsOfMessage(id);
    EXPECT_THAT(pickups.status(), IsOk());
    return !pickups->empty() && !pickups->front().wrapped_key.empty();
  }

  ShredRound Shred() {
    auto round = retention_.ShredDue(100);
    EXPECT_THAT(round.status(), IsOk());
    return round.ok() ? *round : ShredRound{};
  }

  void ExpectStoreCheckPasses() {
    auto report = admin_.VerifyAudit(*root_);
    ASSERT_THAT(report.status(), IsOk());
    EXPECT_TRUE(report->ok) << report->problem;
    EXPECT_TRUE(report->store_findings.empty());
    EXPECT_GT(report->store_events_checked, 0);
  }

  std::string alice_totp_, bob_totp_, carol_totp_;
  std::optional<AuthContext> root_, alice_, bob_, carol_;
  Mailbox mailbox_{services_};
  Admin admin_{services_};
  SentMessages sent_{services_};
  Retention retention_{services_};
};

TEST_F(RetentionTest, EachEntryFollowsItsOwnersDomainAndTheLastOneTakesTheContent) {
  ASSERT_THAT(retention_.SetPolicy(*root_, "Example.ORG", 30).status(), IsOk());
  const MessageId id = SendToAll("quarterly figures");
  const size_t blobs_with_message = BlobFiles();
  Advance(std::chrono::hours(24 * 29));
  ShredRound early = Shred();
  EXPECT_EQ(early.entries + early.pickups, 0);
  EXPECT_TRUE(early.run_id.empty());

  Advance(std::chrono::hours(24 * 2));
  ShredRound round = Shred();
  EXPECT_EQ(round.entries, 2);   // Alice's Sent and Bob's inbox entry (example.org)
  EXPECT_EQ(round.pickups, 1);   // the guest's pickup follows its sender's domain
  EXPECT_EQ(round.messages, 0);  // Carol (other.net, no policy) still holds its key
  EXPECT_EQ(round.blobs, 0);
  EXPECT_FALSE(round.run_id.empty());
  EXPECT_THAT(mailbox_.Read(*bob_, id.str()).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(mailbox_.Read(*alice_, id.str()).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(mailbox_.OpenAttachment(*bob_, id.str(), 0).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_TRUE(mailbox_.List(*bob_, store::Folder::kInbox, "", 10)->items.empty());
  EXPECT_FALSE(PickupHasKeys(id));
  auto carol_view = mailbox_.Read(*carol_, id.str());
  ASSERT_THAT(carol_view.status(), IsOk());
  EXPECT_EQ(carol_view->header.subject, "quarterly figures");
  EXPECT_EQ(BlobFiles(), blobs_with_message);

  // The run's event: counts and a digest, never content.
  const auto events = AuditEvents();
  const auto shred = std::find_if(events.rbegin(), events.rend(),
                                  [](const auto& e) { return e.type == "retention.shred"; });
  ASSERT_NE(shred, events.rend());
  EXPECT_EQ(shred->subject, round.run_id);
  const auto details = nlohmann::json::parse(shred->details);
  EXPECT_EQ(details["entries"], 2);
  EXPECT_EQ(details["pickups"], 1);
  EXPECT_EQ(details["tombstones"].get<std::string>().size(), 64u);
  EXPECT_EQ(shred->details.find("quarterly"), std::string::npos);
  ExpectStoreCheckPasses();

  // other.net now keeps 10 days: Carol's entry goes, and with it the content and the blob.
  ASSERT_THAT(retention_.SetPolicy(*root_, "other.net", 10).status(), IsOk());
  round = Shred();
  EXPECT_EQ(round.entries, 1);
  EXPECT_EQ(round.messages, 1);
  EXPECT_EQ(round.blobs, 1);
  EXPECT_EQ(BlobFiles(), blobs_with_message - 1);
  EXPECT_THAT(mailbox_.Read(*carol_, id.str()).status(), StatusIs(ErrorCode::kNotFound));
  auto message = store_->messages().GetMessage(id);
  ASSERT_THAT(message.status(), IsOk());
  EXPECT_TRUE(message->summary.empty());
  EXPECT_TRUE(message->body.empty());
  EXPECT_TRUE(store_->messages().GetAttachments(id)->empty());
  // The evidence stays.
  EXPECT_THAT(store_->evidence().GetMessageEvidence(id).status(), IsOk());
  ExpectStoreCheckPasses();
  // Nothing more is due.
  EXPECT_TRUE(Shred().run_id.empty());
}

TEST_F(RetentionTest, HeldMembersAndMessagesAreKeptUntilReleased) {
  ASSERT_THAT(retention_.SetPolicy(*root_, "example.org", 1).status(), IsOk());
  ASSERT_THAT(retention_.SetPolicy(*root_, "other.net", 1).status(), IsOk());
  const MessageId kept_by_bob = SendToAll("first");
  const MessageId kept_whole = SendToAll("second");
  auto bob_hold = retention_.PlaceHold(*root_, "member", "bob@example.org", "case 2026-17");
  ASSERT_THAT(bob_hold.status(), IsOk());
  auto message_hold = retention_.PlaceHold(*root_, "message", kept_whole.str(), "case 2026-18");
  ASSERT_THAT(message_hold.status(), IsOk());
  Advance(std::chrono::hours(24 * 3));

  ShredRound round = Shred();
  EXPECT_EQ(round.entries, 2);   // Alice's and Carol's entries of the first message
  EXPECT_EQ(round.pickups, 1);   // the guest's pickup of the first message
  EXPECT_EQ(round.messages, 0);  // Bob's held entry keeps its key
  EXPECT_THAT(mailbox_.Read(*bob_, kept_by_bob.str()).status(), IsOk());
  EXPECT_THAT(mailbox_.Read(*alice_, kept_by_bob.str()).status(), StatusIs(ErrorCode::kNotFound));
  for (auto* who : {&*alice_, &*bob_, &*carol_}) {
    EXPECT_THAT(mailbox_.Read(*who, kept_whole.str()).status(), IsOk());
  }
  EXPECT_TRUE(PickupHasKeys(kept_whole));
  // Pickup expiry leaves the held message's pickup alone too.
  Advance(std::chrono::hours(24 * 40));
  auto expiry = sent_.ExpirePickups();
  ASSERT_THAT(expiry.status(), IsOk());
  EXPECT_EQ(expiry->expired, 0);
  EXPECT_TRUE(PickupHasKeys(kept_whole));
  ExpectStoreCheckPasses();

  auto listed = retention_.ListHolds(*root_, false, 10);
  ASSERT_THAT(listed.status(), IsOk());
  EXPECT_EQ(listed->size(), 2u);
  ASSERT_THAT(retention_.ReleaseHold(*root_, bob_hold->id), IsOk());
  EXPECT_THAT(retention_.ReleaseHold(*root_, bob_hold->id), StatusIs(ErrorCode::kNotFound));
  ASSERT_THAT(retention_.ReleaseHold(*root_, message_hold->id), IsOk());
  EXPECT_TRUE(retention_.ListHolds(*root_, false, 10)->empty());
  EXPECT_EQ(retention_.ListHolds(*root_, true, 10)->size(), 2u);
  round = Shred();
  EXPECT_EQ(round.entries, 4);  // Bob's of the first; Alice's, Bob's, Carol's of the second
  EXPECT_EQ(round.messages, 2);
  EXPECT_EQ(round.blobs, 2);
  EXPECT_THAT(mailbox_.Read(*bob_, kept_by_bob.str()).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_TRUE(AuditHas("hold.placed"));
  EXPECT_TRUE(AuditHas("hold.released"));
  ExpectStoreCheckPasses();
}

TEST_F(RetentionTest, HeldMessagesAreNotRecalledAndHeldUploadsDoNotExpire) {
  SendRequest r;
  r.to = {"bob@example.org", "carol@other.net"};
  r.subject = "oops";
  r.text = "sent too soon";
  auto id = mailbox_.Send(*alice_, r);
  ASSERT_THAT(id.status(), IsOk());
  auto hold = retention_.PlaceHold(*root_, "message", id->str(), "litigation");
  ASSERT_THAT(hold.status(), IsOk());
  EXPECT_THAT(sent_.Recall(*alice_, id->str()).status(), StatusIs(ErrorCode::kConflict));
  ASSERT_THAT(retention_.ReleaseHold(*root_, hold->id), IsOk());
  // Bob is held: his copy stays, Carol's is recalled.
  ASSERT_THAT(retention_.PlaceHold(*root_, "member", bob_->user.id.str(), "audit").status(),
              IsOk());
  auto recalled = sent_.Recall(*alice_, id->str());
  ASSERT_THAT(recalled.status(), IsOk());
  EXPECT_EQ(recalled->recalled, std::vector<std::string>{"carol@other.net"});
  EXPECT_EQ(recalled->kept, std::vector<std::string>{"bob@example.org"});
  EXPECT_THAT(mailbox_.Read(*bob_, id->str()).status(), IsOk());

  auto session = mailbox_.BeginUpload(*bob_, 3);
  ASSERT_THAT(session.status(), IsOk());
  ASSERT_THAT((*session)->Write(AsBytes(std::string_view("abc"))), IsOk());
  auto upload = (*session)->Finish();
  ASSERT_THAT(upload.status(), IsOk());
  Advance(services_.config.upload_ttl + std::chrono::hours(1));
  auto removed = mailbox_.ExpireUploads();
  ASSERT_THAT(removed.status(), IsOk());
  EXPECT_EQ(*removed, 0);
  EXPECT_THAT(store_->messages().GetUpload(upload->id).status(), IsOk());
}

TEST_F(RetentionTest, BadInputAndNonAdministratorsAreRefused) {
  for (const int64_t days : {int64_t{0}, int64_t{-5}, kMaxRetentionDays + 1}) {
    EXPECT_THAT(retention_.SetPolicy(*root_, "example.org", days).status(),
                StatusIs(ErrorCode::kInvalidArgument));
  }
  for (const char* domain : {"", "not a domain", "a@b.org", "x\n.org"}) {
    EXPECT_THAT(retention_.SetPolicy(*root_, domain, 30).status(),
                StatusIs(ErrorCode::kInvalidArgument));
  }
  EXPECT_THAT(retention_.ClearPolicy(*root_, "example.org"), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(retention_.SetPolicy(*bob_, "example.org", 30).status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(retention_.ListHolds(*bob_, true, 10).status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(retention_.PlaceHold(*bob_, "member", "alice@example.org", "x").status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(retention_.PlaceHold(*root_, "member", "alice@example.org", "").status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(
      retention_.PlaceHold(*root_, "member", "alice@example.org", std::string(501, 'r')).status(),
      StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(retention_.PlaceHold(*root_, "member", "alice@example.org", "a\nb").status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(retention_.PlaceHold(*root_, "folder", "alice@example.org", "x").status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(retention_.PlaceHold(*root_, "member", "nobody@example.org", "x").status(),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(retention_.PlaceHold(*root_, "message", std::string(32, 'a'), "x").status(),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(retention_.ReleaseHold(*root_, "unknown"), StatusIs(ErrorCode::kNotFound));

  // Members see their own domain's policy.
  EXPECT_FALSE(retention_.PolicyOfMember(*bob_)->has_value());
  ASSERT_THAT(retention_.SetPolicy(*root_, "example.org", 365).status(), IsOk());
  auto mine = retention_.PolicyOfMember(*bob_);
  ASSERT_THAT(mine.status(), IsOk());
  ASSERT_TRUE(mine->has_value());
  EXPECT_EQ((*mine)->days, 365);
  EXPECT_FALSE(retention_.PolicyOfMember(*carol_)->has_value());
  ASSERT_THAT(retention_.ClearPolicy(*root_, "EXAMPLE.org"), IsOk());
  EXPECT_FALSE(retention_.PolicyOfMember(*bob_)->has_value());
  EXPECT_TRUE(AuditHas("retention.policy_set"));
  EXPECT_TRUE(AuditHas("retention.policy_cleared"));
}

// A compliance officer of example.org manages example.org's retention and holds, and nothing of
// other.net: a policy there is 403, its members, messages and holds are 404 like unknown ones, and
// the lists show only example.org's.
TEST_F(RetentionTest, ADomainsComplianceOfficerManagesThatDomainOnly) {
  ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
    return tx.access().PutRoleGrant({bob_->user.id, store::Role::kComplianceOfficer, "example.org",
                                     root_->user.id.str(), clock_.Now()});
  }),
              IsOk());
  ASSERT_THAT(retention_.SetPolicy(*root_, "other.net", 90).status(), IsOk());
  EXPECT_THAT(retention_.SetPolicy(*bob_, "example.org", 30).status(), IsOk());
  EXPECT_THAT(retention_.SetPolicy(*bob_, "other.net", 1).status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(retention_.ClearPolicy(*bob_, "other.net"), StatusIs(ErrorCode::kPermissionDenied));
  auto policies = retention_.ListPolicies(*bob_);
  ASSERT_THAT(policies.status(), IsOk());
  ASSERT_EQ(policies->size(), 1u);
  EXPECT_EQ((*policies)[0].domain, "example.org");
  EXPECT_EQ(retention_.ListPolicies(*root_)->size(), 2u);

  // Members: Alice (example.org) yes, Carol (other.net) as unknown as nobody.
  auto on_alice = retention_.PlaceHold(*bob_, "member", "alice@example.org", "case 1");
  ASSERT_THAT(on_alice.status(), IsOk());
  EXPECT_THAT(retention_.PlaceHold(*bob_, "member", "carol@other.net", "case 1").status(),
              StatusIs(ErrorCode::kNotFound));
  // Messages: one Alice sent (to Carol too) is example.org's; one between other.net's members
  // is not.
  const MessageId mixed = SendToAll("mixed");
  SendRequest r;
  r.to = {kGuest};
  r.generate_mucs = true;
  r.subject = "carol to a guest";
  r.text = "x";
  auto theirs = mailbox_.Send(*carol_, r);
  ASSERT_THAT(theirs.status(), IsOk());
  EXPECT_THAT(retention_.PlaceHold(*bob_, "message", mixed.str(), "case 2").status(), IsOk());
  EXPECT_THAT(retention_.PlaceHold(*bob_, "message", theirs->str(), "case 2").status(),
              StatusIs(ErrorCode::kNotFound));

  // A hold the instance's administrator placed on Carol: not in Bob's list, not his to release.
  auto on_carol = retention_.PlaceHold(*root_, "member", "carol@other.net", "case 3");
  ASSERT_THAT(on_carol.status(), IsOk());
  auto bobs = retention_.ListHolds(*bob_, false, 50);
  ASSERT_THAT(bobs.status(), IsOk());
  EXPECT_EQ(bobs->size(), 2u);
  for (const auto& h : *bobs) EXPECT_NE(h.id, on_carol->id);
  EXPECT_EQ(retention_.ListHolds(*root_, false, 50)->size(), 3u);
  EXPECT_THAT(retention_.ReleaseHold(*bob_, on_carol->id), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(retention_.ReleaseHold(*bob_, on_alice->id), IsOk());
  // Carol holds no role: refused outright.
  EXPECT_THAT(retention_.ListPolicies(*carol_).status(), StatusIs(ErrorCode::kPermissionDenied));
}

}  // namespace
}  // namespace sealpost::app

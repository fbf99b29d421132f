// Mailbox use cases in-process: what the HTTP suites cannot reach quickly (upload expiry).
#include "app/mailbox.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "app/app_test_fixture.h"
#include "crypto/sealed_box.h"
#include "crypto/signature.h"

namespace sealpost::app {
namespace {

class MailboxTest : public AppTest {
 protected:
  Result<UploadResult> Upload(const AuthContext& ctx, std::string_view data) {
    SP_ASSIGN_OR_RETURN(auto session, mailbox_.BeginUpload(ctx, data.size()));
    SP_RETURN_IF_ERROR(session->Write(AsBytes(data)));
    return session->Finish();
  }

  Mailbox mailbox_{services_};
};

TEST_F(MailboxTest, UnusedUploadsExpireButAttachedOnesStay) {
  const std::string alice_totp = Enrol("alice@example.org");
  Enrol("bob@example.org");
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp);

  auto kept = Upload(alice, "attached to a message");
  auto dropped = Upload(alice, "never attached");
  ASSERT_THAT(kept.status(), IsOk());
  ASSERT_THAT(dropped.status(), IsOk());
  ASSERT_THAT(
      mailbox_.Send(alice, {{"bob@example.org"}, "s", "t", "", {{kept->id.str(), "a.txt", ""}}})
          .status(),
      IsOk());
  EXPECT_EQ(BlobFiles(), 2u);

  clock_.Advance(1h);
  auto removed = mailbox_.ExpireUploads();
  ASSERT_THAT(removed.status(), IsOk());
  EXPECT_EQ(*removed, 0);  // too young

  clock_.Advance(services_.config.upload_ttl);
  removed = mailbox_.ExpireUploads();
  ASSERT_THAT(removed.status(), IsOk());
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(BlobFiles(), 1u);
  EXPECT_THAT(store_->messages().GetUpload(dropped->id).status(), StatusIs(ErrorCode::kNotFound));
  // The expired upload can no longer be attached.
  EXPECT_THAT(
      mailbox_.Send(alice, {{"bob@example.org"}, "s", "t", "", {{dropped->id.str(), "b.txt", ""}}})
          .status(),
      StatusIs(ErrorCode::kInvalidArgument));
}

TEST_F(MailboxTest, SearchKeepsMatchingSubjectsSendersAndRecipients) {
  const std::string alice_totp = Enrol("alice@example.org");
  const std::string bob_totp = Enrol("bob@example.org");
  Enrol("carol@example.org");
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp);
  for (const char* subject : {"Quarterly report", "Lunch", "report draft"}) {
    clock_.Advance(1s);
    ASSERT_THAT(mailbox_.Send(alice, {{"bob@example.org"}, subject, "t", "", {}}).status(), IsOk());
  }
  clock_.Advance(1s);
  ASSERT_THAT(mailbox_.Send(alice, {{"carol@example.org"}, "for carol", "t", "", {}}).status(),
              IsOk());
  const AuthContext bob = LoggedIn("bob@example.org", bob_totp);

  auto subjects = [](const MailboxPage& page) {
    std::vector<std::string> out;
    for (const auto& m : page.items) out.push_back(m.header ? m.header->subject : "<broken>");
    return out;
  };
  auto page = mailbox_.List(bob, store::Folder::kInbox, "", 10, "REPORT");
  ASSERT_THAT(page.status(), IsOk());
  EXPECT_EQ(subjects(*page), (std::vector<std::string>{"report draft", "Quarterly report"}));
  EXPECT_FALSE(page->next_cursor);

  // One match per page; the cursor continues after the last match.
  page = mailbox_.List(bob, store::Folder::kInbox, "", 1, "report");
  ASSERT_THAT(page.status(), IsOk());
  EXPECT_EQ(subjects(*page), (std::vector<std::string>{"report draft"}));
  ASSERT_TRUE(page->next_cursor);
  page = mailbox_.List(bob, store::Folder::kInbox, *page->next_cursor, 1, "report");
  ASSERT_THAT(page.status(), IsOk());
  EXPECT_EQ(subjects(*page), (std::vector<std::string>{"Quarterly report"}));
  EXPECT_FALSE(page->next_cursor);

  // Sender and recipient addresses match too; nothing matches an absent word.
  EXPECT_EQ(mailbox_.List(bob, store::Folder::kInbox, "", 10, "Alice@")->items.size(), 3u);
  EXPECT_EQ(mailbox_.List(bob, store::Folder::kInbox, "", 10, "bob@example")->items.size(), 3u);
  EXPECT_TRUE(mailbox_.List(bob, store::Folder::kInbox, "", 10, "carol")->items.empty());
  auto sent = mailbox_.List(alice, store::Folder::kSent, "", 10, "carol@");
  ASSERT_THAT(sent.status(), IsOk());
  EXPECT_EQ(subjects(*sent), (std::vector<std::string>{"for carol"}));

  EXPECT_THAT(mailbox_.List(bob, store::Folder::kInbox, "", 10, "").status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(mailbox_.List(bob, store::Folder::kInbox, "", 10, std::string(201, 'x')).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  // 200 characters (not bytes) is the limit.
  std::string umlauts;
  for (int i = 0; i < 200; ++i) umlauts += "\xc3\xa4";
  EXPECT_THAT(mailbox_.List(bob, store::Folder::kInbox, "", 10, umlauts).status(), IsOk());
}

TEST_F(MailboxTest, SearchStopsAtItsBudgetWithACursor) {
  const std::string alice_totp = Enrol("alice@example.org");
  const std::string bob_totp = Enrol("bob@example.org");
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp);
  for (const char* subject : {"needle", "hay 1", "hay 2", "hay 3"}) {
    clock_.Advance(1s);
    ASSERT_THAT(mailbox_.Send(alice, {{"bob@example.org"}, subject, "t", "", {}}).status(), IsOk());
  }
  const AuthContext bob = LoggedIn("bob@example.org", bob_totp);
  Services limited = services_;
  limited.config.limits.max_search_scanned = 2;
  Mailbox small(limited);
  std::string cursor;
  std::vector<std::string> found;
  int pages = 0;
  for (; pages < 10; ++pages) {
    auto page = small.List(bob, store::Folder::kInbox, cursor, 10, "needle");
    ASSERT_THAT(page.status(), IsOk());
    for (const auto& m : page->items) found.push_back(m.header->subject);
    if (!page->next_cursor) break;
    cursor = *page->next_cursor;
  }
  EXPECT_EQ(pages, 1);  // two pages of two scanned messages each
  EXPECT_EQ(found, (std::vector<std::string>{"needle"}));
}

// A mailbox entry whose sealed key opens nothing: reading it is an integrity failure, which is
// audited; when the audit write fails, the read fails as unavailable instead of going unlogged.
TEST_F(MailboxTest, AnIntegrityFailureThatCannotBeAuditedFailsTheRead) {
  const std::string alice_totp = Enrol("alice@example.org");
  const std::string carol_totp = Enrol("carol@example.org");
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp);
  auto id = mailbox_.Send(alice, {{"alice@example.org"}, "s", "t", "", {}});
  ASSERT_THAT(id.status(), IsOk());
  auto carol_user = store_->accounts().GetUserByEmail("carol@example.org");
  ASSERT_THAT(carol_user.status(), IsOk());
  ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
    return tx.messages().AddMailboxEntry(
        {carol_user->id, *id, store::Folder::kInbox, Bytes(80, 0x42), true, clock_.Now()});
  }),
              IsOk());
  const AuthContext carol = LoggedIn("carol@example.org", carol_totp);

  faults_.FailWrites(Unavailable("injected: disk gone"));
  EXPECT_THAT(mailbox_.Read(carol, id->str()).status(), StatusIs(ErrorCode::kUnavailable));
  EXPECT_FALSE(AuditHas("message.integrity_failure"));

  faults_.StopFailing();
  EXPECT_THAT(mailbox_.Read(carol, id->str()).status(), StatusIs(ErrorCode::kCorruption));
  EXPECT_TRUE(AuditHas("message.integrity_failure"));
}

// A message whose seal does not verify (here: signed with a key that is not the sender's) is
// listed and its header shown as broken, but app/ withholds its text and attachments from every
// front end, and its attachments refuse to open.
TEST_F(MailboxTest, ABrokenSealWithholdsTheContent) {
  const std::string alice_totp = Enrol("alice@example.org");
  const std::string bob_totp = Enrol("bob@example.org");
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp);
  auto upload = Upload(alice, "ATTACHMENT");
  ASSERT_THAT(upload.status(), IsOk());

  const crypto::SigningKey impostor = crypto::SigningKey::Generate();
  auto box_key = alice.BoxKey();
  ASSERT_THAT(box_key.status(), IsOk());
  Author author;
  author.sender_id = alice.user.id;
  author.email = alice.user.email;
  author.actor = alice.user.id.str();
  author.signing_key = &impostor;
  author.umk = &alice.umk;
  author.open_upload = [&](const store::UploadRecord& u) {
    return crypto::OpenSealed(*box_key, u.sealed_key);
  };
  auto id = mailbox_.SendAs(
      author, {{"bob@example.org"}, "s", "TEXT", "", {{upload->id.str(), "a", ""}}}, "");
  ASSERT_THAT(id.status(), IsOk());

  const AuthContext bob = LoggedIn("bob@example.org", bob_totp);
  auto view = mailbox_.Read(bob, id->str());
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_EQ(view->header.seal, SealState::kInvalid);
  EXPECT_EQ(view->withheld, Withheld::kSealBroken);
  EXPECT_TRUE(view->body.text.empty());
  EXPECT_TRUE(view->attachments.empty());
  EXPECT_EQ(view->header.attachment_count, 1u);
  auto download = mailbox_.OpenAttachment(bob, id->str(), 0);
  EXPECT_THAT(download.status(), StatusIs(ErrorCode::kConflict));
  EXPECT_EQ(download.status().reason(), Reason::kSealBroken);

  // The same message sealed with Alice's own key shows everything.
  auto sealed = mailbox_.Send(alice, {{"bob@example.org"}, "s", "TEXT", "", {}});
  ASSERT_THAT(sealed.status(), IsOk());
  auto good = mailbox_.Read(bob, sealed->str());
  ASSERT_THAT(good.status(), IsOk());
  EXPECT_EQ(good->withheld, Withheld::kNone);
  EXPECT_EQ(good->body.text, "TEXT");
}

}  // namespace
}  // namespace sealpost::app

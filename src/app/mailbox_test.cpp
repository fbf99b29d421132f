// Mailbox use cases in-process: what the HTTP suites cannot reach quickly (upload expiry).
#include "app/mailbox.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <tuple>

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

// Reads the whole attachment `index` of message `id` as `who`.
std::string AttachmentText(Mailbox& mailbox, const AuthContext& who, const MessageId& id,
                           int index) {
  auto download = mailbox.OpenAttachment(who, id.str(), index);
  EXPECT_THAT(download.status(), IsOk());
  if (!download.ok()) return "";
  std::string out;
  std::vector<uint8_t> buffer(4096);
  for (;;) {
    auto n = download->reader->Read(buffer);
    EXPECT_THAT(n.status(), IsOk());
    if (!n.ok() || *n == 0) break;
    out.append(reinterpret_cast<const char*>(buffer.data()), *n);
  }
  return out;
}

// Every address a header names, in any list.
std::string Named(const MessageHeader& h) {
  std::string out;
  for (const auto* list : {&h.to, &h.cc, &h.bcc}) {
    for (const std::string& a : *list) out += a + " ";
  }
  return out;
}

TEST_F(MailboxTest, CcRecipientsSeeToAndCcAndEachBccRecipientOnlyThemselves) {
  const std::string alice_totp = Enrol("alice@example.org");
  const std::string bob_totp = Enrol("bob@example.org");
  const std::string carol_totp = Enrol("carol@example.org");
  const std::string dave_totp = Enrol("dave@example.org");
  const std::string erin_totp = Enrol("erin@example.org");
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp);
  auto upload = Upload(alice, "MINUTES");
  ASSERT_THAT(upload.status(), IsOk());
  SendRequest r;
  r.to = {"bob@example.org"};
  r.cc = {"Carol@example.org"};
  r.bcc = {"dave@example.org", "erin@example.org"};
  r.subject = "Board minutes";
  r.text = "See attached.";
  r.attachments = {{upload->id.str(), "minutes.txt", "text/plain"}};
  SendOutcome outcome;
  auto id = mailbox_.Send(alice, r, &outcome);
  ASSERT_THAT(id.status(), IsOk());
  ASSERT_EQ(outcome.bcc_messages.size(), 2u);
  const MessageId dave_id = outcome.bcc_messages.at("dave@example.org");
  const MessageId erin_id = outcome.bcc_messages.at("erin@example.org");
  EXPECT_NE(dave_id, *id);
  EXPECT_NE(dave_id, erin_id);

  // Bob (To) and Carol (Cc) hold the same message, which lists To and Cc and no Bcc.
  for (auto [email, totp] :
       {std::pair{"bob@example.org", bob_totp}, std::pair{"carol@example.org", carol_totp}}) {
    const AuthContext who = LoggedIn(email, totp);
    auto inbox = mailbox_.List(who, store::Folder::kInbox, "", 10);
    ASSERT_THAT(inbox.status(), IsOk());
    ASSERT_EQ(inbox->items.size(), 1u) << email;
    EXPECT_EQ(inbox->items[0].id, *id);
    auto view = mailbox_.Read(who, id->str());
    ASSERT_THAT(view.status(), IsOk());
    EXPECT_EQ(view->header.to, std::vector<std::string>{"bob@example.org"});
    EXPECT_EQ(view->header.cc, std::vector<std::string>{"carol@example.org"});
    EXPECT_TRUE(view->header.bcc.empty());
    EXPECT_EQ(view->header.seal, SealState::kValid);  // the seal covers the Cc list
    EXPECT_EQ(Named(view->header).find("dave"), std::string::npos);
    EXPECT_EQ(Named(view->header).find("erin"), std::string::npos);
    EXPECT_EQ(AttachmentText(mailbox_, who, *id, 0), "MINUTES");
    // Nothing they can search names a Bcc recipient.
    EXPECT_TRUE(mailbox_.List(who, store::Folder::kInbox, "", 10, "dave")->items.empty());
    EXPECT_EQ(mailbox_.List(who, store::Folder::kInbox, "", 10, "carol@")->items.size(), 1u);
  }

  // Dave and Erin each hold a message of their own that names only them, as Bcc.
  for (auto [email, totp, own] : {std::tuple{"dave@example.org", dave_totp, dave_id},
                                  std::tuple{"erin@example.org", erin_totp, erin_id}}) {
    const AuthContext who = LoggedIn(email, totp);
    auto inbox = mailbox_.List(who, store::Folder::kInbox, "", 10);
    ASSERT_THAT(inbox.status(), IsOk());
    ASSERT_EQ(inbox->items.size(), 1u) << email;
    EXPECT_EQ(inbox->items[0].id, own);
    EXPECT_THAT(mailbox_.Read(who, id->str()).status(), StatusIs(ErrorCode::kNotFound));
    auto view = mailbox_.Read(who, own.str());
    ASSERT_THAT(view.status(), IsOk());
    EXPECT_TRUE(view->header.to.empty());
    EXPECT_TRUE(view->header.cc.empty());
    EXPECT_EQ(view->header.bcc, std::vector<std::string>{email});
    EXPECT_EQ(Named(view->header), std::string(email) + " ");
    EXPECT_EQ(view->header.seal, SealState::kValid);
    EXPECT_EQ(view->header.subject, "Board minutes");
    EXPECT_EQ(view->body.text, "See attached.");
    // Each message has its own copy of the attachment.
    EXPECT_EQ(AttachmentText(mailbox_, who, own, 0), "MINUTES");
  }

  // Alice's Sent folder holds the three messages; only she sees them all.
  auto sent = mailbox_.List(alice, store::Folder::kSent, "", 10);
  ASSERT_THAT(sent.status(), IsOk());
  std::set<std::string> named;
  for (const auto& m : sent->items) named.insert(Named(*m.header));
  EXPECT_EQ(named, (std::set<std::string>{"bob@example.org carol@example.org ", "dave@example.org ",
                                          "erin@example.org "}));
  // No upload is left over: each message took its own.
  EXPECT_EQ(*mailbox_.ExpireUploads(), 0);
  clock_.Advance(services_.config.upload_ttl + 1h);
  EXPECT_EQ(*mailbox_.ExpireUploads(), 0);
}

TEST_F(MailboxTest, BccOnlyIsOneMessagePerRecipientAndCcAloneIsEnough) {
  const std::string alice_totp = Enrol("alice@example.org");
  const std::string bob_totp = Enrol("bob@example.org");
  Enrol("carol@example.org");
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp);
  SendRequest only_bcc;
  only_bcc.bcc = {"bob@example.org"};
  only_bcc.subject = "quiet";
  SendOutcome outcome;
  auto id = mailbox_.Send(alice, only_bcc, &outcome);
  ASSERT_THAT(id.status(), IsOk());
  EXPECT_EQ(outcome.bcc_messages.at("bob@example.org"), *id);
  const AuthContext bob = LoggedIn("bob@example.org", bob_totp);
  auto view = mailbox_.Read(bob, id->str());
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_EQ(view->header.bcc, std::vector<std::string>{"bob@example.org"});

  SendRequest only_cc;
  only_cc.cc = {"bob@example.org", "carol@example.org"};
  only_cc.subject = "copied";
  auto cc_id = mailbox_.Send(alice, only_cc);
  ASSERT_THAT(cc_id.status(), IsOk());
  view = mailbox_.Read(bob, cc_id->str());
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_TRUE(view->header.to.empty());
  EXPECT_EQ(view->header.cc, (std::vector<std::string>{"bob@example.org", "carol@example.org"}));
}

TEST_F(MailboxTest, RecipientListsAreCheckedTogetherAndNothingIsSentOnAnError) {
  const std::string alice_totp = Enrol("alice@example.org");
  const std::string bob_totp = Enrol("bob@example.org");
  Enrol("carol@example.org");
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp);
  auto refused = [&](std::vector<std::string> to, std::vector<std::string> cc,
                     std::vector<std::string> bcc, Mailbox& mailbox) {
    SendRequest r;
    r.to = std::move(to);
    r.cc = std::move(cc);
    r.bcc = std::move(bcc);
    r.subject = "s";
    const Status st = mailbox.Send(alice, r).status();
    EXPECT_THAT(st, StatusIs(ErrorCode::kInvalidArgument));
    EXPECT_EQ(st.reason(), Reason::kInvalidRecipient) << st.ToString();
    return std::string(st.message());
  };
  EXPECT_EQ(refused({"bob@example.org"}, {"BOB@example.org"}, {}, mailbox_),
            "recipient bob@example.org is in both to and cc: put it in one of them");
  EXPECT_EQ(refused({"bob@example.org"}, {}, {"bob@example.org"}, mailbox_),
            "recipient bob@example.org is in both to and bcc: put it in one of them");
  EXPECT_EQ(refused({}, {"carol@example.org"}, {"carol@example.org"}, mailbox_),
            "recipient carol@example.org is in both cc and bcc: put it in one of them");
  EXPECT_EQ(refused({}, {}, {"carol@example.org", "carol@example.org"}, mailbox_),
            "recipient carol@example.org appears more than once in bcc");
  EXPECT_THAT(refused({"bob@example.org"}, {"not an address"}, {}, mailbox_),
              ::testing::StartsWith("cc recipient 1 is not a valid address"));
  EXPECT_THAT(refused({}, {}, {"bob@example.org", "@"}, mailbox_),
              ::testing::StartsWith("bcc recipient 2 is not a valid address"));
  EXPECT_EQ(refused({}, {}, {}, mailbox_), "a message needs at least one recipient");
  Services limited = services_;
  limited.config.limits.max_recipients = 2;
  Mailbox small(limited);
  EXPECT_EQ(refused({"bob@example.org"}, {"carol@example.org"}, {"dave@example.org"}, small),
            "a message can have at most 2 recipients (to, cc and bcc together)");

  // One message never lists a Bcc recipient beside anybody: SendAs refuses it.
  auto signing_key = alice.SigningKey();
  ASSERT_THAT(signing_key.status(), IsOk());
  Author author;
  author.sender_id = alice.user.id;
  author.email = alice.user.email;
  author.actor = alice.user.id.str();
  author.signing_key = &*signing_key;
  author.umk = &alice.umk;
  SendRequest mixed;
  mixed.to = {"bob@example.org"};
  mixed.bcc = {"carol@example.org"};
  EXPECT_THAT(mailbox_.SendAs(author, mixed, "").status(), StatusIs(ErrorCode::kInvalidArgument));
  SendRequest two;
  two.bcc = {"bob@example.org", "carol@example.org"};
  EXPECT_THAT(mailbox_.SendAs(author, two, "").status(), StatusIs(ErrorCode::kInvalidArgument));

  const AuthContext bob = LoggedIn("bob@example.org", bob_totp);
  EXPECT_TRUE(mailbox_.List(bob, store::Folder::kInbox, "", 10)->items.empty());
  EXPECT_TRUE(mailbox_.List(alice, store::Folder::kSent, "", 10)->items.empty());
}

// A Bcc guest without an unlock code refuses the whole send before its first message goes out
// (a retry with the code then sends nothing twice); generated codes cover Bcc guests too.
TEST_F(MailboxTest, UnlockCodesForBccGuestsAreCheckedBeforeAnythingIsSent) {
  const std::string alice_totp = Enrol("alice@example.org");
  const std::string bob_totp = Enrol("bob@example.org");
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp);
  SendRequest r;
  r.to = {"bob@example.org"};
  r.cc = {"cc-guest@outside.example"};
  r.bcc = {"hidden@outside.example"};
  r.subject = "s";
  r.mucs = Mucs({{"cc-guest@outside.example", "cc-guest-code-1"}});
  SendOutcome outcome;
  auto refused = mailbox_.Send(alice, r, &outcome);
  EXPECT_THAT(refused.status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_EQ(refused.status().reason(), Reason::kMucRequired);
  EXPECT_EQ(outcome.muc_required, std::vector<std::string>{"hidden@outside.example"});
  const AuthContext bob = LoggedIn("bob@example.org", bob_totp);
  EXPECT_TRUE(mailbox_.List(bob, store::Folder::kInbox, "", 10)->items.empty());

  r.generate_mucs = true;
  SendOutcome sent;
  auto id = mailbox_.Send(alice, r, &sent);
  ASSERT_THAT(id.status(), IsOk());
  EXPECT_EQ(sent.generated_mucs.count("hidden@outside.example"), 1u);
  EXPECT_EQ(sent.generated_mucs.count("cc-guest@outside.example"), 0u);  // typed
  auto pickups = store_->guests().ListPickupsOfMessage(*id);
  ASSERT_THAT(pickups.status(), IsOk());
  ASSERT_EQ(pickups->size(), 1u);
  EXPECT_EQ((*pickups)[0].email, "cc-guest@outside.example");
  auto hidden =
      store_->guests().ListPickupsOfMessage(sent.bcc_messages.at("hidden@outside.example"));
  ASSERT_THAT(hidden.status(), IsOk());
  ASSERT_EQ(hidden->size(), 1u);
  EXPECT_EQ((*hidden)[0].email, "hidden@outside.example");
  // The guests' notifications: one each, none naming the other list's guest.
  DeliverQueuedMail();
  int notices = 0;
  for (const auto& mail : mailer_.sent) {
    if (mail.to.str() != "cc-guest@outside.example" && mail.to.str() != "hidden@outside.example") {
      continue;
    }
    ++notices;
    const std::string other = mail.to.str() == "hidden@outside.example" ? "cc-guest" : "hidden@";
    EXPECT_EQ(mail.text.find(other), std::string::npos);
  }
  EXPECT_EQ(notices, 2);
}

}  // namespace
}  // namespace sealpost::app

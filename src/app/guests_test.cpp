// Guests in-process: send to non-members, pickup with link + MUC, lock and re-issue, and what a
// copy of the store and data directory alone reveals.
#include "app/guests.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "app/app_test_fixture.h"
#include "app/folders.h"
#include "auth/bearer_secret.h"
#include "crypto/password_hash.h"
#include "keys/data_key.h"
#include "keys/member_keys.h"
#include "keys/pickup_keys.h"

namespace sealpost::app {
namespace {

constexpr const char* kGuest = "guest@example.net";
constexpr const char* kMuc = "tangerine-42";

class GuestsTest : public AppTest {
 protected:
  void SetUp() override {
    alice_totp_ = Enrol("alice@example.org");
    bob_totp_ = Enrol("bob@example.org");
    mailer_.sent.clear();
  }

  Result<UploadResult> Upload(const AuthContext& ctx, std::string_view data) {
    SP_ASSIGN_OR_RETURN(auto session, mailbox_.BeginUpload(ctx, data.size()));
    SP_RETURN_IF_ERROR(session->Write(AsBytes(data)));
    return session->Finish();
  }

  SendRequest Request(std::string to, std::string subject) {
    SendRequest r;
    r.to = {std::move(to)};
    r.subject = std::move(subject);
    r.text = "body of " + r.subject;
    return r;
  }

  // Delivers queued mail and returns the link secret of the newest notification to `to`.
  std::string LinkFor(const std::string& to) {
    DeliverQueuedMail();
    for (auto it = mailer_.sent.rbegin(); it != mailer_.sent.rend(); ++it) {
      if (it->to.str() != to) continue;
      const size_t at = it->text.find("/pickup#");
      if (at == std::string::npos) continue;
      return it->text.substr(at + 8, 43);
    }
    ADD_FAILURE() << "no notification for " << to;
    return "";
  }

  std::string ReadAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  // Every byte of the data directory (database, WAL, blobs).
  std::string DataDirBytes() {
    std::string all;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
      if (e.is_regular_file()) all += ReadAll(e.path().string());
    }
    return all;
  }

  Mailbox mailbox_{services_};
  Guests guests_{services_};
  std::string alice_totp_, bob_totp_;
};

TEST_F(GuestsTest, TypedMucAndLinkOpenTheMessageAndItsAttachment) {
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  auto upload = Upload(alice, "attachment bytes");
  ASSERT_THAT(upload.status(), IsOk());
  SendRequest r = Request(kGuest, "Quarterly figures");
  r.attachments = {{upload->id.str(), "figures.pdf", "application/pdf"}};
  r.mucs = Mucs({{"Guest@Example.net", kMuc}});
  SendOutcome outcome;
  auto id = mailbox_.Send(alice, r, &outcome);
  ASSERT_THAT(id.status(), IsOk());
  EXPECT_TRUE(outcome.generated_mucs.empty());
  EXPECT_TRUE(AuditHas("guest.muc_set"));

  const std::string link = LinkFor(kGuest);
  ASSERT_EQ(link.size(), 43u);
  const delivery::OutgoingMail& note = mailer_.sent.back();
  EXPECT_NE(note.text.find("alice@example.org"), std::string::npos);
  EXPECT_EQ(note.text.find("Quarterly"), std::string::npos);  // no subject…
  EXPECT_EQ(note.subject.find("Quarterly"), std::string::npos);
  EXPECT_EQ(note.text.find("body of"), std::string::npos);      // …no body…
  EXPECT_EQ(note.text.find("figures.pdf"), std::string::npos);  // …no attachment name
  EXPECT_EQ(note.text.find(kMuc), std::string::npos);
  // The HTML alternative went through the (sealed) queue too, with the same link.
  EXPECT_NE(note.html.find("/pickup#" + link), std::string::npos);
  EXPECT_EQ(note.html.find("Quarterly"), std::string::npos);

  auto view = guests_.Unlock(link, kMuc, "192.0.2.1");
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_EQ(view->recipient, kGuest);
  EXPECT_EQ(view->message.header.id, *id);
  EXPECT_EQ(view->message.header.subject, "Quarterly figures");
  EXPECT_EQ(view->message.body.text, "body of Quarterly figures");
  EXPECT_EQ(view->message.header.from_email, "alice@example.org");
  EXPECT_EQ(view->message.header.to, std::vector<std::string>{kGuest});
  EXPECT_EQ(view->message.header.seal, SealState::kValid);
  ASSERT_EQ(view->message.attachments.size(), 1u);
  EXPECT_EQ(view->message.attachments[0].name, "figures.pdf");
  EXPECT_TRUE(AuditHas("pickup.unlock"));

  auto download = guests_.OpenAttachment(view->pickup_token, 0, "192.0.2.1");
  ASSERT_THAT(download.status(), IsOk());
  std::string bytes(64, '\0');
  auto n = download->reader->Read({reinterpret_cast<uint8_t*>(bytes.data()), bytes.size()});
  ASSERT_THAT(n.status(), IsOk());
  EXPECT_EQ(bytes.substr(0, *n), "attachment bytes");
  EXPECT_THAT(guests_.OpenAttachment(view->pickup_token, 1, "192.0.2.1").status(),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(guests_.OpenAttachment(link, 0, "192.0.2.1").status(),  // the link is no token
              StatusIs(ErrorCode::kNotFound));
  clock_.Advance(services_.config.pickup_token_ttl);
  EXPECT_THAT(guests_.OpenAttachment(view->pickup_token, 0, "192.0.2.1").status(),
              StatusIs(ErrorCode::kNotFound));

  // The sender still reads their own copy, which names the guest like any recipient.
  auto sent = mailbox_.Read(alice, id->str());
  ASSERT_THAT(sent.status(), IsOk());
  EXPECT_EQ(sent->header.to, std::vector<std::string>{kGuest});
  EXPECT_EQ(sent->header.seal, SealState::kValid);
}

TEST_F(GuestsTest, NoticeShowsTheSubjectOnlyWhenPolicyAllows) {
  services_.config.guest_notice_subject = true;
  int woken = 0;  // the deliverers are woken once the notifications are committed
  services_.mail_queued = [&] { ++woken; };
  Mailbox mailbox(services_);  // a Mailbox keeps its own copy of the services
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  SendRequest r = Request(kGuest, "Quarterly figures");
  r.mucs = Mucs({{kGuest, kMuc}});
  ASSERT_THAT(mailbox.Send(alice, r).status(), IsOk());
  EXPECT_EQ(woken, 1);
  const std::string link = LinkFor(kGuest);
  const delivery::OutgoingMail& note = mailer_.sent.back();
  EXPECT_EQ(note.subject, "Sealpost: Quarterly figures");
  EXPECT_NE(note.text.find("Subject: Quarterly figures"), std::string::npos);
  EXPECT_EQ(note.text.find("body of"), std::string::npos);
  EXPECT_NE(note.html.find("/pickup#" + link), std::string::npos);
}

TEST_F(GuestsTest, ReplyFromThePortalIsSealedForTheGuestAndKeepsTheThread) {
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  SendRequest r = Request(kGuest, "Contract");
  r.to.push_back("bob@example.org");
  r.mucs = Mucs({{kGuest, kMuc}});
  auto original = mailbox_.Send(alice, r);
  ASSERT_THAT(original.status(), IsOk());
  auto view = guests_.Unlock(LinkFor(kGuest), kMuc, "192.0.2.1");
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_EQ(view->reply_all, (std::vector<std::string>{"alice@example.org", "bob@example.org"}));
  EXPECT_TRUE(view->can_enrol);

  auto session = guests_.BeginUpload(view->pickup_token, 6, "192.0.2.1");
  ASSERT_THAT(session.status(), IsOk());
  ASSERT_THAT((*session)->Write(AsBytes("signed")), IsOk());
  auto upload = (*session)->Finish();
  ASSERT_THAT(upload.status(), IsOk());
  ReplyRequest reply{"agreed", "", {{upload->id.str(), "signed.txt", "text/plain"}}, false};
  auto sent = guests_.Reply(view->pickup_token, reply, "192.0.2.1");
  ASSERT_THAT(sent.status(), IsOk());
  EXPECT_EQ(sent->to, std::vector<std::string>{"alice@example.org"});  // not reply-all
  EXPECT_TRUE(AuditHas("message.portal_reply"));

  auto got = mailbox_.Read(alice, sent->id.str());
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->header.from_email, kGuest);
  EXPECT_EQ(got->header.subject, "Re: Contract");
  EXPECT_EQ(got->header.seal, SealState::kValid);
  EXPECT_EQ(got->header.seal_kind, SealKind::kPortal);
  EXPECT_EQ(got->header.thread_id, original->str());
  EXPECT_EQ(got->header.in_reply_to, original->str());
  ASSERT_EQ(got->attachments.size(), 1u);
  EXPECT_EQ(got->attachments[0].name, "signed.txt");
  // Bob was not on a plain reply; a second reply cannot reuse the sent upload.
  const AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  EXPECT_THAT(mailbox_.Read(bob, sent->id.str()).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(guests_.Reply(view->pickup_token, reply, "192.0.2.1").status(),
              StatusIs(ErrorCode::kInvalidArgument));
  // The portal's reserved row is nobody's account: no log-in, not addressable.
  SendRequest to_portal = Request("portal", "x");
  EXPECT_THAT(mailbox_.Send(alice, to_portal).status(), StatusIs(ErrorCode::kInvalidArgument));
}

TEST_F(GuestsTest, AReplyUploadOpensOnlyWithItsOwnPickupToken) {
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  SendRequest r = Request(kGuest, "one");
  r.mucs = Mucs({{kGuest, kMuc}});
  ASSERT_THAT(mailbox_.Send(alice, r).status(), IsOk());
  auto first = guests_.Unlock(LinkFor(kGuest), kMuc, "192.0.2.1");
  ASSERT_THAT(first.status(), IsOk());
  ASSERT_THAT(mailbox_.Send(alice, Request(kGuest, "two")).status(), IsOk());
  auto second = guests_.Unlock(LinkFor(kGuest), kMuc, "192.0.2.1");
  ASSERT_THAT(second.status(), IsOk());

  auto session = guests_.BeginUpload(first->pickup_token, std::nullopt, "192.0.2.1");
  ASSERT_THAT(session.status(), IsOk());
  ASSERT_THAT((*session)->Write(AsBytes("mine")), IsOk());
  auto upload = (*session)->Finish();
  ASSERT_THAT(upload.status(), IsOk());
  const ReplyRequest reply{"x", "", {{upload->id.str(), "a.txt", ""}}, false};
  EXPECT_THAT(guests_.Reply(second->pickup_token, reply, "192.0.2.1").status(),
              StatusIs(ErrorCode::kInvalidArgument));
  // A member's upload is no pickup upload, and a member cannot attach a pickup upload.
  auto alices = Upload(alice, "alice's");
  ASSERT_THAT(alices.status(), IsOk());
  EXPECT_THAT(guests_
                  .Reply(first->pickup_token, {"x", "", {{alices->id.str(), "a.txt", ""}}, false},
                         "192.0.2.1")
                  .status(),
              StatusIs(ErrorCode::kInvalidArgument));
  SendRequest steal = Request("bob@example.org", "x");
  steal.attachments = {{upload->id.str(), "a.txt", ""}};
  EXPECT_THAT(mailbox_.Send(alice, steal).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(guests_.BeginUpload("not-a-token", 1, "192.0.2.1").status(),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(guests_.Reply(first->pickup_token, reply, "192.0.2.1").status(), IsOk());
}

TEST_F(GuestsTest, NewGuestWithoutMucIsRefusedAndNothingIsStoredOrSent) {
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  SendRequest r = Request(kGuest, "s");
  r.to.push_back("bob@example.org");
  SendOutcome outcome;
  EXPECT_THAT(mailbox_.Send(alice, r, &outcome).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_EQ(outcome.muc_required, std::vector<std::string>{kGuest});
  EXPECT_TRUE(store_->outbox().ListQueuedMail(10)->empty());
  EXPECT_THAT(store_->guests().GetGuestAddress(kGuest).status(), StatusIs(ErrorCode::kNotFound));
  auto sent = mailbox_.List(alice, store::Folder::kSent, "", 10);
  ASSERT_THAT(sent.status(), IsOk());
  EXPECT_TRUE(sent->items.empty());

  // MUC limits.
  r.mucs = Mucs({{kGuest, "short"}});
  EXPECT_THAT(mailbox_.Send(alice, r).status(), StatusIs(ErrorCode::kInvalidArgument));
  r.mucs = Mucs({{kGuest, std::string(65, 'x')}});
  EXPECT_THAT(mailbox_.Send(alice, r).status(), StatusIs(ErrorCode::kInvalidArgument));
  r.mucs = Mucs({{kGuest, std::string(1 << 20, 'x')}});
  EXPECT_THAT(mailbox_.Send(alice, r).status(), StatusIs(ErrorCode::kInvalidArgument));
  r.mucs = Mucs({{kGuest, "line\r\nbreak"}});
  EXPECT_THAT(mailbox_.Send(alice, r).status(), StatusIs(ErrorCode::kInvalidArgument));
  // New MUCs (one argon2id hash each) are bounded per message.
  SendRequest many = Request("g0@example.net", "s");
  for (size_t i = 1; i <= services_.config.limits.max_new_guests; ++i) {
    many.to.push_back("g" + std::to_string(i) + "@example.net");
  }
  many.generate_mucs = true;
  EXPECT_THAT(mailbox_.Send(alice, many).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_TRUE(store_->outbox().ListQueuedMail(10)->empty());
  // A header-injection attempt in the address never becomes a recipient.
  SendRequest evil = Request("victim@example.net\r\nBcc: all@example.net", "s");
  evil.generate_mucs = true;
  EXPECT_THAT(mailbox_.Send(alice, evil).status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_TRUE(store_->outbox().ListQueuedMail(10)->empty());
}

TEST_F(GuestsTest, GeneratedMucIsReturnedOnceAndOpens) {
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  SendRequest r = Request(kGuest, "generated");
  r.generate_mucs = true;
  SendOutcome outcome;
  ASSERT_THAT(mailbox_.Send(alice, r, &outcome).status(), IsOk());
  ASSERT_EQ(outcome.generated_mucs.count(kGuest), 1u);
  const std::string muc(outcome.generated_mucs[kGuest].view());
  ASSERT_EQ(muc.size(), 11u);
  EXPECT_EQ(muc[5], '-');
  // No MUC hash: the address's secret key under argon2id(MUC), with the parameters stored.
  const auto row = store_->guests().GetGuestAddress(kGuest);
  ASSERT_THAT(row.status(), IsOk());
  EXPECT_EQ(row->muc_hash, "");
  EXPECT_EQ(row->public_key.size(), 32u);
  EXPECT_EQ(row->wrapped_secret.size(), 32u + crypto::kAeadOverhead);
  EXPECT_EQ(row->kek_salt.size(), crypto::kPasswordSaltBytes);
  EXPECT_EQ(row->kek_ops, static_cast<int64_t>(services_.config.password_hash.ops_limit));
  EXPECT_EQ(row->kek_mem, static_cast<int64_t>(services_.config.password_hash.mem_limit_bytes));
  auto view = guests_.Unlock(LinkFor(kGuest), muc, "192.0.2.1");
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_EQ(view->message.header.subject, "generated");
}

TEST_F(GuestsTest, LaterMessagesFromAnotherMemberUseTheSameMucWithTheirOwnLink) {
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  SendRequest first = Request(kGuest, "from alice");
  first.mucs = Mucs({{kGuest, kMuc}});
  ASSERT_THAT(mailbox_.Send(alice, first).status(), IsOk());
  const std::string link_a = LinkFor(kGuest);

  const AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  SendOutcome outcome;
  ASSERT_THAT(mailbox_.Send(bob, Request(kGuest, "from bob"), &outcome).status(), IsOk());
  EXPECT_TRUE(outcome.muc_required.empty());
  EXPECT_TRUE(outcome.generated_mucs.empty());
  const std::string link_b = LinkFor(kGuest);
  ASSERT_NE(link_a, link_b);

  auto a = guests_.Unlock(link_a, kMuc, "192.0.2.1");
  auto b = guests_.Unlock(link_b, kMuc, "192.0.2.1");
  ASSERT_THAT(a.status(), IsOk());
  ASSERT_THAT(b.status(), IsOk());
  EXPECT_EQ(a->message.header.subject, "from alice");  // each link opens its own message only
  EXPECT_EQ(b->message.header.subject, "from bob");
  EXPECT_EQ(b->message.header.from_email, "bob@example.org");
}

TEST_F(GuestsTest, FiveWrongMucsLockUntilTheSenderIssuesANewOne) {
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  SendRequest r = Request(kGuest, "locked");
  r.mucs = Mucs({{kGuest, kMuc}});
  auto id = mailbox_.Send(alice, r);
  ASSERT_THAT(id.status(), IsOk());
  const std::string link = LinkFor(kGuest);
  mailer_.sent.clear();

  for (int i = 1; i <= 4; ++i) {
    UnlockOutcome out;
    EXPECT_THAT(guests_.Unlock(link, "wrong-code-" + std::to_string(i), "192.0.2.1", &out).status(),
                StatusIs(ErrorCode::kPermissionDenied));
    EXPECT_EQ(out.failure, UnlockFailure::kMucWrong);
    EXPECT_EQ(out.remaining_tries, 5 - i);
  }
  UnlockOutcome out;
  EXPECT_THAT(guests_.Unlock(link, "wrong-code-5", "192.0.2.1", &out).status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_EQ(out.failure, UnlockFailure::kMucLocked);
  EXPECT_TRUE(AuditHas("guest.muc_locked"));
  // Now even the right MUC is refused.
  EXPECT_THAT(guests_.Unlock(link, kMuc, "192.0.2.1", &out).status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_EQ(out.failure, UnlockFailure::kMucLocked);
  // The sender was told.
  DeliverQueuedMail();
  ASSERT_EQ(mailer_.sent.size(), 1u);
  EXPECT_EQ(mailer_.sent[0].to.str(), "alice@example.org");
  EXPECT_NE(mailer_.sent[0].text.find(kGuest), std::string::npos);

  // A new message to a locked address needs a new MUC too.
  SendOutcome need;
  EXPECT_THAT(mailbox_.Send(alice, Request(kGuest, "again"), &need).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_EQ(need.muc_required, std::vector<std::string>{kGuest});

  // Only the sender of a message to that guest may issue a new MUC.
  const AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  EXPECT_THAT(guests_.IssueMuc(bob, id->str(), kGuest, "", true).status(),
              StatusIs(ErrorCode::kNotFound));
  auto issued = guests_.IssueMuc(alice, id->str(), kGuest, "", true);
  ASSERT_THAT(issued.status(), IsOk());
  ASSERT_EQ(issued->size(), 11u);
  EXPECT_THAT(guests_.Unlock(link, kMuc, "192.0.2.1").status(),  // the old one is gone
              StatusIs(ErrorCode::kPermissionDenied));
  auto view = guests_.Unlock(link, issued->view(), "192.0.2.1");
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_EQ(view->message.header.subject, "locked");
}

// Counting a bad link against the client's limit, and auditing it, is part of the answer: when
// that write fails, the request fails (Unavailable, 503) instead of passing uncounted.
TEST_F(GuestsTest, AFailureThatCannotBeRecordedFailsTheRequest) {
  const std::string counter = "login-fail:address:192.0.2.9";
  faults_.FailWrites(Unavailable("injected: disk gone"));
  UnlockOutcome out;
  EXPECT_THAT(
      guests_.Unlock(auth::BearerSecret::Generate().Encode(), kMuc, "192.0.2.9", &out).status(),
      StatusIs(ErrorCode::kUnavailable));
  EXPECT_NE(out.failure, UnlockFailure::kNotFound);
  EXPECT_THAT(guests_.Unlock("not-a-link", kMuc, "192.0.2.9", &out).status(),
              StatusIs(ErrorCode::kUnavailable));
  EXPECT_EQ(faults_.injected(), 2);
  faults_.StopFailing();
  EXPECT_EQ(*store_->platform().GetCounter(counter, clock_.Now(), std::chrono::minutes(15)), 0);

  // Once the store works again the same guess is counted and answered as unknown.
  EXPECT_THAT(guests_.Unlock("not-a-link", kMuc, "192.0.2.9", &out).status(),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_EQ(out.failure, UnlockFailure::kNotFound);
  EXPECT_EQ(*store_->platform().GetCounter(counter, clock_.Now(), std::chrono::minutes(15)), 1);
}

TEST_F(GuestsTest, AGuessAtALockedCodeThatCannotBeRecordedFailsTheRequest) {
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  SendRequest r = Request(kGuest, "locked");
  r.mucs = Mucs({{kGuest, kMuc}});
  ASSERT_THAT(mailbox_.Send(alice, r).status(), IsOk());
  const std::string link = LinkFor(kGuest);
  for (int i = 1; i <= 5; ++i) {
    ASSERT_THAT(guests_.Unlock(link, "wrong-code-" + std::to_string(i), "192.0.2.1").status(),
                StatusIs(ErrorCode::kPermissionDenied));
  }
  // Locked: the attempt is refused by the store (Conflict), then recorded in a second write.
  faults_.FailWrites(Unavailable("injected: disk gone"), 1, /*skip=*/1);
  UnlockOutcome out;
  EXPECT_THAT(guests_.Unlock(link, kMuc, "192.0.2.1", &out).status(),
              StatusIs(ErrorCode::kUnavailable));
  EXPECT_EQ(faults_.injected(), 1);
  EXPECT_NE(out.failure, UnlockFailure::kMucLocked);
}

TEST_F(GuestsTest, LinksOpenNothingForAnotherRecipientAndStopAtExpiryOrRevocation) {
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  SendRequest r = Request(kGuest, "for guest one");
  r.mucs = Mucs({{kGuest, kMuc}});
  ASSERT_THAT(mailbox_.Send(alice, r).status(), IsOk());
  SendRequest r2 = Request("other@example.net", "for guest two");
  r2.mucs = Mucs({{"other@example.net", "other-code-7"}});
  ASSERT_THAT(mailbox_.Send(alice, r2).status(), IsOk());
  const std::string link_one = LinkFor(kGuest);
  const std::string link_two = LinkFor("other@example.net");

  // The other guest's MUC does not open guest one's link, and vice versa.
  EXPECT_THAT(guests_.Unlock(link_one, "other-code-7", "192.0.2.1").status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(guests_.Unlock(link_two, kMuc, "192.0.2.1").status(),
              StatusIs(ErrorCode::kPermissionDenied));
  // Malformed and unknown links: the same NotFound.
  UnlockOutcome out;
  EXPECT_THAT(guests_.Unlock("not a link", kMuc, "192.0.2.1", &out).status(),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_EQ(out.failure, UnlockFailure::kNotFound);
  EXPECT_THAT(
      guests_.Unlock(auth::BearerSecret::Generate().Encode(), kMuc, "192.0.2.1", &out).status(),
      StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(guests_.Unlock(link_one, std::string(1 << 20, 'x'), "192.0.2.1", &out).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_EQ(out.failure, UnlockFailure::kBadRequest);

  // Revoked (recall, enrolment) and expired links stop working.
  auto pickup = store_->guests().GetPickup(auth::BearerSecret::Parse(link_two)->Lookup());
  ASSERT_THAT(pickup.status(), IsOk());
  ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
    return tx.guests().SetPickupState(pickup->lookup, store::PickupState::kRevoked);
  }),
              IsOk());
  EXPECT_THAT(guests_.Unlock(link_two, "other-code-7", "192.0.2.1").status(),
              StatusIs(ErrorCode::kNotFound));
  ASSERT_THAT(guests_.Unlock(link_one, kMuc, "192.0.2.1").status(), IsOk());
  clock_.Advance(services_.config.pickup_ttl);
  EXPECT_THAT(guests_.Unlock(link_one, kMuc, "192.0.2.1").status(), StatusIs(ErrorCode::kNotFound));
}

TEST_F(GuestsTest, StoreAndDataDirectoryAloneOpenNothing) {
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  auto upload = Upload(alice, "ATTACHMENT-MARKER-5150");
  ASSERT_THAT(upload.status(), IsOk());
  SendRequest r = Request(kGuest, "SUBJECT-MARKER-5150");
  r.text = "BODY-MARKER-5150";
  r.attachments = {{upload->id.str(), "NAME-MARKER-5150.txt", ""}};
  r.mucs = Mucs({{kGuest, kMuc}});
  ASSERT_THAT(mailbox_.Send(alice, r).status(), IsOk());
  const std::string link = LinkFor(kGuest);  // delivered: the queue holds it no more
  ASSERT_THAT(guests_.Unlock(link, kMuc, "192.0.2.1").status(), IsOk());
  alice_totp_.clear();

  const std::string all = DataDirBytes();
  ASSERT_GT(all.size(), 10'000u);
  for (const char* marker : {"SUBJECT-MARKER-5150", "BODY-MARKER-5150", "ATTACHMENT-MARKER-5150",
                             "NAME-MARKER-5150", kMuc}) {
    EXPECT_EQ(all.find(marker), std::string::npos) << marker;
  }
  EXPECT_EQ(all.find(link), std::string::npos);

  // The pickup row holds only the lookup and a wrapped key: the lookup is not the secret, and
  // no other key unwraps the data key — not even the link's own key without the MUC's share.
  auto pickups = store_->guests().ListPickupsOfAddress(kGuest, 10);
  ASSERT_THAT(pickups.status(), IsOk());
  ASSERT_EQ(pickups->size(), 1u);
  const store::PickupRecord& p = (*pickups)[0];
  EXPECT_THAT(guests_.Unlock(p.lookup, kMuc, "192.0.2.1").status(), StatusIs(ErrorCode::kNotFound));
  for (const auto& key : {auth::BearerSecret::Generate().WrappingKey(),
                          auth::BearerSecret::Parse(link)->WrappingKey()}) {
    EXPECT_FALSE(
        crypto::AeadOpen(key.aead(), p.wrapped_key, AsBytes(PickupKeyAd(p.message_id, p.email)))
            .ok());
  }
}

// The thief of the store who also has the link (a notification intercepted or still queued,
// with the master key) gets nothing without the MUC: the old derivation (link key alone) fails,
// and the address key opens only under the right MUC — a guess costs one argon2id each.
TEST_F(GuestsTest, StoreAndLinkWithoutTheMucOpenNothing) {
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  SendRequest r = Request(kGuest, "SUBJECT-MARKER-77");
  r.mucs = Mucs({{kGuest, kMuc}});
  ASSERT_THAT(mailbox_.Send(alice, r).status(), IsOk());
  const auto link = auth::BearerSecret::Parse(LinkFor(kGuest));
  ASSERT_THAT(link.status(), IsOk());
  const store::PickupRecord p = store_->guests().ListPickupsOfAddress(kGuest, 10)->at(0);
  const store::GuestAddressRecord g = *store_->guests().GetGuestAddress(kGuest);
  const std::string ad = PickupKeyAd(p.message_id, p.email);

  // Before this design the link's key unwrapped the data key; now it does not.
  EXPECT_FALSE(keys::UnwrapDataKey(link->WrappingKey(), p.wrapped_key, ad).ok());
  EXPECT_EQ(g.muc_hash, "");  // nothing to verify a guess against but the wrapped key itself
  EXPECT_EQ(p.sender_share.size(), 32u + crypto::kSealOverhead);
  const crypto::PasswordHashParams params{static_cast<uint64_t>(g.kek_ops),
                                          static_cast<size_t>(g.kek_mem)};
  EXPECT_THAT(
      keys::UnwrapAddressKeyWithMuc("tangerine-43", g.kek_salt, params, g.wrapped_secret, g.email)
          .status(),
      StatusIs(ErrorCode::kUnauthenticated));
  // A random address key opens no share.
  EXPECT_FALSE(keys::OpenPickupShare(crypto::BoxKeyPair::Generate(), p.sealed_share).ok());

  // With the MUC: address key → share → (link key, share) → data key → the message.
  auto address_key =
      keys::UnwrapAddressKeyWithMuc(kMuc, g.kek_salt, params, g.wrapped_secret, g.email);
  ASSERT_THAT(address_key.status(), IsOk());
  auto share = keys::OpenPickupShare(*address_key, p.sealed_share);
  ASSERT_THAT(share.status(), IsOk());
  auto data_key =
      keys::UnwrapDataKey(keys::PickupShareKey(link->WrappingKey(), *share), p.wrapped_key, ad);
  ASSERT_THAT(data_key.status(), IsOk());
  auto view =
      mailbox_.ReadWithKey(*store_->messages().GetMessage(p.message_id), *data_key, p.email);
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_EQ(view->header.subject, "SUBJECT-MARKER-77");
  // The share alone, without the link, opens nothing either.
  EXPECT_FALSE(keys::UnwrapDataKey(
                   keys::PickupShareKey(auth::BearerSecret::Generate().WrappingKey(), *share),
                   p.wrapped_key, ad)
                   .ok());
}

// A new MUC is a new key pair. The issuing sender's pickups open with it at once; another
// sender's pickup waits (its own answer, no MUC counted) until that sender lists a folder.
TEST_F(GuestsTest, ANewMucReSealsTheIssuersPickupsAtOnceAndOthersWhenTheirSendersListAFolder) {
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  SendRequest first = Request(kGuest, "from alice");
  first.mucs = Mucs({{kGuest, kMuc}});
  auto from_alice = mailbox_.Send(alice, first);
  ASSERT_THAT(from_alice.status(), IsOk());
  const std::string link_a = LinkFor(kGuest);
  const AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  ASSERT_THAT(mailbox_.Send(bob, Request(kGuest, "from bob")).status(), IsOk());
  const std::string link_b = LinkFor(kGuest);

  auto issued = guests_.IssueMuc(alice, from_alice->str(), kGuest, "fresh-code-9", false);
  ASSERT_THAT(issued.status(), IsOk());
  EXPECT_TRUE(AuditHas("pickup.share_resealed"));
  EXPECT_THAT(guests_.Unlock(link_a, kMuc, "192.0.2.1").status(),  // the old MUC is gone
              StatusIs(ErrorCode::kPermissionDenied));
  auto a = guests_.Unlock(link_a, "fresh-code-9", "192.0.2.1");
  ASSERT_THAT(a.status(), IsOk());
  EXPECT_EQ(a->message.header.subject, "from alice");

  UnlockOutcome out;
  auto waiting = guests_.Unlock(link_b, "fresh-code-9", "192.0.2.1", &out);
  EXPECT_THAT(waiting.status(), StatusIs(ErrorCode::kConflict));
  EXPECT_EQ(waiting.status().reason(), Reason::kPickupWaitsForSender);
  EXPECT_EQ(out.failure, UnlockFailure::kWaitsForSender);
  EXPECT_EQ(store_->guests().GetGuestAddress(kGuest)->failures, 0);  // not a wrong MUC

  Folders folders{services_};
  ASSERT_THAT(folders.List(bob, store::Folder::kSent, "", 10).status(), IsOk());
  auto b = guests_.Unlock(link_b, "fresh-code-9", "192.0.2.1");
  ASSERT_THAT(b.status(), IsOk());
  EXPECT_EQ(b->message.header.subject, "from bob");
}

// Enrolling through the portal keeps the address key, sealed to the new member: a message from
// another sender then moves into the mailbox by its link, without the MUC (gone now).
TEST_F(GuestsTest, AfterEnrolmentAnotherLinkIsClaimedWithTheMemberHeldKey) {
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  SendRequest first = Request(kGuest, "from alice");
  first.mucs = Mucs({{kGuest, kMuc}});
  ASSERT_THAT(mailbox_.Send(alice, first).status(), IsOk());
  const std::string link_a = LinkFor(kGuest);
  const AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  ASSERT_THAT(mailbox_.Send(bob, Request(kGuest, "from bob")).status(), IsOk());
  const std::string link_b = LinkFor(kGuest);

  auto view = guests_.Unlock(link_a, kMuc, "192.0.2.1");
  ASSERT_THAT(view.status(), IsOk());
  auto enrolled = guests_.Enrol(accounts_, view->pickup_token,
                                {"", crypto::SecretString::CopyOf(kPassword), "Gus", "192.0.2.1"},
                                "TestBrowser/1.0");
  ASSERT_THAT(enrolled.status(), IsOk());
  const auto row = store_->guests().GetGuestAddress(kGuest);
  ASSERT_THAT(row.status(), IsOk());
  EXPECT_TRUE(row->wrapped_secret.empty());  // the MUC opens nothing any more
  EXPECT_FALSE(row->member_sealed_secret.empty());
  // The link answers "log in" now.
  UnlockOutcome out;
  EXPECT_THAT(guests_.Unlock(link_b, kMuc, "192.0.2.1", &out).status(),
              StatusIs(ErrorCode::kConflict));
  EXPECT_EQ(out.failure, UnlockFailure::kEnrolled);

  auto ctx = accounts_.Authenticate(enrolled->session.cookie_value.view(), "127.0.0.1");
  ASSERT_THAT(ctx.status(), IsOk());
  auto claimed = guests_.Claim(*ctx, link_b);
  ASSERT_THAT(claimed.status(), IsOk());
  auto read = mailbox_.Read(*ctx, claimed->str());
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_EQ(read->header.subject, "from bob");
}

// A member who signed up outside the portal holds no address key: claiming needs the MUC once,
// counted like an unlock; the member keeps the address key from then on.
TEST_F(GuestsTest, AfterAPlainSignUpClaimNeedsTheMucOnce) {
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  SendRequest first = Request(kGuest, "one");
  first.mucs = Mucs({{kGuest, kMuc}});
  ASSERT_THAT(mailbox_.Send(alice, first).status(), IsOk());
  const std::string link_1 = LinkFor(kGuest);
  ASSERT_THAT(mailbox_.Send(alice, Request(kGuest, "two")).status(), IsOk());
  const std::string link_2 = LinkFor(kGuest);
  mailer_.sent.clear();
  const std::string guest_totp = Enrol(kGuest);
  const AuthContext guest = LoggedIn(kGuest, guest_totp);

  EXPECT_EQ(guests_.Claim(guest, link_1).status().reason(), Reason::kMucNeeded);
  UnlockOutcome out;
  EXPECT_THAT(guests_.Claim(guest, link_1, "wrong-code", "192.0.2.1", &out).status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_EQ(out.failure, UnlockFailure::kMucWrong);
  EXPECT_EQ(store_->guests().GetGuestAddress(kGuest)->failures, 1);
  auto one = guests_.Claim(guest, link_1, kMuc, "192.0.2.1");
  ASSERT_THAT(one.status(), IsOk());
  EXPECT_EQ(mailbox_.Read(guest, one->str())->header.subject, "one");
  // Held now: the second link needs no MUC.
  auto two = guests_.Claim(guest, link_2);
  ASSERT_THAT(two.status(), IsOk());
  EXPECT_EQ(mailbox_.Read(guest, two->str())->header.subject, "two");
}

// Rows written before address keys: a pickup under the link's key alone and an address with only
// a MUC hash. The pickup still opens with link + MUC, and the address gets its key pair then, so
// the next message to it has a share.
TEST_F(GuestsTest, ALegacyPickupStillOpensAndItsAddressGainsAKeyPair) {
  const AuthContext alice = LoggedIn("alice@example.org", alice_totp_);
  SendRequest r = Request(kGuest, "legacy");
  r.mucs = Mucs({{kGuest, kMuc}});
  auto id = mailbox_.Send(alice, r);
  ASSERT_THAT(id.status(), IsOk());
  DeliverQueuedMail();  // its own notification is not the one LinkFor should find below
  auto own = store_->messages().GetMailboxItem(alice.user.id, *id);
  ASSERT_THAT(own.status(), IsOk());
  auto data_key = keys::UnwrapOwnCopyKey(alice.umk, own->entry.sealed_key, *id, alice.user.id);
  ASSERT_THAT(data_key.status(), IsOk());
  // Rewrite address and pickup the way they were written before.
  const auth::BearerSecret link = auth::BearerSecret::Generate();
  const TimePoint now = clock_.Now();
  auto hash = crypto::HashPasswordForStorage(kMuc, services_.config.password_hash);
  ASSERT_THAT(hash.status(), IsOk());
  ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.guests().PutGuestAddress({kGuest, *hash, 0, now, now}));
    return tx.guests().CreatePickup(
        {link.Lookup(), *id, alice.user.id, kGuest,
         keys::WrapDataKey(link.WrappingKey(), *data_key, PickupKeyAd(*id, kGuest)), now, now + 24h,
         store::PickupState::kPending});
  }),
              IsOk());

  EXPECT_THAT(guests_.Unlock(link.Encode(), "wrong-code", "192.0.2.1").status(),
              StatusIs(ErrorCode::kPermissionDenied));
  auto view = guests_.Unlock(link.Encode(), kMuc, "192.0.2.1");
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_EQ(view->message.header.subject, "legacy");
  const auto row = store_->guests().GetGuestAddress(kGuest);
  EXPECT_EQ(row->muc_hash, "");
  EXPECT_EQ(row->public_key.size(), 32u);
  EXPECT_EQ(row->failures, 0);

  ASSERT_THAT(mailbox_.Send(alice, Request(kGuest, "after")).status(), IsOk());
  const std::string next = LinkFor(kGuest);
  const auto pickup = store_->guests().GetPickup(auth::BearerSecret::Parse(next)->Lookup());
  ASSERT_THAT(pickup.status(), IsOk());
  EXPECT_FALSE(pickup->sealed_share.empty());
  auto after = guests_.Unlock(next, kMuc, "192.0.2.1");
  ASSERT_THAT(after.status(), IsOk());
  EXPECT_EQ(after->message.header.subject, "after");
}

}  // namespace
}  // namespace sealpost::app

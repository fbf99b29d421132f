#include "app/inbound_mail.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "app/app_test_fixture.h"
#include "app/escrow.h"
#include "app/escrow_export.h"
#include "app/inbound_seal.h"
#include "app/mailbox.h"
#include "blob/raw_blob_store.h"
#include "core/encoding.h"
#include "store/sqlite/sqlite_blobs.h"

namespace sealpost::app {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kMarker = "PLAINTEXT-MARKER-7f3a9c";

std::string PlainMail(const std::string& to, const std::string& subject = "Quarterly figures") {
  return "From: Alice Outside <alice@outside.example>\r\n"
         "To: " +
         to +
         "\r\n"
         "Subject: " +
         subject +
         "\r\n"
         "Message-ID: <1@outside.example>\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
         "\r\n"
         "--b1\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n"
         "\r\n"
         "Hello Bob, the figures: " +
         std::string(kMarker) +
         "\r\n"
         "--b1\r\n"
         "Content-Type: application/pdf; name=\"report.pdf\"\r\n"
         "Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
         "Content-Transfer-Encoding: base64\r\n"
         "\r\n"
         "JVBERi0xLjQKJcOkw7zDtsOfCg==\r\n"
         "--b1--\r\n";
}

class InboundMailTest : public AppTest {
 protected:
  InboundMailTest() : inbound_(services_, {"example.org"}) {}

  void SetUp() override { bob_totp_ = Enrol("bob@example.org"); }

  // Receives `mail` for `to` in chunks, as an SMTP session streams it.
  Result<std::vector<MessageId>> Receive(const std::string& mail,
                                         std::vector<std::string> to = {"bob@example.org"},
                                         const InboundMail* through = nullptr) {
    const InboundMail& inbound = through ? *through : inbound_;
    InboundEnvelope envelope{"192.0.2.10", "mx.outside.example", "alice@outside.example", {}};
    for (const auto& address : to) {
      SP_ASSIGN_OR_RETURN(UserId id, inbound.CheckRecipient(address));
      envelope.recipients.push_back(id);
    }
    SP_ASSIGN_OR_RETURN(auto message, inbound.Begin(std::move(envelope)));
    for (size_t at = 0; at < mail.size(); at += 100) {
      SP_RETURN_IF_ERROR(message->Append(std::string_view(mail).substr(at, 100)));
    }
    return message->Commit();
  }

  // Every byte Sealpost stored: the database files and the blob directory.
  std::string StoredBytes() {
    std::string all;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path())) {
      if (!e.is_regular_file()) continue;
      std::ifstream in(e.path(), std::ios::binary);
      all.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return all;
  }

  InboundMail inbound_;
  std::string bob_totp_;
};

TEST_F(InboundMailTest, RecipientChecks) {
  EXPECT_THAT(inbound_.CheckRecipient("bob@example.org").status(), IsOk());
  EXPECT_THAT(inbound_.CheckRecipient("BOB@Example.ORG").status(), IsOk());
  EXPECT_THAT(inbound_.CheckRecipient("nobody@example.org").status(),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(inbound_.CheckRecipient("bob@elsewhere.example").status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(inbound_.CheckRecipient("not an address").status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST_F(InboundMailTest, WithoutConfiguredDomainsTheMembersDomainsAreServed) {
  InboundMail any(services_, {});
  EXPECT_THAT(any.CheckRecipient("bob@example.org").status(), IsOk());
  EXPECT_THAT(any.CheckRecipient("carol@example.org").status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(any.CheckRecipient("bob@other.example").status(),
              StatusIs(ErrorCode::kPermissionDenied));
}

TEST_F(InboundMailTest, PlainMailIsReadBackInClearAndStoredSealed) {
  auto ids = Receive(PlainMail("Bob <bob@example.org>"));
  ASSERT_THAT(ids.status(), IsOk());
  ASSERT_EQ(ids->size(), 1u);

  // Nothing of the content was written in clear.
  EXPECT_THAT(StoredBytes(), Not(HasSubstr(kMarker)));
  EXPECT_THAT(StoredBytes(), Not(HasSubstr("Quarterly figures")));

  const AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  Mailbox mailbox(services_);
  auto page = mailbox.List(bob, store::Folder::kInbox, "", 10);
  ASSERT_THAT(page.status(), IsOk());
  ASSERT_EQ(page->items.size(), 1u);
  ASSERT_TRUE(page->items[0].header.has_value());
  EXPECT_EQ(page->items[0].header->subject, "Quarterly figures");
  EXPECT_EQ(page->items[0].header->from_email, "alice@outside.example");
  EXPECT_EQ(page->items[0].header->from_name, "Alice Outside");
  EXPECT_EQ(page->items[0].header->seal_kind, SealKind::kInbound);

  auto view = mailbox.Read(bob, (*ids)[0].str());
  ASSERT_THAT(view.status(), IsOk());
  EXPECT_EQ(view->withheld, Withheld::kNone);
  EXPECT_EQ(view->header.seal, SealState::kValid);
  EXPECT_EQ(view->header.seal_kind, SealKind::kInbound);
  EXPECT_THAT(view->header.to, ElementsAre("bob@example.org"));
  EXPECT_THAT(view->body.text, HasSubstr(kMarker));
  ASSERT_TRUE(view->header.received.has_value());
  EXPECT_EQ(view->header.received->envelope_from, "alice@outside.example");
  EXPECT_EQ(view->header.received->client_address, "192.0.2.10");
  EXPECT_EQ(view->header.received->spf, "none");
  EXPECT_EQ(view->header.received->protection, "");
  ASSERT_EQ(view->attachments.size(), 2u);
  EXPECT_EQ(view->attachments[0].name, "original.eml");
  EXPECT_EQ(view->attachments[1].name, "report.pdf");
  EXPECT_EQ(view->attachments[1].content_type, "application/pdf");

  // The original, byte for byte.
  auto original = mailbox.OpenAttachment(bob, (*ids)[0].str(), 0);
  ASSERT_THAT(original.status(), IsOk());
  std::string bytes;
  uint8_t buf[4096];
  for (;;) {
    auto n = original->reader->Read(buf);
    ASSERT_THAT(n.status(), IsOk());
    if (*n == 0) break;
    bytes.append(reinterpret_cast<const char*>(buf), *n);
  }
  EXPECT_EQ(bytes, PlainMail("Bob <bob@example.org>"));

  EXPECT_TRUE(AuditHas("message.receive"));
}

TEST_F(InboundMailTest, OneCopyPerMemberRecipient) {
  const std::string carol_totp = Enrol("carol@example.org");
  auto ids = Receive(PlainMail("bob@example.org, carol@example.org"),
                     {"bob@example.org", "carol@example.org"});
  ASSERT_THAT(ids.status(), IsOk());
  ASSERT_EQ(ids->size(), 2u);
  EXPECT_NE((*ids)[0], (*ids)[1]);
  Mailbox mailbox(services_);
  const AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  const AuthContext carol = LoggedIn("carol@example.org", carol_totp);
  auto for_bob = mailbox.Read(bob, (*ids)[0].str());
  auto for_carol = mailbox.Read(carol, (*ids)[1].str());
  ASSERT_THAT(for_bob.status(), IsOk());
  ASSERT_THAT(for_carol.status(), IsOk());
  EXPECT_THAT(for_carol->body.text, HasSubstr(kMarker));
  // Neither opens the other's copy.
  EXPECT_THAT(mailbox.Read(bob, (*ids)[1].str()).status(), StatusIs(ErrorCode::kNotFound));
  // Both originals open (the second is its own blob).
  EXPECT_THAT(mailbox.OpenAttachment(carol, (*ids)[1].str(), 0).status(), IsOk());
}

// Escrow (app/escrow.h): mail from outside to a member of a domain with escrow on carries the
// escrow wrap, so the domain's export holds it and the offline open gives back the message as
// it arrived; the copy of a member of a domain without escrow carries none.
TEST_F(InboundMailTest, MailToAnEscrowDomainsMemberIsInItsExportAndOpensToTheOriginal) {
  Enrol("carol@other.net");
  const AuthContext root = BootstrapAdminSession("root@example.org");
  const crypto::BoxKeyPair org_key = crypto::BoxKeyPair::Generate();
  ASSERT_THAT(Escrow(services_)
                  .SetKey(root, "example.org", Base64Encode(org_key.public_key().bytes()))
                  .status(),
              IsOk());
  const InboundMail both(services_, {"example.org", "other.net"});
  const std::string mail = PlainMail("bob@example.org, carol@other.net");

  // A failed store keeps no wrap either: it is written in the message's own transaction.
  ASSERT_THAT(LoadOrCreateInboundSealKey(services_).status(), IsOk());
  faults_.FailWrites(Unavailable("injected"));
  EXPECT_FALSE(Receive(mail, {"bob@example.org", "carol@other.net"}, &both).ok());
  faults_.StopFailing();
  EXPECT_EQ(*store_->escrow().CountEscrowWraps(), 0);

  auto ids = Receive(mail, {"bob@example.org", "carol@other.net"}, &both);
  ASSERT_THAT(ids.status(), IsOk());
  ASSERT_EQ(ids->size(), 2u);
  const auto bobs_wraps = store_->escrow().ListEscrowWrapsOfMessage((*ids)[0]);
  ASSERT_THAT(bobs_wraps.status(), IsOk());
  ASSERT_EQ(bobs_wraps->size(), 1u);
  EXPECT_EQ((*bobs_wraps)[0].domain, "example.org");
  EXPECT_TRUE(store_->escrow().ListEscrowWrapsOfMessage((*ids)[1])->empty());  // carol's
  EXPECT_EQ(*store_->escrow().CountEscrowWraps(), 1);

  auto raw = blob::OpenLocalRawBlobStore(platform::DefaultFilesystem(), dir_.path() + "/blobs");
  ASSERT_THAT(raw.status(), IsOk());
  EscrowExportRequest request;
  request.domain = "example.org";
  request.out_dir = dir_.path() + "/export";
  auto exported =
      ExportEscrow(*store_, **raw, platform::DefaultFilesystem(), request, clock_.Now());
  ASSERT_THAT(exported.status(), IsOk());
  EXPECT_EQ(exported->messages, 1);
  for (const auto& e : std::filesystem::recursive_directory_iterator(request.out_dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    const std::string bytes(std::istreambuf_iterator<char>(in), {});
    EXPECT_EQ(bytes.find(kMarker), std::string::npos) << e.path();
  }

  const std::string opened_dir = dir_.path() + "/opened";
  auto opened =
      OpenEscrowExport(org_key, platform::DefaultFilesystem(), request.out_dir, opened_dir);
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(opened->opened, 1);
  EXPECT_EQ(opened->failed, 0);
  EXPECT_EQ(opened->seal_broken, 0);
  std::ifstream in(opened_dir + "/" + (*ids)[0].str() + ".eml", std::ios::binary);
  const std::string eml(std::istreambuf_iterator<char>(in), {});
  const size_t first_line = eml.find("\r\n");
  ASSERT_NE(first_line, std::string::npos) << eml;
  EXPECT_EQ(eml.rfind("X-Sealpost-Escrow-Seal: valid", 0), 0u) << eml.substr(0, first_line);
  EXPECT_EQ(eml.substr(first_line + 2), mail);  // the original, byte for byte
  EXPECT_FALSE(std::filesystem::exists(opened_dir + "/" + (*ids)[1].str() + ".eml"));
}

TEST_F(InboundMailTest, AFailedStoreKeepsNothing) {
  ASSERT_THAT(Receive(PlainMail("bob@example.org")).status(), IsOk());  // makes the seal key
  const size_t blobs_before = BlobFiles();
  faults_.FailWrites(Unavailable("injected"));
  EXPECT_THAT(Receive(PlainMail("bob@example.org")).status(), Not(IsOk()));
  faults_.StopFailing();
  EXPECT_EQ(BlobFiles(), blobs_before);
  const AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  auto page = Mailbox(services_).List(bob, store::Folder::kInbox, "", 10);
  ASSERT_THAT(page.status(), IsOk());
  EXPECT_EQ(page->items.size(), 1u);
}

TEST_F(InboundMailTest, AnAbandonedMessageLeavesNoBlob) {
  const size_t blobs_before = BlobFiles();
  {
    auto id = inbound_.CheckRecipient("bob@example.org");
    ASSERT_THAT(id.status(), IsOk());
    auto message = inbound_.Begin({"192.0.2.10", "", "", {*id}});
    ASSERT_THAT(message.status(), IsOk());
    ASSERT_THAT((*message)->Append(PlainMail("bob@example.org")), IsOk());
  }  // the connection was cut: no Commit
  EXPECT_EQ(BlobFiles(), blobs_before);
}

TEST_F(InboundMailTest, GrowingPastTheLimitIsTooLargeAndKeepsNothing) {
  InboundMail small(services_, {"example.org"}, nullptr, InboundLimits{1000});
  auto id = small.CheckRecipient("bob@example.org");
  ASSERT_THAT(id.status(), IsOk());
  const size_t blobs_before = BlobFiles();
  auto message = small.Begin({"192.0.2.10", "", "", {*id}});
  ASSERT_THAT(message.status(), IsOk());
  EXPECT_THAT((*message)->Append(std::string(600, 'a')), IsOk());
  EXPECT_THAT((*message)->Append(std::string(600, 'a')), StatusIs(ErrorCode::kTooLarge));
  EXPECT_THAT((*message)->Commit().status(), Not(IsOk()));
  message->reset();
  EXPECT_EQ(BlobFiles(), blobs_before);
}

TEST_F(InboundMailTest, UnreadableMimeIsStillKeptWithItsOriginal) {
  auto ids = Receive("this is not a message at all, no header, no body\r\n");
  ASSERT_THAT(ids.status(), IsOk());
  const AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  auto view = Mailbox(services_).Read(bob, (*ids)[0].str());
  ASSERT_THAT(view.status(), IsOk());
  ASSERT_GE(view->attachments.size(), 1u);
  EXPECT_EQ(view->attachments[0].name, "original.eml");
}

TEST_F(InboundMailTest, ArrivalChecksAreSealedIntoTheSummary) {
  InboundMail checked(
      services_, {"example.org"},
      [](const InboundEnvelope& e, std::string_view message, ReceivedFromOutside& out) {
        EXPECT_EQ(e.helo, "mx.outside.example");
        EXPECT_THAT(std::string(message), HasSubstr(kMarker));
        out.spf = "pass";
        out.spf_domain = "outside.example";
        out.dkim = "fail";
        out.dkim_domain = "outside.example";
      });
  auto id = checked.CheckRecipient("bob@example.org");
  ASSERT_THAT(id.status(), IsOk());
  auto message =
      checked.Begin({"192.0.2.10", "mx.outside.example", "alice@outside.example", {*id}});
  ASSERT_THAT(message.status(), IsOk());
  ASSERT_THAT((*message)->Append(PlainMail("bob@example.org")), IsOk());
  auto ids = (*message)->Commit();
  ASSERT_THAT(ids.status(), IsOk());
  const AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  auto view = Mailbox(services_).Read(bob, (*ids)[0].str());
  ASSERT_THAT(view.status(), IsOk());
  ASSERT_TRUE(view->header.received.has_value());
  EXPECT_EQ(view->header.received->spf, "pass");
  EXPECT_EQ(view->header.received->spf_domain, "outside.example");
  EXPECT_EQ(view->header.received->dkim, "fail");
}

// Stands in for libspf2/libopendkim (delivery/mail_authentication_test.cpp runs them on NSD).
class FakeAuthenticator final : public delivery::MailAuthenticator {
 public:
  delivery::MailAuthentication Check(std::string_view client, std::string_view,
                                     std::string_view mail_from,
                                     std::string_view message) const override {
    seen_client = std::string(client);
    seen_from = std::string(mail_from);
    seen_marker = message.find(kMarker) != std::string_view::npos;
    return {"softfail", "outside.example", "pass", "signer.example"};
  }
  mutable std::string seen_client, seen_from;
  mutable bool seen_marker = false;
};

TEST_F(InboundMailTest, MailAuthenticatorResultsAreShownOnTheMessage) {
  FakeAuthenticator fake;
  InboundMail checked(services_, {"example.org"}, CheckWith(fake));
  auto id = checked.CheckRecipient("bob@example.org");
  ASSERT_THAT(id.status(), IsOk());
  auto message = checked.Begin({"192.0.2.10", "", "alice@outside.example", {*id}});
  ASSERT_THAT(message.status(), IsOk());
  ASSERT_THAT((*message)->Append(PlainMail("bob@example.org")), IsOk());
  auto ids = (*message)->Commit();
  ASSERT_THAT(ids.status(), IsOk());
  EXPECT_EQ(fake.seen_client, "192.0.2.10");
  EXPECT_EQ(fake.seen_from, "alice@outside.example");
  EXPECT_TRUE(fake.seen_marker);
  const AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
  auto view = Mailbox(services_).Read(bob, (*ids)[0].str());
  ASSERT_THAT(view.status(), IsOk());
  ASSERT_TRUE(view->header.received.has_value());
  EXPECT_EQ(view->header.received->spf, "softfail");
  EXPECT_EQ(view->header.received->dkim, "pass");
  EXPECT_EQ(view->header.received->dkim_domain, "signer.example");
}

// With blob rows, as `sealpost serve` runs on SQLite (Services::blob_rows_up_to): a message that
// fits in a row is stored in the message's own store write, one commit and no file; a larger
// one streams into a blob file as before.
class InboundMailBlobRowsTest : public InboundMailTest {
 protected:
  InboundMailBlobRowsTest()
      : row_blobs_(blob::OpenEncryptedBlobStore(*store::sqlite::OpenSqliteBlobs(
            *store_, *blob::OpenLocalRawBlobStore(fs_faults_, dir_.path() + "/blobs")))),
        row_services_(RowServices()),
        rows_inbound_(row_services_, {"example.org"}) {}

  Services RowServices() {
    Services s{faults_, *row_blobs_, master_, audit_, clock_, rng_, mailer_, throttle_, Config()};
    s.blob_rows_up_to = store::sqlite::kInlineBlobBytes;  // as `sealpost serve` on SQLite
    return s;
  }

  // The original of `id` as bob reads it.
  std::string Original(const MessageId& id) {
    const AuthContext bob = LoggedIn("bob@example.org", bob_totp_);
    auto original = Mailbox(row_services_).OpenAttachment(bob, id.str(), 0);
    EXPECT_THAT(original.status(), IsOk());
    if (!original.ok()) return "";
    std::string bytes;
    uint8_t buf[4096];
    for (;;) {
      auto n = original->reader->Read(buf);
      if (!n.ok() || *n == 0) break;
      bytes.append(reinterpret_cast<const char*>(buf), *n);
    }
    return bytes;
  }

  std::unique_ptr<blob::BlobStore> row_blobs_;
  Services row_services_;
  InboundMail rows_inbound_;
};

TEST_F(InboundMailBlobRowsTest, ASmallMessageIsOneStoreWriteAndNoFile) {
  ASSERT_THAT(Receive(PlainMail("bob@example.org"), {"bob@example.org"}, &rows_inbound_).status(),
              IsOk());  // makes the seal key
  const size_t files_before = BlobFiles();
  // Every store write after the first fails: the message, its original and its attachment all
  // went in one.
  faults_.FailWrites(Unavailable("injected"), -1, 1);
  auto ids = Receive(PlainMail("bob@example.org"), {"bob@example.org"}, &rows_inbound_);
  faults_.StopFailing();
  ASSERT_THAT(ids.status(), IsOk());
  EXPECT_EQ(faults_.injected(), 0);
  EXPECT_EQ(BlobFiles(), files_before);
  EXPECT_EQ(Original((*ids)[0]), PlainMail("bob@example.org"));
  EXPECT_THAT(StoredBytes(), Not(HasSubstr(kMarker)));
}

TEST_F(InboundMailBlobRowsTest, AFailedStoreWriteKeepsNoRowAndNoFile) {
  ASSERT_THAT(Receive(PlainMail("bob@example.org"), {"bob@example.org"}, &rows_inbound_).status(),
              IsOk());
  const size_t files_before = BlobFiles();
  const size_t bytes_before = StoredBytes().size();
  faults_.FailWrites(Unavailable("injected"));
  EXPECT_THAT(Receive(PlainMail("bob@example.org"), {"bob@example.org"}, &rows_inbound_).status(),
              Not(IsOk()));
  faults_.StopFailing();
  EXPECT_EQ(BlobFiles(), files_before);
  EXPECT_EQ(StoredBytes().size(), bytes_before);  // the injected failure reached no database
}

TEST_F(InboundMailBlobRowsTest, AMessageLargerThanARowStreamsIntoAFile) {
  std::string large = PlainMail("bob@example.org");
  while (large.size() <= store::sqlite::kInlineBlobBytes) large += std::string(76, 'x') + "\r\n";
  const size_t files_before = BlobFiles();
  auto ids = Receive(large, {"bob@example.org"}, &rows_inbound_);
  ASSERT_THAT(ids.status(), IsOk());
  EXPECT_EQ(BlobFiles(), files_before + 1);  // the original; its small attachment is a row
  EXPECT_EQ(Original((*ids)[0]), large);
}

}  // namespace
}  // namespace sealpost::app

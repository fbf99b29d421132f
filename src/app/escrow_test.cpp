// Escrow (app/escrow.h, app/escrow_export.h) with real services: a domain's key set by its
// administrators only (bad keys refused, audited), no wrap at all while no domain has escrow on,
// the data key sealed to the escrow key of the sender's or a recipient's domain, the round trip
// export → offline open → EML equal to what was sent (attachments included, parsed back with
// mime::ParseMessage), a wrong key or altered bytes opening nothing, and retention shredding the
// wraps.
#include "app/escrow.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "app/app_test_fixture.h"
#include "app/escrow_export.h"
#include "app/mailbox.h"
#include "app/retention.h"
#include "blob/raw_blob_store.h"
#include "core/encoding.h"
#include "keys/data_key.h"
#include "mime/message_parser.h"

namespace sealpost::app {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

class EscrowTest : public AppTest {
 protected:
  void SetUp() override {
    root_.emplace(BootstrapAdminSession("root@example.org"));
    alice_totp_ = Enrol("alice@example.org");
    carol_totp_ = Enrol("carol@other.net");
    dave_totp_ = Enrol("dave@other.net");
    Relogin();
  }

  void Relogin() {
    auto login = accounts_.Login("root@example.org", kPassword, "127.0.0.1");
    ASSERT_THAT(login.status(), IsOk());
    auto ctx = accounts_.Authenticate(login->session->cookie_value.view(), "127.0.0.1");
    ASSERT_THAT(ctx.status(), IsOk());
    root_.emplace(std::move(*ctx));
    alice_.emplace(LoggedIn("alice@example.org", alice_totp_));
    carol_.emplace(LoggedIn("carol@other.net", carol_totp_));
    dave_.emplace(LoggedIn("dave@other.net", dave_totp_));
  }

  // `from` sends to `to` with one attachment ("report.bin": every byte value).
  MessageId Send(const AuthContext& from, std::vector<std::string> to, const std::string& subject) {
    auto session = mailbox_.BeginUpload(from, attachment_.size());
    EXPECT_THAT(session.status(), IsOk());
    EXPECT_THAT((*session)->Write(AsBytes(attachment_)), IsOk());
    auto upload = (*session)->Finish();
    EXPECT_THAT(upload.status(), IsOk());
    SendRequest r;
    r.to = std::move(to);
    r.subject = subject;
    r.text = "Text of " + subject + "\nsecond line";
    r.html = "<p>HTML of " + subject + "</p>";
    r.attachments = {{upload->id.str(), "report.bin", "application/octet-stream"}};
    auto id = mailbox_.Send(from, r);
    EXPECT_THAT(id.status(), IsOk());
    return *id;
  }

  int64_t Wraps() {
    auto n = store_->escrow().CountEscrowWraps();
    EXPECT_THAT(n.status(), IsOk());
    return n.ok() ? *n : -1;
  }

  Result<EscrowExportResult> Export(const std::string& domain, const std::string& out,
                                    std::optional<std::string> member = std::nullopt) {
    auto raw = blob::OpenLocalRawBlobStore(platform::DefaultFilesystem(), dir_.path() + "/blobs");
    EXPECT_THAT(raw.status(), IsOk());
    EscrowExportRequest request;
    request.domain = domain;
    request.member = std::move(member);
    request.out_dir = out;
    return ExportEscrow(*store_, **raw, platform::DefaultFilesystem(), request, clock_.Now());
  }

  Result<EscrowOpenResult> Open(const crypto::BoxKeyPair& key, const std::string& in,
                                const std::string& out) {
    return OpenEscrowExport(key, platform::DefaultFilesystem(), in, out);
  }

  std::string PublicKeyText(const crypto::BoxKeyPair& key) {
    return Base64Encode(key.public_key().bytes());
  }

  std::string alice_totp_, carol_totp_, dave_totp_;
  std::optional<AuthContext> root_, alice_, carol_, dave_;
  Mailbox mailbox_{services_};
  Escrow escrow_{services_};
  Retention retention_{services_};
  crypto::BoxKeyPair org_key_ = crypto::BoxKeyPair::Generate();
  std::string attachment_ = [] {
    std::string s;
    for (int i = 0; i < 256; ++i) s += static_cast<char>(i);
    return s + s;
  }();
};

TEST_F(EscrowTest, OnlyAnX25519PublicKeyIsAccepted) {
  for (const std::string& bad : std::vector<std::string>{
           "", "not base64 at all!", Base64Encode(Bytes(31, 7)), Base64Encode(Bytes(33, 7)),
           std::string(64, 'z'),
           // low-order points: zero, and the order-8 point of RFC 7748 §6.1's exclusion list
           Base64Encode(Bytes(32, 0)), std::string(64, '0')}) {
    EXPECT_THAT(escrow_.SetKey(*root_, "example.org", bad).status(),
                StatusIs(ErrorCode::kInvalidArgument))
        << bad;
  }
  EXPECT_FALSE(AuditHas("escrow.key_set"));
  auto off = escrow_.GetKey(*root_, "example.org");
  ASSERT_THAT(off.status(), IsOk());
  EXPECT_FALSE(off->has_value());

  // Base64 (either alphabet, padding optional) and hex of the same key are one key.
  const std::string hex = HexEncode(org_key_.public_key().bytes());
  std::string url = PublicKeyText(org_key_);
  for (char& c : url) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!url.empty() && url.back() == '=') url.pop_back();
  for (const std::string& good : {PublicKeyText(org_key_), hex, url}) {
    auto set = escrow_.SetKey(*root_, "Example.ORG", good);
    ASSERT_THAT(set.status(), IsOk()) << good;
    EXPECT_EQ(set->domain, "example.org");
    EXPECT_EQ(set->public_key, PublicKeyText(org_key_));
  }
  EXPECT_EQ(LastAuditType(), "escrow.key_set");
  EXPECT_THAT(escrow_.SetKey(*root_, "*", PublicKeyText(org_key_)).status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST_F(EscrowTest, OnlyTheDomainsAdministratorsSetItsKey) {
  EXPECT_THAT(escrow_.SetKey(*alice_, "example.org", PublicKeyText(org_key_)).status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(escrow_.GetKey(*alice_, "example.org").status(),
              StatusIs(ErrorCode::kPermissionDenied));
  // Carol administers other.net only.
  ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
    return tx.access().PutRoleGrant({carol_->user.id, store::Role::kAdministrator, "other.net",
                                     root_->user.id.str(), clock_.Now()});
  }),
              IsOk());
  EXPECT_THAT(escrow_.SetKey(*carol_, "example.org", PublicKeyText(org_key_)).status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(escrow_.SetKey(*carol_, "other.net", PublicKeyText(org_key_)).status(), IsOk());
  EXPECT_EQ(LastAuditType(), "escrow.key_set");
  EXPECT_THAT(escrow_.ClearKey(*carol_, "example.org"), StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(escrow_.ClearKey(*carol_, "other.net"), IsOk());
  EXPECT_EQ(LastAuditType(), "escrow.key_cleared");
  EXPECT_THAT(escrow_.ClearKey(*carol_, "other.net"), StatusIs(ErrorCode::kNotFound));
}

TEST_F(EscrowTest, WithoutEscrowNothingIsSealedToAnyEscrowKey) {
  Send(*alice_, {"carol@other.net"}, "no escrow");
  Send(*carol_, {"dave@other.net", "alice@example.org"}, "still none");
  EXPECT_EQ(Wraps(), 0);
  // Turned on, then off again: new messages are not escrowed.
  ASSERT_THAT(escrow_.SetKey(*root_, "example.org", PublicKeyText(org_key_)).status(), IsOk());
  ASSERT_THAT(escrow_.ClearKey(*root_, "example.org"), IsOk());
  Send(*alice_, {"carol@other.net"}, "off again");
  EXPECT_EQ(Wraps(), 0);
}

TEST_F(EscrowTest, TheSendersOrARecipientsDomainGetsAWrapThatOpensTheDataKey) {
  ASSERT_THAT(escrow_.SetKey(*root_, "example.org", PublicKeyText(org_key_)).status(), IsOk());
  const MessageId outgoing = Send(*alice_, {"carol@other.net"}, "from example.org");
  const MessageId incoming = Send(*carol_, {"alice@example.org"}, "to example.org");
  const MessageId unrelated = Send(*carol_, {"dave@other.net"}, "between others");
  for (const MessageId& id : {outgoing, incoming}) {
    auto wraps = store_->escrow().ListEscrowWrapsOfMessage(id);
    ASSERT_THAT(wraps.status(), IsOk());
    ASSERT_EQ(wraps->size(), 1u);
    EXPECT_EQ((*wraps)[0].domain, "example.org");
    EXPECT_THAT(keys::OpenSealedDataKey(org_key_, (*wraps)[0].sealed_key).status(), IsOk());
  }
  EXPECT_TRUE(store_->escrow().ListEscrowWrapsOfMessage(unrelated)->empty());
  EXPECT_EQ(Wraps(), 2);
}

TEST_F(EscrowTest, ExportThenOpenOfflineGivesTheMessagesAsSentWithAttachments) {
  ASSERT_THAT(escrow_.SetKey(*root_, "example.org", PublicKeyText(org_key_)).status(), IsOk());
  const MessageId first = Send(*alice_, {"carol@other.net"}, "Quarterly figures");
  const MessageId second = Send(*carol_, {"alice@example.org", "dave@other.net"}, "Re: figures");
  Send(*carol_, {"dave@other.net"}, "not escrowed");

  const std::string exported = dir_.path() + "/export";
  auto result = Export("example.org", exported);
  ASSERT_THAT(result.status(), IsOk());
  EXPECT_EQ(result->messages, 2);
  EXPECT_EQ(result->attachments, 2);
  EXPECT_EQ(LastAuditType(), "escrow.exported");
  // The export holds no plaintext: neither the subject nor the attachment's bytes.
  for (const auto& e : std::filesystem::recursive_directory_iterator(exported)) {
    if (!e.is_regular_file()) continue;
    const std::string bytes = ReadFile(e.path());
    EXPECT_EQ(bytes.find("Quarterly figures"), std::string::npos) << e.path();
    EXPECT_EQ(bytes.find(attachment_.substr(32, 64)), std::string::npos) << e.path();
  }

  const std::string opened_dir = dir_.path() + "/opened";
  auto opened = Open(org_key_, exported, opened_dir);
  ASSERT_THAT(opened.status(), IsOk());
  EXPECT_EQ(opened->opened, 2);
  EXPECT_EQ(opened->failed, 0);
  EXPECT_EQ(opened->seal_broken, 0);
  for (const auto& [id, from, subject] :
       {std::tuple{first, "alice@example.org", "Quarterly figures"},
        std::tuple{second, "carol@other.net", "Re: figures"}}) {
    const std::string eml = ReadFile(opened_dir + "/" + id.str() + ".eml");
    ASSERT_FALSE(eml.empty()) << id.str();
    EXPECT_EQ(eml.rfind("X-Sealpost-Escrow-Seal: valid", 0), 0u);
    auto parsed = mime::ParseMessage(eml);
    ASSERT_THAT(parsed.status(), IsOk());
    EXPECT_EQ(parsed->subject, subject);
    ASSERT_EQ(parsed->from.size(), 1u);
    EXPECT_EQ(parsed->from[0].address, from);
    EXPECT_NE(parsed->text_body.find("Text of " + std::string(subject) + "\r\nsecond line"),
              std::string::npos)
        << parsed->text_body;
    ASSERT_TRUE(parsed->html_body.has_value());
    EXPECT_NE(parsed->html_body->find("<p>HTML of"), std::string::npos);
    ASSERT_EQ(parsed->attachments.size(), 1u);
    EXPECT_EQ(parsed->attachments[0].filename, "report.bin");
    EXPECT_EQ(parsed->attachments[0].data, attachment_);
  }

  // --member: only what Dave sent or received.
  auto daves = Export("example.org", dir_.path() + "/dave", "dave@other.net");
  ASSERT_THAT(daves.status(), IsOk());
  EXPECT_EQ(daves->messages, 1);
  // A second export into the same directory is refused.
  EXPECT_THAT(Export("example.org", exported).status(), StatusIs(ErrorCode::kConflict));
}

TEST_F(EscrowTest, AWrongKeyOrAlteredBytesOpenNothing) {
  ASSERT_THAT(escrow_.SetKey(*root_, "example.org", PublicKeyText(org_key_)).status(), IsOk());
  const MessageId id = Send(*alice_, {"carol@other.net"}, "sealed");
  const std::string exported = dir_.path() + "/export";
  ASSERT_THAT(Export("example.org", exported).status(), IsOk());

  auto wrong = Open(crypto::BoxKeyPair::Generate(), exported, dir_.path() + "/wrong");
  ASSERT_THAT(wrong.status(), IsOk());
  EXPECT_EQ(wrong->opened, 0);
  EXPECT_EQ(wrong->failed, 1);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/wrong/" + id.str() + ".eml"));

  // One byte of the attachment's ciphertext flipped: the message does not open.
  std::string blob_path;
  for (const auto& e : std::filesystem::recursive_directory_iterator(exported + "/blobs")) {
    if (e.is_regular_file()) blob_path = e.path();
  }
  ASSERT_FALSE(blob_path.empty());
  std::string blob = ReadFile(blob_path);
  blob[blob.size() / 2] ^= 0x01;
  WriteFile(blob_path, blob);
  auto altered = Open(org_key_, exported, dir_.path() + "/altered");
  ASSERT_THAT(altered.status(), IsOk());
  EXPECT_EQ(altered->opened, 0);
  EXPECT_EQ(altered->failed, 1);
  blob[blob.size() / 2] ^= 0x01;
  WriteFile(blob_path, blob);

  // One byte of the message file flipped: its digest in the manifest no longer matches.
  const std::string file = exported + "/messages/" + id.str() + ".json";
  std::string text = ReadFile(file);
  const size_t at = text.find("\"summary\": \"") + 14;
  text[at] = text[at] == 'A' ? 'B' : 'A';
  WriteFile(file, text);
  auto tampered = Open(org_key_, exported, dir_.path() + "/tampered");
  ASSERT_THAT(tampered.status(), IsOk());
  EXPECT_EQ(tampered->failed, 1);
  EXPECT_EQ(tampered->opened, 0);

  // Not an export at all.
  EXPECT_FALSE(Open(org_key_, dir_.path() + "/nothing", dir_.path() + "/x").ok());
}

TEST_F(EscrowTest, ThePrivateKeyFileRoundTripsAndAnythingElseIsRefused) {
  const crypto::SecretString text = FormatEscrowPrivateKey(org_key_);
  auto back = ParseEscrowPrivateKey(text.view());
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_EQ(back->public_key(), org_key_.public_key());
  for (const std::string& bad :
       std::vector<std::string>{"", "sealpost-escrow-key-1:", "sealpost-escrow-key-1:AAAA",
                                Base64Encode(org_key_.ExposeSecret().view())}) {
    EXPECT_THAT(ParseEscrowPrivateKey(bad).status(), StatusIs(ErrorCode::kInvalidArgument)) << bad;
  }
}

TEST_F(EscrowTest, RetentionShredsTheDomainsWrapsWithItsCopies) {
  ASSERT_THAT(escrow_.SetKey(*root_, "example.org", PublicKeyText(org_key_)).status(), IsOk());
  ASSERT_THAT(
      escrow_.SetKey(*root_, "other.net", PublicKeyText(crypto::BoxKeyPair::Generate())).status(),
      IsOk());
  ASSERT_THAT(retention_.SetPolicy(*root_, "example.org", 30).status(), IsOk());
  const MessageId id = Send(*alice_, {"carol@other.net"}, "kept 30 days at example.org");
  EXPECT_EQ(store_->escrow().ListEscrowWrapsOfMessage(id)->size(), 2u);
  clock_.Advance(std::chrono::hours(24 * 31));
  auto round = retention_.ShredDue(100);
  ASSERT_THAT(round.status(), IsOk());
  EXPECT_EQ(round->entries, 1);  // Alice's Sent copy; Carol's stays (other.net keeps it)
  EXPECT_EQ(round->escrow_wraps, 1);
  auto left = store_->escrow().ListEscrowWrapsOfMessage(id);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].domain, "other.net");
  auto exported = Export("example.org", dir_.path() + "/after");
  ASSERT_THAT(exported.status(), IsOk());
  EXPECT_EQ(exported->messages, 0);

  // When the last copy goes, every wrap goes with the content.
  ASSERT_THAT(retention_.SetPolicy(*root_, "other.net", 30).status(), IsOk());
  auto last = retention_.ShredDue(100);
  ASSERT_THAT(last.status(), IsOk());
  EXPECT_EQ(last->messages, 1);
  EXPECT_EQ(last->escrow_wraps, 1);
  EXPECT_EQ(Wraps(), 0);
}

}  // namespace
}  // namespace sealpost::app

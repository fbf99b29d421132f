// Audit exports: who may export, the member filter by address, the export verifying against the
// log's key, and the export itself audited.
#include "app/audit_exports.h"

#include <gtest/gtest.h>

#include "app/app_test_fixture.h"
#include "receipts/audit_export_verify.h"

namespace sealpost::app {
namespace {

class AuditExportsTest : public AppTest {
 protected:
  void SetUp() override { admin_ctx_.emplace(BootstrapAdminSession()); }

  std::optional<AuthContext> admin_ctx_;
  AuditExports exports_{services_};
};

TEST_F(AuditExportsTest, AdministratorExportsAMemberAndTheExportIsAudited) {
  const std::string totp = Enrol("bob@example.org");
  const AuthContext bob = LoggedIn("bob@example.org", totp);
  receipts::AuditExportFilter filter;
  filter.member = "bob@example.org";
  auto file = exports_.Export(*admin_ctx_, filter, AuditExportFormat::kJsonLines);
  ASSERT_THAT(file.status(), IsOk());
  EXPECT_EQ(file->file_name, "audit-export.jsonl");

  auto verifier = tlog::ParseVerifierKey(exports_.VerifierKey());
  ASSERT_THAT(verifier.status(), IsOk());
  const std::vector<tlog::NoteVerifier> verifiers{*verifier};
  auto verified = receipts::VerifyAuditExport(AsChars(file->content), verifiers);
  ASSERT_THAT(verified.status(), IsOk());
  EXPECT_EQ(verified->filter.member, bob.user.id.str());  // the address became the user id
  ASSERT_FALSE(verified->entries.empty());
  for (const receipts::ExportedEntry& e : verified->entries) {
    EXPECT_TRUE(e.entry.event.actor == bob.user.id.str() ||
                e.entry.event.subject == bob.user.id.str() ||
                e.entry.event.details.find(bob.user.id.str()) != std::string::npos)
        << e.entry.event.type;
  }
  EXPECT_EQ(LastAuditType(), "audit.export");
  const store::AuditEvent last = AuditEvents().back();
  EXPECT_EQ(last.actor, admin_ctx_->user.id.str());
  EXPECT_NE(last.details.find(bob.user.id.str()), std::string::npos);

  auto bundle = exports_.Export(*admin_ctx_, {}, AuditExportFormat::kBundle);
  ASSERT_THAT(bundle.status(), IsOk());
  EXPECT_THAT(receipts::VerifyAuditExportBundle(bundle->content, verifiers).status(), IsOk());
}

TEST_F(AuditExportsTest, MembersMayNotExportAndBadFiltersAreRefused) {
  const AuthContext bob = LoggedIn("bob@example.org", Enrol("bob@example.org"));
  EXPECT_THAT(exports_.Export(bob, {}, AuditExportFormat::kCsv).status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_NE(LastAuditType(), "audit.export");
  // An auditor (app/access.h) may, though an auditor reads no message.
  ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
    return tx.access().PutRoleGrant({bob.user.id, store::Role::kAuditor,
                                     std::string(store::kAllDomains), "test", clock_.Now()});
  }),
              IsOk());
  EXPECT_THAT(exports_.Export(bob, {}, AuditExportFormat::kCsv).status(), IsOk());
  EXPECT_EQ(LastAuditType(), "audit.export");

  receipts::AuditExportFilter unknown;
  unknown.member = "nobody@example.org";
  EXPECT_THAT(exports_.Export(*admin_ctx_, unknown, AuditExportFormat::kCsv).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  receipts::AuditExportFilter backwards;
  backwards.from_ms = 2000;
  backwards.to_ms = 1000;
  EXPECT_THAT(exports_.Export(*admin_ctx_, backwards, AuditExportFormat::kCsv).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  receipts::AuditExportFilter not_utf8;
  not_utf8.message = "\xff\xfe";
  EXPECT_THAT(exports_.Export(*admin_ctx_, not_utf8, AuditExportFormat::kCsv).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(ParseAuditExportFormat("xlsx").status(), StatusIs(ErrorCode::kInvalidArgument));
}

}  // namespace
}  // namespace sealpost::app

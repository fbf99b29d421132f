// The SMTP gateway policy per domain (app/smtp_policies.h): each domain's administrators keep
// their own and never see or change another's, validation names the field, every change is
// audited without the patterns, and the look-up falls back to the instance default.
#include "app/smtp_policies.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/app_test_fixture.h"

namespace sealpost::app {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class SmtpPoliciesTest : public AppTest {
 protected:
  void SetUp() override {
    root_.emplace(BootstrapAdminSession());
    const std::string a_totp = Enrol("ann@a.example");
    ann_.emplace(LoggedIn("ann@a.example", a_totp));
    const std::string b_totp = Enrol("ben@b.example");
    ben_.emplace(LoggedIn("ben@b.example", b_totp));
    const std::string m_totp = Enrol("mia@a.example");
    mia_.emplace(LoggedIn("mia@a.example", m_totp));
    ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) -> Status {
      SP_RETURN_IF_ERROR(
          tx.access().PutRoleGrant({ann_->user.id, store::Role::kAdministrator, "a.example",
                                    root_->user.id.str(), clock_.Now()}));
      return tx.access().PutRoleGrant({ben_->user.id, store::Role::kAdministrator, "b.example",
                                       root_->user.id.str(), clock_.Now()});
    }),
                IsOk());
    GatewayPolicy instance;
    instance.mode = SubmissionPolicy::kAll;
    auto made = SmtpPolicies::Create(services_, instance);
    ASSERT_THAT(made.status(), IsOk());
    policies_ = std::move(*made);
  }

  static GatewayPolicy Rules(std::vector<std::string> regexes, std::string tag = "[enc]") {
    GatewayPolicy p;
    p.mode = SubmissionPolicy::kRules;
    p.tag = std::move(tag);
    p.rules.ready = {"iban"};
    p.rules.regexes = std::move(regexes);
    return p;
  }

  std::optional<AuthContext> root_, ann_, ben_, mia_;
  std::unique_ptr<SmtpPolicies> policies_;
};

TEST_F(SmtpPoliciesTest, ADomainAdministratorSetsTheirOwnAndTheLookUpUsesIt) {
  auto before = policies_->Get(*ann_, "a.example");
  ASSERT_THAT(before.status(), IsOk());
  EXPECT_EQ(before->source, "instance");
  EXPECT_EQ(before->policy.mode, SubmissionPolicy::kAll);

  auto set = policies_->Set(*ann_, "A.Example", Rules({"(?i)project\\s+falcon"}));
  ASSERT_THAT(set.status(), IsOk());
  EXPECT_EQ(set->domain, "a.example");
  EXPECT_EQ(set->source, "domain");
  EXPECT_EQ(set->updated_by, ann_->user.id.str());

  auto for_a = policies_->For("a.example");
  ASSERT_THAT(for_a.status(), IsOk());
  EXPECT_EQ((*for_a)->policy.mode, SubmissionPolicy::kRules);
  EXPECT_EQ((*for_a)->rules.FirstMatch("Re: Project  Falcon", ""), "regex 1");
  EXPECT_FALSE((*for_a)->rules.FirstMatch("Lunch", "Noon?").has_value());
  // b.example set none: the instance default.
  auto for_b = policies_->For("b.example");
  ASSERT_THAT(for_b.status(), IsOk());
  EXPECT_EQ((*for_b)->policy.mode, SubmissionPolicy::kAll);

  // A change is seen at once (the cache follows the store).
  GatewayPolicy tag;
  tag.mode = SubmissionPolicy::kTag;
  tag.tag = "[secret]";
  ASSERT_THAT(policies_->Set(*ann_, "a.example", tag).status(), IsOk());
  for_a = policies_->For("a.example");
  ASSERT_THAT(for_a.status(), IsOk());
  EXPECT_EQ((*for_a)->policy.mode, SubmissionPolicy::kTag);
  EXPECT_EQ((*for_a)->policy.tag, "[secret]");

  ASSERT_THAT(policies_->Clear(*ann_, "a.example"), IsOk());
  EXPECT_EQ(LastAuditType(), "smtp_policy.cleared");
  for_a = policies_->For("a.example");
  ASSERT_THAT(for_a.status(), IsOk());
  EXPECT_EQ((*for_a)->policy.mode, SubmissionPolicy::kAll);
  EXPECT_THAT(policies_->Clear(*ann_, "a.example"), StatusIs(ErrorCode::kNotFound));
}

TEST_F(SmtpPoliciesTest, AnotherDomainsPolicyIsOutOfReach) {
  ASSERT_THAT(policies_->Set(*ben_, "b.example", Rules({"confidential"})).status(), IsOk());
  const size_t events = AuditEvents().size();

  EXPECT_THAT(policies_->Get(*ann_, "b.example").status(), StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(policies_->Set(*ann_, "b.example", GatewayPolicy{}).status(),
              StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(policies_->Clear(*ann_, "b.example"), StatusIs(ErrorCode::kPermissionDenied));
  // The instance default is the config file's: nobody sets "*" through here.
  EXPECT_THAT(policies_->Set(*root_, "*", GatewayPolicy{}).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  // A member who administers nothing gets nothing.
  EXPECT_THAT(policies_->List(*mia_).status(), StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_THAT(policies_->Get(*mia_, "a.example").status(), StatusIs(ErrorCode::kPermissionDenied));
  EXPECT_EQ(AuditEvents().size(), events);  // nothing changed, nothing audited

  auto bens = policies_->For("b.example");
  ASSERT_THAT(bens.status(), IsOk());
  EXPECT_EQ((*bens)->policy.rules.regexes, std::vector<std::string>{"confidential"});

  // Ann's list holds her domain only (with the default); the instance administrator's every
  // domain that set its own, and may change any of them.
  auto anns = policies_->List(*ann_);
  ASSERT_THAT(anns.status(), IsOk());
  ASSERT_EQ(anns->size(), 1u);
  EXPECT_EQ((*anns)[0].domain, "a.example");
  EXPECT_EQ((*anns)[0].source, "instance");
  auto all = policies_->List(*root_);
  ASSERT_THAT(all.status(), IsOk());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].domain, "b.example");
  EXPECT_THAT(policies_->Clear(*root_, "b.example"), IsOk());
}

TEST_F(SmtpPoliciesTest, ValidationNamesTheFieldAndKeepsNothing) {
  struct Case {
    GatewayPolicy policy;
    std::string field;
  };
  GatewayPolicy empty_tag;
  empty_tag.tag = "";
  GatewayPolicy long_tag;
  long_tag.tag = std::string(kMaxGatewayTagBytes + 1, 'x');
  GatewayPolicy control_tag;
  control_tag.tag = "[a]\r\nBcc: x";
  GatewayPolicy unknown_ready;
  unknown_ready.rules.ready = {"iban", "passport"};
  GatewayPolicy twice;
  twice.rules.ready = {"card", "card"};
  GatewayPolicy too_many;
  too_many.rules.regexes.assign(kMaxGatewayRegexes + 1, "x");
  GatewayPolicy too_long;
  too_long.rules.regexes = {"ok", std::string(kMaxGatewayRegexBytes + 1, 'a')};
  GatewayPolicy not_compiling;
  not_compiling.rules.regexes = {"fine", "(unclosed"};
  GatewayPolicy newline;
  newline.rules.regexes = {"a\nb"};
  const std::vector<Case> cases = {
      {empty_tag, "tag:"},       {long_tag, "tag:"},
      {control_tag, "tag:"},     {unknown_ready, "ready[1]:"},
      {twice, "ready[1]:"},      {too_many, "regexes:"},
      {too_long, "regexes[1]:"}, {not_compiling, "regexes[1]:"},
      {newline, "regexes[0]:"},
  };
  for (const Case& c : cases) {
    const Status s = policies_->Set(*ann_, "a.example", c.policy).status();
    EXPECT_THAT(s, StatusIs(ErrorCode::kInvalidArgument)) << c.field;
    EXPECT_THAT(std::string(s.client_text()), HasSubstr(c.field));
  }
  EXPECT_THAT(store_->tls_partners().GetSmtpPolicy("a.example").status(),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_FALSE(AuditHas("smtp_policy.set"));
  // At the limits exactly it is accepted.
  GatewayPolicy edge;
  edge.tag = std::string(kMaxGatewayTagBytes, 'x');
  edge.rules.regexes.assign(kMaxGatewayRegexes, std::string(kMaxGatewayRegexBytes, 'a'));
  EXPECT_THAT(policies_->Set(*ann_, "a.example", edge).status(), IsOk());
}

// The audit event names what changed, never the tag text or the patterns.
TEST_F(SmtpPoliciesTest, AuditNamesTheChangedFieldsWithoutContent) {
  ASSERT_THAT(policies_->Set(*ann_, "a.example", Rules({"falcon-[0-9]+"}, "[hush]")).status(),
              IsOk());
  GatewayPolicy changed = Rules({"falcon-[0-9]+", "osprey"}, "[hush]");
  ASSERT_THAT(policies_->Set(*ann_, "a.example", changed).status(), IsOk());
  const auto events = AuditEvents();
  ASSERT_FALSE(events.empty());
  const store::AuditEvent& last = events.back();
  EXPECT_EQ(last.type, "smtp_policy.set");
  EXPECT_EQ(last.subject, "a.example");
  EXPECT_EQ(last.actor, ann_->user.id.str());
  EXPECT_THAT(last.details, HasSubstr("\"changed\":[\"regexes\"]"));
  EXPECT_THAT(last.details, HasSubstr("\"regex_count\":2"));
  for (const auto& e : events) {
    EXPECT_THAT(e.details, Not(HasSubstr("falcon")));
    EXPECT_THAT(e.details, Not(HasSubstr("osprey")));
    EXPECT_THAT(e.details, Not(HasSubstr("[hush]")));
  }
}

}  // namespace
}  // namespace sealpost::app

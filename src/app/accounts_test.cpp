// Account use cases with a frozen clock: expiries and limits that HTTP tests cannot wait for.
#include "app/accounts.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "app/app_test_fixture.h"

namespace sealpost::app {
namespace {

class AccountsTest : public AppTest {};

TEST_F(AccountsTest, SessionExpiresWhenIdleAndAtAbsoluteLimit) {
  const std::string secret = Enrol("alice@example.org");
  clock_.Advance(31s);
  auto login = accounts_.Login("alice@example.org", kPassword, "127.0.0.1");
  ASSERT_THAT(login.status(), IsOk());
  ASSERT_TRUE(login->login_ticket);
  auto grant =
      accounts_.CompleteSecondFactor(login->login_ticket->view(), Code(secret, 0), "127.0.0.1");
  ASSERT_THAT(grant.status(), IsOk());
  const std::string cookie(grant->cookie_value.view());

  // Active use every 20 minutes keeps it alive up to the 12 h absolute limit.
  for (int i = 0; i < 35; ++i) {
    clock_.Advance(20min);
    ASSERT_THAT(accounts_.Authenticate(cookie, "127.0.0.1").status(), IsOk()) << i;
  }
  clock_.Advance(20min);  // 12 h 0 min since log-in
  EXPECT_THAT(accounts_.Authenticate(cookie, "127.0.0.1").status(),
              StatusIs(ErrorCode::kUnauthenticated));

  clock_.Advance(31s);
  login = accounts_.Login("alice@example.org", kPassword, "127.0.0.1");
  grant = accounts_.CompleteSecondFactor(login->login_ticket->view(), Code(secret, 0), "127.0.0.1");
  ASSERT_THAT(grant.status(), IsOk());
  clock_.Advance(31min);  // idle longer than 30 min
  EXPECT_THAT(accounts_.Authenticate(grant->cookie_value.view(), "127.0.0.1").status(),
              StatusIs(ErrorCode::kUnauthenticated));
}

TEST_F(AccountsTest, LoginTicketExpiresAndAllowsFiveWrongCodes) {
  const std::string secret = Enrol("bob@example.org");
  auto login = accounts_.Login("bob@example.org", kPassword, "10.0.0.1");
  ASSERT_THAT(login.status(), IsOk());
  clock_.Advance(6min);
  EXPECT_THAT(
      accounts_.CompleteSecondFactor(login->login_ticket->view(), Code(secret, 0), "10.0.0.1")
          .status(),
      StatusIs(ErrorCode::kUnauthenticated));

  login = accounts_.Login("bob@example.org", kPassword, "10.0.0.2");
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(
        accounts_.CompleteSecondFactor(login->login_ticket->view(), "000000", "10.0.0.2").status(),
        StatusIs(ErrorCode::kUnauthenticated));
  }
  // The ticket is gone after the fifth failure; even the right code no longer opens it.
  clock_.Advance(31s);
  auto late =
      accounts_.CompleteSecondFactor(login->login_ticket->view(), Code(secret, 0), "10.0.0.2");
  EXPECT_FALSE(late.ok());
}

// An attacker failing at one address is refused there, even with the right password, while the
// owner logs in from another address: failing on purpose does not lock the owner out.
TEST_F(AccountsTest, GuessingAtOneAddressDoesNotLockTheOwnerOut) {
  Enrol("olive@example.org");
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(accounts_.Login("olive@example.org", "not the password", "192.0.2.1").status(),
                StatusIs(ErrorCode::kUnauthenticated))
        << i;
  }
  EXPECT_THAT(accounts_.Login("olive@example.org", kPassword, "192.0.2.1").status(),
              StatusIs(ErrorCode::kRateLimited));
  auto owner = accounts_.Login("olive@example.org", kPassword, "198.51.100.7");
  ASSERT_THAT(owner.status(), IsOk());
  EXPECT_TRUE(owner->login_ticket.has_value());
  // Still refused at the attacker's address; an unknown account is throttled alike there.
  EXPECT_THAT(accounts_.Login("olive@example.org", kPassword, "192.0.2.1").status(),
              StatusIs(ErrorCode::kRateLimited));
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(accounts_.Login("nobody@example.org", "not the password", "192.0.2.1").status(),
                StatusIs(ErrorCode::kUnauthenticated));
  }
  EXPECT_THAT(accounts_.Login("nobody@example.org", "not the password", "192.0.2.1").status(),
              StatusIs(ErrorCode::kRateLimited));
  clock_.Advance(16min);
  EXPECT_THAT(accounts_.Login("olive@example.org", kPassword, "192.0.2.1").status(), IsOk());
}

// Addresses of one IPv6 /64 count as one client (a host usually holds the whole /64).
TEST_F(AccountsTest, AnIpv6ClientIsCountedByItsSlash64) {
  Enrol("pat@example.org");
  for (int i = 1; i <= 5; ++i) {
    EXPECT_THAT(
        accounts_.Login("pat@example.org", "not the password", fmt::format("2001:db8::{}", i))
            .status(),
        StatusIs(ErrorCode::kUnauthenticated));
  }
  EXPECT_THAT(accounts_.Login("pat@example.org", kPassword, "2001:db8::ffff:1").status(),
              StatusIs(ErrorCode::kRateLimited));
  EXPECT_THAT(accounts_.Login("pat@example.org", kPassword, "2001:db8:0:1::1").status(), IsOk());
}

// Guessing from many addresses, each under its own limit, still meets the per-account cap
// (100 per window): then the account is refused from everywhere until the window ends.
TEST_F(AccountsTest, DistributedGuessingIsCappedPerAccount) {
  Enrol("quinn@example.org");
  int failed = 0;
  for (int host = 1; failed < 100; ++host) {
    for (int i = 0; i < 4 && failed < 100; ++i, ++failed) {
      ASSERT_THAT(
          accounts_
              .Login("quinn@example.org", "not the password", fmt::format("203.0.113.{}", host))
              .status(),
          StatusIs(ErrorCode::kUnauthenticated))
          << failed;
    }
  }
  EXPECT_THAT(accounts_.Login("quinn@example.org", kPassword, "198.51.100.7").status(),
              StatusIs(ErrorCode::kRateLimited));
  // Other accounts, at those same addresses, are not affected.
  Enrol("rae@example.org");
  EXPECT_THAT(accounts_.Login("rae@example.org", kPassword, "203.0.113.1").status(), IsOk());
  clock_.Advance(16min);
  EXPECT_THAT(accounts_.Login("quinn@example.org", kPassword, "198.51.100.7").status(), IsOk());
}

TEST_F(AccountsTest, SignUpForTakenAddressAnswersAlikeAndTellsTheOwner) {
  Enrol("carol@example.org");
  const size_t mails = mailer_.sent.size();
  EXPECT_THAT(
      accounts_.SignUp({"carol@example.org", crypto::SecretString::CopyOf("another long password"),
                        "", "1.2.3.4"}),
      IsOk());
  DeliverQueuedMail();
  ASSERT_EQ(mailer_.sent.size(), mails + 1);
  EXPECT_EQ(mailer_.sent.back().text.find("token="), std::string::npos);
  EXPECT_NE(mailer_.sent.back().text.find("already has one"), std::string::npos);
  // The original password still works: nothing was replaced.
  EXPECT_THAT(accounts_.Login("carol@example.org", kPassword, "1.2.3.4").status(), IsOk());
}

// Sign-ups for a taken address mail its owner at most three times an hour, with the same
// answer whether a mail was queued or not; other addresses have their own count.
TEST_F(AccountsTest, SignUpsForATakenAddressMailItsOwnerAtMostThreeTimesAnHour) {
  Enrol("sam@example.org");
  clock_.Advance(61min);  // the confirmation mail of the enrolment no longer counts
  DeliverQueuedMail();
  const size_t before = mailer_.sent.size();
  for (int i = 0; i < 10; ++i) {
    EXPECT_THAT(
        accounts_.SignUp({"sam@example.org", crypto::SecretString::CopyOf("another long password"),
                          "", "192.0.2.1"}),
        IsOk())
        << i;
  }
  DeliverQueuedMail();
  ASSERT_EQ(mailer_.sent.size(), before + 3);
  for (size_t i = before; i < mailer_.sent.size(); ++i) {
    EXPECT_EQ(mailer_.sent[i].to.str(), "sam@example.org");
    EXPECT_NE(mailer_.sent[i].text.find("already has one"), std::string::npos);
  }
  ASSERT_THAT(accounts_.SignUp(
                  {"tess@example.org", crypto::SecretString::CopyOf(kPassword), "", "192.0.2.1"}),
              IsOk());
  DeliverQueuedMail();
  EXPECT_EQ(mailer_.sent.size(), before + 4);
  clock_.Advance(61min);
  ASSERT_THAT(
      accounts_.SignUp({"sam@example.org", crypto::SecretString::CopyOf("another long password"),
                        "", "192.0.2.1"}),
      IsOk());
  DeliverQueuedMail();
  EXPECT_EQ(mailer_.sent.size(), before + 5);
}

// Repeated sign-ups for an unconfirmed address send at most three confirmation links an hour;
// past that nothing changes, so the last link mailed still confirms the account.
TEST_F(AccountsTest, SignUpsForAPendingAddressMailAtMostThreeLinksAnHour) {
  const size_t before = mailer_.sent.size();
  std::string token;  // of the newest link mailed
  for (int i = 0; i < 10; ++i) {
    EXPECT_THAT(accounts_.SignUp(
                    {"uma@example.org", crypto::SecretString::CopyOf(kPassword), "", "192.0.2.1"}),
                IsOk())
        << i;
    DeliverQueuedMail();
    if (mailer_.sent.size() > before + (i < 3 ? i : 3)) token = LastToken();
  }
  EXPECT_EQ(mailer_.sent.size(), before + 3);
  ASSERT_THAT(accounts_.VerifyEmail(token).status(), IsOk());
  EXPECT_THAT(accounts_.Login("uma@example.org", kPassword, "192.0.2.1").status(), IsOk());
}

TEST_F(AccountsTest, VerificationLinkWorksOnce) {
  ASSERT_THAT(accounts_.SignUp(
                  {"dan@example.org", crypto::SecretString::CopyOf(kPassword), "", "127.0.0.1"}),
              IsOk());
  const std::string token = LastToken();
  // Unverified accounts cannot log in, with the same answer as a wrong password.
  EXPECT_THAT(accounts_.Login("dan@example.org", kPassword, "127.0.0.1").status(),
              StatusIs(ErrorCode::kUnauthenticated));
  auto verified = accounts_.VerifyEmail(token);
  ASSERT_THAT(verified.status(), IsOk());
  EXPECT_EQ(verified->recovery_code.size(), 39u);
  EXPECT_THAT(accounts_.VerifyEmail(token).status(), StatusIs(ErrorCode::kNotFound));
}

TEST_F(AccountsTest, RecoveryCodeUnwrapsTheSameKeys) {
  ASSERT_THAT(accounts_.SignUp(
                  {"erin@example.org", crypto::SecretString::CopyOf(kPassword), "", "127.0.0.1"}),
              IsOk());
  auto verified = accounts_.VerifyEmail(LastToken());
  ASSERT_THAT(verified.status(), IsOk());
  auto user = store_->accounts().GetUserByEmail("erin@example.org");
  ASSERT_THAT(user.status(), IsOk());
  auto code = keys::NormaliseRecoveryCode(verified->recovery_code.AsStringView());
  ASSERT_THAT(code.status(), IsOk());
  auto kek = crypto::DeriveKeyFromPassword(code->AsStringView(), user->recovery_salt,
                                           crypto::kMinimumPasswordHashParams);
  ASSERT_THAT(kek.status(), IsOk());
  auto umk = keys::UnwrapUmk(*kek, user->umk_by_recovery, keys::UmkSlot::kRecoveryCode, user->id);
  ASSERT_THAT(umk.status(), IsOk());
  auto bundle = keys::UnwrapBundle(*umk, user->wrapped_private_keys, user->id);
  ASSERT_THAT(bundle.status(), IsOk());
  EXPECT_TRUE(crypto::ConstantTimeEquals(bundle->box.public_key().bytes(), user->box_public_key));
}

}  // namespace
}  // namespace sealpost::app

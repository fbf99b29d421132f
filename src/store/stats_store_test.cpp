#include "store/stats_store.h"

#include <gtest/gtest.h>

#include "store/store.h"
#include "store/testing/backend_test.h"
#include "store/testing/test_database.h"
#include "testing/status_matchers.h"

namespace sealpost::store {
namespace {

using namespace std::chrono_literals;
using testing::Backend;

const TimePoint kT0 = FromUnixSeconds(1'800'000'000);

class StatsStoreTest : public testing::BackendTest {};

INSTANTIATE_TEST_SUITE_P(Backends, StatsStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

SessionRecord Session(const std::string& lookup, const UserId& user, SessionKind kind,
                      TimePoint last_seen, TimePoint expires) {
  SessionRecord r;
  r.lookup = lookup;
  r.user_id = user;
  r.kind = kind;
  r.wrapped_umk = Bytes(72, 7);
  r.created_at = kT0 - 1h;
  r.last_seen_at = last_seen;
  r.expires_at = expires;
  r.public_id = std::string(32, lookup.back());
  r.client_ip = "192.0.2.1";
  r.user_agent = "TestBrowser/1.0";
  return r;
}

// Only full sessions that are neither expired nor idle count.
TEST_P(StatsStoreTest, CountsLiveFullSessionsOnly) {
  auto& stats = store_->stats();
  ASSERT_THAT(stats.CountLiveSessions(kT0, kT0 - 30min).status(), IsOk());
  EXPECT_EQ(*stats.CountLiveSessions(kT0, kT0 - 30min), 0);
  const UserRecord u = testing::MakeTestUser(std::string(32, 'a'), "a@x.org", kT0 - 2h);
  ASSERT_THAT(
      Write([&](WriteTxn& tx) {
        SP_RETURN_IF_ERROR(tx.accounts().CreateUser(u));
        auto add = [&](const SessionRecord& s) { return tx.accounts().CreateSession(s); };
        SP_RETURN_IF_ERROR(add(Session("s1", u.id, SessionKind::kFull, kT0 - 1min, kT0 + 1h)));
        SP_RETURN_IF_ERROR(add(Session("s2", u.id, SessionKind::kFull, kT0 - 5min, kT0 + 1h)));
        // Idle for an hour, expired, a login ticket and a TOTP set-up session: not live.
        SP_RETURN_IF_ERROR(add(Session("s3", u.id, SessionKind::kFull, kT0 - 1h, kT0 + 1h)));
        SP_RETURN_IF_ERROR(add(Session("s4", u.id, SessionKind::kFull, kT0 - 1min, kT0 - 1s)));
        SP_RETURN_IF_ERROR(
            add(Session("s5", u.id, SessionKind::kLoginTicket, kT0 - 1min, kT0 + 5min)));
        return add(Session("s6", u.id, SessionKind::kSetup, kT0 - 1min, kT0 + 1h));
      }),
      IsOk());
  EXPECT_EQ(*stats.CountLiveSessions(kT0, kT0 - 30min), 2);
  EXPECT_EQ(*stats.CountLiveSessions(kT0, kT0 - 2h), 3);  // no idle limit to speak of
  EXPECT_EQ(*stats.CountLiveSessions(kT0 + 2h, kT0), 0);  // all expired by then
}

}  // namespace
}  // namespace sealpost::store

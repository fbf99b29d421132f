// The store suite: behaviour every backend must have, run against SQLite and PostgreSQL (the
// test cluster of tests/postgres/pg.sh; see store/testing/test_database.h). CTest names the
// PostgreSQL cases store_test.Backends/StoreTest.*/postgres and starts the cluster for them.
#include "store/store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <sqlite3.h>

#include "store/audit_chain.h"
#include "store/sqlite/sqlite_store.h"
#include "store/testing/backend_test.h"
#include "store/testing/test_database.h"
#include "testing/file_size_limit.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::store {
namespace {

using namespace std::chrono_literals;

const TimePoint kT0 = FromUnixMillis(1'790'000'000'000);

UserRecord MakeUser(const std::string& id_hex, const std::string& email) {
  return testing::MakeTestUser(id_hex, email, kT0);
}

std::string IdHex(char c) { return std::string(32, c); }

using testing::Backend;
using testing::TestDatabase;

class StoreTest : public testing::BackendTest {};

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const auto& info) { return testing::BackendName(info.param); });

TEST_P(StoreTest, CreatesAndFindsUsers) {
  const UserRecord alice = MakeUser(IdHex('a'), "alice@example.org");
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().CreateUser(alice); }), IsOk());
  auto by_email = store_->accounts().GetUserByEmail("alice@example.org");
  ASSERT_THAT(by_email.status(), IsOk());
  EXPECT_EQ(by_email->id, alice.id);
  EXPECT_EQ(by_email->umk_by_password, alice.umk_by_password);
  EXPECT_EQ(by_email->state, UserState::kPending);
  EXPECT_THAT(store_->accounts().GetUser(UserId::FromTrusted(IdHex('b'))).status(),
              StatusIs(ErrorCode::kNotFound));
}

TEST_P(StoreTest, MemberKeysRoundTripOncePerMemberAndGoWithTheUser) {
  const UserRecord alice = MakeUser(IdHex('a'), "alice@example.org");
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().CreateUser(alice); }), IsOk());
  EXPECT_THAT(store_->accounts().GetMemberKeys(alice.id).status(), StatusIs(ErrorCode::kNotFound));

  MemberKeysRecord keys{alice.id,
                        Bytes{0x30, 0x82, 0x00},
                        std::string(64, 'f'),
                        Bytes(90, 7),
                        Bytes{0x98, 0x33, 0x04},
                        std::string(40, 'A'),
                        Bytes(300, 8),
                        kT0 + 5s};
  keys.smime_certificate.push_back(0x00);  // a zero byte survives the round trip
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().CreateMemberKeys(keys); }), IsOk());
  auto read = store_->accounts().GetMemberKeys(alice.id);
  ASSERT_THAT(read.status(), IsOk());
  EXPECT_EQ(read->user_id, alice.id);
  EXPECT_EQ(read->smime_certificate, keys.smime_certificate);
  EXPECT_EQ(read->smime_fingerprint, keys.smime_fingerprint);
  EXPECT_EQ(read->smime_wrapped_key, keys.smime_wrapped_key);
  EXPECT_EQ(read->openpgp_public_key, keys.openpgp_public_key);
  EXPECT_EQ(read->openpgp_fingerprint, keys.openpgp_fingerprint);
  EXPECT_EQ(read->openpgp_wrapped_key, keys.openpgp_wrapped_key);
  EXPECT_EQ(read->created_at, keys.created_at);

  // A second set (a concurrent log-in) is refused and leaves the first in place.
  MemberKeysRecord other = keys;
  other.smime_fingerprint = std::string(64, 'e');
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().CreateMemberKeys(other); }),
              StatusIs(ErrorCode::kConflict));
  EXPECT_EQ(store_->accounts().GetMemberKeys(alice.id)->smime_fingerprint, keys.smime_fingerprint);

  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().DeleteUser(alice.id); }), IsOk());
  EXPECT_THAT(store_->accounts().GetMemberKeys(alice.id).status(), StatusIs(ErrorCode::kNotFound));
}

TEST_P(StoreTest, DuplicateEmailIsConflictAndLeavesNothing) {
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                return tx.accounts().CreateUser(MakeUser(IdHex('a'), "a@x.org"));
              }),
              IsOk());
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.accounts().CreateUser(MakeUser(IdHex('b'), "a@x.org"));
              }),
              StatusIs(ErrorCode::kConflict));
  EXPECT_THAT(store_->accounts().GetUser(UserId::FromTrusted(IdHex('b'))).status(),
              StatusIs(ErrorCode::kNotFound));
}

TEST_P(StoreTest, FailedCallbackRollsBackOnlyItself) {
  const Status failed = Write([&](WriteTxn& tx) {
    SP_RETURN_IF_ERROR(tx.accounts().CreateUser(MakeUser(IdHex('c'), "c@x.org")));
    return InvalidArgument("changed my mind");
  });
  EXPECT_THAT(failed, StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(store_->accounts().GetUser(UserId::FromTrusted(IdHex('c'))).status(),
              StatusIs(ErrorCode::kNotFound));
}

TEST_P(StoreTest, ConcurrentWritersAllCommit) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        char id[33];
        snprintf(id, sizeof id, "%016x%016x", t, i);
        if (Write([&](WriteTxn& tx) {
              return tx.accounts().CreateUser(MakeUser(id, fmt::format("u{}-{}@x.org", t, i)));
            }).ok()) {
          ++ok;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 200);
  EXPECT_THAT(store_->accounts().GetUserByEmail("u7-24@x.org").status(), IsOk());
}

// Callbacks that fail among many that succeed, from concurrent writers (so they share batches):
// each failing one leaves nothing, each succeeding one is kept, whatever its neighbours did.
TEST_P(StoreTest, FailingCallbacksInABusyBatchUndoOnlyThemselves) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 30; ++i) {
        char id[33];
        snprintf(id, sizeof id, "%016x%016x", t, i);
        const bool fail = (t + i) % 3 == 0;
        const Status s = Write([&](WriteTxn& tx) {
          SP_RETURN_IF_ERROR(
              tx.accounts().CreateUser(MakeUser(id, fmt::format("u{}-{}@x.org", t, i))));
          SP_RETURN_IF_ERROR(
              tx.audit().AppendAudit({kT0, "test", "t", std::string(id), "{}"}).status());
          return fail ? InvalidArgument("changed my mind") : Status::Ok();
        });
        if (s.ok() != !fail) ADD_FAILURE() << id << ": " << s.ToString();
        if (s.ok()) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 160);
  for (int t = 0; t < 8; ++t) {
    for (int i = 0; i < 30; ++i) {
      const bool kept = store_->accounts().GetUserByEmail(fmt::format("u{}-{}@x.org", t, i)).ok();
      EXPECT_EQ(kept, (t + i) % 3 != 0) << t << "-" << i;
    }
  }
  // The rolled-back callbacks' audit entries went with them: a dense chain of 160.
  auto audit = store_->audit().ReadAudit(1, 1000);
  ASSERT_THAT(audit.status(), IsOk());
  ASSERT_EQ(audit->size(), 160u);
  for (size_t i = 0; i < audit->size(); ++i) EXPECT_EQ((*audit)[i].seq, int64_t(i + 1));
}

// A message with several entries and attachments goes in whole; a second copy of any part of it
// is a Conflict that leaves nothing of the second write.
TEST_P(StoreTest, MessageWithEntriesAndAttachmentsIsOneWrite) {
  const UserRecord a = MakeUser(IdHex('a'), "a@x.org");
  const UserRecord b = MakeUser(IdHex('b'), "b@x.org");
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.accounts().CreateUser(a));
                return tx.accounts().CreateUser(b);
              }),
              IsOk());
  const MessageRecord m{MessageId::FromTrusted(IdHex('1')), a.id, kT0, Bytes{1, 0, 2}, Bytes{3}};
  const MailboxEntry entries[] = {{a.id, m.id, Folder::kSent, Bytes{0, 9, 0x5c, 0x22}, false, kT0},
                                  {b.id, m.id, Folder::kInbox, Bytes{7}, true, kT0 + 1s}};
  const AttachmentRecord attachments[] = {{m.id, 0, BlobId::FromTrusted(IdHex('c')), 10},
                                          {m.id, 1, BlobId::FromTrusted(IdHex('d')), 1u << 31}};
  ASSERT_THAT(
      Write([&](WriteTxn& tx) { return tx.messages().CreateMessage(m, entries, attachments); }),
      IsOk());
  auto inbox = store_->messages().GetMailboxItem(b.id, m.id);
  ASSERT_THAT(inbox.status(), IsOk());
  EXPECT_TRUE(inbox->entry.unread);
  EXPECT_EQ(inbox->entry.created_at, kT0 + 1s);
  EXPECT_EQ(inbox->message.summary, (Bytes{1, 0, 2}));
  auto sent = store_->messages().ListMailbox(a.id, Folder::kSent, nullptr, 10);
  ASSERT_THAT(sent.status(), IsOk());
  ASSERT_EQ(sent->size(), 1u);
  EXPECT_EQ((*sent)[0].entry.sealed_key, (Bytes{0, 9, 0x5c, 0x22}));
  auto stored = store_->messages().GetAttachments(m.id);
  ASSERT_THAT(stored.status(), IsOk());
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[1].blob_id.str(), IdHex('d'));
  EXPECT_EQ((*stored)[1].stored_size, uint64_t{1} << 31);

  EXPECT_THAT(
      Write([&](WriteTxn& tx) { return tx.messages().CreateMessage(m, entries, attachments); }),
      StatusIs(ErrorCode::kConflict));
  // A new message whose entry collides with nothing, but whose attachment index repeats.
  const MessageRecord m2{MessageId::FromTrusted(IdHex('2')), a.id, kT0, Bytes{1}, Bytes{2}};
  const MailboxEntry e2{b.id, m2.id, Folder::kInbox, Bytes{7}, true, kT0};
  const AttachmentRecord twice[] = {{m2.id, 0, BlobId::FromTrusted(IdHex('e')), 1},
                                    {m2.id, 0, BlobId::FromTrusted(IdHex('f')), 1}};
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.messages().CreateMessage(m2, {&e2, 1}, twice);
              }),
              StatusIs(ErrorCode::kConflict));
  EXPECT_THAT(store_->messages().GetMessage(m2.id).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(store_->messages().GetMailboxItem(b.id, m2.id).status(),
              StatusIs(ErrorCode::kNotFound));
}

TEST_P(StoreTest, TotpStepsAreSingleUse) {
  const UserRecord u = MakeUser(IdHex('a'), "a@x.org");
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().CreateUser(u); }), IsOk());
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().ConsumeTotpStep(u.id, 100); }),
              IsOk());
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().ConsumeTotpStep(u.id, 100); }),
              StatusIs(ErrorCode::kConflict));
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().ConsumeTotpStep(u.id, 99); }),
              StatusIs(ErrorCode::kConflict));
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().ConsumeTotpStep(u.id, 101); }),
              IsOk());
}

TEST_P(StoreTest, TokensAreConsumedOnce) {
  const UserRecord u = MakeUser(IdHex('a'), "a@x.org");
  TokenRecord t{"lookup1", TokenPurpose::kVerifyEmail, u.id, Bytes{1, 2, 3}, kT0 + 1h};
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.accounts().CreateUser(u));
                return tx.accounts().CreateToken(t);
              }),
              IsOk());
  Result<TokenRecord> got = NotFound("unset");
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                got = tx.accounts().ConsumeToken("lookup1", TokenPurpose::kVerifyEmail, kT0);
                return got.status();
              }),
              IsOk());
  EXPECT_EQ(got->payload, (Bytes{1, 2, 3}));
  EXPECT_THAT(
      Write([&](WriteTxn& tx) {
        return tx.accounts().ConsumeToken("lookup1", TokenPurpose::kVerifyEmail, kT0).status();
      }),
      StatusIs(ErrorCode::kNotFound));
}

TEST_P(StoreTest, ExpiredOrWrongPurposeTokenIsNotFound) {
  TokenRecord t{"l2", TokenPurpose::kBootstrapAdmin, std::nullopt, Bytes{}, kT0 + 1h};
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().CreateToken(t); }), IsOk());
  EXPECT_THAT(
      Write([&](WriteTxn& tx) {
        return tx.accounts().ConsumeToken("l2", TokenPurpose::kBootstrapAdmin, kT0 + 2h).status();
      }),
      StatusIs(ErrorCode::kNotFound));
}

TEST_P(StoreTest, CountersUseFixedWindows) {
  auto bump = [&](TimePoint now) {
    Result<int64_t> n = int64_t{0};
    EXPECT_THAT(Write([&](WriteTxn& tx) {
                  n = tx.platform().BumpCounter("login:a", now, 60s);
                  return n.status();
                }),
                IsOk());
    return *n;
  };
  EXPECT_EQ(bump(kT0), 1);
  EXPECT_EQ(bump(kT0 + 10s), 2);
  EXPECT_EQ(*store_->platform().GetCounter("login:a", kT0 + 20s, 60s), 2);
  EXPECT_EQ(*store_->platform().GetCounter("login:a", kT0 + 61s, 60s), 0);
  EXPECT_EQ(bump(kT0 + 61s), 1);
}

TEST_P(StoreTest, AuditChainLinksEntries) {
  AuditEvent e{kT0, "user.login", "actor", "subject", "{}"};
  Result<AuditEntry> first = Internal("unset"), second = Internal("unset");
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                first = tx.audit().AppendAudit(e);
                return first.status();
              }),
              IsOk());
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                second = tx.audit().AppendAudit(e);
                return second.status();
              }),
              IsOk());
  EXPECT_EQ(first->seq, 1);
  EXPECT_EQ(second->seq, 2);
  EXPECT_EQ(first->prev_hash, Bytes(32, 0));
  EXPECT_EQ(second->prev_hash, first->hash);
  EXPECT_EQ(second->hash, AuditEntryHash(first->hash, 2, e));
  auto entries = store_->audit().ReadAudit(1, 10);
  ASSERT_THAT(entries.status(), IsOk());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[1].hash, second->hash);
}

// Audit text is stored exactly, whatever it holds: PostgreSQL sends a batch's entries as escaped
// array literals inside the SQL text, where quotes, backslashes, braces and commas all matter.
TEST_P(StoreTest, AuditTextIsStoredExactly) {
  const std::vector<AuditEvent> events = {
      {kT0, "it's", "a \"quoted\" \\ actor", "{braces},commas", R"({"k":"v\"x\\y"})"},
      {kT0, "", "NULL", "line\nbreak\ttab", "\xc3\xa9t\xc3\xa9 \xf0\x9f\x94\x92 ''"},
      {kT0, "e'\\'", "{}", "\\x00", "[1, 2]"}};
  ASSERT_THAT(Write([&](WriteTxn& tx) -> Status {
                for (const AuditEvent& e : events)
                  SP_RETURN_IF_ERROR(tx.audit().AppendAudit(e).status());
                return Status::Ok();
              }),
              IsOk());
  auto entries = store_->audit().ReadAudit(1, 10);
  ASSERT_THAT(entries.status(), IsOk());
  ASSERT_EQ(entries->size(), events.size());
  Bytes prev(32, 0);
  for (size_t i = 0; i < events.size(); ++i) {
    const AuditEntry& e = (*entries)[i];
    EXPECT_EQ(e.event.type, events[i].type);
    EXPECT_EQ(e.event.actor, events[i].actor);
    EXPECT_EQ(e.event.subject, events[i].subject);
    EXPECT_EQ(e.event.details, events[i].details);
    EXPECT_EQ(e.prev_hash, prev);
    EXPECT_EQ(e.hash, AuditEntryHash(prev, e.seq, events[i]));
    prev = e.hash;
  }
}

TEST_P(StoreTest, MailboxListsNewestFirstWithCursor) {
  const UserRecord a = MakeUser(IdHex('a'), "a@x.org");
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().CreateUser(a); }), IsOk());
  for (int i = 0; i < 5; ++i) {
    MessageRecord m{MessageId::FromTrusted(std::string(31, '0') + char('0' + i)), a.id,
                    kT0 + std::chrono::seconds(i), Bytes{1}, Bytes{2}};
    MailboxEntry e{a.id, m.id, Folder::kInbox, Bytes{9}, true, m.created_at};
    ASSERT_THAT(Write([&](WriteTxn& tx) {
                  return tx.messages().CreateMessage(m, {&e, 1}, {});
                }),
                IsOk());
  }
  auto page1 = store_->messages().ListMailbox(a.id, Folder::kInbox, nullptr, 3);
  ASSERT_THAT(page1.status(), IsOk());
  ASSERT_EQ(page1->size(), 3u);
  EXPECT_EQ((*page1)[0].message.id.str().back(), '4');
  MailboxCursor cursor{ToUnixMillis(page1->back().entry.created_at),
                       page1->back().entry.message_id.str()};
  auto page2 = store_->messages().ListMailbox(a.id, Folder::kInbox, &cursor, 3);
  ASSERT_THAT(page2.status(), IsOk());
  ASSERT_EQ(page2->size(), 2u);
  EXPECT_EQ((*page2)[1].message.id.str().back(), '0');
  EXPECT_TRUE(store_->messages().ListMailbox(a.id, Folder::kSent, nullptr, 3)->empty());
}

SessionRecord MakeSession(const std::string& lookup, const UserId& user, TimePoint created,
                          const std::string& public_id) {
  SessionRecord r;
  r.lookup = lookup;
  r.user_id = user;
  r.wrapped_umk = Bytes(72, 7);
  r.created_at = created;
  r.last_seen_at = created;
  r.expires_at = created + 12h;
  r.public_id = public_id;
  r.client_ip = "192.0.2.1";
  r.user_agent = "TestBrowser/1.0";
  return r;
}

TEST_P(StoreTest, KeySlotsChangeOnlyFromTheExpectedValue) {
  UserRecord u = MakeUser(IdHex('a'), "a@x.org");
  u.recovery_salt = Bytes(16, 8);
  u.umk_by_recovery = Bytes(73, 9);
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().CreateUser(u); }), IsOk());
  const Bytes new_salt(16, 0x11), new_slot(73, 0x22);
  // A stale expectation (someone else changed the slot first) changes nothing.
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.accounts().SetPasswordSlot(u.id, new_salt, 3, 32 << 20, new_slot,
                                                     Bytes(73, 0));
              }),
              StatusIs(ErrorCode::kConflict));
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.accounts().SetPasswordSlot(u.id, new_salt, 3, 32 << 20, new_slot,
                                                     u.umk_by_password);
              }),
              IsOk());
  auto got = store_->accounts().GetUser(u.id);
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->password_salt, new_salt);
  EXPECT_EQ(got->password_ops, 3u);
  EXPECT_EQ(got->password_mem, 32u << 20);
  EXPECT_EQ(got->umk_by_password, new_slot);
  EXPECT_EQ(got->umk_by_recovery, u.umk_by_recovery);  // the other slot is untouched

  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.accounts().SetRecoverySlot(u.id, new_salt, 4, 40u << 20, new_slot,
                                                     Bytes(73, 0));
              }),
              StatusIs(ErrorCode::kConflict));
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.accounts().SetRecoverySlot(u.id, new_salt, 4, 40u << 20, new_slot,
                                                     u.umk_by_recovery);
              }),
              IsOk());
  // The old slot value no longer matches: a second use of the same old value fails.
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.accounts().SetRecoverySlot(u.id, new_salt, 5, 50u << 20, Bytes(73, 0x33),
                                                     u.umk_by_recovery);
              }),
              StatusIs(ErrorCode::kConflict));
  got = store_->accounts().GetUser(u.id);
  EXPECT_EQ(got->recovery_salt, new_salt);
  EXPECT_EQ(got->recovery_ops, 4u);
  EXPECT_EQ(got->recovery_mem, 40u << 20);
  EXPECT_EQ(got->umk_by_recovery, new_slot);
}

TEST_P(StoreTest, DisabledFlagRoundTripsAndDisabledAdminsDoNotCount) {
  UserRecord admin = MakeUser(IdHex('a'), "admin@x.org");
  admin.state = UserState::kActive;
  admin.is_admin = true;
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().CreateUser(admin); }), IsOk());
  EXPECT_TRUE(*store_->accounts().HasActiveAdmin());
  EXPECT_FALSE(store_->accounts().GetUser(admin.id)->disabled);
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().SetUserDisabled(admin.id, true); }),
              IsOk());
  EXPECT_TRUE(store_->accounts().GetUser(admin.id)->disabled);
  EXPECT_EQ(store_->accounts().GetUser(admin.id)->state, UserState::kActive);
  EXPECT_FALSE(*store_->accounts().HasActiveAdmin());
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().SetUserDisabled(admin.id, false); }),
              IsOk());
  EXPECT_FALSE(store_->accounts().GetUser(admin.id)->disabled);
  EXPECT_TRUE(*store_->accounts().HasActiveAdmin());
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.accounts().SetUserDisabled(UserId::FromTrusted(IdHex('f')), true);
              }),
              StatusIs(ErrorCode::kNotFound));
}

TEST_P(StoreTest, SessionsAreListedAndEndedByPublicId) {
  const UserRecord a = MakeUser(IdHex('a'), "a@x.org");
  const UserRecord b = MakeUser(IdHex('b'), "b@x.org");
  ASSERT_THAT(
      Write([&](WriteTxn& tx) {
        SP_RETURN_IF_ERROR(tx.accounts().CreateUser(a));
        SP_RETURN_IF_ERROR(tx.accounts().CreateUser(b));
        SP_RETURN_IF_ERROR(tx.accounts().CreateSession(MakeSession("la1", a.id, kT0, IdHex('1'))));
        SP_RETURN_IF_ERROR(
            tx.accounts().CreateSession(MakeSession("la2", a.id, kT0 + 1s, IdHex('2'))));
        SP_RETURN_IF_ERROR(
            tx.accounts().CreateSession(MakeSession("la3", a.id, kT0 + 2s, IdHex('3'))));
        return tx.accounts().CreateSession(MakeSession("lb1", b.id, kT0, IdHex('4')));
      }),
      IsOk());
  auto listed = store_->accounts().ListSessionsOfUser(a.id, 10);
  ASSERT_THAT(listed.status(), IsOk());
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].public_id, IdHex('3'));  // newest first
  EXPECT_EQ((*listed)[0].client_ip, "192.0.2.1");
  EXPECT_EQ((*listed)[0].user_agent, "TestBrowser/1.0");
  EXPECT_EQ(store_->accounts().ListSessionsOfUser(a.id, 2)->size(), 2u);

  // Another member's session id is not found through this member.
  EXPECT_THAT(
      Write([&](WriteTxn& tx) { return tx.accounts().DeleteSessionByPublicId(a.id, IdHex('4')); }),
      StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(store_->accounts().GetSession("lb1").status(), IsOk());
  EXPECT_THAT(
      Write([&](WriteTxn& tx) { return tx.accounts().DeleteSessionByPublicId(a.id, IdHex('1')); }),
      IsOk());
  EXPECT_THAT(store_->accounts().GetSession("la1").status(), StatusIs(ErrorCode::kNotFound));

  // The last-seen update also refreshes the client address.
  SessionRecord moved = *store_->accounts().GetSession("la2");
  moved.client_ip = "198.51.100.7";
  moved.last_seen_at = kT0 + 5min;
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().UpdateSession(moved); }), IsOk());
  EXPECT_EQ(store_->accounts().GetSession("la2")->client_ip, "198.51.100.7");

  ASSERT_THAT(
      Write([&](WriteTxn& tx) { return tx.accounts().DeleteOtherSessionsOfUser(a.id, "la3"); }),
      IsOk());
  listed = store_->accounts().ListSessionsOfUser(a.id, 10);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].lookup, "la3");
  EXPECT_THAT(store_->accounts().GetSession("lb1").status(), IsOk());  // other members untouched
}

// Authentication reads the session and its user at once: every column of both comes back as
// the separate reads give it (the joined row's second half is the user's).
TEST_P(StoreTest, SessionWithUserIsBothRecordsInOneRead) {
  UserRecord a = MakeUser(IdHex('a'), "a@x.org");
  a.display_name = "Alice";
  a.totp_last_step = 77;
  const UserRecord b = MakeUser(IdHex('b'), "b@x.org");
  ASSERT_THAT(
      Write([&](WriteTxn& tx) {
        SP_RETURN_IF_ERROR(tx.accounts().CreateUser(a));
        SP_RETURN_IF_ERROR(tx.accounts().CreateUser(b));
        SP_RETURN_IF_ERROR(tx.accounts().CreateSession(MakeSession("sa", a.id, kT0, IdHex('1'))));
        return tx.accounts().CreateSession(MakeSession("sb", b.id, kT0 + 1s, IdHex('2')));
      }),
      IsOk());
  auto both = store_->accounts().GetSessionWithUser("sa");
  ASSERT_THAT(both.status(), IsOk());
  const SessionRecord alone = *store_->accounts().GetSession("sa");
  EXPECT_EQ(both->session.lookup, alone.lookup);
  EXPECT_EQ(both->session.user_id, a.id);
  EXPECT_EQ(both->session.wrapped_umk, alone.wrapped_umk);
  EXPECT_EQ(both->session.expires_at, alone.expires_at);
  EXPECT_EQ(both->session.public_id, alone.public_id);
  EXPECT_EQ(both->session.user_agent, alone.user_agent);
  const UserRecord user = *store_->accounts().GetUser(a.id);
  EXPECT_EQ(both->user.id, a.id);
  EXPECT_EQ(both->user.email, "a@x.org");
  EXPECT_EQ(both->user.display_name, "Alice");
  EXPECT_EQ(both->user.box_public_key, user.box_public_key);
  EXPECT_EQ(both->user.umk_by_password, user.umk_by_password);
  EXPECT_EQ(both->user.totp_last_step, 77);
  EXPECT_EQ(both->user.created_at, user.created_at);
  EXPECT_EQ(both->user.disabled, user.disabled);
  EXPECT_EQ(store_->accounts().GetSessionWithUser("sb")->user.email, "b@x.org");
  EXPECT_THAT(store_->accounts().GetSessionWithUser("none").status(),
              StatusIs(ErrorCode::kNotFound));
}

TEST_P(StoreTest, UsersArePagedInAddressOrder) {
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.accounts().CreateUser(MakeUser(IdHex('c'), "carol@x.org")));
                SP_RETURN_IF_ERROR(tx.accounts().CreateUser(MakeUser(IdHex('a'), "alice@x.org")));
                return tx.accounts().CreateUser(MakeUser(IdHex('b'), "bob@x.org"));
              }),
              IsOk());
  auto first = store_->accounts().ListUsers(nullptr, 2);
  ASSERT_THAT(first.status(), IsOk());
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].email, "alice@x.org");
  EXPECT_EQ((*first)[1].email, "bob@x.org");
  const std::string after = first->back().email;
  auto second = store_->accounts().ListUsers(&after, 2);
  ASSERT_THAT(second.status(), IsOk());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].email, "carol@x.org");
  EXPECT_EQ((*second)[0].id, UserId::FromTrusted(IdHex('c')));
}

TEST_P(StoreTest, AuditIsReadNewestFirstBeforeASequenceNumber) {
  for (int i = 0; i < 5; ++i) {
    AuditEvent e{kT0 + std::chrono::seconds(i), fmt::format("e{}", i + 1), "actor", "s", "{}"};
    ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.audit().AppendAudit(e).status(); }), IsOk());
  }
  auto newest = store_->audit().ReadAuditBefore(INT64_MAX, 2);
  ASSERT_THAT(newest.status(), IsOk());
  ASSERT_EQ(newest->size(), 2u);
  EXPECT_EQ((*newest)[0].seq, 5);
  EXPECT_EQ((*newest)[0].event.type, "e5");
  EXPECT_EQ((*newest)[1].seq, 4);
  auto older = store_->audit().ReadAuditBefore(4, 10);
  ASSERT_THAT(older.status(), IsOk());
  ASSERT_EQ(older->size(), 3u);
  EXPECT_EQ((*older)[0].seq, 3);
  EXPECT_EQ((*older)[2].seq, 1);
  EXPECT_FALSE((*older)[2].hash.empty());
  EXPECT_TRUE(store_->audit().ReadAuditBefore(1, 10)->empty());
}

OutboundMailRecord QueuedMail(const std::string& hex_id, TimePoint due) {
  return {MailJobId::FromTrusted(hex_id), Bytes{1, 2, 3}, kT0, due, 0, std::nullopt, ""};
}

Result<std::vector<OutboundMailRecord>> Claim(Store& store, TimePoint now, TimePoint lease,
                                              int limit) {
  Result<std::vector<OutboundMailRecord>> claimed = std::vector<OutboundMailRecord>{};
  const Status s = store.Write([&](WriteTxn& tx) {
    claimed = tx.outbox().ClaimDueMail(now, lease, limit);
    return claimed.status();
  });
  if (!s.ok()) return s;
  return claimed;
}

TEST_P(StoreTest, QueuedMailIsClaimedWhenDueAndOnlyOnceWhileLeased) {
  const std::string a(32, 'a'), b(32, 'b'), c(32, 'c');
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.outbox().EnqueueMail(QueuedMail(b, kT0 + 2s)));
                SP_RETURN_IF_ERROR(tx.outbox().EnqueueMail(QueuedMail(a, kT0 + 1s)));
                return tx.outbox().EnqueueMail(QueuedMail(c, kT0 + 60s));  // not yet due
              }),
              IsOk());
  auto first = Claim(*store_, kT0 + 5s, kT0 + 5min, 10);
  ASSERT_THAT(first.status(), IsOk());
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].id.str(), a);  // oldest due first
  EXPECT_EQ((*first)[1].id.str(), b);
  EXPECT_EQ((*first)[0].sealed_mail, (Bytes{1, 2, 3}));
  ASSERT_TRUE((*first)[0].lease_until.has_value());
  EXPECT_EQ(*(*first)[0].lease_until, kT0 + 5min);

  // Leased: nobody else gets them, even once c is due.
  auto second = Claim(*store_, kT0 + 61s, kT0 + 6min, 10);
  ASSERT_THAT(second.status(), IsOk());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].id.str(), c);

  // A lease that ran out (its deliverer died) makes the mail claimable again.
  auto after_lease = Claim(*store_, kT0 + 5min, kT0 + 10min, 1);
  ASSERT_THAT(after_lease.status(), IsOk());
  ASSERT_EQ(after_lease->size(), 1u);
  EXPECT_EQ((*after_lease)[0].id.str(), a);
}

TEST_P(StoreTest, RescheduledMailWaitsAndDeletedMailIsGone) {
  const std::string a(32, 'a');
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.outbox().EnqueueMail(QueuedMail(a, kT0)); }),
              IsOk());
  ASSERT_EQ(Claim(*store_, kT0, kT0 + 5min, 10)->size(), 1u);
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                return tx.outbox().RescheduleMail(MailJobId::FromTrusted(a), kT0 + 2min, 1,
                                                  "relay unavailable");
              }),
              IsOk());
  EXPECT_TRUE(Claim(*store_, kT0 + 1min, kT0 + 6min, 10)->empty());  // lease ended, not due
  auto listed = store_->outbox().ListQueuedMail(10);
  ASSERT_THAT(listed.status(), IsOk());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].attempts, 1);
  EXPECT_EQ((*listed)[0].last_error, "relay unavailable");
  EXPECT_FALSE((*listed)[0].lease_until.has_value());
  EXPECT_EQ((*listed)[0].next_attempt_at, kT0 + 2min);

  ASSERT_EQ(Claim(*store_, kT0 + 2min, kT0 + 7min, 10)->size(), 1u);
  ASSERT_THAT(
      Write([&](WriteTxn& tx) { return tx.outbox().DeleteMail(MailJobId::FromTrusted(a)); }),
      IsOk());
  EXPECT_TRUE(store_->outbox().ListQueuedMail(10)->empty());
  EXPECT_THAT(
      Write([&](WriteTxn& tx) { return tx.outbox().DeleteMail(MailJobId::FromTrusted(a)); }),
      StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.outbox().RescheduleMail(MailJobId::FromTrusted(a), kT0, 2, "");
              }),
              StatusIs(ErrorCode::kNotFound));
}

TEST_P(StoreTest, MucAttemptsAreReservedUpToTheLimitAndReset) {
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.guests().ReserveMucAttempt("g@x.org", 5, kT0).status();
              }),
              StatusIs(ErrorCode::kNotFound));
  const GuestAddressRecord g{"g@x.org", "$argon2id$fake", 0, kT0, kT0};
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.guests().PutGuestAddress(g); }), IsOk());
  for (int64_t i = 1; i <= 3; ++i) {
    int64_t count = 0;
    ASSERT_THAT(Write([&](WriteTxn& tx) -> Status {
                  SP_ASSIGN_OR_RETURN(count, tx.guests().ReserveMucAttempt("g@x.org", 3, kT0));
                  return Status::Ok();
                }),
                IsOk());
    EXPECT_EQ(count, i);
  }
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.guests().ReserveMucAttempt("g@x.org", 3, kT0).status();
              }),
              StatusIs(ErrorCode::kConflict));
  EXPECT_EQ(store_->guests().GetGuestAddress("g@x.org")->failures, 3);
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.guests().ResetMucFailures("g@x.org"); }), IsOk());
  EXPECT_EQ(store_->guests().GetGuestAddress("g@x.org")->failures, 0);
  // A new MUC replaces hash and count but keeps the creation time.
  const GuestAddressRecord renewed{"g@x.org", "$argon2id$other", 0, kT0 + 1h, kT0 + 1h};
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.guests().PutGuestAddress(renewed); }), IsOk());
  auto got = store_->guests().GetGuestAddress("g@x.org");
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->muc_hash, "$argon2id$other");
  EXPECT_EQ(got->created_at, kT0);
  EXPECT_EQ(got->updated_at, kT0 + 1h);
}

TEST_P(StoreTest, PickupsAreFoundByLookupMessageAndAddress) {
  const UserRecord a = MakeUser(IdHex('a'), "a@x.org");
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().CreateUser(a); }), IsOk());
  const MessageRecord m{MessageId::FromTrusted(IdHex('1')), a.id, kT0, Bytes{1}, Bytes{2}};
  const MailboxEntry e{a.id, m.id, Folder::kSent, Bytes{9}, false, kT0};
  const PickupRecord p1{"lookup1",   m.id, a.id,      "g@x.org",
                        Bytes{7, 7}, kT0,  kT0 + 24h, PickupState::kPending};
  const PickupRecord p2{"lookup2", m.id,     a.id,      "h@x.org",
                        Bytes{8},  kT0 + 1s, kT0 + 24h, PickupState::kPending};
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.messages().CreateMessage(m, {&e, 1}, {}));
                SP_RETURN_IF_ERROR(tx.guests().CreatePickup(p1));
                return tx.guests().CreatePickup(p2);
              }),
              IsOk());
  auto got = store_->guests().GetPickup("lookup1");
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->message_id, m.id);
  EXPECT_EQ(got->sender_id, a.id);
  EXPECT_EQ(got->email, "g@x.org");
  EXPECT_EQ(got->wrapped_key, (Bytes{7, 7}));
  EXPECT_EQ(got->expires_at, kT0 + 24h);
  EXPECT_EQ(got->state, PickupState::kPending);
  EXPECT_THAT(store_->guests().GetPickup("nope").status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_EQ(store_->guests().ListPickupsOfMessage(m.id)->size(), 2u);
  auto of_g = store_->guests().ListPickupsOfAddress("g@x.org", 10);
  ASSERT_THAT(of_g.status(), IsOk());
  ASSERT_EQ(of_g->size(), 1u);
  EXPECT_EQ((*of_g)[0].lookup, "lookup1");
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                return tx.guests().SetPickupState("lookup1", PickupState::kRevoked);
              }),
              IsOk());
  EXPECT_EQ(store_->guests().GetPickup("lookup1")->state, PickupState::kRevoked);
  EXPECT_THAT(
      Write([&](WriteTxn& tx) { return tx.guests().SetPickupState("x", PickupState::kOpened); }),
      StatusIs(ErrorCode::kNotFound));
  auto message = store_->messages().GetMessage(m.id);
  ASSERT_THAT(message.status(), IsOk());
  EXPECT_EQ(message->summary, Bytes{1});
}

// The MUC as a key factor: the address key columns round-trip, a share is re-sealed in place,
// and a sender's shares sealed to a replaced address key are listed for re-sealing.
// A legacy address gains its key pair only while it still has the MUC hash the unlock checked:
// a MUC issued in between (a new hash, or a key pair already) wins.
TEST_P(StoreTest, LegacyAddressIsUpgradedOnlyWhileItsHashIsUnchanged) {
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                return tx.guests().PutGuestAddress({"g@x.org", "$argon2id$old", 3, kT0, kT0});
              }),
              IsOk());
  GuestAddressRecord upgraded{"g@x.org", "", 0, kT0, kT0 + 1h};
  upgraded.public_key = Bytes(32, 0x11);
  upgraded.wrapped_secret = Bytes(77, 0x22);
  upgraded.kek_salt = Bytes(16, 0x33);
  upgraded.kek_ops = 3;
  upgraded.kek_mem = 19 << 20;
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.guests().UpgradeLegacyGuestAddress(upgraded, "$argon2id$reissued");
              }),
              StatusIs(ErrorCode::kConflict));
  EXPECT_EQ(store_->guests().GetGuestAddress("g@x.org")->muc_hash, "$argon2id$old");

  ASSERT_THAT(Write([&](WriteTxn& tx) {
                return tx.guests().UpgradeLegacyGuestAddress(upgraded, "$argon2id$old");
              }),
              IsOk());
  auto got = store_->guests().GetGuestAddress("g@x.org");
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->muc_hash, "");
  EXPECT_EQ(got->failures, 0);
  EXPECT_EQ(got->public_key, upgraded.public_key);
  EXPECT_EQ(got->wrapped_secret, upgraded.wrapped_secret);
  EXPECT_EQ(got->kek_salt, upgraded.kek_salt);
  EXPECT_EQ(got->kek_ops, 3);
  EXPECT_EQ(got->kek_mem, 19 << 20);
  // Once upgraded (or given a key pair by a new MUC), no second upgrade replaces the key pair.
  upgraded.public_key = Bytes(32, 0x77);
  EXPECT_THAT(
      Write([&](WriteTxn& tx) { return tx.guests().UpgradeLegacyGuestAddress(upgraded, ""); }),
      StatusIs(ErrorCode::kConflict));
  EXPECT_EQ(store_->guests().GetGuestAddress("g@x.org")->public_key, Bytes(32, 0x11));
}

TEST_P(StoreTest, AddressKeysAndPickupSharesRoundTripAndStaleSharesAreListed) {
  const UserRecord a = MakeUser(IdHex('a'), "a@x.org");
  const UserRecord b = MakeUser(IdHex('b'), "b@x.org");
  const MessageRecord m{MessageId::FromTrusted(IdHex('1')), a.id, kT0, Bytes{1}, Bytes{2}};
  const MessageRecord n{MessageId::FromTrusted(IdHex('2')), b.id, kT0, Bytes{1}, Bytes{2}};
  const MailboxEntry entries[] = {{a.id, m.id, Folder::kSent, Bytes{9}, false, kT0}};
  const MailboxEntry b_entries[] = {{b.id, n.id, Folder::kSent, Bytes{9}, false, kT0}};
  GuestAddressRecord g{"g@x.org", "", 0, kT0, kT0};
  g.public_key = Bytes(32, 0x11);
  g.wrapped_secret = Bytes(77, 0x22);
  g.kek_salt = Bytes(16, 0x33);
  g.kek_ops = 3;
  g.kek_mem = 19 << 20;
  PickupRecord fresh{"p-fresh", m.id, a.id,      "g@x.org",
                     Bytes{7},  kT0,  kT0 + 24h, PickupState::kPending};
  fresh.sealed_share = Bytes(80, 0x44);
  fresh.share_key = g.public_key;
  fresh.sender_share = Bytes(80, 0x55);
  PickupRecord stale = fresh;  // sealed to an older key pair
  stale.lookup = "p-stale";
  stale.share_key = Bytes(32, 0x99);
  PickupRecord legacy{"p-legacy", m.id, a.id,      "g@x.org",
                      Bytes{7},   kT0,  kT0 + 24h, PickupState::kPending};  // no share at all
  PickupRecord of_b = stale;
  of_b.lookup = "p-of-b";
  of_b.message_id = n.id;
  of_b.sender_id = b.id;
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.accounts().CreateUser(a));
                SP_RETURN_IF_ERROR(tx.accounts().CreateUser(b));
                SP_RETURN_IF_ERROR(tx.messages().CreateMessage(m, entries, {}));
                SP_RETURN_IF_ERROR(tx.messages().CreateMessage(n, b_entries, {}));
                SP_RETURN_IF_ERROR(tx.guests().PutGuestAddress(g));
                for (const auto* p : {&fresh, &stale, &legacy, &of_b}) {
                  SP_RETURN_IF_ERROR(tx.guests().CreatePickup(*p));
                }
                return Status::Ok();
              }),
              IsOk());
  auto got = store_->guests().GetGuestAddress("g@x.org");
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->public_key, g.public_key);
  EXPECT_EQ(got->wrapped_secret, g.wrapped_secret);
  EXPECT_EQ(got->kek_salt, g.kek_salt);
  EXPECT_EQ(got->kek_ops, 3);
  EXPECT_EQ(got->kek_mem, 19 << 20);
  EXPECT_TRUE(got->member_sealed_secret.empty());
  auto pickup = store_->guests().GetPickup("p-stale");
  ASSERT_THAT(pickup.status(), IsOk());
  EXPECT_EQ(pickup->sealed_share, stale.sealed_share);
  EXPECT_EQ(pickup->share_key, stale.share_key);
  EXPECT_EQ(pickup->sender_share, stale.sender_share);
  EXPECT_TRUE(store_->guests().GetPickup("p-legacy")->sealed_share.empty());

  auto listed = store_->guests().ListStaleSharesOfSender(a.id, 10);
  ASSERT_THAT(listed.status(), IsOk());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].lookup, "p-stale");
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                return tx.guests().ResealPickupShare("p-stale", Bytes(80, 0x66), g.public_key);
              }),
              IsOk());
  EXPECT_EQ(store_->guests().GetPickup("p-stale")->sealed_share, Bytes(80, 0x66));
  EXPECT_TRUE(store_->guests().ListStaleSharesOfSender(a.id, 10)->empty());
  EXPECT_EQ(store_->guests().ListStaleSharesOfSender(b.id, 10)->size(), 1u);

  // An enrolled address keeps its key for the member; the MUC slot goes.
  GuestAddressRecord held{"g@x.org", "", 0, kT0, kT0 + 1h};
  held.public_key = g.public_key;
  held.member_sealed_secret = Bytes(80, 0x77);
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.guests().PutGuestAddress(held); }), IsOk());
  got = store_->guests().GetGuestAddress("g@x.org");
  EXPECT_TRUE(got->wrapped_secret.empty());
  EXPECT_EQ(got->kek_ops, 0);
  EXPECT_EQ(got->member_sealed_secret, held.member_sealed_secret);

  // Recall drops the shares with the wrapped key; a share is re-sealed only while live.
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.guests().RevokePendingPickup("p-fresh"); }),
              IsOk());
  pickup = store_->guests().GetPickup("p-fresh");
  EXPECT_TRUE(pickup->sealed_share.empty());
  EXPECT_TRUE(pickup->sender_share.empty());
  EXPECT_THAT(Write([&](WriteTxn& tx) {
                return tx.guests().ResealPickupShare("p-fresh", Bytes(80, 1), g.public_key);
              }),
              StatusIs(ErrorCode::kNotFound));
}

TEST_P(StoreTest, AGuestWhoEnrolsGetsClaimablePickupsAndMailboxEntries) {
  UserRecord a = MakeUser(IdHex('a'), "a@x.org");
  a.state = UserState::kActive;
  UserRecord g = MakeUser(IdHex('b'), "g@x.org");  // the guest, pending sign-up for now
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.accounts().CreateUser(a));
                return tx.accounts().CreateUser(g);
              }),
              IsOk());
  const MessageRecord m{MessageId::FromTrusted(IdHex('1')), a.id, kT0, Bytes{1}, Bytes{2}};
  const MailboxEntry sent{a.id, m.id, Folder::kSent, Bytes{9}, false, kT0};
  const PickupRecord to_g{"lk-g",   m.id, a.id,      "g@x.org",
                          Bytes{7}, kT0,  kT0 + 24h, PickupState::kOpened};
  const PickupRecord to_h{"lk-h",   m.id, a.id,      "h@x.org",
                          Bytes{8}, kT0,  kT0 + 24h, PickupState::kPending};
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.messages().CreateMessage(m, {&sent, 1}, {}));
                SP_RETURN_IF_ERROR(tx.guests().PutGuestAddress({"g@x.org", "hash", 2, kT0, kT0}));
                SP_RETURN_IF_ERROR(tx.guests().CreatePickup(to_g));
                return tx.guests().CreatePickup(to_h);
              }),
              IsOk());
  // Not claimable while the address has no active member.
  EXPECT_TRUE(store_->guests().ListClaimablePickupsOfSender(a.id, 10)->empty());
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                return tx.accounts().ActivateUser(g.id, Bytes{1}, 2, 19u << 20, Bytes{2});
              }),
              IsOk());
  auto claimable = store_->guests().ListClaimablePickupsOfSender(a.id, 10);
  ASSERT_THAT(claimable.status(), IsOk());
  ASSERT_EQ(claimable->size(), 1u);
  EXPECT_EQ((*claimable)[0].lookup, "lk-g");
  EXPECT_TRUE(store_->guests().ListClaimablePickupsOfSender(g.id, 10)->empty());

  const MailboxEntry filed{g.id, m.id, Folder::kInbox, Bytes{5, 5}, false, kT0};
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.messages().AddMailboxEntry(filed));
                SP_RETURN_IF_ERROR(tx.guests().SetPickupState("lk-g", PickupState::kClaimed));
                SP_RETURN_IF_ERROR(tx.guests().DeleteGuestAddress("g@x.org"));
                return tx.guests().DeleteGuestAddress("never@x.org");  // absent: fine
              }),
              IsOk());
  auto item = store_->messages().GetMailboxItem(g.id, m.id);
  ASSERT_THAT(item.status(), IsOk());
  EXPECT_EQ(item->entry.folder, Folder::kInbox);
  EXPECT_EQ(item->entry.sealed_key, (Bytes{5, 5}));
  EXPECT_EQ(store_->guests().GetPickup("lk-g")->state, PickupState::kClaimed);
  EXPECT_TRUE(store_->guests().ListClaimablePickupsOfSender(a.id, 10)->empty());
  EXPECT_THAT(store_->guests().GetGuestAddress("g@x.org").status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.messages().AddMailboxEntry(filed); }),
              StatusIs(ErrorCode::kConflict));
}

TEST_P(StoreTest, PickupStatusTimesRecallAndExpiry) {
  const UserRecord a = MakeUser(IdHex('a'), "a@x.org");
  const UserRecord b = MakeUser(IdHex('b'), "b@x.org");
  const MessageRecord m{MessageId::FromTrusted(IdHex('1')), a.id, kT0, Bytes{1}, Bytes{2}};
  const MailboxEntry entries[] = {{a.id, m.id, Folder::kSent, Bytes{9}, false, kT0},
                                  {b.id, m.id, Folder::kInbox, Bytes{8}, true, kT0}};
  const PickupRecord pending{"p-pending", m.id, a.id,      "g@x.org",
                             Bytes{7, 7}, kT0,  kT0 + 24h, PickupState::kPending};
  PickupRecord opened{"p-opened", m.id, a.id,      "h@x.org",
                      Bytes{6},   kT0,  kT0 + 24h, PickupState::kPending};
  const PickupRecord soon{"p-soon", m.id, a.id,     "i@x.org",
                          Bytes{5}, kT0,  kT0 + 1h, PickupState::kPending};
  OutboundMailRecord notice = QueuedMail(IdHex('c'), kT0);
  notice.pickup_lookup = "p-pending";
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.accounts().CreateUser(a));
                SP_RETURN_IF_ERROR(tx.accounts().CreateUser(b));
                SP_RETURN_IF_ERROR(tx.messages().CreateMessage(m, entries, {}));
                SP_RETURN_IF_ERROR(tx.guests().CreatePickup(pending));
                SP_RETURN_IF_ERROR(tx.guests().CreatePickup(opened));
                SP_RETURN_IF_ERROR(tx.guests().CreatePickup(soon));
                SP_RETURN_IF_ERROR(tx.outbox().EnqueueMail(QueuedMail(IdHex('d'), kT0)));
                return tx.outbox().EnqueueMail(notice);
              }),
              IsOk());
  auto got = store_->guests().GetPickup("p-pending");
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_FALSE(got->notified_at || got->notify_failed_at || got->opened_at || got->replied_at);
  auto queued = store_->outbox().ListQueuedMail(10);
  ASSERT_THAT(queued.status(), IsOk());
  ASSERT_EQ(queued->size(), 2u);
  int with_pickup = 0;
  for (const auto& q : *queued) {
    if (q.pickup_lookup) {
      ++with_pickup;
      EXPECT_EQ(*q.pickup_lookup, "p-pending");
    }
  }
  EXPECT_EQ(with_pickup, 1);

  // Notified, failed, opened (first time kept), replied (first time kept).
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.guests().SetPickupNotified("p-pending", kT0 + 1s));
                SP_RETURN_IF_ERROR(tx.guests().SetPickupNotifyFailed("p-soon", kT0 + 2s));
                SP_RETURN_IF_ERROR(tx.guests().MarkPickupOpened("p-opened", kT0 + 3s));
                SP_RETURN_IF_ERROR(tx.guests().MarkPickupOpened("p-opened", kT0 + 4s));
                SP_RETURN_IF_ERROR(tx.guests().SetPickupReplied("p-opened", kT0 + 5s));
                return tx.guests().SetPickupReplied("p-opened", kT0 + 6s);
              }),
              IsOk());
  EXPECT_EQ(store_->guests().GetPickup("p-pending")->notified_at, kT0 + 1s);
  EXPECT_EQ(store_->guests().GetPickup("p-soon")->notify_failed_at, kT0 + 2s);
  got = store_->guests().GetPickup("p-opened");
  EXPECT_EQ(got->state, PickupState::kOpened);
  EXPECT_EQ(got->opened_at, kT0 + 3s);
  EXPECT_EQ(got->replied_at, kT0 + 5s);
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.guests().SetPickupReplied("nope", kT0); }),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.guests().SetPickupNotified("nope", kT0); }),
              StatusIs(ErrorCode::kNotFound));
  // A pickup past its expiry cannot be opened.
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.guests().MarkPickupOpened("p-soon", kT0 + 1h); }),
              StatusIs(ErrorCode::kNotFound));

  // Recall: only a pending pickup, its key dropped, its queued notice gone; an unread inbox
  // entry only.
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.guests().RevokePendingPickup("p-opened"); }),
              StatusIs(ErrorCode::kNotFound));
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.guests().RevokePendingPickup("p-pending"));
                return tx.outbox().DeleteMailOfPickup("p-pending");
              }),
              IsOk());
  got = store_->guests().GetPickup("p-pending");
  EXPECT_EQ(got->state, PickupState::kRevoked);
  EXPECT_TRUE(got->wrapped_key.empty());
  EXPECT_EQ(store_->outbox().ListQueuedMail(10)->size(), 1u);
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.guests().MarkPickupOpened("p-pending", kT0); }),
              StatusIs(ErrorCode::kNotFound));
  auto listed = store_->messages().ListMailboxEntriesOfMessage(m.id);
  ASSERT_THAT(listed.status(), IsOk());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].owner_id, a.id);
  EXPECT_EQ((*listed)[1].owner_id, b.id);
  EXPECT_TRUE((*listed)[1].unread);
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.messages().DeleteUnreadInboxEntry(a.id, m.id); }),
              StatusIs(ErrorCode::kNotFound));  // the sender's copy is not an inbox entry
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.messages().DeleteUnreadInboxEntry(b.id, m.id); }),
              IsOk());
  EXPECT_EQ(store_->messages().ListMailboxEntriesOfMessage(m.id)->size(), 1u);
  EXPECT_THAT(store_->messages().GetMessage(m.id).status(), IsOk());

  // Expiry: listed once past expires_at, only while pending or opened.
  EXPECT_TRUE(store_->guests().ListExpiredPickups(kT0 + 1h - 1ms, 10)->empty());
  auto expired = store_->guests().ListExpiredPickups(kT0 + 24h, 10);
  ASSERT_THAT(expired.status(), IsOk());
  ASSERT_EQ(expired->size(), 2u);
  EXPECT_EQ((*expired)[0].lookup, "p-soon");
  EXPECT_EQ((*expired)[1].lookup, "p-opened");
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.guests().ExpirePickup("p-opened", kT0 + 1h); }),
              StatusIs(ErrorCode::kNotFound));  // not yet
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.guests().ExpirePickup("p-soon", kT0 + 1h); }),
              IsOk());
  got = store_->guests().GetPickup("p-soon");
  EXPECT_EQ(got->state, PickupState::kExpired);
  EXPECT_TRUE(got->wrapped_key.empty());
  EXPECT_EQ(got->notify_failed_at, kT0 + 2s);
  EXPECT_EQ(store_->guests().ListExpiredPickups(kT0 + 24h, 10)->size(), 1u);
}

TEST_P(StoreTest, ExpiredTokensOfOnePurposeAreDeleted) {
  const TokenRecord t1{"t1", TokenPurpose::kPickup, std::nullopt, Bytes{4}, kT0};
  const TokenRecord t2{"t2", TokenPurpose::kPickup, std::nullopt, Bytes{4}, kT0 + 1s};
  const TokenRecord t3{"t3", TokenPurpose::kVerifyEmail, std::nullopt, Bytes{4}, kT0};
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.accounts().CreateToken(t1));
                SP_RETURN_IF_ERROR(tx.accounts().CreateToken(t2));
                return tx.accounts().CreateToken(t3);
              }),
              IsOk());
  int64_t removed = -1;
  ASSERT_THAT(Write([&](WriteTxn& tx) -> Status {
                SP_ASSIGN_OR_RETURN(removed,
                                    tx.accounts().DeleteExpiredTokens(TokenPurpose::kPickup, kT0));
                return Status::Ok();
              }),
              IsOk());
  EXPECT_EQ(removed, 1);
  EXPECT_THAT(store_->accounts().GetToken("t2", TokenPurpose::kPickup, kT0).status(), IsOk());
  // The other purpose's expired token stays (ConsumeToken still finds it gone by time).
  Result<TokenRecord> consumed = NotFound("");
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                consumed = tx.accounts().ConsumeToken("t3", TokenPurpose::kVerifyEmail, kT0 - 1s);
                return Status::Ok();
              }),
              IsOk());
  EXPECT_THAT(consumed.status(), IsOk());
}

TEST_P(StoreTest, TokensCanBeReadWithoutConsumingUntilTheyExpire) {
  const TokenRecord t{"tok", TokenPurpose::kPickup, std::nullopt, Bytes{4}, kT0 + 15min};
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.accounts().CreateToken(t); }), IsOk());
  EXPECT_THAT(store_->accounts().GetToken("tok", TokenPurpose::kPickup, kT0).status(), IsOk());
  EXPECT_THAT(store_->accounts().GetToken("tok", TokenPurpose::kPickup, kT0).status(), IsOk());
  EXPECT_THAT(store_->accounts().GetToken("tok", TokenPurpose::kVerifyEmail, kT0).status(),
              StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(store_->accounts().GetToken("tok", TokenPurpose::kPickup, kT0 + 15min).status(),
              StatusIs(ErrorCode::kNotFound));
}

// Another process (an operator's sqlite3, a second server) writing between our commits must not
// make the next write fail. SQLite only: on PostgreSQL the same holds by construction.
TEST(SqliteStoreTest, WritesContinueAfterAnotherConnectionWrites) {
  testutil::TempDir dir;
  auto opened = sqlite::OpenSqliteStore(dir.path() + "/sealpost.db");
  ASSERT_THAT(opened.status(), IsOk());
  auto& store = *opened;
  ASSERT_THAT(store->Write([&](WriteTxn& tx) {
    return tx.accounts().CreateUser(MakeUser(IdHex('a'), "a@x.org"));
  }),
              IsOk());
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() + "/sealpost.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "UPDATE users SET display_name = 'x'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(other);
  EXPECT_THAT(store->Write([&](WriteTxn& tx) {
    return tx.accounts().CreateUser(MakeUser(IdHex('b'), "b@x.org"));
  }),
              IsOk());
}

// The database and the -wal and -shm files SQLite makes beside it are readable by their owner
// only, even under a permissive umask and when the file existed with a wider mode. SQLite only.
TEST(SqliteStoreTest, DatabaseFilesAreOwnerOnly) {
  const mode_t old_umask = ::umask(022);
  testutil::TempDir dir;
  const std::string db = dir.path() + "/sealpost.db";
  auto mode_of = [](const std::string& path) -> mode_t {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  };
  for (const bool existed : {false, true}) {
    auto store = sqlite::OpenSqliteStore(db);
    ASSERT_THAT(store.status(), IsOk());
    ASSERT_THAT((*store)->Write([&](WriteTxn& tx) {
      return tx.accounts().CreateUser(
          MakeUser(IdHex(existed ? 'b' : 'a'), existed ? "b@x.org" : "a@x.org"));
    }),
                IsOk());
    for (const char* suffix : {"", "-wal", "-shm"}) {
      EXPECT_EQ(mode_of(db + suffix), 0600u) << suffix << (existed ? " (existed)" : "");
    }
    store->reset();
    ASSERT_EQ(::chmod(db.c_str(), 0644), 0);
  }
  ::umask(old_umask);
}

// The WAL is checkpointed when it reaches SqliteOptions::checkpoint_pages, and only then: with a
// small limit its file stays near that length; with the default the same commits leave it far
// longer. The WAL file is reused, not shrunk, after a checkpoint, so its floor is the largest
// single transaction: the schema migrations at open, measured first. SQLite only.
TEST(SqliteStoreTest, WalIsCheckpointedAtTheConfiguredLength) {
  constexpr int kSmallLimit = 32;       // pages
  constexpr int64_t kPage = 4096 + 24;  // a WAL frame: page and frame header
  struct WalPages {
    int64_t after_open = -1;
    int64_t after_commits = -1;
  };
  auto wal_pages = [](const sqlite::SqliteOptions& options) -> WalPages {
    testutil::TempDir dir;
    const std::string wal = dir.path() + "/sealpost.db-wal";
    auto store = sqlite::OpenSqliteStore(dir.path() + "/sealpost.db", options);
    EXPECT_THAT(store.status(), IsOk());
    if (!store.ok()) return {};
    WalPages pages;
    pages.after_open = static_cast<int64_t>(std::filesystem::file_size(wal)) / kPage;
    const std::string details = "{\"pad\":\"" + std::string(1000, 'x') + "\"}";
    for (int i = 0; i < 300; ++i) {
      const AuditEvent e{kT0, "test.append", "actor", fmt::format("{}", i), details};
      EXPECT_THAT((*store)->Write([&](WriteTxn& tx) { return tx.audit().AppendAudit(e).status(); }),
                  IsOk());
    }
    pages.after_commits = static_cast<int64_t>(std::filesystem::file_size(wal)) / kPage;
    return pages;
  };
  sqlite::SqliteOptions small;
  small.checkpoint_pages = kSmallLimit;
  const WalPages with_small = wal_pages(small);
  // Without checkpoints the 300 commits would add 300 frames or more.
  EXPECT_LE(with_small.after_commits, with_small.after_open + 2 * kSmallLimit);
  const WalPages with_default = wal_pages(sqlite::SqliteOptions{});
  EXPECT_GT(with_default.after_commits, with_default.after_open + 4 * kSmallLimit);
}

// The database cannot grow (the process's file-size limit: what a full disk is to SQLite, which
// does its own file I/O, out of the Filesystem seam's reach). A write too large for the room
// left fails with an error and keeps nothing of its transaction, not even the part that fitted;
// smaller writes still fit meanwhile, and once there is room again the large write succeeds and
// everything survives a reopen. SQLite only.
TEST(SqliteStoreTest, AWriteTheDiskCannotHoldFailsAndKeepsNothing) {
  testutil::TempDir dir;
  const std::string path = dir.path() + "/sealpost.db";
  auto opened = sqlite::OpenSqliteStore(path);
  ASSERT_THAT(opened.status(), IsOk());
  std::unique_ptr<Store> store = std::move(opened).value();
  ASSERT_THAT(store->Write([&](WriteTxn& tx) {
    return tx.accounts().CreateUser(MakeUser(IdHex('a'), "a@x.org"));
  }),
              IsOk());
  auto file_size = [](const std::string& file) -> uint64_t {
    std::error_code ec;
    const uint64_t n = std::filesystem::file_size(file, ec);
    return ec ? 0 : n;
  };
  const uint64_t used = std::max(file_size(path), file_size(path + "-wal"));
  testutil::FileSizeLimit limit(used + (256 << 10));  // room for small writes, not for 2 MiB
  ASSERT_TRUE(limit.ok());

  UserRecord big = MakeUser(IdHex('b'), "b@x.org");
  big.wrapped_private_keys = Bytes(2 << 20, 7);
  const UserRecord small = MakeUser(IdHex('c'), "c@x.org");
  const Status failed = store->Write([&](WriteTxn& tx) {
    SP_RETURN_IF_ERROR(
        tx.accounts().CreateUser(small));  // fits, but belongs to the failing transaction
    return tx.accounts().CreateUser(big);
  });
  // SQLite reports EFBIG as a disk I/O error (SQLITE_IOERR); a full disk is SQLITE_FULL.
  EXPECT_THAT(failed, StatusIs(ErrorCode::kInternal));
  EXPECT_EQ(failed.message().find("no transaction"), std::string::npos) << "not the cause";
  EXPECT_THAT(store->accounts().GetUser(big.id).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(store->accounts().GetUser(small.id).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(store->accounts().GetUser(UserId::FromTrusted(IdHex('a'))).status(), IsOk());

  // The store keeps working: a write that fits in the room left succeeds.
  const UserRecord meanwhile = MakeUser(IdHex('d'), "d@x.org");
  EXPECT_THAT(store->Write([&](WriteTxn& tx) { return tx.accounts().CreateUser(meanwhile); }),
              IsOk());

  limit.Lift();
  ASSERT_THAT(store->Write([&](WriteTxn& tx) { return tx.accounts().CreateUser(big); }), IsOk());
  store.reset();
  opened = sqlite::OpenSqliteStore(path);
  ASSERT_THAT(opened.status(), IsOk());
  store = std::move(opened).value();
  auto back = store->accounts().GetUser(big.id);
  ASSERT_THAT(back.status(), IsOk());
  EXPECT_EQ(back->wrapped_private_keys, big.wrapped_private_keys);
  EXPECT_THAT(store->accounts().GetUser(meanwhile.id).status(), IsOk());
  EXPECT_THAT(store->accounts().GetUser(small.id).status(), StatusIs(ErrorCode::kNotFound));
}

// The same in a batch: writes queued while another commits go into one transaction. When one of
// them cannot be written (the database cannot grow), SQLite rolls the whole transaction back;
// every write of the batch must then be reported as failed and kept nowhere, or succeed and be
// kept, never reported as failed but kept.
TEST(SqliteStoreTest, ABatchWithAWriteTheDiskCannotHoldReportsWhatItKept) {
  testutil::TempDir dir;
  const std::string path = dir.path() + "/sealpost.db";
  auto opened = sqlite::OpenSqliteStore(path);
  ASSERT_THAT(opened.status(), IsOk());
  std::unique_ptr<Store> store = std::move(opened).value();
  ASSERT_THAT(store->Write([&](WriteTxn& tx) {
    return tx.accounts().CreateUser(MakeUser(IdHex('a'), "a@x.org"));
  }),
              IsOk());
  auto file_size = [](const std::string& file) -> uint64_t {
    std::error_code ec;
    const uint64_t n = std::filesystem::file_size(file, ec);
    return ec ? 0 : n;
  };
  testutil::FileSizeLimit limit(std::max(file_size(path), file_size(path + "-wal")) + (256 << 10));
  ASSERT_TRUE(limit.ok());

  // Holds the writer thread in a commit while the next writes queue up behind it.
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::thread holder([&] {
    EXPECT_THAT(store->Write([&](WriteTxn& tx) {
      entered.set_value();
      released.wait();
      return tx.accounts().CreateUser(MakeUser(IdHex('e'), "e@x.org"));
    }),
                IsOk());
  });
  entered.get_future().wait();
  UserRecord big = MakeUser(IdHex('b'), "b@x.org");
  big.wrapped_private_keys = Bytes(2 << 20, 7);
  const UserRecord before = MakeUser(IdHex('c'), "c@x.org");
  const UserRecord after = MakeUser(IdHex('d'), "d@x.org");
  Status before_status, big_status, after_status;
  std::thread first([&] {
    before_status = store->Write([&](WriteTxn& tx) { return tx.accounts().CreateUser(before); });
  });
  std::this_thread::sleep_for(100ms);  // queued in this order
  std::thread second([&] {
    big_status = store->Write([&](WriteTxn& tx) { return tx.accounts().CreateUser(big); });
  });
  std::this_thread::sleep_for(100ms);
  std::thread third([&] {
    after_status = store->Write([&](WriteTxn& tx) { return tx.accounts().CreateUser(after); });
  });
  std::this_thread::sleep_for(100ms);
  release.set_value();
  for (auto* t : {&holder, &first, &second, &third}) t->join();

  EXPECT_THAT(big_status, StatusIs(ErrorCode::kInternal));
  EXPECT_THAT(store->accounts().GetUser(big.id).status(), StatusIs(ErrorCode::kNotFound));
  const std::pair<const UserRecord*, const Status*> others[] = {{&before, &before_status},
                                                                {&after, &after_status}};
  for (const auto& [user, status] : others) {
    const bool kept = store->accounts().GetUser(user->id).ok();
    EXPECT_EQ(kept, status->ok()) << user->email << ": " << status->ToString();
  }
  limit.Lift();
}

// Every entry follows the one before: seq 1, 2, 3…, each linked to its predecessor's hash.
void ExpectDenseLinkedChain(const std::vector<AuditEntry>& entries) {
  Bytes prev(kAuditHashBytes, 0);
  for (size_t i = 0; i < entries.size(); ++i) {
    const AuditEntry& e = entries[i];
    EXPECT_EQ(e.seq, static_cast<int64_t>(i + 1));
    EXPECT_EQ(e.prev_hash, prev);
    EXPECT_EQ(e.hash, AuditEntryHash(prev, e.seq, e.event));
    prev = e.hash;
  }
}

// Two stores on one database stand for two `sealpost serve` processes: appends from both at once
// must form one chain (dense seq, each entry linked to its predecessor), never a fork.
TEST_P(StoreTest, AuditChainNeverForksAcrossProcesses) {
  auto second = db_->Open();
  ASSERT_THAT(second.status(), IsOk());
  Store* stores[2] = {store_.get(), second->get()};
  constexpr int kThreads = 4, kPerThread = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const AuditEvent e{kT0, "test.append", fmt::format("t{}", t), fmt::format("{}", i), "{}"};
        if (!stores[t % 2]
                 ->Write([&](WriteTxn& tx) { return tx.audit().AppendAudit(e).status(); })
                 .ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto entries = store_->audit().ReadAudit(1, 1000);
  ASSERT_THAT(entries.status(), IsOk());
  ASSERT_EQ(entries->size(), size_t{kThreads * kPerThread});
  ExpectDenseLinkedChain(*entries);
}

// Callbacks that append and then fail are rolled back inside a batch of others (group commit):
// their entries go, and the chain stays dense and linked without a gap where they were.
TEST_P(StoreTest, AuditEntriesOfARolledBackCallbackLeaveNoGap) {
  constexpr int kThreads = 4, kPerThread = 30;
  std::atomic<int> committed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const AuditEvent e{kT0, "test.append", fmt::format("t{}", t), fmt::format("{}", i), "{}"};
        const Status st = Write([&](WriteTxn& tx) -> Status {
          SP_RETURN_IF_ERROR(tx.audit().AppendAudit(e).status());
          SP_RETURN_IF_ERROR(tx.audit().AppendAudit(e).status());
          return i % 3 == 0 ? InvalidArgument("changed my mind") : Status::Ok();
        });
        if (st.ok()) ++committed;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(committed.load(), kThreads * (kPerThread - kPerThread / 3));
  auto entries = store_->audit().ReadAudit(1, 1000);
  ASSERT_THAT(entries.status(), IsOk());
  ASSERT_EQ(entries->size(), size_t(2 * committed.load()));
  ExpectDenseLinkedChain(*entries);
}

// A throttle counted through two processes counts every attempt once.
TEST_P(StoreTest, CountersAreExactAcrossProcesses) {
  auto second = db_->Open();
  ASSERT_THAT(second.status(), IsOk());
  Store* stores[2] = {store_.get(), second->get()};
  std::vector<std::thread> threads;
  std::mutex mu;
  std::vector<int64_t> seen;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        Result<int64_t> n = int64_t{0};
        ASSERT_THAT(stores[t % 2]->Write([&](WriteTxn& tx) {
          n = tx.platform().BumpCounter("login:x", kT0, 60s);
          return n.status();
        }),
                    IsOk());
        std::lock_guard lock(mu);
        seen.push_back(*n);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::sort(seen.begin(), seen.end());
  ASSERT_EQ(seen.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(seen[i], i + 1);
  EXPECT_EQ(*second->get()->platform().GetCounter("login:x", kT0 + 1s, 60s), 40);
}

// A session written through one process is served by the other.
TEST_P(StoreTest, SessionWrittenByOneProcessIsReadByAnother) {
  auto second = db_->Open();
  ASSERT_THAT(second.status(), IsOk());
  const UserRecord u = MakeUser(IdHex('a'), "a@x.org");
  SessionRecord s{"lk",     u.id, SessionKind::kFull,   Bytes{7, 7}, kT0, kT0,
                  kT0 + 1h, 0,    std::string(32, 'e'), "192.0.2.9", "UA"};
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                SP_RETURN_IF_ERROR(tx.accounts().CreateUser(u));
                return tx.accounts().CreateSession(s);
              }),
              IsOk());
  auto got = second->get()->accounts().GetSession("lk");
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(got->wrapped_umk, (Bytes{7, 7}));
  EXPECT_EQ(got->user_id, u.id);
  EXPECT_EQ(got->client_ip, "192.0.2.9");
  ASSERT_THAT((*second)->Write([&](WriteTxn& tx) { return tx.accounts().DeleteSession("lk"); }),
              IsOk());
  EXPECT_THAT(store_->accounts().GetSession("lk").status(), StatusIs(ErrorCode::kNotFound));
}

// A failed statement inside a callback (here: a duplicate) reports Conflict, and whatever the
// callback does next still works — the transaction is not left aborted.
TEST_P(StoreTest, ConflictInsideCallbackLeavesTransactionUsable) {
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                return tx.accounts().CreateUser(MakeUser(IdHex('a'), "a@x.org"));
              }),
              IsOk());
  Status dup;
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                dup = tx.accounts().CreateUser(MakeUser(IdHex('b'), "a@x.org"));
                return tx.accounts().CreateUser(MakeUser(IdHex('c'), "c@x.org"));
              }),
              IsOk());
  EXPECT_THAT(dup, StatusIs(ErrorCode::kConflict));
  EXPECT_THAT(store_->accounts().GetUser(UserId::FromTrusted(IdHex('c'))).status(), IsOk());
}

// Deliverers in two processes claiming at once never get the same mail, and every due mail is
// claimed by someone (FOR UPDATE SKIP LOCKED on PostgreSQL, the writer lock on SQLite).
TEST_P(StoreTest, ConcurrentClaimsAcrossProcessesTakeEachMailOnce) {
  auto second = db_->Open();
  ASSERT_THAT(second.status(), IsOk());
  constexpr int kMails = 60;
  ASSERT_THAT(
      Write([&](WriteTxn& tx) {
        for (int i = 0; i < kMails; ++i) {
          SP_RETURN_IF_ERROR(tx.outbox().EnqueueMail(QueuedMail(fmt::format("{:032x}", i), kT0)));
        }
        return Status::Ok();
      }),
      IsOk());
  Store* stores[2] = {store_.get(), second->get()};
  std::mutex mu;
  std::vector<std::string> claimed;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (;;) {
        auto got = Claim(*stores[t % 2], kT0 + 1s, kT0 + 5min, 3);
        ASSERT_THAT(got.status(), IsOk());
        if (got->empty()) return;
        std::lock_guard lock(mu);
        for (const auto& m : *got) claimed.push_back(m.id.str());
      }
    });
  }
  for (auto& th : threads) th.join();
  std::sort(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), size_t{kMails});
  EXPECT_EQ(std::adjacent_find(claimed.begin(), claimed.end()), claimed.end());
}

// Opening a second store on an existing database (a second process, a restart) finds the schema
// in place and keeps the data.
TEST_P(StoreTest, ReopenKeepsData) {
  ASSERT_THAT(Write([&](WriteTxn& tx) {
                return tx.accounts().CreateUser(MakeUser(IdHex('a'), "a@x.org"));
              }),
              IsOk());
  store_.reset();
  auto reopened = db_->Open();
  ASSERT_THAT(reopened.status(), IsOk());
  EXPECT_THAT((*reopened)->accounts().GetUserByEmail("a@x.org").status(), IsOk());
}

}  // namespace
}  // namespace sealpost::store

namespace sealpost::store {
namespace {

Bytes Leaf(const std::string& s) { return Bytes(s.begin(), s.end()); }

TEST_P(StoreTest, PendingLogEventsAreReadInOrderAndDeletedById) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_THAT(Write([&](WriteTxn& tx) {
                  return tx.log().AddPendingEvent(Leaf(fmt::format("e{}", i)), kT0);
                }),
                IsOk());
  }
  auto pending = store_->log().ReadPendingEvents(3);
  ASSERT_THAT(pending.status(), IsOk());
  ASSERT_EQ(pending->size(), 3u);
  EXPECT_EQ((*pending)[0].leaf, Leaf("e0"));
  EXPECT_EQ((*pending)[2].leaf, Leaf("e2"));
  EXPECT_LT((*pending)[0].id, (*pending)[1].id);
  EXPECT_EQ((*pending)[0].created_at, kT0);

  auto newest = store_->log().ReadPendingEventsBefore(INT64_MAX, 2);
  ASSERT_THAT(newest.status(), IsOk());
  ASSERT_EQ(newest->size(), 2u);
  EXPECT_EQ((*newest)[0].leaf, Leaf("e4"));

  // Only the listed ids go, not everything below the largest.
  const std::vector<int64_t> ids = {(*pending)[0].id, (*pending)[2].id};
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.log().DeletePendingEvents(ids); }), IsOk());
  auto left = store_->log().ReadPendingEvents(10);
  ASSERT_THAT(left.status(), IsOk());
  ASSERT_EQ(left->size(), 3u);
  EXPECT_EQ((*left)[0].leaf, Leaf("e1"));
  EXPECT_EQ((*left)[1].leaf, Leaf("e3"));
}

TEST_P(StoreTest, LogEntriesAreDenseAndAnIndexIsTakenOnce) {
  const std::vector<Bytes> first = {Leaf("a"), Leaf(""), Leaf(std::string("\0\x01'\"\\", 5))};
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.log().AppendLogEntries(0, first); }), IsOk());
  const std::vector<Bytes> clash = {Leaf("d"), Leaf("x")};
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.log().AppendLogEntries(2, clash); }),
              StatusIs(ErrorCode::kConflict));
  auto all = store_->log().ReadLogEntries(0, 10);
  ASSERT_THAT(all.status(), IsOk());
  ASSERT_EQ(all->size(), 3u);  // the clashing write left nothing behind (not even index 3)
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*all)[i].index, i);
    EXPECT_EQ((*all)[i].leaf, first[i]);
  }
  auto newest = store_->log().ReadLogEntriesBefore(UINT64_MAX >> 1, 2);
  ASSERT_THAT(newest.status(), IsOk());
  ASSERT_EQ(newest->size(), 2u);
  EXPECT_EQ((*newest)[0].index, 2u);
  EXPECT_EQ((*newest)[1].index, 1u);
  auto from1 = store_->log().ReadLogEntries(1, 1);
  ASSERT_THAT(from1.status(), IsOk());
  ASSERT_EQ(from1->size(), 1u);
  EXPECT_EQ((*from1)[0].index, 1u);
}

TEST_P(StoreTest, LogTilesWidenAndAnswerAnyNarrowerWidth) {
  Bytes narrow(2 * 32), wide(5 * 32);
  for (size_t i = 0; i < wide.size(); ++i) wide[i] = static_cast<uint8_t>(i);
  std::copy(wide.begin(), wide.begin() + 64, narrow.begin());
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.log().PutLogTile(0, 7, 2, narrow); }), IsOk());
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.log().PutLogTile(0, 7, 5, wide); }), IsOk());
  // A narrower write never shrinks a tile.
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.log().PutLogTile(0, 7, 2, narrow); }), IsOk());
  auto five = store_->log().GetLogTile(0, 7, 5);
  ASSERT_THAT(five.status(), IsOk());
  EXPECT_EQ(*five, wide);
  auto two = store_->log().GetLogTile(0, 7, 2);
  ASSERT_THAT(two.status(), IsOk());
  EXPECT_EQ(*two, narrow);
  EXPECT_THAT(store_->log().GetLogTile(0, 7, 6).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(store_->log().GetLogTile(1, 7, 1).status(), StatusIs(ErrorCode::kNotFound));
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.log().PutLogTile(0, 8, 3, narrow); }),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST_P(StoreTest, LogCheckpointsAreKeyedBySize) {
  auto none = store_->log().GetLatestLogCheckpoint();
  ASSERT_THAT(none.status(), IsOk());
  EXPECT_FALSE(none->has_value());
  const LogCheckpointRecord a{3, Bytes(32, 1), "origin\n3\nAQ==\n\n— sig\n", kT0};
  const LogCheckpointRecord b{9, Bytes(32, 2), "origin\n9\n", kT0 + 1s};
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.log().AddLogCheckpoint(b); }), IsOk());
  ASSERT_THAT(Write([&](WriteTxn& tx) { return tx.log().AddLogCheckpoint(a); }), IsOk());
  EXPECT_THAT(Write([&](WriteTxn& tx) { return tx.log().AddLogCheckpoint(a); }),
              StatusIs(ErrorCode::kConflict));
  auto latest = store_->log().GetLatestLogCheckpoint();
  ASSERT_THAT(latest.status(), IsOk());
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ((*latest)->size, 9u);
  EXPECT_EQ((*latest)->root_hash, b.root_hash);
  EXPECT_EQ((*latest)->note, b.note);
  EXPECT_EQ((*latest)->created_at, b.created_at);
  auto all = store_->log().ReadLogCheckpoints();
  ASSERT_THAT(all.status(), IsOk());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].note, a.note);
}

// Writers in two processes add pending events at once; nothing is lost or duplicated.
TEST_P(StoreTest, PendingEventsFromTwoProcessesAreAllKept) {
  auto second = db_->Open();
  ASSERT_THAT(second.status(), IsOk());
  Store* stores[2] = {store_.get(), second->get()};
  constexpr int kThreads = 4, kPerThread = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const Bytes leaf = Leaf(fmt::format("{}-{}", t, i));
        if (!stores[t % 2]
                 ->Write([&](WriteTxn& tx) { return tx.log().AddPendingEvent(leaf, kT0); })
                 .ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto pending = store_->log().ReadPendingEvents(1000);
  ASSERT_THAT(pending.status(), IsOk());
  std::set<Bytes> distinct;
  for (const auto& p : *pending) distinct.insert(p.leaf);
  EXPECT_EQ(distinct.size(), size_t{kThreads * kPerThread});
}

// One sequencer lease at a time: on PostgreSQL across processes (two stores), on SQLite within
// the one process that owns the file.
TEST_P(StoreTest, OneSequencerLeaseAtATime) {
  auto lease = store_->log().TryAcquireSequencerLease();
  ASSERT_THAT(lease.status(), IsOk());
  EXPECT_THAT((*lease)->Check(), IsOk());
  EXPECT_THAT(store_->log().TryAcquireSequencerLease().status(), StatusIs(ErrorCode::kConflict));
  if (GetParam() == Backend::kPostgres) {
    auto second = db_->Open();
    ASSERT_THAT(second.status(), IsOk());
    EXPECT_THAT((*second)->log().TryAcquireSequencerLease().status(),
                StatusIs(ErrorCode::kConflict));
    lease->reset();
    auto taken = (*second)->log().TryAcquireSequencerLease();
    EXPECT_THAT(taken.status(), IsOk());
  } else {
    lease->reset();
    EXPECT_THAT(store_->log().TryAcquireSequencerLease().status(), IsOk());
  }
}

}  // namespace
}  // namespace sealpost::store

#include "audit/audit_log.h"

#include <gtest/gtest.h>

#include <sqlite3.h>

#include "audit/log_verify.h"
#include "store/audit_chain.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "tlog/checkpoint.h"
#include "tlog/log_entry.h"

namespace sealpost::audit {
namespace {

constexpr const char* kOrigin = "audit.test/sealpost-log";

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    auto s = store::sqlite::OpenSqliteStore(DbPath());
    ASSERT_THAT(s.status(), IsOk());
    store_ = std::move(s).value();
  }

  std::string DbPath() const { return dir_.path() + "/audit.db"; }

  void Record(int n, const std::string& type = "test.event") {
    for (int i = 0; i < n; ++i) {
      ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
        return log_->Record(
            tx.log(), {clock_.Now(), type, "actor", "subject-" + std::to_string(i), R"({"n":1})"});
      }),
                  IsOk());
    }
  }

  // What the binary before the log wrote: hash-chain entries, a signed checkpoint every 5.
  void AppendLegacyChain(int n) {
    for (int i = 0; i < n; ++i) {
      ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) -> Status {
        SP_ASSIGN_OR_RETURN(const store::AuditEntry e,
                            tx.audit().AppendAudit({clock_.Now(), "old.event", "actor",
                                                    "legacy-" + std::to_string(i), "{}"}));
        if (e.seq % 5 != 0) return Status::Ok();
        return tx.audit().AddAuditCheckpoint(
            {e.seq, e.hash, key_copy_.Sign(CheckpointStatement(e.seq, e.hash)), clock_.Now()});
      }),
                  IsOk());
    }
  }

  // Edits the database behind the store's back, as an attacker with file access would.
  void Sql(const std::string& sql) {
    store_.reset();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(DbPath().c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_close(db);
    Reopen();
  }

  VerifyReport Verify() {
    auto r = VerifyAuditLog(*store_, log_->verify_key());
    EXPECT_THAT(r.status(), IsOk());
    return *r;
  }

  std::vector<store::LogEntryRecord> Entries() {
    auto entries = store_->log().ReadLogEntries(0, 100'000);
    EXPECT_THAT(entries.status(), IsOk());
    return *entries;
  }

  testutil::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  platform::FakeClock clock_{FromUnixMillis(1'790'000'000'000)};
  const Bytes seed_ = Bytes(32, 7);
  crypto::SigningKey key_copy_ =
      crypto::SigningKey::FromSeed(crypto::SecretBytes::CopyOf(seed_)).value();
  std::unique_ptr<AuditLog> log_ = std::make_unique<AuditLog>(
      crypto::SigningKey::FromSeed(crypto::SecretBytes::CopyOf(seed_)).value(),
      SequencerOptions{kOrigin, 4096}, clock_);
};

TEST_F(AuditLogTest, RecordOnlyAddsPendingEventsUntilSequenced) {
  Record(3);
  EXPECT_TRUE(Entries().empty());
  auto pending = store_->log().ReadPendingEvents(10);
  ASSERT_THAT(pending.status(), IsOk());
  ASSERT_EQ(pending->size(), 3u);
  auto event = EventOfLeaf((*pending)[0].leaf);
  ASSERT_THAT(event.status(), IsOk());
  EXPECT_EQ(event->event.type, "test.event");
  EXPECT_EQ(event->event.subject, "subject-0");
  EXPECT_EQ(event->event.time, clock_.Now());
  EXPECT_EQ(event->legacy_seq, 0);

  ASSERT_THAT(log_->SequenceNow(*store_), IsOk());
  EXPECT_EQ(Entries().size(), 3u);
  EXPECT_TRUE(store_->log().ReadPendingEvents(10)->empty());
}

TEST_F(AuditLogTest, IntactLogVerifiesWithASignedCheckpoint) {
  Record(12);
  ASSERT_THAT(log_->SequenceNow(*store_), IsOk());
  Record(2);  // pending: counted, not covered yet
  const VerifyReport r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.entries, 12);
  EXPECT_EQ(r.tree_size, 12);
  EXPECT_EQ(r.pending, 2);
  EXPECT_EQ(r.origin, kOrigin);

  // The stored note is a C2SP checkpoint signed under the origin with the audit key.
  auto latest = store_->log().GetLatestLogCheckpoint();
  ASSERT_THAT(latest.status(), IsOk());
  ASSERT_TRUE(latest->has_value());
  const tlog::NoteVerifier verifier{kOrigin, log_->verify_key()};
  auto cp = tlog::OpenCheckpoint((*latest)->note, std::span(&verifier, 1));
  ASSERT_THAT(cp.status(), IsOk());
  EXPECT_EQ(cp->size, 12u);
  std::vector<tlog::Hash> hashes;
  for (const auto& e : Entries()) hashes.push_back(tlog::LeafHash(e.leaf));
  EXPECT_EQ(cp->root_hash, tlog::RootHash(hashes));
}

TEST_F(AuditLogTest, LegacyChainBecomesTheFirstLeavesAndStaysVerifiable) {
  AppendLegacyChain(12);
  Record(3, "new.event");  // written before the first sequencing round: goes after the chain
  ASSERT_THAT(log_->SequenceNow(*store_), IsOk());
  const auto entries = Entries();
  ASSERT_EQ(entries.size(), 15u);
  for (size_t i = 0; i < 12; ++i) {
    auto leaf = tlog::ParseLogEntry(entries[i].leaf);
    ASSERT_THAT(leaf.status(), IsOk());
    EXPECT_EQ(leaf->kind, tlog::LogEntryKind::kLegacyChainEntry);
    EXPECT_EQ(leaf->legacy_seq, i + 1);
  }
  // The old chain hash is recomputed from the leaf alone.
  auto chain = store_->audit().ReadAudit(7, 1);
  ASSERT_THAT(chain.status(), IsOk());
  auto seventh = tlog::ParseLogEntry(entries[6].leaf);
  ASSERT_THAT(seventh.status(), IsOk());
  EXPECT_EQ(Bytes(seventh->legacy_hash.begin(), seventh->legacy_hash.end()), (*chain)[0].hash);
  EXPECT_EQ(HexEncode(Bytes(seventh->legacy_prev_hash.begin(), seventh->legacy_prev_hash.end())),
            HexEncode((*chain)[0].prev_hash));
  EXPECT_EQ(EventOfLeaf(entries[12].leaf)->event.type, "new.event");

  const VerifyReport r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.entries, 15);
  EXPECT_EQ(r.legacy_entries, 12);
  EXPECT_EQ(r.checkpoints, 2);
  EXPECT_EQ(r.last_checkpoint_seq, 10);
}

// Before the first start after the upgrade, the chain is checked as it always was.
TEST_F(AuditLogTest, UnmigratedChainIsStillVerified) {
  AppendLegacyChain(12);
  VerifyReport r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.entries, 0);
  EXPECT_EQ(r.unmigrated, 12);
  EXPECT_EQ(r.checkpoints, 2);
  EXPECT_EQ(r.last_checkpoint_seq, 10);
  Sql("UPDATE audit_log SET subject = 'forged' WHERE seq = 7");
  r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("entry 7"), std::string::npos) << r.problem;
  Sql("UPDATE audit_log SET subject = 'legacy-6' WHERE seq = 7; DELETE FROM audit_log WHERE seq > "
      "10");
  EXPECT_TRUE(Verify().ok);
  Sql("DELETE FROM audit_log WHERE seq > 8");
  EXPECT_FALSE(Verify().ok);  // the checkpoint at 10 names no entry
}

TEST_F(AuditLogTest, MigrationResumesAfterARestartInSmallBatches) {
  AppendLegacyChain(11);
  Record(2, "new.event");
  {
    AuditLog small(crypto::SigningKey::FromSeed(crypto::SecretBytes::CopyOf(seed_)).value(),
                   SequencerOptions{kOrigin, 4}, clock_);
    auto round = small.SequenceOnce(*store_);
    ASSERT_THAT(round.status(), IsOk());
    EXPECT_EQ(round->new_size, 4u);
    EXPECT_EQ(round->legacy, 4u);
  }
  // A new process (a restart) continues the chain before any event.
  AuditLog restarted(crypto::SigningKey::FromSeed(crypto::SecretBytes::CopyOf(seed_)).value(),
                     SequencerOptions{kOrigin, 4}, clock_);
  ASSERT_THAT(restarted.SequenceNow(*store_), IsOk());
  const auto entries = Entries();
  ASSERT_EQ(entries.size(), 13u);
  EXPECT_EQ(EventOfLeaf(entries[10].leaf)->legacy_seq, 11);
  EXPECT_EQ(EventOfLeaf(entries[11].leaf)->legacy_seq, 0);
  EXPECT_TRUE(Verify().ok) << Verify().problem;
}

TEST_F(AuditLogTest, EditedLeafIsCaught) {
  Record(8);
  ASSERT_THAT(log_->SequenceNow(*store_), IsOk());
  auto forged = EventLeaf({clock_.Now(), "test.event", "actor", "forged", "{}"});
  ASSERT_THAT(forged.status(), IsOk());
  Sql("UPDATE log_entries SET leaf = x'" + HexEncode(*forged) + "' WHERE idx = 3");
  const VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("does not match the signed root"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, MalformedLeafIsNamed) {
  Record(4);
  ASSERT_THAT(log_->SequenceNow(*store_), IsOk());
  Sql("UPDATE log_entries SET leaf = x'0201' WHERE idx = 2");
  const VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_index, 2);
}

TEST_F(AuditLogTest, DeletedLeafInTheMiddleIsNamed) {
  Record(8);
  ASSERT_THAT(log_->SequenceNow(*store_), IsOk());
  Sql("DELETE FROM log_entries WHERE idx = 5");
  const VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_index, 5);
  EXPECT_NE(r.problem.find("leaf 5 is missing"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, EditedTileOrCheckpointSignatureIsCaught) {
  Record(6);
  ASSERT_THAT(log_->SequenceNow(*store_), IsOk());
  Sql("UPDATE log_tiles SET hashes = zeroblob(length(hashes)) WHERE level = 0 AND idx = 0");
  EXPECT_FALSE(Verify().ok);
  // And the sequencer refuses to extend a tree whose tiles no longer give the signed root.
  Record(1);
  EXPECT_THAT(log_->SequenceNow(*store_), StatusIs(ErrorCode::kCorruption));
}

TEST_F(AuditLogTest, ForgedCheckpointSignatureFails) {
  Record(5);
  ASSERT_THAT(log_->SequenceNow(*store_), IsOk());
  auto latest = store_->log().GetLatestLogCheckpoint();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  std::string note = (*latest)->note;
  note[note.size() - 5] = note[note.size() - 5] == 'A' ? 'B' : 'A';  // inside the signature
  Sql("UPDATE log_checkpoints SET note = '" + note + "' WHERE size = 5");
  const VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.problem.find("signature"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, LegacyChainEditsAreCaught) {
  AppendLegacyChain(10);
  ASSERT_THAT(log_->SequenceNow(*store_), IsOk());
  // The old rows must still be what the leaves carry.
  Sql("UPDATE audit_log SET subject = 'forged' WHERE seq = 7");
  VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_index, 6);
  Sql("UPDATE audit_log SET subject = 'legacy-6' WHERE seq = 7");
  EXPECT_TRUE(Verify().ok) << Verify().problem;
  Sql("DELETE FROM audit_log WHERE seq = 4");
  EXPECT_FALSE(Verify().ok);
}

TEST_F(AuditLogTest, LegacyEditIsCaughtEvenIfTheTreeIsRebuiltAndResigned) {
  AppendLegacyChain(10);
  ASSERT_THAT(log_->SequenceNow(*store_), IsOk());
  // An operator with the log key edits legacy entry 3 and rebuilds the whole log from the chain
  // rows, signing a fresh checkpoint: the tree is consistent, but the old chain hash is not.
  Sql("UPDATE audit_log SET subject = 'forged' WHERE seq = 3;"
      "DELETE FROM log_entries; DELETE FROM log_tiles; DELETE FROM log_checkpoints;");
  AuditLog operator_log(crypto::SigningKey::FromSeed(crypto::SecretBytes::CopyOf(seed_)).value(),
                        SequencerOptions{kOrigin, 4096}, clock_);
  ASSERT_THAT(operator_log.SequenceNow(*store_), IsOk());
  const VerifyReport r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_index, 2);
  EXPECT_NE(r.problem.find("legacy entry 3 does not match its hash"), std::string::npos)
      << r.problem;
}

// NOT caught by `verify audit` alone: a history rewritten and re-signed with the real log key is
// consistent with itself. Catching it takes a monitor that saved an earlier checkpoint and asks
// for a consistency proof (`sealpost verify log`, a later step of issue 14).
TEST_F(AuditLogTest, ResignedRewriteOfEventsIsNotCaughtByVerifyAlone) {
  Record(6);
  ASSERT_THAT(log_->SequenceNow(*store_), IsOk());
  // Rewrite: drop the log and sequence forged events with the real key.
  Sql("DELETE FROM log_entries; DELETE FROM log_tiles; DELETE FROM log_checkpoints;");
  Record(6, "forged.event");
  AuditLog operator_log(crypto::SigningKey::FromSeed(crypto::SecretBytes::CopyOf(seed_)).value(),
                        SequencerOptions{kOrigin, 4096}, clock_);
  ASSERT_THAT(operator_log.SequenceNow(*store_), IsOk());
  EXPECT_TRUE(Verify().ok);
}

TEST_F(AuditLogTest, OversizedEventIsRefusedAndNothingIsWritten) {
  const Status s = store_->Write([&](store::WriteTxn& tx) {
    return log_->Record(tx.log(), {clock_.Now(), "big", "actor", "s",
                                   std::string(tlog::kMaxEventDetailsBytes + 1, 'x')});
  });
  EXPECT_THAT(s, StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_TRUE(store_->log().ReadPendingEvents(10)->empty());
}

TEST_F(AuditLogTest, AuditKeyPersistsUnderMasterKey) {
  const auto master = keys::MasterKey::FromKeyForTesting(crypto::AeadKey::Generate());
  auto first = LoadOrCreateAuditKey(*store_, master);
  ASSERT_THAT(first.status(), IsOk());
  auto second = LoadOrCreateAuditKey(*store_, master);
  ASSERT_THAT(second.status(), IsOk());
  EXPECT_TRUE(
      crypto::ConstantTimeEquals(first->verify_key().bytes(), second->verify_key().bytes()));
  const auto other_master = keys::MasterKey::FromKeyForTesting(crypto::AeadKey::Generate());
  EXPECT_THAT(LoadOrCreateAuditKey(*store_, other_master).status(),
              StatusIs(ErrorCode::kUnauthenticated));
}

// The store against the log, on a real SQLite store whose rows are written and deleted with SQL
// behind its back (foreign keys are off on that raw connection, so no user rows are needed).
TEST_F(AuditLogTest, StoreIsCheckedAgainstTheSignedLog) {
  const std::string mid(kIdChars, 'a');
  const std::string alice(kIdChars, '1');
  const std::string bob(kIdChars, '2');
  Sql("INSERT INTO messages VALUES('" + mid + "', '" + alice + "', 0, x'00', x'00');" +
      "INSERT INTO mailbox VALUES('" + bob + "', '" + mid + "', 1, x'00', 1, 0);" +
      "INSERT INTO mailbox VALUES('" + alice + "', '" + mid + "', 2, x'00', 0, 0);");
  auto record = [&](const std::string& type, const std::string& details) {
    ASSERT_THAT(store_->Write([&](store::WriteTxn& tx) {
      return log_->Record(tx.log(), {clock_.Now(), type, alice, mid, details});
    }),
                IsOk());
  };
  record("message.send", R"({"recipients":1,"guests":0,"attachments":0})");
  ASSERT_THAT(log_->SequenceNow(*store_), IsOk());
  VerifyReport r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.store_events_checked, 1);

  // Bob's copy deleted: named, with the leaf that says it was created.
  Sql("DELETE FROM mailbox WHERE folder = 1");
  r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.first_bad_index, 0);
  ASSERT_EQ(r.store_findings.size(), 1u);
  EXPECT_EQ(r.problem, "1 of the 1 inbox entries of message " + mid +
                           " named by log entry 0 are missing from the store");

  // A recall committed but not yet in a signed checkpoint (a running server) explains it.
  record("message.recall", R"({"guests":0,"members":1,"kept":0})");
  r = Verify();
  EXPECT_TRUE(r.ok) << r.problem;
  EXPECT_EQ(r.pending, 1);

  // The message row deleted: nothing excuses that.
  Sql("DELETE FROM mailbox; DELETE FROM messages");
  r = Verify();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.problem, "message " + mid + " named by log entry 0 is missing from the store");
}

}  // namespace
}  // namespace sealpost::audit

// retention_bench: crypto-shredding by retention (app/retention.h, docs/retention.md), issue 15's
// retention benchmark.
//
// What it measures, on SQLite in a fresh directory (WAL, synchronous=FULL, as `serve` runs):
//   1. set-up: N old messages (default 100,000) from members of one domain, each with the
//      sender's Sent entry and one recipient's inbox entry (4 KiB body), written directly;
//   2. quiet: "sends" for a few seconds — one 4 KiB message with two entries per transaction,
//      what Mailbox::Send commits — in messages/s;
//   3. shredding: Retention::ShredDue(500) until nothing is due (each run one transaction and one
//      audit event), in messages/s, while the same send loop runs beside it; the send rate during
//      shredding as a ratio to the quiet one (target ≥ 0.8).
//
// Usage: retention_bench [messages (100000)] [directory (a fresh one under $TMPDIR)]
// The last line is machine-readable ("RESULT key=value ...") for bench/run.sh.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "app/retention.h"
#include "app/services.h"
#include "audit/audit_log.h"
#include "auth/login_throttle.h"
#include "blob/blob_store.h"
#include "keys/master_key.h"
#include "platform/clock.h"
#include "platform/filesystem.h"
#include "platform/rng.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using namespace sealpost;
using Steady = std::chrono::steady_clock;

double Seconds(Steady::time_point since) {
  return std::chrono::duration<double>(Steady::now() - since).count();
}

int Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "retention_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

class NoMailer final : public delivery::Mailer {
 public:
  Status Send(const delivery::OutgoingMail&) override { return Status::Ok(); }
};

std::string Hex32(uint64_t prefix, uint64_t n) { return fmt::format("{:016x}{:016x}", prefix, n); }

constexpr int kMembers = 100;

UserId Member(int i) { return UserId::FromTrusted(Hex32(1, static_cast<uint64_t>(i))); }

// One message from member i to member i+1, created at `at`.
Status WriteMessage(store::WriteTxn& tx, uint64_t prefix, uint64_t n, TimePoint at) {
  const int from = static_cast<int>(n % kMembers);
  const store::MessageRecord m{MessageId::FromTrusted(Hex32(prefix, n)), Member(from), at,
                               Bytes(600, 0x5a), Bytes(4096, 0xa5)};
  const store::MailboxEntry entries[] = {
      {Member(from), m.id, store::Folder::kSent, Bytes(80, 1), false, at},
      {Member((from + 1) % kMembers), m.id, store::Folder::kInbox, Bytes(80, 2), true, at}};
  return tx.messages().CreateMessage(m, entries, {});
}

}  // namespace

int main(int argc, char** argv) {
  const long messages = argc > 1 ? std::atol(argv[1]) : 100'000;
  std::string dir = argc > 2 ? argv[2] : "";
  if (messages < 1) return Fail("arguments", InvalidArgument("messages must be ≥ 1"));
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    dir =
        std::string(tmp ? tmp : "/tmp") + "/sealpost-retention-bench." + std::to_string(::getpid());
  }
  std::filesystem::create_directories(dir);
  std::filesystem::remove(dir + "/bench.db");

  auto store = store::sqlite::OpenSqliteStore(dir + "/bench.db");
  if (!store.ok()) return Fail("open", store.status());
  auto blobs = blob::OpenLocalBlobStore(platform::DefaultFilesystem(), dir + "/blobs");
  if (!blobs.ok()) return Fail("blobs", blobs.status());
  const TimePoint t0 = FromUnixMillis(1'790'000'000'000);
  platform::FakeClock clock(t0);
  platform::SystemRng rng;
  NoMailer mailer;
  const keys::MasterKey master = keys::MasterKey::FromKeyForTesting(crypto::AeadKey::Generate());
  audit::AuditLog log(crypto::SigningKey::Generate(), {"bench.example/sealpost-log", 4096}, clock);
  auth::LoginThrottle throttle((*store)->platform(), clock, auth::ThrottleLimits{});
  app::Services services{**store, **blobs,  master,          log, clock, rng,
                         mailer,  throttle, app::AppConfig{}};
  app::Retention retention(services);

  // 1. Set-up.
  Status s = (*store)->Write([&](store::WriteTxn& tx) -> Status {
    for (int i = 0; i < kMembers; ++i) {
      store::UserRecord u;
      u.id = Member(i);
      u.email = fmt::format("m{}@bench.example", i);
      u.display_name = "Bench";
      u.state = store::UserState::kActive;
      u.box_public_key = Bytes(32, 1);
      u.verify_key = Bytes(32, 2);
      u.wrapped_private_keys = Bytes(80, 3);
      u.password_salt = Bytes(16, 4);
      u.umk_by_password = Bytes(73, 5);
      u.created_at = t0;
      SP_RETURN_IF_ERROR(tx.accounts().CreateUser(u));
    }
    return tx.retention().PutPolicy({"bench.example", 1, "bench", t0});
  });
  if (!s.ok()) return Fail("users", s);
  auto start = Steady::now();
  for (long done = 0; done < messages;) {
    const long n = std::min<long>(1000, messages - done);
    s = (*store)->Write([&](store::WriteTxn& tx) -> Status {
      for (long i = 0; i < n; ++i) {
        SP_RETURN_IF_ERROR(WriteMessage(tx, 2, static_cast<uint64_t>(done + i), t0));
      }
      return Status::Ok();
    });
    if (!s.ok()) return Fail("set-up", s);
    done += n;
  }
  const double setup_s = Seconds(start);
  clock.Advance(std::chrono::hours(48));  // everything written so far is a day past the policy

  // The send loop: one message per transaction, created "now" (never due), until told to stop.
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> next{0};
  auto send_loop = [&](uint64_t& sent, Status& failure) {
    while (!stop.load()) {
      const uint64_t n = next.fetch_add(1);
      const Status st =
          (*store)->Write([&](store::WriteTxn& tx) { return WriteMessage(tx, 3, n, clock.Now()); });
      if (!st.ok()) {
        failure = st;
        return;
      }
      ++sent;
    }
  };

  // 2. Quiet sends.
  uint64_t quiet_sent = 0;
  Status quiet_failure;
  start = Steady::now();
  std::thread quiet([&] { send_loop(quiet_sent, quiet_failure); });
  std::this_thread::sleep_for(std::chrono::seconds(5));
  stop = true;
  quiet.join();
  const double quiet_rate = static_cast<double>(quiet_sent) / Seconds(start);
  if (!quiet_failure.ok()) return Fail("quiet sends", quiet_failure);

  // 3. Shredding, with the same sends beside it.
  stop = false;
  uint64_t busy_sent = 0;
  Status busy_failure;
  int64_t shredded = 0, entries = 0, runs = 0;
  start = Steady::now();
  std::thread busy([&] { send_loop(busy_sent, busy_failure); });
  for (;;) {
    auto round = retention.ShredDue(500);
    if (!round.ok()) {
      stop = true;
      busy.join();
      return Fail("shred", round.status());
    }
    shredded += round->messages;
    entries += round->entries;
    runs += round->run_id.empty() ? 0 : 1;
    if (!round->more) break;
  }
  const double shred_s = Seconds(start);
  stop = true;
  busy.join();
  const double busy_rate = static_cast<double>(busy_sent) / shred_s;
  if (!busy_failure.ok()) return Fail("sends while shredding", busy_failure);

  std::printf("set-up: %ld messages in %.1f s\n", messages, setup_s);
  std::printf("quiet sends: %.0f messages/s\n", quiet_rate);
  std::printf("shredding: %lld messages (%lld entries, %lld runs) in %.1f s: %.0f messages/s\n",
              static_cast<long long>(shredded), static_cast<long long>(entries),
              static_cast<long long>(runs), shred_s, static_cast<double>(shredded) / shred_s);
  std::printf("sends while shredding: %.0f messages/s (%.2f x quiet; target >= 0.80)\n", busy_rate,
              busy_rate / quiet_rate);
  std::printf(
      "RESULT messages=%ld shredded=%lld shred_per_s=%.0f quiet_sends_per_s=%.0f "
      "busy_sends_per_s=%.0f ratio=%.2f\n",
      messages, static_cast<long long>(shredded), static_cast<double>(shredded) / shred_s,
      quiet_rate, busy_rate, busy_rate / quiet_rate);
  std::filesystem::remove_all(dir);
  return shredded == messages ? 0 : 1;
}

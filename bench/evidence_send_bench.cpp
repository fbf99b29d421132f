// evidence_send_bench: sends with the transparency log against sends with event recording
// switched off (issue 14's benchmark 2), in one process on SQLite, same run.
//
// Two complete Sealpost back ends in one process, each with its own SQLite database and blob
// directory (WAL, synchronous=FULL, as `sealpost serve` opens them): "log" records every event as
// the server does and has its sequencer assign indexes, store tiles and sign a checkpoint after
// each slice (audit::AuditLog::SequenceNow, timed with the sends it covers); "no log" is the same
// with audit::SequencerOptions::record_events = false (the bench-only switch: Record writes
// nothing, so there is nothing to sequence). Both enrol alice and bob through app::Accounts and
// send app::Mailbox::Send alice → bob with a 4 KiB text. The two sides alternate in slices
// (bench/interleaved_timing.h) so that machine drift hits both alike; the first slice of each is
// a warm-up and not counted.
//
// Usage: evidence_send_bench [seconds per side (10)] [directory (a fresh one under $TMPDIR)]
// Prints sends/s for each side and the ratio log ÷ no log (target ≥ 0.9); the last line is
// machine-readable ("RESULT key=value ...").
//
// PostgreSQL, several processes: evidence_send_bench --postgres URL_LOG URL_NOLOG [processes (2)]
// [seconds per side (10)]. Two databases, one per side; the parent enrols alice and bob (unless
// there) in each, then forks the processes, each with its own connections, its own session for
// alice and (log side) a sequencer task every 200 ms as in `sealpost serve` (one process at a time
// holds the sequencer lease, an advisory lock). All processes run the same phases by the clock —
// log, no log, no log, log (ABBA against drift), each half of the seconds per side — and the parent
// sums their sends per side. The log side's backlog left at the end of a phase is sequenced in
// the pause before the next, untimed: the sequencer runs beside the sends, as in the server.
// Target ≥ 0.95 × (the log no longer serialises writers).
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/accounts.h"
#include "app/mailbox.h"
#include "app/outbound_mail.h"
#include "app/services.h"
#include "audit/audit_log.h"
#include "auth/login_throttle.h"
#include "blob/blob_store.h"
#include "interleaved_timing.h"
#include "keys/master_key.h"
#include "last_mail_mailer.h"
#include "platform/clock.h"
#include "platform/filesystem.h"
#include "platform/rng.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using namespace sealpost;
using bench::Clock;
using bench::LastMailMailer;

int Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "evidence_send_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

constexpr char kPassword[] = "correct horse battery staple";

// One back end: store, blobs, keys, log and the use cases, in `dir`.
class Backend {
 public:
  // `dir` holds the blobs, and the SQLite database unless `postgres_url` is set.
  static Result<std::unique_ptr<Backend>> Open(const std::string& dir, bool record_events,
                                               const std::string& postgres_url = "") {
    std::filesystem::create_directories(dir);
    auto b = std::unique_ptr<Backend>(new Backend(record_events));
    if (postgres_url.empty()) {
      SP_ASSIGN_OR_RETURN(b->store_, store::sqlite::OpenSqliteStore(dir + "/sealpost.db"));
    } else {
      SP_ASSIGN_OR_RETURN(b->store_, store::postgres::OpenPostgresStore(postgres_url));
    }
    SP_ASSIGN_OR_RETURN(b->blobs_,
                        blob::OpenLocalBlobStore(platform::DefaultFilesystem(), dir + "/blobs"));
    b->throttle_ = std::make_unique<auth::LoginThrottle>(b->store_->platform(), b->clock_,
                                                         auth::ThrottleLimits{});
    app::AppConfig config;
    config.password_hash = crypto::kMinimumPasswordHashParams;
    config.require_totp = false;
    b->services_ = std::make_unique<app::Services>(
        app::Services{*b->store_, *b->blobs_, b->master_, b->audit_, b->clock_, b->rng_, b->mailer_,
                      *b->throttle_, config});
    b->accounts_ = std::make_unique<app::Accounts>(*b->services_);
    b->mailbox_ = std::make_unique<app::Mailbox>(*b->services_);
    return b;
  }

  // Signs up and confirms `email`; then a full session for it.
  Result<app::AuthContext> Enrol(const std::string& email) {
    SP_RETURN_IF_ERROR(
        accounts_->SignUp({email, crypto::SecretString::CopyOf(kPassword), "", "127.0.0.1"}));
    SP_RETURN_IF_ERROR(app::MailDeliverer(*services_).DeliverDue(16).status());
    const std::string text = mailer_.last_text();
    const size_t at = text.find("token=");
    if (at == std::string::npos) return Internal("no confirmation mail");
    SP_RETURN_IF_ERROR(accounts_->VerifyEmail(text.substr(at + 6, 43)).status());
    return LogIn(email);
  }

  Result<app::AuthContext> LogIn(const std::string& email) {
    SP_ASSIGN_OR_RETURN(app::LoginResult login, accounts_->Login(email, kPassword, "127.0.0.1"));
    if (!login.session) return Internal("no session after log-in");
    return accounts_->Authenticate(login.session->cookie_value.view(), "127.0.0.1");
  }

  Status Send(const app::AuthContext& from, const std::string& to, const std::string& text) {
    app::SendRequest r;
    r.to = {to};
    r.subject = "Quarterly figures";
    r.text = text;
    return mailbox_->Send(from, r).status();
  }

  // Everything recorded so far into the log (a no-op without events).
  Status Sequence() { return audit_.SequenceNow(*store_); }
  Status SequenceOnce() { return audit_.SequenceOnce(*store_).status(); }
  Result<uint64_t> LogSize() {
    SP_ASSIGN_OR_RETURN(auto latest, store_->log().GetLatestLogCheckpoint());
    return latest ? latest->size : 0;
  }

 private:
  explicit Backend(bool record_events)
      : master_(keys::MasterKey::FromKeyForTesting(*crypto::AeadKey::FromSecret(
            crypto::SecretBytes::CopyOf(ProcessKeys().master.view())))),
        audit_(*crypto::SigningKey::FromSeed(crypto::SecretBytes::CopyOf(ProcessKeys().log.view())),
               audit::SequencerOptions{"bench.example/sealpost-log", 4096, record_events}, clock_) {
  }

  // The master key and the log key's seed, made once per process before any fork: every process
  // of a PostgreSQL run shares them, as the processes of one installation do.
  struct Keys {
    crypto::SecretBytes master;
    crypto::SecretBytes log;
  };
  static const Keys& ProcessKeys() {
    static const Keys keys = [] {
      const crypto::AeadKey m = crypto::AeadKey::Generate();
      const crypto::SigningKey l = crypto::SigningKey::Generate();
      return Keys{crypto::SecretBytes::CopyOf(m.ExposeSecret().view()),
                  crypto::SecretBytes::CopyOf(l.ExposeSeed().view())};
    }();
    return keys;
  }

  platform::SystemClock clock_;
  platform::SystemRng rng_;
  LastMailMailer mailer_;
  keys::MasterKey master_;
  audit::AuditLog audit_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<blob::BlobStore> blobs_;
  std::unique_ptr<auth::LoginThrottle> throttle_;
  std::unique_ptr<app::Services> services_;
  std::unique_ptr<app::Accounts> accounts_;
  std::unique_ptr<app::Mailbox> mailbox_;
};

struct Side {
  std::unique_ptr<Backend> backend;
  std::optional<app::AuthContext> alice;
  bench::Tally tally;
};

}  // namespace

int MainPostgres(int argc, char** argv);

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--postgres") return MainPostgres(argc, argv);
  const double seconds = argc > 1 ? std::atof(argv[1]) : 10.0;
  std::string dir = argc > 2 ? argv[2] : "";
  if (seconds <= 0) return Fail("arguments", InvalidArgument("seconds must be > 0"));
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    dir =
        std::string(tmp ? tmp : "/tmp") + "/sealpost-evidence-bench." + std::to_string(::getpid());
  }
  const std::string text(4096, 'x');

  Side sides[2];  // [0]: with the log, [1]: without
  for (int i = 0; i < 2; ++i) {
    const std::string side_dir = dir + (i == 0 ? "/log" : "/nolog");
    std::filesystem::remove_all(side_dir);
    auto backend = Backend::Open(side_dir, /*record_events=*/i == 0);
    if (!backend.ok()) return Fail("open", backend.status());
    sides[i].backend = *std::move(backend);
    auto alice = sides[i].backend->Enrol("alice@example.org");
    if (!alice.ok()) return Fail("enrol alice", alice.status());
    if (auto bob = sides[i].backend->Enrol("bob@example.org"); !bob.ok()) {
      return Fail("enrol bob", bob.status());
    }
    sides[i].alice = *std::move(alice);
    if (Status s = sides[i].backend->Sequence(); !s.ok()) return Fail("sequence", s);
  }

  // Slices of 0.5 s, alternating; the log side's sequencing of its slice is inside its slice.
  const auto slice = std::chrono::milliseconds(500);
  const int rounds = static_cast<int>(seconds / 0.5) + 1;  // + the warm-up
  Status failed;
  for (int round = 0; round < rounds && failed.ok(); ++round) {
    for (int i = 0; i < 2 && failed.ok(); ++i) {
      Side& side = sides[round % 2 == 0 ? i : 1 - i];  // who goes first alternates too
      bench::Tally scratch;
      bench::Tally& tally = round == 0 ? scratch : side.tally;
      bench::RunSlice(slice, tally, [&] {
        if (Status s = side.backend->Send(*side.alice, "bob@example.org", text); !s.ok()) {
          failed = s;
        }
      });
      const Clock::time_point sequenced = Clock::now();
      if (Status s = side.backend->Sequence(); !s.ok()) failed = s;
      tally.elapsed += Clock::now() - sequenced;
    }
  }
  if (!failed.ok()) return Fail("send", failed);

  auto size = sides[0].backend->LogSize();
  auto none = sides[1].backend->LogSize();
  if (!size.ok() || !none.ok()) return Fail("log size", size.ok() ? none.status() : size.status());
  const double with_log = sides[0].tally.PerSecond();
  const double without = sides[1].tally.PerSecond();
  const double ratio = with_log / without;
  std::printf(
      "sends with the log:    %8.1f /s (%zu sends; log of %llu entries, checkpoint signed)\n",
      with_log, sides[0].tally.ops, static_cast<unsigned long long>(*size));
  std::printf("sends without the log: %8.1f /s (%zu sends; log of %llu entries)\n", without,
              sides[1].tally.ops, static_cast<unsigned long long>(*none));
  std::printf("ratio: %.3f (target >= 0.9)\n", ratio);
  std::printf("RESULT with_log=%.1f without_log=%.1f ratio=%.3f\n", with_log, without, ratio);
  std::filesystem::remove_all(dir);
  return 0;
}

// --postgres URL_LOG URL_NOLOG [processes] [seconds per side]
int MainPostgres(int argc, char** argv) {
  if (argc < 4) {
    return Fail("arguments", InvalidArgument("--postgres URL_LOG URL_NOLOG [processes] [seconds]"));
  }
  const std::string urls[2] = {argv[2], argv[3]};
  const int processes = argc > 4 ? std::atoi(argv[4]) : 2;
  const double seconds = argc > 5 ? std::atof(argv[5]) : 10.0;
  if (processes < 1 || seconds <= 0) return Fail("arguments", InvalidArgument("bad counts"));
  const char* tmp = std::getenv("TMPDIR");
  const std::string dir =
      std::string(tmp ? tmp : "/tmp") + "/sealpost-evidence-pg." + std::to_string(::getpid());
  // Enrol in each database, then let go of every connection before forking.
  for (int i = 0; i < 2; ++i) {
    auto backend = Backend::Open(dir + "/enrol", i == 0, urls[i]);
    if (!backend.ok()) return Fail("open", backend.status());
    for (const char* who : {"alice@example.org", "bob@example.org"}) {
      if ((*backend)->LogIn(who).ok()) continue;  // a database of an earlier run
      if (auto r = (*backend)->Enrol(who); !r.ok()) return Fail("enrol", r.status());
    }
    if (Status s = (*backend)->Sequence(); !s.ok()) return Fail("sequence", s);
  }
  // Phases by the clock (CLOCK_MONOTONIC is one clock for all processes): log, no log, no log,
  // log, with a pause between them.
  const auto phase =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds / 2));
  const auto pause = std::chrono::seconds(2);
  const int order[4] = {0, 1, 1, 0};
  const Clock::time_point t0 = Clock::now() + std::chrono::seconds(3);  // after the log-ins
  int fds[2];
  if (::pipe(fds) != 0) return Fail("pipe", Internal("pipe failed"));
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    const pid_t pid = ::fork();
    if (pid < 0) return Fail("fork", Internal("fork failed"));
    if (pid > 0) {
      children.push_back(pid);
      continue;
    }
    ::close(fds[0]);
    const std::string text(4096, 'x');
    std::unique_ptr<Backend> backends[2];
    std::optional<app::AuthContext> alice[2];
    for (int i = 0; i < 2; ++i) {
      auto backend = Backend::Open(dir + "/p" + std::to_string(p), i == 0, urls[i]);
      if (!backend.ok()) _exit(Fail("open", backend.status()));
      backends[i] = *std::move(backend);
      auto ctx = backends[i]->LogIn("alice@example.org");
      if (!ctx.ok()) _exit(Fail("log in", ctx.status()));
      alice[i] = *std::move(ctx);
    }
    size_t ops[2] = {0, 0};
    for (int k = 0; k < 4; ++k) {
      const int side = order[k];
      const Clock::time_point start = t0 + k * (phase + pause);
      const Clock::time_point end = start + phase;
      std::this_thread::sleep_until(start);
      std::atomic<bool> done{false};
      std::thread sequencer;
      if (side == 0) {
        sequencer = std::thread([&] {
          while (!done.load()) {
            (void)backends[0]->SequenceOnce();
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
          }
        });
      }
      while (Clock::now() < end) {
        if (Status s = backends[side]->Send(*alice[side], "bob@example.org", text); !s.ok()) {
          _exit(Fail("send", s));
        }
        ++ops[side];
      }
      done = true;
      if (sequencer.joinable()) sequencer.join();
      if (side == 0) (void)backends[0]->Sequence();  // the backlog, in the pause
    }
    const std::string line = std::to_string(ops[0]) + " " + std::to_string(ops[1]) + "\n";
    const bool written =
        ::write(fds[1], line.data(), line.size()) == static_cast<ssize_t>(line.size());
    _exit(written ? 0 : 1);
  }
  ::close(fds[1]);
  std::string out;
  char buf[256];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) {
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  bool ok = true;
  for (const pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  std::filesystem::remove_all(dir);
  if (!ok) return Fail("processes", Internal("a process failed"));
  unsigned long long total[2] = {0, 0};
  for (size_t at = 0; at < out.size();) {
    unsigned long long a = 0, b = 0;
    if (std::sscanf(out.c_str() + at, "%llu %llu", &a, &b) == 2) {
      total[0] += a;
      total[1] += b;
    }
    const size_t eol = out.find('\n', at);
    at = eol == std::string::npos ? out.size() : eol + 1;
  }
  const double secs = std::chrono::duration<double>(2 * phase).count();
  const double with_log = static_cast<double>(total[0]) / secs;
  const double without = static_cast<double>(total[1]) / secs;
  const double ratio = with_log / without;
  std::printf("PostgreSQL, %d processes, %.1f s per side\n", processes, secs);
  std::printf("sends with the log:    %8.1f /s (%llu sends)\n", with_log, total[0]);
  std::printf("sends without the log: %8.1f /s (%llu sends)\n", without, total[1]);
  std::printf("ratio: %.3f (target >= 0.95)\n", ratio);
  std::printf("RESULT processes=%d with_log=%.1f without_log=%.1f ratio=%.3f\n", processes,
              with_log, without, ratio);
  return 0;
}

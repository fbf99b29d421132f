// inbound_intake_bench: CPU per message of the inbound (MX) intake, in one process, beside a bare
// durable baseline in the same run (issue 13; bench/README.md, "SMTP intake").
//
// `make bench-smtp` times the whole server against Postfix; on a small shared machine its rate
// moves with the load of everything else. This drives what the SMTP session calls after DATA —
// app::InboundMail::Begin, InboundMessage::Append (the bytes as they stream in: spool blob and
// clear copy), InboundMessage::Commit (the spool blob's durable commit, parse, seal, store) —
// for 10 KiB messages to one member, on SQLite (WAL, synchronous=FULL, as `sealpost serve`) and its
// blobs as `sealpost serve` keeps them (the small ones as rows of the database,
// store/sqlite/sqlite_blobs.h, written in the message's own store transaction; --blob-commit:
// each blob row committed on its own before the message's; --file-blobs: every blob a file) in a
// fresh directory,
// and measures the process's CPU time (getrusage, user + system, every thread) per message. SPF and
// DKIM are left out (the arrival checker needs DNS); everything else is the server's code path.
//
// The baseline is the least any encrypted, durable intake does: XChaCha20-Poly1305 of the same
// message under a random key, then the ciphertext inserted into a fresh SQLite file (WAL,
// synchronous=FULL) in a transaction of its own, one after the other under a lock. The two sides
// alternate in rounds (who goes first alternates too), each round the same number of messages
// spread over the same threads, so that a machine whose load drifts affects both alike; a
// warm-up round of each is not counted.
//
// Usage: inbound_intake_bench [--messages N (2000)] [--rounds R (4)] [--threads T (8)]
//                             [--size BYTES (10240)] [--dir DIR (fresh under $TMPDIR)]
//                             [--file-blobs | --blob-commit]
// Prints CPU ms per message (user / system), wall msgs/s for each side and the ratio of CPU per
// message Sealpost ÷ baseline (lower is better); the last line is machine-readable
// ("RESULT key=value ...").
#include <sodium.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/accounts.h"
#include "app/inbound_mail.h"
#include "app/outbound_mail.h"
#include "app/services.h"
#include "audit/audit_log.h"
#include "auth/login_throttle.h"
#include "blob/blob_store.h"
#include "blob/raw_blob_store.h"
#include "keys/master_key.h"
#include "last_mail_mailer.h"
#include "platform/clock.h"
#include "platform/filesystem.h"
#include "platform/rng.h"
#include "store/sqlite/sqlite_blobs.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using namespace sealpost;
using Clock = std::chrono::steady_clock;
using bench::LastMailMailer;

int Fail(const std::string& what, const std::string& why) {
  std::fprintf(stderr, "inbound_intake_bench: %s: %s\n", what.c_str(), why.c_str());
  return 1;
}

// The process's CPU time so far (all threads), in seconds: user and system.
struct CpuTime {
  double user = 0;
  double system = 0;
  static CpuTime Now() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
    return {seconds(u.ru_utime), seconds(u.ru_stime)};
  }
};

// What one side spent over the counted rounds.
struct Tally {
  size_t messages = 0;
  double user = 0;
  double system = 0;
  double wall = 0;
  double CpuMsPerMessage() const { return (user + system) * 1000 / messages; }
};

// Runs `op` `n` times over `threads` threads and adds the CPU and wall time to `tally`. `op`
// returns an error text, empty on success; the first error is kept in `error`.
template <typename Op>
void RunRound(size_t n, int threads, Tally& tally, std::string& error, Op op) {
  std::atomic<size_t> next{0};
  std::mutex mu;
  const CpuTime cpu0 = CpuTime::Now();
  const Clock::time_point t0 = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      while (next.fetch_add(1) < n) {
        std::string e = op();
        if (!e.empty()) {
          std::lock_guard lock(mu);
          if (error.empty()) error = std::move(e);
          return;
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const CpuTime cpu1 = CpuTime::Now();
  tally.messages += n;
  tally.user += cpu1.user - cpu0.user;
  tally.system += cpu1.system - cpu0.system;
  tally.wall += wall;
}

// A message like smtp-source's: a few header fields, then lines of text up to `size` bytes.
std::string TestMessage(size_t size) {
  std::string m =
      "From: <sender@outside.example>\r\n"
      "To: <bob@example.org>\r\n"
      "Date: Sun, 6 Dec 2026 09:00:00 +0000\r\n"
      "Message-Id: <1234.5678@outside.example>\r\n"
      "Subject: Quarterly figures\r\n"
      "\r\n";
  for (int line = 0; m.size() + 8 < size; ++line) {  // lines of at most 78 characters + CRLF
    std::string text = std::to_string(line) + " ";
    text.resize(std::min<size_t>(78, size - m.size() - 2), 'X');
    m += text + "\r\n";
  }
  m.resize(size, 'X');
  return m;
}

constexpr char kPassword[] = "correct horse battery staple";

// Sealpost's back end as `sealpost serve` wires it for the inbound face, in `dir`.
class Intake {
 public:
  enum class Blobs { kRowsInMessage, kRowsOwnCommit, kFiles };

  static Result<std::unique_ptr<Intake>> Open(const std::string& dir, Blobs blobs) {
    const bool file_blobs = blobs == Blobs::kFiles;
    std::filesystem::create_directories(dir);
    auto b = std::unique_ptr<Intake>(new Intake());
    SP_ASSIGN_OR_RETURN(b->store_, store::sqlite::OpenSqliteStore(dir + "/sealpost.db"));
    // The 256 fan-out directories (<ab>/ by the id's first two hex digits), as a server that has
    // stored some mail has them: making them is a first-use cost, not a per-message one.
    for (int i = 0; i < 256; ++i) {
      char name[3];
      std::snprintf(name, sizeof name, "%02x", i);
      std::filesystem::create_directories(dir + "/blobs/" + name);
      std::filesystem::permissions(dir + "/blobs/" + name, std::filesystem::perms::owner_all);
    }
    SP_ASSIGN_OR_RETURN(auto files,
                        blob::OpenLocalRawBlobStore(platform::DefaultFilesystem(), dir + "/blobs"));
    if (file_blobs) {
      b->blobs_ = blob::OpenEncryptedBlobStore(std::move(files));
    } else {
      SP_ASSIGN_OR_RETURN(auto raw, store::sqlite::OpenSqliteBlobs(*b->store_, std::move(files)));
      b->blobs_ = blob::OpenEncryptedBlobStore(std::move(raw));
    }
    b->throttle_ = std::make_unique<auth::LoginThrottle>(b->store_->platform(), b->clock_,
                                                         auth::ThrottleLimits{});
    app::AppConfig config;
    config.password_hash = crypto::kMinimumPasswordHashParams;
    config.require_totp = false;
    b->services_ = std::make_unique<app::Services>(
        app::Services{*b->store_, *b->blobs_, b->master_, b->audit_, b->clock_, b->rng_, b->mailer_,
                      *b->throttle_, config});
    if (blobs == Blobs::kRowsInMessage) {
      b->services_->blob_rows_up_to = store::sqlite::kInlineBlobBytes;  // as `sealpost serve`
    }
    b->inbound_ =
        std::make_unique<app::InboundMail>(*b->services_, std::vector<std::string>{"example.org"});
    return b;
  }

  // Signs up and confirms `email`; its id, as the RCPT check finds it.
  Result<UserId> Enrol(const std::string& email) {
    app::Accounts accounts(*services_);
    SP_RETURN_IF_ERROR(
        accounts.SignUp({email, crypto::SecretString::CopyOf(kPassword), "", "127.0.0.1"}));
    SP_RETURN_IF_ERROR(app::MailDeliverer(*services_).DeliverDue(16).status());
    const std::string text = mailer_.last_text();
    const size_t at = text.find("token=");
    if (at == std::string::npos) return Internal("no confirmation mail");
    SP_RETURN_IF_ERROR(accounts.VerifyEmail(text.substr(at + 6, 43)).status());
    return inbound_->CheckRecipient(email);
  }

  // One message, as the inbound face streams it: the session hands the sink what it read.
  Status Receive(const UserId& to, const std::string& message) {
    SP_ASSIGN_OR_RETURN(auto m,
                        inbound_->Begin({"192.0.2.10", "", "sender@outside.example", {to}}));
    SP_RETURN_IF_ERROR(m->Append(message));
    SP_ASSIGN_OR_RETURN(const auto ids, m->Commit());
    if (ids.size() != 1) return Internal("not one message stored");
    return Status::Ok();
  }

 private:
  Intake()
      : master_(keys::MasterKey::FromKeyForTesting(crypto::AeadKey::Generate())),
        audit_(crypto::SigningKey::Generate(), audit::SequencerOptions{}, clock_) {}

  platform::SystemClock clock_;
  platform::SystemRng rng_;
  LastMailMailer mailer_;
  keys::MasterKey master_;
  audit::AuditLog audit_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<blob::BlobStore> blobs_;
  std::unique_ptr<auth::LoginThrottle> throttle_;
  std::unique_ptr<app::Services> services_;
  std::unique_ptr<app::InboundMail> inbound_;
};

// The baseline: AEAD of the message, then one durable SQLite transaction per message.
class Baseline {
 public:
  ~Baseline() {
    if (insert_) sqlite3_finalize(insert_);
    if (db_) sqlite3_close_v2(db_);
  }

  std::string Open(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) return "cannot open " + path;
    for (const char* sql : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL",
                            "CREATE TABLE m (id BLOB PRIMARY KEY, nonce BLOB, data BLOB)"}) {
      if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
        return std::string(sql) + ": " + sqlite3_errmsg(db_);
      }
    }
    if (sqlite3_prepare_v2(db_, "INSERT INTO m VALUES (?, ?, ?)", -1, &insert_, nullptr) !=
        SQLITE_OK) {
      return sqlite3_errmsg(db_);
    }
    return "";
  }

  std::string Store(const std::string& message) {
    unsigned char key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    unsigned char nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
    unsigned char id[16];
    crypto_aead_xchacha20poly1305_ietf_keygen(key);
    randombytes_buf(nonce, sizeof nonce);
    randombytes_buf(id, sizeof id);
    std::vector<unsigned char> sealed(message.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
    unsigned long long sealed_size = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        sealed.data(), &sealed_size, reinterpret_cast<const unsigned char*>(message.data()),
        message.size(), id, sizeof id, nullptr, nonce, key);
    sodium_memzero(key, sizeof key);
    std::lock_guard lock(mu_);
    std::string error;
    if (sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return sqlite3_errmsg(db_);
    }
    sqlite3_bind_blob(insert_, 1, id, sizeof id, SQLITE_STATIC);
    sqlite3_bind_blob(insert_, 2, nonce, sizeof nonce, SQLITE_STATIC);
    sqlite3_bind_blob(insert_, 3, sealed.data(), static_cast<int>(sealed_size), SQLITE_STATIC);
    if (sqlite3_step(insert_) != SQLITE_DONE) error = sqlite3_errmsg(db_);
    sqlite3_reset(insert_);
    if (sqlite3_exec(db_, error.empty() ? "COMMIT" : "ROLLBACK", nullptr, nullptr, nullptr) !=
            SQLITE_OK &&
        error.empty()) {
      error = sqlite3_errmsg(db_);
    }
    return error;
  }

 private:
  std::mutex mu_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
};

void Usage() {
  std::fprintf(stderr,
               "usage: inbound_intake_bench [--messages N] [--rounds R] [--threads T] "
               "[--size BYTES] [--dir DIR] [--file-blobs | --blob-commit]\n");
}

}  // namespace

int main(int argc, char** argv) {
  size_t messages = 2000;
  int rounds = 4;
  int threads = 8;
  size_t size = 10240;
  std::string dir;
  Intake::Blobs blobs = Intake::Blobs::kRowsInMessage;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--file-blobs" || arg == "--blob-commit") {
      blobs = arg == "--file-blobs" ? Intake::Blobs::kFiles : Intake::Blobs::kRowsOwnCommit;
      continue;
    }
    if (i + 1 >= argc) {
      Usage();
      return 2;
    }
    const char* value = argv[++i];
    if (arg == "--messages") {
      messages = std::strtoull(value, nullptr, 10);
    } else if (arg == "--rounds") {
      rounds = std::atoi(value);
    } else if (arg == "--threads") {
      threads = std::atoi(value);
    } else if (arg == "--size") {
      size = std::strtoull(value, nullptr, 10);
    } else if (arg == "--dir") {
      dir = value;
    } else {
      Usage();
      return 2;
    }
  }
  if (messages == 0 || rounds < 1 || threads < 1 || size < 256) {
    Usage();
    return 2;
  }
  if (sodium_init() < 0) return Fail("libsodium", "cannot initialise");
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    dir = std::string(tmp ? tmp : "/tmp") + "/sealpost-intake-bench." + std::to_string(::getpid());
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  auto intake = Intake::Open(dir + "/sealpost", blobs);
  if (!intake.ok()) return Fail("open", intake.status().ToString());
  auto bob = (*intake)->Enrol("bob@example.org");
  if (!bob.ok()) return Fail("enrol bob", bob.status().ToString());
  Baseline baseline;
  if (std::string e = baseline.Open(dir + "/baseline.db"); !e.empty()) return Fail("baseline", e);
  const std::string message = TestMessage(size);

  auto sealpost_op = [&]() -> std::string {
    const Status s = (*intake)->Receive(*bob, message);
    return s.ok() ? "" : s.ToString();
  };
  auto baseline_op = [&] { return baseline.Store(message); };

  const size_t per_round = std::max<size_t>(1, messages / static_cast<size_t>(rounds));
  Tally tallies[2];  // [0]: Sealpost, [1]: baseline
  std::string error;
  for (int round = 0; round <= rounds && error.empty(); ++round) {  // round 0: warm-up
    for (int k = 0; k < 2 && error.empty(); ++k) {
      const int side = round % 2 == 0 ? k : 1 - k;
      Tally scratch;
      Tally& tally = round == 0 ? scratch : tallies[side];
      const size_t n = round == 0 ? std::min<size_t>(per_round, 200) : per_round;
      if (side == 0) {
        RunRound(n, threads, tally, error, sealpost_op);
      } else {
        RunRound(n, threads, tally, error, baseline_op);
      }
    }
  }
  if (!error.empty()) return Fail("intake", error);

  const Tally& ours = tallies[0];
  const Tally& base = tallies[1];
  const double ratio = ours.CpuMsPerMessage() / base.CpuMsPerMessage();
  std::printf("inbound intake, %zu messages of %zu bytes, %d threads, %d rounds, %s\n",
              ours.messages, message.size(), threads, rounds,
              blobs == Intake::Blobs::kFiles ? "every blob a file"
              : blobs == Intake::Blobs::kRowsOwnCommit
                  ? "small blobs as rows, committed first"
                  : "small blobs as rows of the message's commit");
  std::printf("Sealpost: CPU %.3f ms/msg (user %.3f, system %.3f), %.1f msgs/s\n",
              ours.CpuMsPerMessage(), ours.user * 1000 / ours.messages,
              ours.system * 1000 / ours.messages, ours.messages / ours.wall);
  std::printf("baseline: CPU %.3f ms/msg (user %.3f, system %.3f), %.1f msgs/s\n",
              base.CpuMsPerMessage(), base.user * 1000 / base.messages,
              base.system * 1000 / base.messages, base.messages / base.wall);
  std::printf("CPU per message, Sealpost / baseline: %.2f\n", ratio);
  std::printf(
      "RESULT sealpost_cpu_ms=%.3f baseline_cpu_ms=%.3f cpu_ratio=%.2f sealpost_per_s=%.1f "
      "baseline_per_s=%.1f\n",
      ours.CpuMsPerMessage(), base.CpuMsPerMessage(), ratio, ours.messages / ours.wall,
      base.messages / base.wall);
  std::filesystem::remove_all(dir);
  return 0;
}

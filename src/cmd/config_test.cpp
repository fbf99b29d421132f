#include "cmd/config.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <future>
#include <mutex>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cmd/periodic_task.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace sealpost::cmd {
namespace {

std::string Write(const testutil::TempDir& dir, const std::string& text) {
  const std::string path = dir.path() + "/sealpost.toml";
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigTest, DefaultsWithoutFile) {
  auto c = LoadConfig(std::nullopt, std::nullopt);
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_EQ(c->data_dir, "./sealpost-data");
  EXPECT_EQ(c->listen_port, 8443);
  EXPECT_THAT(c->app.password_hash.Validate(), IsOk());
}

// Without a relay, mail is written to an outbox that stands for the recipients' mailboxes: by
// default beside the data directory, and never inside it (refused at start-up).
TEST(ConfigTest, OutboxIsBesideTheDataDirectoryNeverInside) {
  auto defaults = LoadConfig(std::nullopt, std::nullopt);
  ASSERT_THAT(defaults.status(), IsOk());
  EXPECT_EQ(defaults->OutboxDir(), "sealpost-outbox");  // beside ./sealpost-data
  for (const char* data_dir : {"/srv/sealpost/data", "/srv/sealpost/data/"}) {
    auto c = LoadConfig(std::nullopt, std::string(data_dir));
    ASSERT_THAT(c.status(), IsOk());
    EXPECT_EQ(c->OutboxDir(), "/srv/sealpost/sealpost-outbox");
  }

  testutil::TempDir dir;
  const std::string data = dir.path() + "/data";
  auto with_outbox = [&](const std::string& outbox, const std::string& more = "") {
    return LoadConfig(Write(dir, "[mail]\noutbox_dir = \"" + outbox + "\"\n" + more), data);
  };
  auto configured = with_outbox(dir.path() + "/mail");
  ASSERT_THAT(configured.status(), IsOk());
  EXPECT_EQ(configured->OutboxDir(), dir.path() + "/mail");
  auto flag = LoadConfig(Write(dir, "[mail]\noutbox_dir = \"" + data + "/outbox\"\n"), data,
                         dir.path() + "/flag");
  ASSERT_THAT(flag.status(), IsOk());
  EXPECT_EQ(flag->OutboxDir(), dir.path() + "/flag");

  ASSERT_TRUE(std::filesystem::create_directory(data));
  std::filesystem::create_directory_symlink(data, dir.path() + "/link");
  for (const std::string& inside :
       {data, data + "/", data + "/outbox", data + "/x/../outbox", dir.path() + "/link/outbox"}) {
    const Status refused = with_outbox(inside).status();
    EXPECT_THAT(refused, StatusIs(ErrorCode::kInvalidArgument)) << inside;
    EXPECT_NE(refused.message().find("must not be inside the data directory"), std::string::npos)
        << refused.message();
    EXPECT_THAT(LoadConfig(std::nullopt, data, inside).status(),
                StatusIs(ErrorCode::kInvalidArgument))
        << inside;
  }
  EXPECT_THAT(LoadConfig(std::nullopt, std::string("."), std::nullopt).status(),
              StatusIs(ErrorCode::kInvalidArgument));  // ./sealpost-outbox is inside "."
  // A name that only starts like the data directory is beside it.
  EXPECT_THAT(with_outbox(data + "-outbox").status(), IsOk());
  // With a relay there is no outbox to place.
  EXPECT_THAT(with_outbox(data + "/outbox", "relay = \"smtp.example.org:587\"\n").status(), IsOk());
}

TEST(ConfigTest, DocumentedExampleLoads) {
  auto c = LoadConfig(std::string(SEALPOST_SOURCE_DIR) + "/docs/sealpost.example.toml", "/tmp/x");
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_EQ(c->data_dir, "/tmp/x");
  EXPECT_EQ(c->app.limits.max_upload_bytes, 100u << 20);
}

TEST(ConfigTest, BounceDomainIsADomain) {
  auto c = ParseConfig("[mail]\nbounce_domain = \"mail.example.org\"\n", "test.toml");
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_EQ(c->app.bounce_domain, "mail.example.org");
  EXPECT_TRUE(ParseConfig("", "test.toml")->app.bounce_domain.empty());
  for (const char* bad : {"a b", "x@example.org", "exa\\nmple.org"}) {
    EXPECT_THAT(
        ParseConfig(std::string("[mail]\nbounce_domain = \"") + bad + "\"\n", "test.toml").status(),
        StatusIs(ErrorCode::kInvalidArgument))
        << bad;
  }
}

TEST(ConfigTest, RetentionJobSettingsAreBounded) {
  auto defaults = ParseConfig("", "test.toml");
  ASSERT_THAT(defaults.status(), IsOk());
  EXPECT_EQ(defaults->retention_interval, std::chrono::seconds(3600));
  EXPECT_EQ(defaults->retention_batch, 500);
  EXPECT_EQ(defaults->app.retention_day, std::chrono::seconds(24 * 3600));
  auto set =
      ParseConfig("[retention]\ninterval_seconds = 1\nbatch = 10\nday_seconds = 2\n", "test.toml");
  ASSERT_THAT(set.status(), IsOk());
  EXPECT_EQ(set->retention_batch, 10);
  EXPECT_EQ(set->app.retention_day, std::chrono::seconds(2));
  for (const char* text : {"[retention]\ninterval_seconds = 0\n", "[retention]\nbatch = 0\n",
                           "[retention]\nbatch = 10001\n", "[retention]\nday_seconds = 0\n",
                           "[retention]\nday_seconds = -1\n"}) {
    EXPECT_THAT(ParseConfig(text, "test.toml").status(), StatusIs(ErrorCode::kInvalidArgument))
        << text;
  }
}

TEST(ConfigTest, StoreUrlSelectsPostgresAndIsChecked) {
  testutil::TempDir dir;
  auto defaults = LoadConfig(std::nullopt, std::nullopt);
  ASSERT_THAT(defaults.status(), IsOk());
  EXPECT_EQ(defaults->store_url, "");  // SQLite in data_dir
  auto pg = LoadConfig(Write(dir,
                             "[store]\nurl = \"postgresql://sp@db/sealpost\"\n"
                             "max_connections = 4\n"),
                       std::nullopt);
  ASSERT_THAT(pg.status(), IsOk());
  EXPECT_EQ(pg->store_url, "postgresql://sp@db/sealpost");
  EXPECT_EQ(pg->store_max_connections, 4);
  EXPECT_THAT(LoadConfig(Write(dir, "[store]\nurl = \"mysql://x\"\n"), std::nullopt).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(LoadConfig(Write(dir, "[store]\nmax_connections = 0\n"), std::nullopt).status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST(ConfigTest, RefusesUnknownKeysWrongTypesAndWeakHashing) {
  testutil::TempDir dir;
  auto unknown = LoadConfig(Write(dir, "[http]\nprot = 1\n"), std::nullopt);
  EXPECT_THAT(unknown.status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_NE(unknown.status().message().find("http.prot"), std::string::npos);
  EXPECT_FALSE(LoadConfig(Write(dir, "[http]\nport = \"x\"\n"), std::nullopt).ok());
  EXPECT_FALSE(LoadConfig(Write(dir, "[auth]\nargon2_memory_bytes = 1024\n"), std::nullopt).ok());
  EXPECT_FALSE(LoadConfig(Write(dir, "not toml ["), std::nullopt).ok());
}

TEST(ConfigTest, PkiAndTsaKeys) {
  auto defaults = ParseConfig("", "test.toml");
  ASSERT_THAT(defaults.status(), IsOk());
  EXPECT_EQ(defaults->pki_organization, "Sealpost");
  EXPECT_EQ(defaults->tsa_policy_oid, receipts::kDefaultTsaPolicyOid);
  EXPECT_EQ(defaults->tsa_accuracy_millis, 1000);
  auto set = ParseConfig(
      "[pki]\norganization = \"Example Bank\"\n[tsa]\npolicy_oid = \"1.3.6.1.4.1.99999.1\"\n"
      "accuracy_millis = 500\n",
      "test.toml");
  ASSERT_THAT(set.status(), IsOk());
  EXPECT_EQ(set->pki_organization, "Example Bank");
  EXPECT_EQ(set->tsa_policy_oid, "1.3.6.1.4.1.99999.1");
  EXPECT_EQ(set->tsa_accuracy_millis, 500);
  for (const std::string& text : std::vector<std::string>{
           std::string("[pki]\norganization = \"\"\n"),
           "[pki]\norganization = \"" + std::string(49, 'x') + "\"\n",
           "[tsa]\npolicy_oid = \"not an oid\"\n", "[tsa]\naccuracy_millis = 0\n",
           "[tsa]\naccuracy_millis = 3600001\n"}) {
    EXPECT_THAT(ParseConfig(text, "test.toml").status(), StatusIs(ErrorCode::kInvalidArgument))
        << text;
  }
}

// Found by tests/fuzz/config_fuzz.cpp: integers were cast to their field unchecked, so
// "port = 84436003" listened on port 25635, and a huge failure_window_seconds overflowed
// when converted to milliseconds (undefined behaviour).
TEST(ConfigTest, RefusesIntegersOutsideTheirFieldAndEndlessDurations) {
  for (const std::string text :
       {"[http]\nport = 84436003\n", "[http]\nport = 65536\n", "[http]\nport = -1\n",
        "[store]\nmax_connections = 4294967297\n", "[http]\nio_threads = 2147483648\n",
        "[auth]\nfailure_window_seconds = 9223372036854775807\n",
        "[auth]\nsession_idle_seconds = 3153600001\n"}) {
    auto c = ParseConfig(text, "test.toml");
    EXPECT_THAT(c.status(), StatusIs(ErrorCode::kInvalidArgument)) << text;
  }
  auto port = ParseConfig("[http]\nport = 65535\n", "test.toml");
  ASSERT_THAT(port.status(), IsOk());
  EXPECT_EQ(port->listen_port, 65535);
  auto window = ParseConfig("[auth]\nfailure_window_seconds = 3153600000\n", "test.toml");
  ASSERT_THAT(window.status(), IsOk());
  EXPECT_EQ(window->throttle.window, std::chrono::seconds(3153600000));
}

// Found by tests/fuzz/config_fuzz.cpp: toml++ converted a float for an integer key, by an
// undefined cast when it was beyond the int64 range. Integer keys take TOML integers only.
TEST(ConfigTest, RefusesFloatsForIntegerKeys) {
  for (const std::string text : {"[auth]\nsession_idle_seconds = 1809223372036854775807e0\n",
                                 "[http]\nport = 8443.0\n", "[http]\nio_threads = inf\n"}) {
    auto c = ParseConfig(text, "test.toml");
    EXPECT_THAT(c.status(), StatusIs(ErrorCode::kInvalidArgument)) << text;
    EXPECT_NE(c.status().message().find("wrong type"), std::string::npos) << text;
  }
}

TEST(ConfigTest, ParseConfigNamesTheSourceInParseErrors) {
  auto c = ParseConfig("not toml [", "inline.toml");
  EXPECT_THAT(c.status(), StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_NE(c.status().message().find("inline.toml"), std::string::npos);
}

TEST(ConfigTest, InvitationLimitIsConfigurable) {
  testutil::TempDir dir;
  auto c = LoadConfig(Write(dir, "[limits]\ninvitations_per_hour = 7\n"), std::nullopt);
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_EQ(c->app.max_invitations_per_hour, 7);
  EXPECT_EQ(LoadConfig(std::nullopt, std::nullopt)->app.max_invitations_per_hour, 50);
}

TEST(ConfigTest, RejectionEvidenceLimitsAreConfigurableAndChecked) {
  testutil::TempDir dir;
  const auto defaults = LoadConfig(std::nullopt, std::nullopt);
  ASSERT_THAT(defaults.status(), IsOk());
  EXPECT_EQ(defaults->app.max_rejection_evidence_per_sender, 30);
  EXPECT_EQ(defaults->app.max_rejection_evidence_per_client, 300);
  auto c = LoadConfig(Write(dir,
                            "[limits]\nrejection_evidence_per_sender_per_hour = 4\n"
                            "rejection_evidence_per_client_per_hour = 9\n"),
                      std::nullopt);
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_EQ(c->app.max_rejection_evidence_per_sender, 4);
  EXPECT_EQ(c->app.max_rejection_evidence_per_client, 9);
  EXPECT_THAT(
      LoadConfig(Write(dir, "[limits]\nrejection_evidence_per_sender_per_hour = 0\n"), std::nullopt)
          .status(),
      StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(LoadConfig(Write(dir, "[limits]\nrejection_evidence_per_client_per_hour = -1\n"),
                         std::nullopt)
                  .status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST(ConfigTest, TransferLimitIsConfigurableAndChecked) {
  testutil::TempDir dir;
  EXPECT_EQ(LoadConfig(std::nullopt, std::nullopt)->max_transfers, 256u);
  auto c = LoadConfig(Write(dir, "[http]\nmax_transfers = 12\n"), std::nullopt);
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_EQ(c->max_transfers, 12u);
  EXPECT_THAT(LoadConfig(Write(dir, "[http]\nmax_transfers = 0\n"), std::nullopt).status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST(ConfigTest, MailRetryPolicyIsConfigurableAndChecked) {
  testutil::TempDir dir;
  auto c = LoadConfig(Write(dir,
                            "[mail]\nretry_first_seconds = 5\nretry_max_seconds = 50\n"
                            "give_up_after_seconds = 500\n"),
                      std::nullopt);
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_EQ(c->app.mail_retry.first_retry, std::chrono::seconds(5));
  EXPECT_EQ(c->app.mail_retry.max_retry, std::chrono::seconds(50));
  EXPECT_EQ(c->app.mail_retry.give_up_after, std::chrono::seconds(500));
  EXPECT_THAT(LoadConfig(Write(dir, "[mail]\nretry_first_seconds = 0\n"), std::nullopt).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(LoadConfig(Write(dir, "[mail]\nretry_first_seconds = 100\nretry_max_seconds = 10\n"),
                         std::nullopt)
                  .status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST(ConfigTest, NotificationDkimAndDeliveryKeys) {
  testutil::TempDir dir;
  auto defaults = LoadConfig(std::nullopt, std::nullopt);
  ASSERT_THAT(defaults.status(), IsOk());
  EXPECT_FALSE(defaults->app.guest_notice_subject);  // the subject stays out by default
  EXPECT_EQ(defaults->mail_delivery_connections, 4);
  EXPECT_TRUE(defaults->mail_dkim_key_file.empty());
  auto c = LoadConfig(Write(dir,
                            "[guests]\nnotice_subject = true\n[mail]\ndelivery_connections = 2\n"
                            "dkim_key_file = \"/k.pem\"\ndkim_selector = \"s1\"\n"
                            "dkim_domain = \"example.org\"\n"),
                      std::nullopt);
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_TRUE(c->app.guest_notice_subject);
  EXPECT_EQ(c->mail_delivery_connections, 2);
  EXPECT_EQ(c->mail_dkim_selector, "s1");
  // DKIM keys come as a set of three; delivery_connections is bounded.
  EXPECT_THAT(LoadConfig(Write(dir, "[mail]\ndkim_selector = \"s1\"\n"), std::nullopt).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(LoadConfig(Write(dir, "[mail]\ndelivery_connections = 0\n"), std::nullopt).status(),
              StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(LoadConfig(Write(dir, "[guests]\nnotice_subject = \"yes\"\n"), std::nullopt).status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST(ConfigTest, SecureCopyDeliveryKeys) {
  testutil::TempDir dir;
  auto defaults = LoadConfig(std::nullopt, std::nullopt);
  ASSERT_THAT(defaults.status(), IsOk());
  EXPECT_EQ(defaults->delivery_connections, 4);
  EXPECT_EQ(defaults->delivery_copies_per_session, 50);
  auto c =
      LoadConfig(Write(dir, "[delivery]\nconnections = 2\ncopies_per_session = 7\n"), std::nullopt);
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_EQ(c->delivery_connections, 2);
  EXPECT_EQ(c->delivery_copies_per_session, 7);
  for (const char* bad : {"connections = 0", "connections = 33", "copies_per_session = 0",
                          "copies_per_session = 101"}) {
    EXPECT_THAT(
        LoadConfig(Write(dir, std::string("[delivery]\n") + bad + "\n"), std::nullopt).status(),
        StatusIs(ErrorCode::kInvalidArgument))
        << bad;
  }
}

TEST(PeriodicTaskTest, WakeRunsTheNextRoundBeforeThePeriodEnds) {
  std::mutex mu;
  std::condition_variable cv;
  int rounds = 0;
  PeriodicTask task(
      [&] {
        std::lock_guard lock(mu);
        ++rounds;
        cv.notify_all();
      },
      std::chrono::seconds(3600));
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return rounds == 1; }));
  lock.unlock();
  task.Wake();
  lock.lock();
  EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return rounds == 2; }));
}

TEST(PeriodicTaskTest, BackgroundTasksRunAtALowerPriority) {
  const auto nice_of_round = [](PeriodicTask::Priority priority) {
    std::promise<int> nice;
    bool set = false;
    PeriodicTask task(
        [&] {
          if (set) return;
          set = true;
          nice.set_value(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())));
        },
        std::chrono::seconds(3600), priority);
    return nice.get_future().get();
  };
  const int mine = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  EXPECT_EQ(nice_of_round(PeriodicTask::Priority::kNormal), mine);
  EXPECT_EQ(nice_of_round(PeriodicTask::Priority::kBackground),
            std::min(mine + PeriodicTask::kBackgroundNice, 19));
}

TEST(ConfigTest, PickupExpiryLimitIsConfigurableAndChecked) {
  testutil::TempDir dir;
  EXPECT_EQ(LoadConfig(std::nullopt, std::nullopt)->app.max_pickup_ttl,
            std::chrono::seconds(90 * 24 * 3600));
  auto c = LoadConfig(Write(dir, "[guests]\nmax_pickup_ttl_seconds = 10368000\n"), std::nullopt);
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_EQ(c->app.max_pickup_ttl, std::chrono::seconds(10368000));
  // Below the default expiry, or under a day: refused.
  EXPECT_THAT(
      LoadConfig(Write(dir, "[guests]\nmax_pickup_ttl_seconds = 86400\n"), std::nullopt).status(),
      StatusIs(ErrorCode::kInvalidArgument));
  EXPECT_THAT(LoadConfig(Write(dir,
                               "[guests]\npickup_ttl_seconds = 3600\n"
                               "max_pickup_ttl_seconds = 7200\n"),
                         std::nullopt)
                  .status(),
              StatusIs(ErrorCode::kInvalidArgument));
}

TEST(ConfigTest, RegisteredMailDeadlinesAreConfigurableAndChecked) {
  testutil::TempDir dir;
  auto defaults = LoadConfig(std::nullopt, std::nullopt);
  ASSERT_THAT(defaults.status(), IsOk());
  EXPECT_EQ(defaults->app.registered_deadline, std::chrono::seconds(14 * 24 * 3600));
  EXPECT_EQ(defaults->app.max_registered_deadline, std::chrono::seconds(90 * 24 * 3600));
  auto c = LoadConfig(Write(dir,
                            "[registered]\ndeadline_seconds = 172800\n"
                            "max_deadline_seconds = 604800\n"),
                      std::nullopt);
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_EQ(c->app.registered_deadline, std::chrono::seconds(172800));
  EXPECT_EQ(c->app.max_registered_deadline, std::chrono::seconds(604800));
  // A maximum below the default, under a day, or a default under an hour: refused.
  for (const char* bad : {"[registered]\nmax_deadline_seconds = 86400\n",
                          "[registered]\ndeadline_seconds = 3600\nmax_deadline_seconds = 3600\n",
                          "[registered]\ndeadline_seconds = 60\n"}) {
    EXPECT_THAT(LoadConfig(Write(dir, bad), std::nullopt).status(),
                StatusIs(ErrorCode::kInvalidArgument))
        << bad;
  }
}

}  // namespace
}  // namespace sealpost::cmd

namespace sealpost::cmd {
namespace {

TEST(ConfigTest, LogSequencerSettingsHaveDefaultsAndLimits) {
  testutil::TempDir dir;
  auto defaults = LoadConfig(std::nullopt, std::nullopt);
  ASSERT_THAT(defaults.status(), IsOk());
  EXPECT_EQ(defaults->log_sequence_delay_ms, 1000);
  EXPECT_EQ(defaults->log_sequence_batch, 4096);
  EXPECT_EQ(defaults->LogOrigin(), "127.0.0.1/sealpost-log");

  auto set = LoadConfig(Write(dir,
                              "[server]\npublic_url = \"https://mail.example.org:8443/x\"\n"
                              "[log]\nsequence_delay_ms = 250\nsequence_batch = 10\n"),
                        std::nullopt);
  ASSERT_THAT(set.status(), IsOk());
  EXPECT_EQ(set->log_sequence_delay_ms, 250);
  EXPECT_EQ(set->log_sequence_batch, 10);
  EXPECT_EQ(set->LogOrigin(), "mail.example.org/sealpost-log");

  auto named = LoadConfig(Write(dir, "[log]\norigin = \"example.org/audit\"\n"), std::nullopt);
  ASSERT_THAT(named.status(), IsOk());
  EXPECT_EQ(named->LogOrigin(), "example.org/audit");

  for (const char* bad : {"[log]\nsequence_delay_ms = 0\n", "[log]\nsequence_delay_ms = 60001\n",
                          "[log]\nsequence_batch = 0\n", "[log]\norigin = \"has space\"\n",
                          "[log]\norigin = \"a+b\"\n", "[log]\nunknown = 1\n"}) {
    EXPECT_THAT(LoadConfig(Write(dir, bad), std::nullopt).status(),
                StatusIs(ErrorCode::kInvalidArgument))
        << bad;
  }
}

TEST(ConfigTest, MetricsAndLoggingSections) {
  testutil::TempDir dir;
  auto defaults = LoadConfig(std::nullopt, std::nullopt);
  ASSERT_THAT(defaults.status(), IsOk());
  EXPECT_TRUE(defaults->metrics_enabled);
  EXPECT_TRUE(defaults->metrics_allow_loopback);
  EXPECT_EQ(defaults->metrics_bearer_token_file, "");
  EXPECT_EQ(defaults->logging_format, "text");

  auto set = LoadConfig(Write(dir,
                              "[metrics]\nenabled = false\nallow_loopback = false\n"
                              "bearer_token_file = \"/etc/sealpost/metrics.token\"\n"
                              "[logging]\nformat = \"json\"\n"
                              "[log]\nsequence_delay_ms = 250\n"),
                        std::nullopt);
  ASSERT_THAT(set.status(), IsOk());
  EXPECT_FALSE(set->metrics_enabled);
  EXPECT_FALSE(set->metrics_allow_loopback);
  EXPECT_EQ(set->metrics_bearer_token_file, "/etc/sealpost/metrics.token");
  EXPECT_EQ(set->logging_format, "json");
  EXPECT_EQ(set->log_sequence_delay_ms, 250);  // [log] stays the transparency log's

  for (const char* bad :
       {"[logging]\nformat = \"xml\"\n", "[logging]\nformat = 1\n", "[log]\nformat = \"json\"\n",
        "[metrics]\nenabled = \"yes\"\n", "[metrics]\ntoken = \"x\"\n"}) {
    EXPECT_THAT(LoadConfig(Write(dir, bad), std::nullopt).status(),
                StatusIs(ErrorCode::kInvalidArgument))
        << bad;
  }
}

}  // namespace
}  // namespace sealpost::cmd

namespace sealpost::cmd {
namespace {

TEST(ConfigTest, SubmissionPolicyAndRules) {
  auto defaults = ParseConfig("", "test.toml");
  ASSERT_THAT(defaults.status(), IsOk());
  EXPECT_EQ(defaults->submission.policy, app::SubmissionPolicy::kAll);
  EXPECT_EQ(defaults->submission.tag, "[secure]");
  EXPECT_EQ(defaults->SubmissionSpoolDir(), defaults->data_dir + "/smtp-spool");

  auto set = ParseConfig(
      "[smtp_policy]\npolicy = \"rules\"\ntag = \"[enc]\"\nready_rules = [\"iban\"]\n"
      "regex_rules = [\"(?i)confidential\"]\n",
      "test.toml");
  ASSERT_THAT(set.status(), IsOk());
  EXPECT_EQ(set->submission.policy, app::SubmissionPolicy::kRules);
  EXPECT_EQ(set->submission.tag, "[enc]");
  EXPECT_EQ(set->submission.rules.ready, std::vector<std::string>{"iban"});
  EXPECT_EQ(set->submission.rules.regexes, std::vector<std::string>{"(?i)confidential"});

  for (const char* bad :
       {"policy = \"some\"", "ready_rules = [\"passport\"]", "regex_rules = [\"(unclosed\"]",
        "regex_rules = [1]", "ready_rules = \"iban\"", "tag = \"\"", "colour = 1"}) {
    EXPECT_THAT(ParseConfig(std::string("[smtp_policy]\n") + bad + "\n", "test.toml").status(),
                StatusIs(ErrorCode::kInvalidArgument))
        << bad;
  }
}

}  // namespace
}  // namespace sealpost::cmd

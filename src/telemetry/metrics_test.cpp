#include "telemetry/metrics.h"

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/run_tool.h"
#include "testing/temp_dir.h"

namespace sealpost::telemetry {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsTest, CounterAndGaugeRenderWithHelpAndType) {
  Registry r;
  r.AddCounter("sp_sends_total", "Messages sent.", {"result"}).With({"ok"}).Increment(3);
  r.AddGauge("sp_depth", "Queue depth.").With().Set(-2);
  EXPECT_EQ(r.Render(),
            "# HELP sp_depth Queue depth.\n"
            "# TYPE sp_depth gauge\n"
            "sp_depth -2\n"
            "# HELP sp_sends_total Messages sent.\n"
            "# TYPE sp_sends_total counter\n"
            "sp_sends_total{result=\"ok\"} 3\n");
}

TEST(MetricsTest, LabelledChildrenShowOnceTheyCountUnlabelledAndGaugesAlways) {
  Registry r;
  auto& sends = r.AddCounter("sp_sends_total", "S.", {"kind"});
  Counter& member = sends.With({"member"});
  sends.With({"guest"});
  r.AddCounter("sp_plain_total", "P.").With();
  r.AddGauge("sp_depth", "D.", {"state"}).With({"waiting"});
  auto& h = r.AddHistogram("sp_h_seconds", "H.", {"route"}, {1});
  h.With({"/a"});
  std::string text = r.Render();
  EXPECT_THAT(text, Not(HasSubstr("sp_sends_total{")));
  EXPECT_THAT(text, HasSubstr("# TYPE sp_sends_total counter\n"));
  EXPECT_THAT(text, HasSubstr("sp_plain_total 0\n"));
  EXPECT_THAT(text, HasSubstr("sp_depth{state=\"waiting\"} 0\n"));
  EXPECT_THAT(text, Not(HasSubstr("sp_h_seconds_bucket")));
  member.Increment();
  h.With({"/a"}).Observe(0.5);
  text = r.Render();
  EXPECT_THAT(text, HasSubstr("sp_sends_total{kind=\"member\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("kind=\"guest\"")));
  EXPECT_THAT(text, HasSubstr("sp_h_seconds_bucket{route=\"/a\",le=\"1\"} 1\n"));
}

TEST(MetricsTest, LabelValuesAndHelpAreEscaped) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(EscapeHelp("x\\y\nz\"q"), "x\\\\y\\nz\"q");  // quotes stay in HELP
  Registry r;
  r.AddCounter("sp_odd_total", "Line one\nline \\two", {"route"}).With({"/a\"b\\\n"}).Increment();
  const std::string text = r.Render();
  EXPECT_THAT(text, HasSubstr("# HELP sp_odd_total Line one\\nline \\\\two\n"));
  EXPECT_THAT(text, HasSubstr("sp_odd_total{route=\"/a\\\"b\\\\\\n\"} 1\n"));
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry r;
  Histogram& h =
      r.AddHistogram("sp_latency_seconds", "Latency.", {"route"}, {1, 2, 5}).With({"/x"});
  for (const double v : {0.5, 1.0, 1.5, 7.0}) h.Observe(v);  // 1.0 lands in le="1"
  EXPECT_EQ(r.Render(),
            "# HELP sp_latency_seconds Latency.\n"
            "# TYPE sp_latency_seconds histogram\n"
            "sp_latency_seconds_bucket{route=\"/x\",le=\"1\"} 2\n"
            "sp_latency_seconds_bucket{route=\"/x\",le=\"2\"} 3\n"
            "sp_latency_seconds_bucket{route=\"/x\",le=\"5\"} 3\n"
            "sp_latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"
            "sp_latency_seconds_sum{route=\"/x\"} 10\n"
            "sp_latency_seconds_count{route=\"/x\"} 4\n");
  const Histogram::Snapshot s = h.Read();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{2, 3, 3, 4}));
}

TEST(MetricsTest, ValuesFormatAsTheTextFormatWantsThem) {
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(0.001), "0.001");
  EXPECT_EQ(FormatValue(1e21), "1e+21");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatValue(0.0 / 0.0), "NaN");
}

TEST(MetricsTest, SameNameAndShapeReturnsTheSameFamily) {
  Registry r;
  auto& a = r.AddCounter("sp_a_total", "A.", {"x"});
  auto& b = r.AddCounter("sp_a_total", "A.", {"x"});
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(&a.With({"1"}), &b.With({"1"}));
  EXPECT_NE(&a.With({"1"}), &a.With({"2"}));
}

TEST(MetricsDeathTest, MisuseAborts) {
  EXPECT_DEATH(Registry().AddCounter("sp_no_suffix", "x"), "must end in _total");
  EXPECT_DEATH(Registry().AddGauge("sp-bad", "x"), "invalid metric name");
  EXPECT_DEATH(Registry().AddGauge("sp_g", "x", {"__reserved"}), "invalid label name");
  EXPECT_DEATH(Registry().AddHistogram("sp_h", "x", {}, {2, 1}), "increasing");
  EXPECT_DEATH(
      {
        Registry r;
        r.AddGauge("sp_g", "x", {"a"});
        r.AddGauge("sp_g", "x", {"b"});
      },
      "twice");
  EXPECT_DEATH(Registry().AddGauge("sp_g", "x", {"a"}).With({}), "label values");
}

TEST(MetricsTest, ConcurrentUpdatesAreNotLost) {
  Registry r;
  Counter& c = r.AddCounter("sp_c_total", "C.").With();
  Histogram& h = r.AddHistogram("sp_h_seconds", "H.", {}, {0.5}).With();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100000; ++i) {
        c.Increment();
        h.Observe(i % 2 ? 1.0 : 0.25);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 400000u);
  const Histogram::Snapshot s = h.Read();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{200000, 400000}));
  EXPECT_DOUBLE_EQ(s.sum, 200000 * 1.0 + 200000 * 0.25);
}

TEST(MetricsTest, GaugeReadersRunAtRenderAndGoWithTheirHandle) {
  Registry r;
  int calls = 0;
  {
    Registry::ReaderHandle handle =
        r.AddGaugeReader("sp_queue_depth", "Depth.", {"state"}, [&calls] {
          ++calls;
          return std::vector<GaugeSample>{{{"retrying"}, 2}, {{"due"}, 5}};
        });
    const std::string text = r.Render();
    EXPECT_EQ(calls, 1);
    EXPECT_THAT(text, HasSubstr("# TYPE sp_queue_depth gauge\n"
                                "sp_queue_depth{state=\"due\"} 5\n"
                                "sp_queue_depth{state=\"retrying\"} 2\n"));
  }
  EXPECT_THAT(r.Render(), Not(HasSubstr("sp_queue_depth")));
  Registry::ReaderHandle failing = r.AddGaugeReader(
      "sp_broken", "B.", {},
      []() -> std::vector<GaugeSample> { throw std::runtime_error("database gone"); });
  EXPECT_THAT(r.Render(), Not(HasSubstr("sp_broken")));
}

// promtool (Debian's prometheus package) is the independent check of the exposition format.
TEST(MetricsTest, PromtoolAcceptsTheExposition) {
  Registry r;
  r.AddCounter("sealpost_test_requests_total", "Requests.", {"route", "code"})
      .With({"/api/v1/messages/{id}", "2xx"})
      .Increment(7);
  r.AddGauge("sealpost_test_sessions", "Sessions.").With().Set(3);
  auto& h =
      r.AddHistogram("sealpost_test_duration_seconds", "Duration.", {"route"}, LatencyBuckets());
  h.With({"/a\"b\\c\nd"}).Observe(0.003);
  h.With({"/x"}).Observe(42);
  Registry::ReaderHandle depth = r.AddGaugeReader("sealpost_test_depth", "Depth.", {"state"}, [] {
    return std::vector<GaugeSample>{{{"due"}, 1}, {{"retrying"}, 0}};
  });
  const std::string text = r.Render();
  testutil::TempDir dir;
  const testutil::ToolResult result =
      testutil::RunTool({"promtool", "check", "metrics"}, dir.path(), {}, text);
  EXPECT_EQ(result.exit_code, 0) << result.output() << "\n" << text;
  EXPECT_EQ(result.output(), "") << text;
}

}  // namespace
}  // namespace sealpost::telemetry

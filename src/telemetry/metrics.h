// Process metrics, exposed in the Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): counters, gauges, histograms,
// each a family of children told apart by label values, plus gauges read at scrape time.
//
// Written by hand, on purpose: Debian 12's prometheus-cpp (1.0.1, prometheus-cpp-dev) takes a
// mutex in every Histogram::Observe and hashes the labels under a mutex in Family::Add, and its
// CMake package drags in civetweb and libcurl. Here an update is one relaxed atomic add (a
// histogram: two, plus a compare-and-swap loop for the sum); locks are taken only when a child
// is created (first use of a label combination) and while rendering a scrape.
//
// Label values must never carry a secret, an address, an id or content: route patterns, states,
// result words. The registry cannot check that; callers choose their labels from fixed sets.
//
// Thread-safety: everything is safe from any thread. References returned by the registry and by
// Family::With() stay valid as long as the registry lives (DefaultRegistry(): the process).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sealpost::telemetry {

using LabelValues = std::vector<std::string>;

class Counter final {
 public:
  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge final {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Observations fall into the first bucket whose upper bound is >= the value; the exposition
// shows the buckets cumulated (le="…"), a final le="+Inf" bucket, _sum and _count. _count is the
// sum of the bucket counts, so a scrape is always consistent with its buckets.
class Histogram final {
 public:
  // `upper_bounds` strictly increasing and finite (the registry checks).
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double value);
  void ObserveDuration(std::chrono::steady_clock::duration d) {
    Observe(std::chrono::duration<double>(d).count());
  }

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then the +Inf bucket
    double sum = 0;
  };
  Snapshot Read() const;
  const std::vector<double>& upper_bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulated
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, 1 ms to 30 s.
std::vector<double> LatencyBuckets();

// The children of one metric name. With() takes the family's mutex: on hot paths, keep the
// reference it returns.
template <typename Metric>
class Family final {
 public:
  Family(size_t label_count, std::function<std::unique_ptr<Metric>()> make)
      : label_count_(label_count), make_(std::move(make)) {}
  // The child for `values` (one per label name, in order); created on first use. A wrong number
  // of values is a programming error and aborts.
  Metric& With(const LabelValues& values = {});
  // Calls f(values, metric) for each child, in label order, under the family's mutex.
  template <typename F>
  void ForEach(F f) const {
    std::lock_guard lock(mu_);
    for (const auto& [values, metric] : children_) f(values, *metric);
  }

 private:
  const size_t label_count_;
  const std::function<std::unique_ptr<Metric>()> make_;
  mutable std::mutex mu_;
  std::map<LabelValues, std::unique_ptr<Metric>> children_;
};

// One value of a gauge read at scrape time.
struct GaugeSample {
  LabelValues labels;
  double value = 0;
};
using GaugeReader = std::function<std::vector<GaugeSample>()>;

class Registry final {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Each returns the family of that name, creating it on the first call. Asking again for a
  // name with the same type and label names (and bounds) returns the same family; anything else —
  // another type, other labels, an invalid metric or label name — is a programming error and
  // aborts. Counter names end in _total (the format's convention; promtool checks it).
  Family<Counter>& AddCounter(std::string_view name, std::string_view help,
                              std::vector<std::string> label_names = {});
  Family<Gauge>& AddGauge(std::string_view name, std::string_view help,
                          std::vector<std::string> label_names = {});
  Family<Histogram>& AddHistogram(std::string_view name, std::string_view help,
                                  std::vector<std::string> label_names,
                                  std::vector<double> upper_bounds);

  // A gauge whose samples `read` produces at every Render(), for values that live elsewhere (a
  // queue depth in the database). `read` runs on the scraping thread, outside the registry's
  // lock, and must be thread-safe; when it throws nothing of it is shown. The gauge is removed
  // when the returned handle goes: it must go before what `read` uses.
  class ReaderHandle final {
   public:
    ReaderHandle() = default;
    ReaderHandle(Registry* registry, std::string name)
        : registry_(registry), name_(std::move(name)) {}
    ReaderHandle(ReaderHandle&& other) noexcept;
    ReaderHandle& operator=(ReaderHandle&& other) noexcept;
    ~ReaderHandle();

   private:
    Registry* registry_ = nullptr;
    std::string name_;
  };
  [[nodiscard]] ReaderHandle AddGaugeReader(std::string_view name, std::string_view help,
                                            std::vector<std::string> label_names, GaugeReader read);

  // Every metric in the text format 0.0.4, families sorted by name. Children with labels of a
  // counter or histogram are shown once they have counted something (a family whose children
  // are created up front, such as every route × status class, stays small); a metric without
  // labels and every gauge always shows.
  std::string Render() const;

 private:
  struct Entry;
  Entry& Add(std::string_view name, std::string_view help, int type,
             std::vector<std::string> label_names, std::vector<double> bounds);
  void RemoveReader(const std::string& name);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> entries_;
};

// The process-wide registry that Sealpost's components report into.
Registry& DefaultRegistry();

// The text format's escaping, exposed for tests: a label value escapes \, " and newline; a HELP
// text escapes \ and newline.
std::string EscapeLabelValue(std::string_view value);
std::string EscapeHelp(std::string_view help);
// A sample value: shortest round-trip decimal, or +Inf, -Inf, NaN.
std::string FormatValue(double value);

template <typename Metric>
Metric& Family<Metric>::With(const LabelValues& values) {
  if (values.size() != label_count_) {
    std::fprintf(stderr, "telemetry: %zu label values for %zu labels\n", values.size(),
                 label_count_);
    std::abort();
  }
  std::lock_guard lock(mu_);
  auto it = children_.find(values);
  if (it == children_.end()) it = children_.emplace(values, make_()).first;
  return *it->second;
}

}  // namespace sealpost::telemetry

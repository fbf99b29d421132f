#include "telemetry/metrics.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <utility>

#include <fmt/format.h>

namespace sealpost::telemetry {
namespace {

enum Type { kCounter, kGauge, kHistogram, kGaugeReader };
constexpr const char* kTypeNames[] = {"counter", "gauge", "histogram", "gauge"};

[[noreturn]] void Misuse(const std::string& what) {
  std::fprintf(stderr, "telemetry: %s\n", what.c_str());
  std::abort();
}

bool IsValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// name{a="x",b="y"} — `extra` is one more label (a histogram's le) or empty.
std::string Series(std::string_view name, const std::vector<std::string>& label_names,
                   const LabelValues& values, std::string_view extra = {}) {
  std::string out(name);
  if (label_names.empty() && extra.empty()) return out;
  out += '{';
  for (size_t i = 0; i < label_names.size(); ++i) {
    if (i > 0) out += ',';
    out += label_names[i];
    out += "=\"";
    out += EscapeLabelValue(values[i]);
    out += '"';
  }
  if (!extra.empty()) {
    if (!label_names.empty()) out += ',';
    out += extra;
  }
  out += '}';
  return out;
}

}  // namespace

struct Registry::Entry {
  std::string name;
  std::string help;
  int type = kCounter;
  std::vector<std::string> label_names;
  std::vector<double> bounds;
  std::unique_ptr<Family<Counter>> counters;
  std::unique_ptr<Family<Gauge>> gauges;
  std::unique_ptr<Family<Histogram>> histograms;
  std::shared_ptr<const GaugeReader> reader;
};

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::Observe(double value) {
  // The first bound >= value: Prometheus buckets are "less than or equal".
  const size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                       bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.cumulative.reserve(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Entry& Registry::Add(std::string_view name, std::string_view help, int type,
                               std::vector<std::string> label_names, std::vector<double> bounds) {
  if (!IsValidName(name, true)) Misuse(fmt::format("invalid metric name {:?}", name));
  for (const std::string& label : label_names) {
    if (!IsValidName(label, false) || label.rfind("__", 0) == 0 ||
        (type == kHistogram && label == "le")) {
      Misuse(fmt::format("invalid label name {:?} of {}", label, name));
    }
  }
  if (type == kCounter && !EndsWith(name, "_total")) {
    Misuse(fmt::format("counter {} must end in _total", name));
  }
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      Misuse(fmt::format("histogram {}: bounds must be finite and increasing", name));
    }
  }
  std::lock_guard lock(mu_);
  auto it = entries_.find(name);
  if (it != entries_.end()) {
    Entry& e = *it->second;
    if (e.type != type || e.label_names != label_names || e.bounds != bounds ||
        type == kGaugeReader) {
      Misuse(fmt::format("metric {} registered twice with different shapes", name));
    }
    return e;
  }
  auto entry = std::make_unique<Entry>();
  entry->name = std::string(name);
  entry->help = std::string(help);
  entry->type = type;
  entry->label_names = std::move(label_names);
  entry->bounds = std::move(bounds);
  const size_t n = entry->label_names.size();
  switch (type) {
    case kCounter:
      entry->counters =
          std::make_unique<Family<Counter>>(n, [] { return std::make_unique<Counter>(); });
      break;
    case kGauge:
      entry->gauges = std::make_unique<Family<Gauge>>(n, [] { return std::make_unique<Gauge>(); });
      break;
    case kHistogram:
      entry->histograms = std::make_unique<Family<Histogram>>(
          n, [b = entry->bounds] { return std::make_unique<Histogram>(b); });
      break;
    default:
      break;
  }
  return *entries_.emplace(entry->name, std::move(entry)).first->second;
}

Family<Counter>& Registry::AddCounter(std::string_view name, std::string_view help,
                                      std::vector<std::string> label_names) {
  return *Add(name, help, kCounter, std::move(label_names), {}).counters;
}

Family<Gauge>& Registry::AddGauge(std::string_view name, std::string_view help,
                                  std::vector<std::string> label_names) {
  return *Add(name, help, kGauge, std::move(label_names), {}).gauges;
}

Family<Histogram>& Registry::AddHistogram(std::string_view name, std::string_view help,
                                          std::vector<std::string> label_names,
                                          std::vector<double> upper_bounds) {
  return *Add(name, help, kHistogram, std::move(label_names), std::move(upper_bounds)).histograms;
}

Registry::ReaderHandle Registry::AddGaugeReader(std::string_view name, std::string_view help,
                                                std::vector<std::string> label_names,
                                                GaugeReader read) {
  Entry& e = Add(name, help, kGaugeReader, std::move(label_names), {});
  std::lock_guard lock(mu_);
  e.reader = std::make_shared<const GaugeReader>(std::move(read));
  return ReaderHandle(this, e.name);
}

void Registry::RemoveReader(const std::string& name) {
  std::lock_guard lock(mu_);
  entries_.erase(name);
}

Registry::ReaderHandle::ReaderHandle(ReaderHandle&& other) noexcept
    : registry_(std::exchange(other.registry_, nullptr)), name_(std::move(other.name_)) {}

Registry::ReaderHandle& Registry::ReaderHandle::operator=(ReaderHandle&& other) noexcept {
  if (this != &other) {
    if (registry_) registry_->RemoveReader(name_);
    registry_ = std::exchange(other.registry_, nullptr);
    name_ = std::move(other.name_);
  }
  return *this;
}

Registry::ReaderHandle::~ReaderHandle() {
  if (registry_) registry_->RemoveReader(name_);
}

std::string Registry::Render() const {
  // The readers run outside the lock (they may query a database); take what they need first.
  struct Block {
    const Entry* entry;  // not used for readers: a reader's entry may go meanwhile
    int type;
    std::shared_ptr<const GaugeReader> reader;
    std::string name, help;
    std::vector<std::string> label_names;
  };
  std::vector<Block> blocks;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, entry] : entries_) {
      blocks.push_back(
          {entry.get(), entry->type, entry->reader, entry->name, entry->help, entry->label_names});
    }
  }
  std::string out;
  for (const Block& b : blocks) {
    std::string body;
    if (b.reader) {
      std::vector<GaugeSample> samples;
      try {
        samples = (*b.reader)();
      } catch (const std::exception&) {
        continue;  // nothing half-shown
      }
      std::sort(samples.begin(), samples.end(),
                [](const GaugeSample& x, const GaugeSample& y) { return x.labels < y.labels; });
      for (const GaugeSample& s : samples) {
        if (s.labels.size() != b.label_names.size()) continue;
        body += Series(b.name, b.label_names, s.labels) + " " + FormatValue(s.value) + "\n";
      }
    } else {
      // Entries other than readers are never removed, so the pointer stays valid unlocked.
      const Entry& e = *b.entry;
      // A labelled counter or histogram child still at zero is left out: the HTTP server
      // creates every route × status class up front, and most never move.
      const bool hide_zero = !e.label_names.empty();
      if (e.counters) {
        e.counters->ForEach([&](const LabelValues& v, const Counter& c) {
          const uint64_t value = c.value();
          if (hide_zero && value == 0) return;
          body += fmt::format("{} {}\n", Series(e.name, e.label_names, v), value);
        });
      } else if (e.gauges) {
        e.gauges->ForEach([&](const LabelValues& v, const Gauge& g) {
          body += fmt::format("{} {}\n", Series(e.name, e.label_names, v), g.value());
        });
      } else if (e.histograms) {
        e.histograms->ForEach([&](const LabelValues& v, const Histogram& h) {
          const Histogram::Snapshot s = h.Read();
          if (hide_zero && s.cumulative.back() == 0) return;
          const std::string bucket = e.name + "_bucket";
          for (size_t i = 0; i < s.cumulative.size(); ++i) {
            const std::string le =
                i < e.bounds.size() ? FormatValue(e.bounds[i]) : std::string("+Inf");
            body += fmt::format("{} {}\n", Series(bucket, e.label_names, v, "le=\"" + le + "\""),
                                s.cumulative[i]);
          }
          body +=
              fmt::format("{} {}\n", Series(e.name + "_sum", e.label_names, v), FormatValue(s.sum));
          body += fmt::format("{} {}\n", Series(e.name + "_count", e.label_names, v),
                              s.cumulative.back());
        });
      }
    }
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", b.name, EscapeHelp(b.help), b.name,
                       kTypeNames[b.type]);
    out += body;
  }
  return out;
}

Registry& DefaultRegistry() {
  static Registry registry;
  return registry;
}

}  // namespace sealpost::telemetry

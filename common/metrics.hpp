#pragma once
// Prometheus metrics: counters, gauges and histograms with labels, rendered in the text
// exposition format (version 0.0.4).
//
// One registry per node, owned by parleyd's main and shared by reference. Registration takes
// a lock; the returned series are stable references that any thread updates lock-free, so hot
// paths look a series up once and keep it.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace parley::common {

using labels = std::vector<std::pair<std::string, std::string>>;

class counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double d);
  [[nodiscard]] double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class histogram {
 public:
  explicit histogram(std::vector<double> upper_bounds);
  void observe(double v);
  [[nodiscard]] const std::vector<double>& bounds() const { return bounds_; }
  /// Cumulative count for bucket i (le=bounds[i]); i == bounds.size() is +Inf.
  [[nodiscard]] uint64_t cumulative(std::size_t i) const;
  [[nodiscard]] uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  [[nodiscard]] double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // non-cumulative, last = +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

/// Latency buckets in seconds, 100 µs to 10 s.
[[nodiscard]] std::vector<double> latency_buckets();

class metrics_registry {
 public:
  counter& get_counter(const std::string& name, const std::string& help, const labels& l = {});
  gauge& get_gauge(const std::string& name, const std::string& help, const labels& l = {});
  histogram& get_histogram(const std::string& name, const std::string& help, const labels& l = {},
                           std::vector<double> bounds = latency_buckets());
  /// A gauge read when rendering (e.g. process memory). `type` is "gauge" or "counter".
  void add_callback(const std::string& name, const std::string& help, const std::string& type,
                    std::function<double()> read);
  /// The whole registry in Prometheus text format.
  [[nodiscard]] std::string render() const;

 private:
  struct family {
    std::string help;
    std::string type;
    std::map<std::string, std::unique_ptr<counter>> counters;  // key: rendered labels
    std::map<std::string, std::unique_ptr<gauge>> gauges;
    std::map<std::string, std::unique_ptr<histogram>> histograms;
    std::function<double()> callback;
  };
  family& family_for(const std::string& name, const std::string& help, const std::string& type);

  mutable std::mutex mtx_;
  std::map<std::string, family> families_;
};

/// `{a="x",b="y"}` with Prometheus escaping, or empty for no labels.
[[nodiscard]] std::string render_labels(const labels& l);

/// Registers process_* metrics (resident memory, CPU seconds, open fds, start time).
void register_process_metrics(metrics_registry& reg);

}  // namespace parley::common

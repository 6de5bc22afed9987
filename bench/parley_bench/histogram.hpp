#pragma once
// A log-linear latency histogram (HdrHistogram's layout): exact below 256 ns, then 128 buckets
// per power of two, so any recorded value from 1 ns to 60 s is reported within 0.4% (bucket
// midpoint). Values above 60 s are clamped and counted as such.
//
// latency_histogram is recorded from any number of threads at once (relaxed atomic counters);
// snapshot() may run concurrently and gives a plain histogram_snapshot for percentiles, merges
// and per-interval differences, which belongs to one thread.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace parley::bench {

namespace hist_layout {
constexpr int sub_bits = 8;                 // 2^8 exact values, then 2^7 buckets per octave
constexpr int64_t max_ns = 60'000'000'000;  // 60 s
constexpr int octaves = 36 - sub_bits + 1;  // 2^36 ns > 60 s
constexpr std::size_t buckets = (1u << sub_bits) + octaves * (1u << (sub_bits - 1));
[[nodiscard]] std::size_t index_of(int64_t ns);
[[nodiscard]] int64_t lower_bound(std::size_t index);
[[nodiscard]] int64_t upper_bound(std::size_t index);  ///< exclusive
}  // namespace hist_layout

struct histogram_snapshot {
  std::vector<uint64_t> counts = std::vector<uint64_t>(hist_layout::buckets, 0);
  uint64_t count = 0;
  uint64_t clamped = 0;  ///< values above 60 s
  int64_t min_ns = 0;    ///< exact; 0 when empty
  int64_t max_ns = 0;    ///< exact
  double sum_ns = 0;

  void record(int64_t ns);
  void merge(const histogram_snapshot& other);
  /// This minus an earlier snapshot of the same histogram (min/max then become bucket bounds).
  [[nodiscard]] histogram_snapshot since(const histogram_snapshot& earlier) const;
  /// q in [0,1]; 0 when empty. The bucket midpoint, kept within [min, max].
  [[nodiscard]] int64_t percentile_ns(double q) const;
  [[nodiscard]] double mean_ns() const { return count ? sum_ns / static_cast<double>(count) : 0; }
};

class latency_histogram {
 public:
  latency_histogram();
  void record(int64_t ns);
  [[nodiscard]] histogram_snapshot snapshot() const;

 private:
  std::vector<std::atomic<uint64_t>> counts_;
  std::atomic<uint64_t> clamped_{0};
  std::atomic<int64_t> min_ns_{INT64_MAX};
  std::atomic<int64_t> max_ns_{0};
  std::atomic<int64_t> sum_ns_{0};
};

}  // namespace parley::bench

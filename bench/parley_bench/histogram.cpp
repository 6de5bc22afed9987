// The latency histogram's bucket arithmetic and percentiles. Any thread (see histogram.hpp).
#include "bench/parley_bench/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace parley::bench {

namespace hist_layout {

namespace {
constexpr int64_t exact = int64_t{1} << sub_bits;
constexpr int64_t half = int64_t{1} << (sub_bits - 1);
}  // namespace

std::size_t index_of(int64_t ns) {
  if (ns < 0) ns = 0;
  if (ns > max_ns) ns = max_ns;
  if (ns < exact) return static_cast<std::size_t>(ns);
  int e = 63 - __builtin_clzll(static_cast<unsigned long long>(ns));  // >= sub_bits
  int shift = e - (sub_bits - 1);
  auto sub = (ns >> shift) - half;  // [0, half)
  return static_cast<std::size_t>(exact + (e - sub_bits) * half + sub);
}

int64_t lower_bound(std::size_t index) {
  auto i = static_cast<int64_t>(index);
  if (i < exact) return i;
  auto g = (i - exact) / half;
  auto sub = (i - exact) % half + half;
  return sub << (g + 1);
}

int64_t upper_bound(std::size_t index) {
  auto i = static_cast<int64_t>(index);
  if (i < exact) return i + 1;
  auto g = (i - exact) / half;
  auto sub = (i - exact) % half + half;
  return (sub + 1) << (g + 1);
}

}  // namespace hist_layout

void histogram_snapshot::record(int64_t ns) {
  if (ns < 0) ns = 0;
  if (ns > hist_layout::max_ns) {
    ++clamped;
    ns = hist_layout::max_ns;
  }
  ++counts[hist_layout::index_of(ns)];
  min_ns = count == 0 ? ns : std::min(min_ns, ns);
  max_ns = std::max(max_ns, ns);
  ++count;
  sum_ns += static_cast<double>(ns);
}

void histogram_snapshot::merge(const histogram_snapshot& other) {
  if (other.count == 0) return;
  for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
  min_ns = count == 0 ? other.min_ns : std::min(min_ns, other.min_ns);
  max_ns = std::max(max_ns, other.max_ns);
  count += other.count;
  clamped += other.clamped;
  sum_ns += other.sum_ns;
}

histogram_snapshot histogram_snapshot::since(const histogram_snapshot& earlier) const {
  histogram_snapshot out;
  std::size_t first = counts.size(), last = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    out.counts[i] = counts[i] - earlier.counts[i];
    if (out.counts[i]) {
      first = std::min(first, i);
      last = i;
    }
  }
  out.count = count - earlier.count;
  out.clamped = clamped - earlier.clamped;
  out.sum_ns = sum_ns - earlier.sum_ns;
  if (out.count) {
    out.min_ns = hist_layout::lower_bound(first);
    out.max_ns = std::min(max_ns, hist_layout::upper_bound(last) - 1);
  }
  return out;
}

int64_t histogram_snapshot::percentile_ns(double q) const {
  if (count == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count)));
  rank = std::max<uint64_t>(rank, 1);
  uint64_t seen = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    seen += counts[i];
    if (seen >= rank) {
      auto lo = hist_layout::lower_bound(i);
      auto hi = hist_layout::upper_bound(i);
      auto mid = lo + (hi - 1 - lo) / 2;
      return std::clamp(mid, min_ns, max_ns);
    }
  }
  return max_ns;
}

latency_histogram::latency_histogram() : counts_(hist_layout::buckets) {
  for (auto& c : counts_) c.store(0, std::memory_order_relaxed);
}

void latency_histogram::record(int64_t ns) {
  if (ns < 0) ns = 0;
  if (ns > hist_layout::max_ns) {
    clamped_.fetch_add(1, std::memory_order_relaxed);
    ns = hist_layout::max_ns;
  }
  counts_[hist_layout::index_of(ns)].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(ns, std::memory_order_relaxed);
  auto lo = min_ns_.load(std::memory_order_relaxed);
  while (ns < lo && !min_ns_.compare_exchange_weak(lo, ns, std::memory_order_relaxed)) {
  }
  auto hi = max_ns_.load(std::memory_order_relaxed);
  while (ns > hi && !max_ns_.compare_exchange_weak(hi, ns, std::memory_order_relaxed)) {
  }
}

histogram_snapshot latency_histogram::snapshot() const {
  histogram_snapshot out;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    out.counts[i] = counts_[i].load(std::memory_order_relaxed);
    out.count += out.counts[i];  // the total is always consistent with the buckets
  }
  out.clamped = clamped_.load(std::memory_order_relaxed);
  out.sum_ns = static_cast<double>(sum_ns_.load(std::memory_order_relaxed));
  if (out.count) {
    out.min_ns = min_ns_.load(std::memory_order_relaxed);
    out.max_ns = max_ns_.load(std::memory_order_relaxed);
    if (out.min_ns == INT64_MAX) out.min_ns = 0;
  }
  return out;
}

}  // namespace parley::bench

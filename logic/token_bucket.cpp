#include "logic/token_bucket.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace parley::logic {
namespace {

// Refill is computed in floating point: 0.1 s at 10/s may come out as 0.9999999999999998 tokens.
// The tolerance keeps such a request from being refused (and told to wait ~1e-16 s).
constexpr double kEpsilon = 1e-9;

double sane(double v) {
  return std::isnan(v) || v < 0 ? 0.0 : v;
}

}  // namespace

token_bucket::token_bucket(double rate_per_s, double burst)
    : rate_(sane(rate_per_s)), burst_(sane(burst)), tokens_(burst_) {}

double token_bucket::available(double now_s) const {
  if (!started_) return tokens_;
  double elapsed = now_s - last_;
  if (!(elapsed > 0) || !(rate_ > 0)) return tokens_;  // also catches NaN
  return std::min(burst_, tokens_ + elapsed * rate_);
}

bool token_bucket::try_take(double now_s, double n) {
  if (!(n > 0)) return true;
  tokens_ = available(now_s);
  if (!started_ || now_s > last_) last_ = now_s;
  started_ = true;
  if (tokens_ + kEpsilon < n) return false;
  tokens_ = std::max(0.0, tokens_ - n);
  return true;
}

double token_bucket::retry_after(double now_s, double n) const {
  if (!(n > 0)) return 0;
  double have = available(now_s);
  if (have + kEpsilon >= n) return 0;
  if (n > burst_ + kEpsilon || !(rate_ > 0)) return std::numeric_limits<double>::infinity();
  return (n - have) / rate_;
}

}  // namespace parley::logic

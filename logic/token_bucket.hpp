#pragma once
// token_bucket: rate limiting with bursts (per tenant, per API-key prefix, per client address).
//
// Holds up to `burst` tokens, refilled continuously at `rate_per_s`; a request takes n tokens or
// is refused. Time is injected (seconds as double, any monotonic origin, e.g. steady_clock), so
// the bucket is pure and deterministic in tests. It starts full; the first call fixes the time
// origin. Time going backwards (a caller mixing clocks) is ignored: it neither refills nor
// drains. Not thread-safe: guard each bucket with the owner's lock or keep it inside an actor.
namespace parley::logic {

class token_bucket {
 public:
  /// Negative or NaN arguments are treated as 0 (a 0-rate bucket never refills; a 0-burst
  /// bucket refuses everything).
  token_bucket(double rate_per_s, double burst);

  /// Takes n tokens when available at now_s and returns true; otherwise takes nothing.
  /// n <= 0 always succeeds without taking anything.
  [[nodiscard]] bool try_take(double now_s, double n = 1);

  /// Seconds from now_s until n tokens are available (0 when they already are; +infinity when
  /// they never will be: n > burst, or a 0 rate with too few tokens). For a Retry-After header
  /// round it up.
  [[nodiscard]] double retry_after(double now_s, double n = 1) const;

  /// Tokens available at now_s (without taking any).
  [[nodiscard]] double available(double now_s) const;

  [[nodiscard]] double rate() const { return rate_; }
  [[nodiscard]] double burst() const { return burst_; }

 private:
  double rate_;
  double burst_;
  double tokens_;
  double last_ = 0;
  bool started_ = false;
};

}  // namespace parley::logic

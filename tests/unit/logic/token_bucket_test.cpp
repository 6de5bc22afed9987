// token_bucket: bursts, continuous refill, exact Retry-After, floating point and time going
// backwards.
#include "logic/token_bucket.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using parley::logic::token_bucket;

TEST(token_bucket, burst_then_refuse) {
  token_bucket b(2, 5);
  EXPECT_DOUBLE_EQ(b.available(100), 5);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b.try_take(100)) << i;
  EXPECT_FALSE(b.try_take(100));
  EXPECT_DOUBLE_EQ(b.available(100), 0);
}

TEST(token_bucket, refill_is_continuous_and_capped) {
  token_bucket b(2, 5);
  ASSERT_TRUE(b.try_take(0, 5));
  EXPECT_DOUBLE_EQ(b.available(0.25), 0.5);
  EXPECT_FALSE(b.try_take(0.25));
  EXPECT_TRUE(b.try_take(0.5));  // 1 token after 0.5 s at 2/s
  EXPECT_FALSE(b.try_take(0.5));
  EXPECT_DOUBLE_EQ(b.available(1000), 5);  // never above burst
  EXPECT_TRUE(b.try_take(1000, 5));
  EXPECT_FALSE(b.try_take(1000, 0.5));
}

TEST(token_bucket, retry_after_exact) {
  token_bucket b(4, 8);
  EXPECT_DOUBLE_EQ(b.retry_after(0), 0);
  ASSERT_TRUE(b.try_take(0, 8));
  EXPECT_DOUBLE_EQ(b.retry_after(0), 0.25);
  EXPECT_DOUBLE_EQ(b.retry_after(0, 3), 0.75);
  EXPECT_DOUBLE_EQ(b.retry_after(0.125), 0.125);
  EXPECT_DOUBLE_EQ(b.retry_after(0.25), 0);
  EXPECT_DOUBLE_EQ(b.retry_after(0, 8), 2);
  EXPECT_TRUE(std::isinf(b.retry_after(0, 9)));  // more than the bucket holds
  // Waiting exactly retry_after succeeds.
  double wait = b.retry_after(0, 3);
  EXPECT_FALSE(b.try_take(wait - 0.01, 3));
  EXPECT_TRUE(b.try_take(wait, 3));
}

TEST(token_bucket, floating_point_refill_is_not_short_changed) {
  token_bucket b(10, 1);
  double t = 0;
  ASSERT_TRUE(b.try_take(t));
  for (int i = 0; i < 1000; ++i) {
    t += 0.1;  // accumulates rounding error
    EXPECT_TRUE(b.try_take(t)) << i;
    EXPECT_FALSE(b.try_take(t)) << i;
  }
}

TEST(token_bucket, time_going_backwards_and_edge_parameters) {
  token_bucket b(1, 2);
  ASSERT_TRUE(b.try_take(10, 2));
  EXPECT_FALSE(b.try_take(5));  // earlier time: no refill
  EXPECT_DOUBLE_EQ(b.available(5), 0);
  EXPECT_TRUE(b.try_take(11));  // measured from 10, not from 5
  EXPECT_TRUE(b.try_take(11, 0));
  EXPECT_TRUE(b.try_take(11, -1));

  token_bucket frozen(0, 3);
  EXPECT_TRUE(frozen.try_take(0, 3));
  EXPECT_FALSE(frozen.try_take(1e9));
  EXPECT_TRUE(std::isinf(frozen.retry_after(1e9)));
  EXPECT_FALSE(frozen.try_take(std::numeric_limits<double>::infinity()));

  token_bucket empty(5, 0);
  EXPECT_FALSE(empty.try_take(0));
  token_bucket nan(std::nan(""), -1);
  EXPECT_EQ(nan.rate(), 0);
  EXPECT_EQ(nan.burst(), 0);
  EXPECT_FALSE(nan.try_take(0));
  token_bucket b2(1, 1);
  EXPECT_TRUE(b2.try_take(0));
  EXPECT_FALSE(b2.try_take(std::nan("")));
}

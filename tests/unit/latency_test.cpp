// SPDX-License-Identifier: GPL-2.0-only
// Percentiles of the scheduler's wakeup-latency histogram (layout in bpf/intf.h).
#include "bpf/intf.h"
#include "stats/latency.h"

#include <gtest/gtest.h>

#include <vector>

namespace scx_gamer {
namespace {

TEST(Latency, BucketFloorsAreLinearThenDoubling) {
    EXPECT_EQ(latency_bucket_floor_ns(0), 0u);
    EXPECT_EQ(latency_bucket_floor_ns(1), GAMER_LAT_BUCKET_NS);
    EXPECT_EQ(latency_bucket_floor_ns(GAMER_LAT_LINEAR), 1'000'000u);
    EXPECT_EQ(latency_bucket_floor_ns(GAMER_LAT_LINEAR + 1), 2'000'000u);
    EXPECT_EQ(latency_bucket_floor_ns(GAMER_LAT_LINEAR + 3), 8'000'000u);
}

TEST(Latency, EmptyHistogramGivesZero) {
    std::vector<uint64_t> histogram(GAMER_LAT_BUCKETS, 0);
    EXPECT_EQ(latency_quantile_ns(histogram, 0.99), 0u);
}

TEST(Latency, QuantileIsTheUpperEdgeOfItsBucket) {
    std::vector<uint64_t> histogram(GAMER_LAT_BUCKETS, 0);
    histogram[2] = 98;                   // 20..30 us
    histogram[GAMER_LAT_LINEAR + 1] = 2; // 2..4 ms
    EXPECT_EQ(latency_quantile_ns(histogram, 0.50), 30'000u);
    EXPECT_EQ(latency_quantile_ns(histogram, 0.98), 30'000u);
    EXPECT_EQ(latency_quantile_ns(histogram, 0.99), 4'000'000u);
    EXPECT_EQ(latency_quantile_ns(histogram, 1.0), 4'000'000u);
}

} // namespace
} // namespace scx_gamer

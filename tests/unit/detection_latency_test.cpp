// SPDX-License-Identifier: GPL-2.0-only
#include "service/detection_latency.h"

#include <gtest/gtest.h>

namespace scx_gamer {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

TEST(DetectionLatency, NoSamplesReportZero) {
    const DetectionLatency latency;
    EXPECT_EQ(latency.samples(), 0u);
    EXPECT_EQ(latency.quantile_us(0.5), 0u);
    EXPECT_EQ(latency.quantile_us(0.99), 0u);
}

TEST(DetectionLatency, ASampleReportsTheUpperEdgeOfItsBucket) {
    DetectionLatency latency;
    latency.record(microseconds(800)); // (700, 1000]
    EXPECT_EQ(latency.quantile_us(0.5), 1000u);
    EXPECT_EQ(latency.quantile_us(0.99), 1000u);
}

TEST(DetectionLatency, EdgesAreInclusiveAndPartsOfAMicrosecondRoundUp) {
    DetectionLatency a;
    a.record(microseconds(50));
    EXPECT_EQ(a.quantile_us(0.5), 50u);
    DetectionLatency b;
    b.record(nanoseconds(50'001)); // 50.001 µs is not within 50 µs
    EXPECT_EQ(b.quantile_us(0.5), 100u);
    DetectionLatency c;
    c.record(nanoseconds(0));
    c.record(nanoseconds(-5)); // a clock that went backwards counts as no time
    EXPECT_EQ(c.quantile_us(1.0), 50u);
}

TEST(DetectionLatency, PercentilesSplitTheDistribution) {
    DetectionLatency latency;
    for (int i = 0; i < 98; ++i)
        latency.record(microseconds(150)); // (100, 200]
    latency.record(microseconds(2'500));   // (2000, 3000]
    latency.record(microseconds(25'000));  // (20000, 30000]
    EXPECT_EQ(latency.samples(), 100u);
    EXPECT_EQ(latency.quantile_us(0.50), 200u);
    EXPECT_EQ(latency.quantile_us(0.98), 200u);
    EXPECT_EQ(latency.quantile_us(0.99), 3000u);
    EXPECT_EQ(latency.quantile_us(1.00), 30'000u);
}

TEST(DetectionLatency, ThePercentileOfOneSlowSampleInAHundredShowsAtP99NotP50) {
    DetectionLatency latency;
    for (int i = 0; i < 99; ++i)
        latency.record(microseconds(80));
    latency.record(milliseconds(8));
    EXPECT_EQ(latency.quantile_us(0.50), 100u);
    EXPECT_EQ(latency.quantile_us(0.99), 100u); // the 99th of 100 samples is still fast
    EXPECT_EQ(latency.quantile_us(0.999), 10'000u);
}

TEST(DetectionLatency, BeyondTheLastEdgeTheLongestTimeSeenIsReported) {
    DetectionLatency latency;
    latency.record(std::chrono::seconds(3));
    latency.record(std::chrono::seconds(7));
    EXPECT_EQ(latency.quantile_us(0.5), 7'000'000u);
    EXPECT_EQ(latency.quantile_us(0.99), 7'000'000u);
}

TEST(DetectionLatency, QuantilesOutsideZeroToOneAreClamped) {
    DetectionLatency latency;
    latency.record(microseconds(10));
    latency.record(milliseconds(1));
    EXPECT_EQ(latency.quantile_us(-1.0), 50u);
    EXPECT_EQ(latency.quantile_us(2.0), 1000u);
}

} // namespace
} // namespace scx_gamer

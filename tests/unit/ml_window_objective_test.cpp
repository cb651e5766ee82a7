// SPDX-License-Identifier: GPL-2.0-only
// The learner's measurements and objective: windows from two readings, the /proc parsers, and the
// score a window gets.
#include "ml/objective.h"
#include "ml/window.h"

#include "stats/latency.h"

#include <gtest/gtest.h>

namespace scx_gamer::ml {
namespace {

// Bucket of a latency in the linear range (10 us buckets up to 1 ms).
unsigned bucket_of_us(unsigned us) {
    return us / 10;
}

Reading reading_at(uint64_t seconds) {
    Reading r;
    r.monotonic_ns = seconds * 1'000'000'000ULL;
    r.latency_histogram.assign(GAMER_LAT_BUCKETS, 0);
    r.online_cpus = 4;
    return r;
}

TEST(MlWindow, LatencyPercentilesComeFromTheHistogramDelta) {
    Reading start = reading_at(10);
    start.latency_histogram[bucket_of_us(500)] = 1000; // before the window: not counted
    Reading end = start;
    end.monotonic_ns = 15'000'000'000ULL;
    end.latency_histogram[bucket_of_us(20)] += 990; // 20-30 us
    end.latency_histogram[bucket_of_us(800)] += 10; // 800-810 us
    const auto window = measure_window(start, end, 100);
    ASSERT_TRUE(window);
    EXPECT_DOUBLE_EQ(window->window_s, 5.0);
    EXPECT_EQ(window->wakeups, 1000u);
    EXPECT_GE(window->p50_us, 20.0);
    EXPECT_LT(window->p50_us, 30.0);
    // Rank 990 of 1000 is the last of the 20 us bucket: its upper edge.
    EXPECT_NEAR(window->p99_us, 30.0, 1e-9);
    EXPECT_GE(window->p999_us, 800.0);
    EXPECT_LE(window->p999_us, 810.0);
    EXPECT_DOUBLE_EQ(window->miss_fraction, 0.0); // nothing above 1 ms
}

TEST(MlWindow, MissesCountWakeupsPastTheDeadline) {
    Reading start = reading_at(0);
    Reading end = reading_at(5);
    end.latency_histogram[bucket_of_us(100)] = 90;
    // Bucket GAMER_LAT_LINEAR, the first doubling one, is [1 ms, 2 ms): past a 1 ms deadline.
    end.latency_histogram[GAMER_LAT_LINEAR] = 10;
    const auto window = measure_window(start, end, 100, 1000);
    ASSERT_TRUE(window);
    EXPECT_DOUBLE_EQ(window->miss_fraction, 0.10);
    // A deadline in the middle of [1, 2) ms counts half of that bucket.
    const auto half = measure_window(start, end, 100, 1500);
    ASSERT_TRUE(half);
    EXPECT_DOUBLE_EQ(half->miss_fraction, 0.05);
}

TEST(MlWindow, CountersGoingBackwardsMeanTheSchedulerWasReattached) {
    Reading start = reading_at(0);
    start.stats[GAMER_STAT_MIGRATIONS] = 500;
    Reading end = reading_at(5);
    end.stats[GAMER_STAT_MIGRATIONS] = 20;
    EXPECT_FALSE(measure_window(start, end, 100));
}

TEST(MlWindow, NoTimePassedIsNoWindow) {
    EXPECT_FALSE(measure_window(reading_at(3), reading_at(3), 100));
}

TEST(MlWindow, CountersAndCpuShares) {
    Reading start = reading_at(0);
    start.game_cpu_ticks = 1000;
    start.cpu = {.busy = 10'000, .total = 40'000};
    Reading end = reading_at(2);
    end.stats[GAMER_STAT_MIGRATIONS] = 7;
    end.stats[GAMER_STAT_BG_STARVE_GUARD] = 3;
    end.stats[GAMER_STAT_PREEMPT_KICKS] = 11;
    end.game_cpu_ticks = 1000 + 150;                   // 1.5 s of CPU in 2 s at 100 Hz: 0.75 CPU
    end.cpu = {.busy = 10'000 + 500, .total = 40'800}; // 5 s busy in 2 s: 2.5 CPUs
    const auto window = measure_window(start, end, 100);
    ASSERT_TRUE(window);
    EXPECT_EQ(window->migrations, 7u);
    EXPECT_EQ(window->bg_starve_guard, 3u);
    EXPECT_EQ(window->preempt_kicks, 11u);
    EXPECT_DOUBLE_EQ(window->game_cpu, 0.75);
    EXPECT_DOUBLE_EQ(window->bg_cpu, 1.75);
    EXPECT_EQ(window->cpus, 4u);
}

TEST(MlWindow, ParsesProcPidStatWithAnAwkwardComm) {
    // comm "a) (b" holds a space and parentheses; utime 1234 and stime 56 are fields 14, 15.
    const std::string stat = "4242 (a) (b) S 1 4242 4242 0 -1 4194560 500 0 0 0 1234 56 0 0 20 0 "
                             "8 0 100 1000000 100 18446744073709551615";
    EXPECT_EQ(parse_pid_stat_cpu_ticks(stat), 1290u);
    EXPECT_FALSE(parse_pid_stat_cpu_ticks("4242 (game) S 1 2"));
    EXPECT_FALSE(parse_pid_stat_cpu_ticks("garbage"));
}

TEST(MlWindow, ParsesProcStat) {
    const auto times =
        parse_proc_stat("cpu  100 5 50 1000 20 3 2 1 0 0\ncpu0 50 2 25 500 10 1 1 0 0 0\n");
    ASSERT_TRUE(times);
    EXPECT_EQ(times->total, 100u + 5 + 50 + 1000 + 20 + 3 + 2 + 1);
    EXPECT_EQ(times->busy, 100u + 5 + 50 + 3 + 2 + 1);
    EXPECT_FALSE(parse_proc_stat("intr 1 2 3\n"));
    EXPECT_FALSE(parse_proc_stat("cpu 1 2 x 4 5 6 7 8\n"));
}

WindowMetrics busy_window() {
    WindowMetrics m;
    m.window_s = 5;
    m.wakeups = 5000;
    m.p99_us = 400;
    m.bg_cpu = 2.0;
    return m;
}

TEST(MlObjective, IsTheP99WhenNothingElseIsWrong) {
    const auto score = score_window(busy_window(), 2.0);
    ASSERT_TRUE(score);
    EXPECT_DOUBLE_EQ(score->value, 400);
    EXPECT_DOUBLE_EQ(score->latency, 400);
}

TEST(MlObjective, MissesAddTheirWeight) {
    WindowMetrics m = busy_window();
    m.miss_fraction = 0.01;
    const auto score = score_window(m, 2.0);
    ASSERT_TRUE(score);
    EXPECT_DOUBLE_EQ(score->misses, 100); // 1% at 10 000 us per unit share
    EXPECT_DOUBLE_EQ(score->value, 500);
}

TEST(MlObjective, BackgroundStarvationIsPenalisedBeyondTheTolerance) {
    WindowMetrics m = busy_window();
    m.bg_cpu = 1.9; // lost 5% of the reference: tolerated
    EXPECT_DOUBLE_EQ(score_window(m, 2.0)->starvation, 0);
    m.bg_cpu = 1.4; // lost 30%: 20% past the 10% tolerance
    const auto score = score_window(m, 2.0);
    ASSERT_TRUE(score);
    EXPECT_NEAR(score->starvation, 0.2 * 2000, 1e-9);
    EXPECT_NEAR(score->value, 400 + 400, 1e-9);
    // More background CPU than the reference is never a penalty, nor is the lack of a reference.
    m.bg_cpu = 3.0;
    EXPECT_DOUBLE_EQ(score_window(m, 2.0)->starvation, 0);
    m.bg_cpu = 0;
    EXPECT_DOUBLE_EQ(score_window(m, 0)->starvation, 0);
}

TEST(MlObjective, StarvationGuardEventsCost) {
    WindowMetrics m = busy_window();
    m.bg_starve_guard = 50; // 10 per second
    EXPECT_DOUBLE_EQ(score_window(m, 2.0)->guard, 10);
}

TEST(MlObjective, TooFewWakeupsCannotBeScored) {
    WindowMetrics m = busy_window();
    m.wakeups = 10;
    EXPECT_FALSE(score_window(m, 2.0));
}

} // namespace
} // namespace scx_gamer::ml

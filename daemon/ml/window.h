// SPDX-License-Identifier: GPL-2.0-only
// One measurement window: what a game experienced between two readings of the scheduler's
// cumulative counters and of the CPU times in /proc, as the learner stores and scores it.
//
// The daemon takes a Reading at each window boundary; measure_window() turns two consecutive
// readings into a WindowSample. Everything here is pure (no /proc access): the parsers take the
// files' text, so tests feed them fixtures.
#pragma once

#include "bpf/intf.h"

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace scx_gamer::ml {

// System-wide CPU time from the first line of /proc/stat, in clock ticks.
struct CpuTimes {
    uint64_t busy = 0;  // everything but idle and iowait
    uint64_t total = 0; // every column but guest time (already counted in user/nice)
};

// Cumulative counters at one instant. Differences of two readings make a window.
struct Reading {
    uint64_t monotonic_ns = 0;
    std::array<uint64_t, GAMER_NR_STATS> stats{}; // the scheduler's counters (bpf/intf.h)
    std::vector<uint64_t> latency_histogram;      // GAMER_LAT_BUCKETS game wakeup latencies
    std::optional<uint64_t> game_cpu_ticks;       // utime + stime of the game; nullopt: unreadable
    CpuTimes cpu;
    unsigned online_cpus = 1;
};

// What one window measured. Latencies are game wakeup latencies (runnable -> running) from the
// scheduler's histogram, interpolated within buckets; CPU figures are in CPUs (1.0 = one CPU busy
// for the whole window).
struct WindowMetrics {
    double window_s = 0;
    uint64_t wakeups = 0; // game wakeups measured in the window
    double p50_us = 0;
    double p99_us = 0;
    double p999_us = 0;
    double miss_fraction = 0; // share of wakeups that waited longer than the deadline
    uint64_t migrations = 0;
    uint64_t preempt_kicks = 0;
    uint64_t bg_starve_guard = 0; // background tasks dispatched first because they waited too long
    uint64_t game_enqueued = 0;
    uint64_t bg_enqueued = 0;
    double game_cpu = 0;
    double bg_cpu = 0; // busy CPU time not spent by the game
    unsigned cpus = 1;

    bool operator==(const WindowMetrics&) const = default;
};

// The deadline a game wakeup should meet: 1 ms, a 1000 Hz input poll and well under a frame.
inline constexpr double kDefaultDeadlineUs = 1000;

// The window between two readings, or nullopt when they cannot be compared: the scheduler's
// counters went backwards (it was re-attached in between) or no time passed.
// ticks_per_second: sysconf(_SC_CLK_TCK).
std::optional<WindowMetrics> measure_window(const Reading& start, const Reading& end,
                                            long ticks_per_second,
                                            double deadline_us = kDefaultDeadlineUs);

// The latency (ns) below which `quantile` of the histogram's samples fall, interpolated linearly
// within the bucket that holds it (the open-ended last bucket yields its floor). 0 when empty.
double interpolated_quantile_ns(std::span<const uint64_t> histogram, double quantile);
// The share of samples above threshold_ns, counting the bucket that holds it proportionally.
double fraction_above(std::span<const uint64_t> histogram, double threshold_ns);

// utime + stime (fields 14 and 15) of /proc/PID/stat text; nullopt when malformed. The comm field
// may contain spaces and parentheses, so parsing starts after the last ')'.
std::optional<uint64_t> parse_pid_stat_cpu_ticks(std::string_view text);
// The aggregate "cpu" line of /proc/stat text; nullopt when missing or malformed.
std::optional<CpuTimes> parse_proc_stat(std::string_view text);

} // namespace scx_gamer::ml

namespace scx_gamer::ml {

// Fills reading.game_cpu_ticks, reading.cpu and reading.online_cpus from proc_root (/proc):
// PID/stat and stat. Unreadable files leave their fields empty; never throws.
void read_cpu_times(Reading& reading, uint32_t pid,
                    const std::filesystem::path& proc_root = "/proc");

} // namespace scx_gamer::ml

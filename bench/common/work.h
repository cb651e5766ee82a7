// SPDX-License-Identifier: GPL-2.0-only
// CPU work in fixed units, clocks and sleeps shared by gamebench and loadgen.
//
// Work is counted in "units" (one step of a serial integer hash chain), never in time: a frame that
// is preempted halfway through still has the rest of its units to do, so the delay shows up in the
// frame time as it would in a real game. Units are converted to time once, by calibrate(), in the
// environment the benchmark runs in (the VM's TCG CPUs run the loop at a very different speed from
// the host's).
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <vector>

namespace bench {

inline uint64_t now_ns() noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// Sleeps until the absolute CLOCK_MONOTONIC time t (restarting after signals).
inline void sleep_until_ns(uint64_t t) noexcept {
    timespec ts{static_cast<time_t>(t / 1'000'000'000ull), static_cast<long>(t % 1'000'000'000ull)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

// One unit = one multiply-xorshift step of a dependency chain: no memory traffic, cannot be
// vectorised or folded away (the asm barrier hides the value from the optimiser every step).
inline uint64_t spin_units(uint64_t units, uint64_t x) noexcept {
    for (uint64_t i = 0; i < units; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        x ^= x >> 29;
        asm volatile("" : "+r"(x));
    }
    return x;
}

struct Calibration {
    double units_per_us = 0; // the median of the trials: the figure used
    double min_units_per_us = 0;
    double max_units_per_us = 0;
    double spread_pct = 0; // (max - min) / median, in %
    unsigned trials = 0;
    uint64_t trial_units = 0; // units per trial
    double trial_us = 0;      // target length of one trial
    double total_ms = 0;      // time the calibration took
};

// Measures how many units this CPU runs per microsecond: a warm-up (TCG translates the loop on
// first use), then `trials` timed runs of about `trial_us` each; the median is robust against a
// trial that was preempted or hit a slow moment of the host.
inline Calibration calibrate(unsigned trials = 15, double trial_us = 10'000) {
    Calibration c;
    const uint64_t t_begin = now_ns();
    uint64_t sink = 1;
    // Warm up and find a unit count that lasts roughly trial_us.
    uint64_t units = 1024;
    for (;;) {
        const uint64_t t0 = now_ns();
        sink = spin_units(units, sink);
        const uint64_t dt = now_ns() - t0;
        if (dt >= static_cast<uint64_t>(trial_us * 1000.0 / 4) || units > (1ull << 40)) {
            units = static_cast<uint64_t>(static_cast<double>(units) * trial_us * 1000.0 /
                                          static_cast<double>(std::max<uint64_t>(dt, 1)));
            break;
        }
        units *= 2;
    }
    units = std::max<uint64_t>(units, 1);
    std::vector<double> rates;
    rates.reserve(trials);
    for (unsigned i = 0; i < trials; i++) {
        const uint64_t t0 = now_ns();
        sink = spin_units(units, sink);
        const uint64_t dt = std::max<uint64_t>(now_ns() - t0, 1);
        rates.push_back(static_cast<double>(units) * 1000.0 / static_cast<double>(dt));
    }
    std::sort(rates.begin(), rates.end());
    c.units_per_us = rates[rates.size() / 2];
    c.min_units_per_us = rates.front();
    c.max_units_per_us = rates.back();
    c.spread_pct = 100.0 * (c.max_units_per_us - c.min_units_per_us) / c.units_per_us;
    c.trials = trials;
    c.trial_units = units;
    c.trial_us = trial_us;
    c.total_ms = static_cast<double>(now_ns() - t_begin) / 1e6;
    asm volatile("" : : "r"(sink));
    return c;
}

} // namespace bench

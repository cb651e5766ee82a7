// SPDX-License-Identifier: GPL-2.0-only
// The daemon's own detection time: from reading a game's exec record off the detector's ring
// buffer to GameDetected having been sent (steady clock). Kept in a small fixed-bucket histogram,
// so memory and the cost of a sample stay constant however many games a session sees; GetStats
// reports its p50 and p99 (detection_p50_us, detection_p99_us). docs/benchmarks.md's target is a
// p99 under 5 ms.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

namespace scx_gamer {

class DetectionLatency {
  public:
    // Upper edges of the buckets, in microseconds; a last bucket takes everything above. Steps
    // of at most 1.5x between 1 and 50 ms, where the 5 ms target and a TCG VM's figures lie, so
    // that a percentile reads within half its value.
    static constexpr std::array<uint64_t, 24> kEdgesUs = {
        50,     100,    200,    300,    500,     700,     1'000,   1'500,
        2'000,  3'000,  4'000,  5'000,  7'000,   10'000,  15'000,  20'000,
        30'000, 40'000, 50'000, 70'000, 100'000, 200'000, 500'000, 1'000'000};

    void record(std::chrono::nanoseconds elapsed);

    // The detection time below which `quantile` (0..1) of the samples fall, in microseconds: the
    // upper edge of the bucket that holds it (a conservative estimate), or the longest time seen
    // when that is the last bucket. Zero when there are no samples.
    uint64_t quantile_us(double quantile) const;
    uint64_t samples() const { return samples_; }

  private:
    std::array<uint64_t, kEdgesUs.size() + 1> buckets_{};
    uint64_t samples_ = 0;
    uint64_t max_us_ = 0;
};

} // namespace scx_gamer

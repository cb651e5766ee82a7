// SPDX-License-Identifier: GPL-2.0-only
// A fixed-size log-linear latency histogram (HdrHistogram-like) for the benchmarks.
//
// Values are nanoseconds. Values below 2^kSubBits are kept exactly; above that every power of two
// is split into 2^(kSubBits-1) equal sub-buckets, so a recorded value is known to better than
// 1/2^(kSubBits-1) of itself (0.8 % with kSubBits = 8). The whole table is a fixed array: record()
// never allocates, never locks and costs a handful of instructions, so it can run in the threads
// being measured. Each thread owns its histograms; they are read after the threads have joined.
#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace bench {

class Histogram {
  public:
    static constexpr unsigned kSubBits = 8;               // 256 exact values, then 128 per octave
    static constexpr unsigned kSubCount = 1u << kSubBits; // 256
    static constexpr unsigned kHalf = kSubCount / 2;      // 128
    static constexpr unsigned kMaxExp = 44;               // up to 2^44 ns (~4.9 h); larger clamp
    static constexpr unsigned kBuckets = kSubCount + (kMaxExp - kSubBits) * kHalf;

    void record(uint64_t ns) noexcept {
        ++count_;
        sum_ += ns;
        if (ns < min_)
            min_ = ns;
        if (ns > max_)
            max_ = ns;
        ++counts_[index_of(ns)];
    }

    void merge(const Histogram& other) noexcept {
        for (unsigned i = 0; i < kBuckets; i++)
            counts_[i] += other.counts_[i];
        count_ += other.count_;
        sum_ += other.sum_;
        if (other.min_ < min_)
            min_ = other.min_;
        if (other.max_ > max_)
            max_ = other.max_;
    }

    uint64_t count() const noexcept { return count_; }
    uint64_t min() const noexcept { return count_ ? min_ : 0; }
    uint64_t max() const noexcept { return max_; }
    double mean() const noexcept { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }

    // The value at quantile q (0..1): the upper edge of the bucket holding the ceil(q*count)-th
    // smallest sample, clamped to the exact max (so p100 == max and nothing exceeds max).
    uint64_t quantile(double q) const noexcept {
        if (count_ == 0)
            return 0;
        if (q <= 0)
            return min();
        auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
        if (rank < 1)
            rank = 1;
        if (rank > count_)
            rank = count_;
        uint64_t seen = 0;
        for (unsigned i = 0; i < kBuckets; i++) {
            seen += counts_[i];
            if (seen >= rank) {
                uint64_t v = upper_of(i);
                if (v > max_)
                    v = max_;
                if (v < min())
                    v = min();
                return v;
            }
        }
        return max_;
    }

    // Non-empty buckets as (inclusive upper edge in ns, count), ascending: enough to draw a CDF.
    std::vector<std::pair<uint64_t, uint64_t>> buckets() const {
        std::vector<std::pair<uint64_t, uint64_t>> out;
        for (unsigned i = 0; i < kBuckets; i++)
            if (counts_[i])
                out.emplace_back(upper_of(i), counts_[i]);
        return out;
    }

    static unsigned index_of(uint64_t ns) noexcept {
        if (ns < kSubCount)
            return static_cast<unsigned>(ns);
        const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(ns)); // >= kSubBits
        if (msb >= kMaxExp)
            return kBuckets - 1;
        const unsigned shift = msb - (kSubBits - 1);
        const unsigned sub = static_cast<unsigned>(ns >> shift) - kHalf; // 0..kHalf-1
        return kSubCount + (msb - kSubBits) * kHalf + sub;
    }

    // The largest value that maps to bucket i.
    static uint64_t upper_of(unsigned i) noexcept {
        if (i < kSubCount)
            return i;
        const unsigned rel = i - kSubCount;
        const unsigned msb = kSubBits + rel / kHalf;
        const unsigned sub = rel % kHalf;
        const unsigned shift = msb - (kSubBits - 1);
        return ((static_cast<uint64_t>(kHalf + sub + 1)) << shift) - 1;
    }

  private:
    std::array<uint64_t, kBuckets> counts_{};
    uint64_t count_ = 0;
    uint64_t sum_ = 0;
    uint64_t min_ = std::numeric_limits<uint64_t>::max();
    uint64_t max_ = 0;
};

} // namespace bench

// SPDX-License-Identifier: GPL-2.0-only
#include "detection_latency.h"

#include <algorithm>
#include <cmath>

namespace scx_gamer {

void DetectionLatency::record(std::chrono::nanoseconds elapsed) {
    // Rounded up: a sample of 50.4 µs is not within the 50 µs bucket.
    const int64_t ns = std::max<int64_t>(elapsed.count(), 0);
    const uint64_t us = (static_cast<uint64_t>(ns) + 999) / 1000;
    const auto edge = std::lower_bound(kEdgesUs.begin(), kEdgesUs.end(), us);
    ++buckets_[static_cast<size_t>(edge - kEdgesUs.begin())];
    ++samples_;
    max_us_ = std::max(max_us_, us);
}

uint64_t DetectionLatency::quantile_us(double quantile) const {
    if (samples_ == 0)
        return 0;
    // The rank of the sample that splits the distribution (1-based), at least the first.
    const double wanted = std::clamp(quantile, 0.0, 1.0) * static_cast<double>(samples_);
    const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(wanted)));
    uint64_t seen = 0;
    for (size_t i = 0; i < kEdgesUs.size(); ++i) {
        seen += buckets_[i];
        if (seen >= rank)
            return kEdgesUs[i];
    }
    return max_us_;
}

} // namespace scx_gamer

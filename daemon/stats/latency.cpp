// SPDX-License-Identifier: GPL-2.0-only
#include "stats/latency.h"

#include "bpf/intf.h"

#include <cmath>
#include <numeric>

namespace scx_gamer {

uint64_t latency_bucket_floor_ns(unsigned index) {
    if (index <= GAMER_LAT_LINEAR)
        return index * GAMER_LAT_BUCKET_NS;
    // Past the linear range each bucket doubles the previous one's floor.
    const unsigned doublings = index - GAMER_LAT_LINEAR;
    if (doublings >= 40)
        return UINT64_MAX;
    return (GAMER_LAT_LINEAR * GAMER_LAT_BUCKET_NS) << doublings;
}

uint64_t latency_quantile_ns(std::span<const uint64_t> histogram, double quantile) {
    const uint64_t total = std::accumulate(histogram.begin(), histogram.end(), uint64_t{0});
    if (total == 0)
        return 0;
    const auto rank = static_cast<uint64_t>(std::ceil(quantile * static_cast<double>(total)));
    uint64_t seen = 0;
    for (unsigned i = 0; i < histogram.size(); i++) {
        seen += histogram[i];
        if (seen >= rank && histogram[i] != 0)
            return latency_bucket_floor_ns(i + 1);
    }
    return latency_bucket_floor_ns(static_cast<unsigned>(histogram.size()));
}

} // namespace scx_gamer

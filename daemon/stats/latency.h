// SPDX-License-Identifier: GPL-2.0-only
// Percentiles of the scheduler's game wakeup-latency histogram (bucket layout in bpf/intf.h).
#pragma once

#include <cstdint>
#include <span>

namespace scx_gamer {

// Lower bound, in nanoseconds, of histogram bucket `index`.
uint64_t latency_bucket_floor_ns(unsigned index);

// The latency below which `quantile` (0..1) of the samples fall, reported as the upper edge of
// the bucket that holds it (a conservative estimate). Zero when there are no samples.
uint64_t latency_quantile_ns(std::span<const uint64_t> histogram, double quantile);

} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
// The learner's objective: one number per window, lower is better, in microseconds of "game
// wakeup latency equivalent" so that its terms can be read and weighed against each other.
//
//   J = p99 game wakeup latency
//     + miss_weight_us   * share of game wakeups later than the deadline (1 ms)
//     + starve_weight_us * background CPU shortfall beyond the tolerance, relative to a reference
//     + guard_weight_us  * background starvation-guard events per second
//
// The reference background CPU is what the starting configuration gave the background in the
// same session (the autotuner) or in the collected data (ml-train): a configuration that makes
// the game look better only by taking CPU time from everything else is penalised. docs/
// learned-profiles.md explains the weights.
#pragma once

#include "ml/window.h"

#include <optional>

namespace scx_gamer::ml {

struct ObjectiveParams {
    double miss_weight_us = 10'000;  // 1% of wakeups past the deadline costs as much as +100 us p99
    double starve_tolerance = 0.10;  // background may lose 10% of its reference CPU unpunished
    double starve_weight_us = 2'000; // each further 10% of the reference costs +200 us
    double guard_weight_us = 1;      // each guard event per second costs +1 us
    // Fewer game wakeups than this (a paused game, a loading screen) and the window says too
    // little about the game's latency to be scored.
    uint64_t min_wakeups = 200;
};

struct Score {
    double value = 0;
    double latency = 0;
    double misses = 0;
    double starvation = 0;
    double guard = 0;
};

// The window's score, or nullopt when the window has too few game wakeups to say anything.
// reference_bg_cpu <= 0 means "no reference" (no starvation term).
std::optional<Score> score_window(const WindowMetrics& window, double reference_bg_cpu,
                                  const ObjectiveParams& params = {});

} // namespace scx_gamer::ml

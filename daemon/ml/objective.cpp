// SPDX-License-Identifier: GPL-2.0-only
#include "ml/objective.h"

#include <algorithm>

namespace scx_gamer::ml {

std::optional<Score> score_window(const WindowMetrics& window, double reference_bg_cpu,
                                  const ObjectiveParams& params) {
    if (window.wakeups < params.min_wakeups || window.window_s <= 0)
        return std::nullopt;
    Score score;
    score.latency = window.p99_us;
    score.misses = params.miss_weight_us * window.miss_fraction;
    if (reference_bg_cpu > 0) {
        const double allowed = (1.0 - params.starve_tolerance) * reference_bg_cpu;
        const double shortfall = std::max(0.0, allowed - window.bg_cpu) / reference_bg_cpu;
        score.starvation = params.starve_weight_us * shortfall;
    }
    score.guard =
        params.guard_weight_us * static_cast<double>(window.bg_starve_guard) / window.window_s;
    score.value = score.latency + score.misses + score.starvation + score.guard;
    return score;
}

} // namespace scx_gamer::ml

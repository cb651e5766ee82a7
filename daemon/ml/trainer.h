// SPDX-License-Identifier: GPL-2.0-only
// Offline training (`scx_gamer ml-train`): the best configuration of one game from all of its
// collected windows. Windows are grouped by the tunables in force; each is scored with the
// objective (objective.h) against the background CPU of the reference configuration (the base
// profile's windows, else the most observed configuration). A configuration replaces the
// reference only when Welch's t test on the scores' logarithms says it beats it by
// min_improvement with 95% confidence over at least min_windows windows each. A game seen under one
// configuration only gets that configuration, marked single_config.
#pragma once

#include "ml/learned_profile.h"
#include "ml/objective.h"
#include "ml/sample_store.h"
#include "ml/statistics.h"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace scx_gamer::ml {

struct TrainParams {
    ObjectiveParams objective;
    unsigned min_windows = 3;
    double min_improvement = 0.03;
};

struct ConfigSummary {
    FlagValues tunables;
    RunningStats scores;       // objective of each scored window
    RunningStats log_scores;   // their logarithms: what the test compares (see autotuner.cpp)
    unsigned base_windows = 0; // windows recorded as the base profile's
};

struct TrainOutcome {
    std::string key;
    std::optional<LearnedProfile> profile; // nullopt: no window could be scored
    std::vector<ConfigSummary> configs;    // every configuration seen, in first-seen order
    std::string why;                       // one line
};

TrainOutcome train(const std::string& key, const std::vector<SampleRecord>& records,
                   std::chrono::system_clock::time_point now, const TrainParams& params = {});

} // namespace scx_gamer::ml

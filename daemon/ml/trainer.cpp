// SPDX-License-Identifier: GPL-2.0-only
#include "ml/trainer.h"

#include "ml/learned_profile.h"

#include <algorithm>
#include <cmath>

namespace scx_gamer::ml {

TrainOutcome train(const std::string& key, const std::vector<SampleRecord>& records,
                   std::chrono::system_clock::time_point now, const TrainParams& params) {
    TrainOutcome outcome;
    outcome.key = key;
    std::vector<std::vector<const SampleRecord*>> groups;
    for (const SampleRecord& record : records) {
        auto it =
            std::find_if(outcome.configs.begin(), outcome.configs.end(),
                         [&](const ConfigSummary& c) { return c.tunables == record.tunables; });
        if (it == outcome.configs.end()) {
            outcome.configs.push_back(ConfigSummary{record.tunables, {}, {}, 0});
            groups.emplace_back();
            it = std::prev(outcome.configs.end());
        }
        const auto index = static_cast<std::size_t>(it - outcome.configs.begin());
        groups[index].push_back(&record);
        if (record.base)
            it->base_windows++;
    }
    if (outcome.configs.empty()) {
        outcome.why = "no windows collected";
        return outcome;
    }
    // The reference: the base profile's configuration, else the one seen most.
    std::size_t reference = 0;
    for (std::size_t i = 1; i < outcome.configs.size(); i++) {
        const auto& c = outcome.configs[i];
        const auto& r = outcome.configs[reference];
        if (c.base_windows > r.base_windows ||
            (c.base_windows == r.base_windows && groups[i].size() > groups[reference].size()))
            reference = i;
    }
    RunningStats reference_bg;
    for (const SampleRecord* record : groups[reference])
        reference_bg.add(record->metrics.bg_cpu);

    unsigned scored_windows = 0;
    std::size_t configs_scored = 0;
    for (std::size_t i = 0; i < outcome.configs.size(); i++) {
        for (const SampleRecord* record : groups[i])
            if (auto score = score_window(record->metrics, reference_bg.mean(), params.objective)) {
                outcome.configs[i].scores.add(score->value);
                outcome.configs[i].log_scores.add(std::log(std::max(score->value, 1.0)));
            }
        scored_windows += static_cast<unsigned>(outcome.configs[i].scores.count());
        configs_scored += outcome.configs[i].scores.count() > 0 ? 1 : 0;
    }
    if (scored_windows == 0) {
        outcome.why = "no window had enough game activity to be scored";
        return outcome;
    }

    LearnedProfile profile;
    profile.key = key;
    profile.game = records.back().game;
    profile.source = "ml-train";
    profile.date = utc_timestamp(now);
    profile.windows = scored_windows;
    profile.trials = static_cast<unsigned>(configs_scored);

    if (configs_scored == 1) {
        const auto only = std::find_if(outcome.configs.begin(), outcome.configs.end(),
                                       [](const ConfigSummary& c) { return c.scores.count() > 0; });
        profile.tunables = only->tunables;
        profile.before = only->tunables;
        profile.objective_before = profile.objective_after = only->scores.mean();
        profile.single_config = true;
        outcome.why = "one configuration seen: kept as it is";
        outcome.profile = std::move(profile);
        return outcome;
    }

    const ConfigSummary& ref = outcome.configs[reference];
    std::optional<std::size_t> best;
    if (ref.scores.count() >= params.min_windows) {
        const double margin = std::log1p(-params.min_improvement);
        for (std::size_t i = 0; i < outcome.configs.size(); i++) {
            const ConfigSummary& c = outcome.configs[i];
            if (i == reference || c.scores.count() < params.min_windows)
                continue;
            // H1: c's objective is below (1 - min_improvement) times the reference's.
            const WelchResult w = welch(c.log_scores, ref.log_scores);
            const double shifted = c.log_scores.mean() - ref.log_scores.mean() - margin;
            const double t =
                w.standard_error > 0 ? shifted / w.standard_error : (shifted < 0 ? -1e300 : 1e300);
            if (t < -t_critical(OneSided::Alpha05, w.degrees_of_freedom) &&
                (!best || c.scores.mean() < outcome.configs[*best].scores.mean()))
                best = i;
        }
    }
    const std::size_t chosen = best.value_or(reference);
    profile.tunables = outcome.configs[chosen].tunables;
    profile.before = ref.tunables;
    profile.objective_before = ref.scores.mean();
    profile.objective_after = outcome.configs[chosen].scores.mean();
    outcome.why = best ? "a configuration beat the reference with 95% confidence"
                       : (ref.scores.count() < params.min_windows
                              ? "too few scored windows of the reference configuration to compare"
                              : "no configuration beat the reference with 95% confidence");
    outcome.profile = std::move(profile);
    return outcome;
}

} // namespace scx_gamer::ml

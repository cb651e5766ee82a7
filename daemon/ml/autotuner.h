// SPDX-License-Identifier: GPL-2.0-only
// Online search over the live tunables while a game runs: noisy coordinate descent with paired,
// interleaved comparisons against the incumbent, and a final paired check against the start.
//
// The caller runs one window at a time: it applies config(), lets the window run, scores it
// (objective.h) and calls record(). Nothing here reads a clock or the system; randomness (pair
// order, coordinate order) comes from the seed, so a run is reproducible.
//
// Method (docs/learned-profiles.md has the reasoning):
//   warm-up   a few windows on the start configuration, not scored by the search (the game may
//             still be loading; the caller uses them for the background-CPU reference);
//   search    for each tunable in a shuffled order, try one step up and one step down (a switch:
//             its other value). A candidate is compared with the incumbent in pairs of windows,
//             one each, in random order within the pair, so slow drifts of the game's load hit
//             both alike. After min_pairs pairs the mean paired difference of the scores'
//             logarithms (noise is mostly multiplicative) decides with a one-sided t test:
//             accepted when it beats the incumbent by at least min_improvement with 95% confidence;
//             dropped as soon as it is confidently not such an improvement, is not better on
//             average, or after max_pairs. An accepted step is followed further in the same
//             direction. A pass without an accepted step shrinks the step (square root); below
//             min_step, done.
//   verify    the final incumbent against the start, in a fixed number of fresh pairs; kept
//             only when it beats the start by min_improvement with 99% confidence, else the start
//             is the result. So a configuration that is no better than the start is kept with a
//             probability under 1%, whatever happened during the search.
//   budget    at most budget_windows windows in all; the verification's windows are reserved.
#pragma once

#include "ml/search_space.h"
#include "ml/statistics.h"
#include "tuning/flags.h"

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace scx_gamer::ml {

struct AutotuneParams {
    unsigned budget_windows = 240; // 20 minutes of 5 s windows
    unsigned warmup_windows = 2;
    unsigned min_pairs = 3;
    unsigned max_pairs = 6;
    // The verification runs verify_pairs pairs and decides once, at the end (looking after every
    // pair would inflate its error rate); it stops early only to give up (no gain on average
    // after verify_min_pairs).
    unsigned verify_min_pairs = 3;
    unsigned verify_pairs = 6;
    double min_improvement = 0.03; // a step must gain at least 3% of the objective
    double initial_step = 2.0;
    double min_step = 1.2;
    // Unscorable windows (paused game) tolerated before giving up; they do not use the budget.
    unsigned max_invalid_windows = 240;
};

// What the window being run is for (stored with each sample).
enum class WindowRole { Warmup, Incumbent, Candidate, VerifyStart, VerifyBest, Done };
const char* role_name(WindowRole role);

struct AutotuneResult {
    FlagValues start;
    FlagValues best;       // == start when nothing better was confirmed
    bool improved = false; // best != start and confirmed by the verification
    // Mean objective of the start and of best in the verification pairs (or, without a
    // verification, of the start's windows).
    double objective_before = 0;
    double objective_after = 0;
    unsigned trials = 0;   // candidate configurations compared
    unsigned accepted = 0; // steps accepted during the search
    unsigned windows = 0;  // scored windows used
    std::string why;       // one line: how the search ended
};

class Autotuner {
  public:
    Autotuner(SearchSpace space, FlagValues start, AutotuneParams params, uint64_t seed);

    // The configuration the next window must run with (the start once done, unless improved).
    const FlagValues& config() const { return *running_; }
    WindowRole role() const { return role_; }
    bool done() const { return phase_ == Phase::Done; }
    // Valid once done().
    const AutotuneResult& result() const { return result_; }
    unsigned windows_used() const { return windows_used_; }

    // The score of the window that ran config(), lower is better; nullopt when the window could
    // not be scored (it is run again).
    void record(std::optional<double> score);
    // Ends the search now (the game is going away, or the user took over): no verification, so
    // the result is the start.
    void abandon(const std::string& why);

  private:
    enum class Phase { Warmup, Compare, Verify, Done };

    struct Comparison {
        FlagValues other;         // the candidate (Compare) or the incumbent (Verify)
        bool other_first = false; // order within the current pair
        bool first_done = false;
        double first_score = 0;
        RunningStats differences; // log(other) - log(reference), per pair
        RunningStats reference;   // the incumbent's (Compare) or the start's (Verify) scores
        RunningStats others;
    };

    void begin_search_or_verify();
    bool begin_next_comparison();
    void begin_verification();
    std::optional<FlagValues> next_candidate();
    void start_pass();
    void finish(bool keep_incumbent, std::string why);
    void set_running();
    void pair_completed();
    void decide_comparison();
    void decide_verification();
    unsigned windows_left() const;

    SearchSpace space_;
    FlagValues start_;
    FlagValues incumbent_;
    AutotuneParams params_;
    std::mt19937_64 rng_;

    Phase phase_ = Phase::Warmup;
    WindowRole role_ = WindowRole::Warmup;
    const FlagValues* running_ = &start_;
    unsigned windows_used_ = 0;
    unsigned invalid_windows_ = 0;
    unsigned warmup_left_ = 0;
    Comparison comparison_;
    RunningStats start_scores_; // every scored window that ran the start configuration

    // Coordinate descent position.
    double step_ = 2.0;
    std::vector<std::size_t> order_;
    std::size_t order_pos_ = 0;
    std::vector<int> directions_;
    std::size_t direction_pos_ = 0;
    std::optional<int> continuing_; // the direction of the last accepted step, if any
    int candidate_direction_ = 0;
    bool improved_in_pass_ = false;

    AutotuneResult result_;
};

} // namespace scx_gamer::ml

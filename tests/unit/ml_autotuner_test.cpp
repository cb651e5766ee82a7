// SPDX-License-Identifier: GPL-2.0-only
// The autotuner on a simulated game whose objective has a known optimum, with noise and drift:
// it must get close to the optimum within its budget and never end on a configuration that is
// truly worse than where it started.
#include "ml/autotuner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace scx_gamer::ml {
namespace {

double value_of(const FlagValues& config, const char* name) {
    const std::string* text = config.find(name);
    return text ? std::stod(*text) : 0;
}

bool switch_of(const FlagValues& config, const char* name) {
    const std::string* text = config.find(name);
    return text && *text == "true";
}

// The simulated game's true objective (lower is better). Optimum: slice-us 8000, game-slice-us
// 500, wakeup-timer-us 1000, mm-affinity on, game preemption on; slice-lag-us and avoid-smt do
// not matter. At the flag table's defaults it is 1080; at the optimum 300.
double true_objective(const FlagValues& c) {
    const double slice = std::log2(value_of(c, "slice-us") / 8000);
    const double game_slice = std::log2(value_of(c, "game-slice-us") / 500);
    const double timer = value_of(c, "wakeup-timer-us");
    const double timer_term = timer == 0 ? 200 : 30 * std::pow(std::log2(timer / 1000), 2);
    return 300 + 150 * slice * slice + 80 * game_slice * game_slice + timer_term +
           (switch_of(c, "mm-affinity") ? 0 : 100) + (switch_of(c, "no-game-preempt") ? 300 : 0);
}

constexpr double kOptimum = 300;

struct Simulation {
    double noise = 0.10; // relative standard deviation of one window
    double drift = 0.05; // slow relative swing of the game's load, common to all configurations
    unsigned invalid_every = 0; // every Nth window cannot be scored (0: none)
};

struct TunerRun {
    AutotuneResult result;
    unsigned windows_run = 0;
};

TunerRun run_autotuner(uint64_t seed, const Simulation& sim, AutotuneParams params = {}) {
    const SearchSpace space = SearchSpace::from_flag_table();
    const FlagValues start = space.values_of(Options{});
    Autotuner tuner(space, start, params, seed);
    std::mt19937_64 noise_rng(seed * 7919 + 1);
    std::normal_distribution<double> gaussian(0.0, 1.0);
    TunerRun run;
    while (!tuner.done() && run.windows_run < 10 * params.budget_windows) {
        run.windows_run++;
        if (sim.invalid_every && run.windows_run % sim.invalid_every == 0) {
            tuner.record(std::nullopt);
            continue;
        }
        const double load = 1.0 + sim.drift * std::sin(run.windows_run / 15.0);
        const double measured =
            true_objective(tuner.config()) * load * (1.0 + sim.noise * gaussian(noise_rng));
        tuner.record(measured);
    }
    EXPECT_TRUE(tuner.done());
    run.result = tuner.result();
    EXPECT_EQ(tuner.config(), run.result.best); // what it leaves applied is its result
    return run;
}

TEST(MlAutotuner, SearchesTheLiveTunablesExceptTheGuards) {
    const SearchSpace space = SearchSpace::from_flag_table();
    std::vector<std::string> names;
    for (const FlagSpec* spec : space.dimensions())
        names.emplace_back(spec->name);
    EXPECT_EQ(names,
              (std::vector<std::string>{"slice-us", "game-slice-us", "slice-lag-us", "mm-affinity",
                                        "wakeup-timer-us", "avoid-smt", "no-game-preempt"}));
    const std::vector<std::string> pinned{"slice-us", "avoid-smt"};
    EXPECT_EQ(SearchSpace::from_flag_table(pinned).dimensions().size(), names.size() - 2);
}

TEST(MlAutotuner, NeighboursStayInRangeAndReadable) {
    const FlagSpec& slice = *find_flag("slice-us");
    EXPECT_EQ(neighbour(slice, "2000", +1, 2.0), "4000");
    EXPECT_EQ(neighbour(slice, "2000", -1, std::sqrt(2.0)), "1400");
    EXPECT_EQ(neighbour(slice, "100000", +1, 2.0), std::nullopt); // at the maximum
    EXPECT_EQ(neighbour(slice, "150", -1, 2.0), "100");           // clamped to the minimum
    const FlagSpec& timer = *find_flag("wakeup-timer-us");
    EXPECT_EQ(neighbour(timer, "250", -1, 2.0), "0"); // below the minimum: off
    EXPECT_EQ(neighbour(timer, "0", +1, 2.0), "250");
    EXPECT_EQ(neighbour(*find_flag("mm-affinity"), "false", +1, 2.0), "true");
}

TEST(MlAutotuner, FindsTheOptimumWithoutNoise) {
    const TunerRun run = run_autotuner(1, Simulation{.noise = 0, .drift = 0});
    EXPECT_TRUE(run.result.improved);
    EXPECT_DOUBLE_EQ(true_objective(run.result.best), kOptimum) << to_command_line(run.result.best);
    EXPECT_LE(run.result.windows, AutotuneParams{}.budget_windows);
}

TEST(MlAutotuner, ConvergesWithinItsBudgetUnderNoiseAndDrift) {
    const double start = true_objective(SearchSpace::from_flag_table().values_of(Options{}));
    for (uint64_t seed = 1; seed <= 20; seed++) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        const TunerRun run = run_autotuner(seed, Simulation{});
        const double reached = true_objective(run.result.best);
        EXPECT_LE(run.result.windows, AutotuneParams{}.budget_windows);
        // Closes at least 85% of the gap between the start and the optimum.
        EXPECT_LE(reached, kOptimum + 0.15 * (start - kOptimum))
            << to_command_line(run.result.best) << " (" << run.result.why << ")";
        EXPECT_TRUE(run.result.improved);
        EXPECT_LT(run.result.objective_after, run.result.objective_before);
    }
}

TEST(MlAutotuner, NeverEndsWorseThanTheStart) {
    // Heavy noise (30% per window), and a start that is already the optimum: any change it keeps
    // would be a change for the worse.
    AutotuneParams params;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        const SearchSpace space = SearchSpace::from_flag_table();
        FlagValues optimum = space.values_of(Options{});
        optimum.set("slice-us", "8000");
        optimum.set("game-slice-us", "500");
        optimum.set("mm-affinity", "true");
        Autotuner tuner(space, optimum, params, seed);
        std::mt19937_64 rng(seed);
        std::normal_distribution<double> gaussian(0.0, 1.0);
        for (unsigned i = 0; !tuner.done() && i < 10 * params.budget_windows; i++)
            tuner.record(true_objective(tuner.config()) * (1.0 + 0.30 * gaussian(rng)));
        ASSERT_TRUE(tuner.done());
        EXPECT_LE(true_objective(tuner.result().best), true_objective(optimum))
            << to_command_line(tuner.result().best);
    }
    for (uint64_t seed = 1; seed <= 20; seed++) {
        SCOPED_TRACE("noisy search from the defaults, seed " + std::to_string(seed));
        const TunerRun run = run_autotuner(seed, Simulation{.noise = 0.30, .drift = 0.10});
        EXPECT_LE(true_objective(run.result.best), true_objective(run.result.start));
    }
}

TEST(MlAutotuner, UnscorableWindowsAreRepeatedNotCounted) {
    const TunerRun run = run_autotuner(3, Simulation{.noise = 0, .drift = 0, .invalid_every = 3});
    EXPECT_DOUBLE_EQ(true_objective(run.result.best), kOptimum);
    EXPECT_LE(run.result.windows, AutotuneParams{}.budget_windows);
    EXPECT_GT(run.windows_run, run.result.windows);
}

TEST(MlAutotuner, AbandoningKeepsTheStart) {
    const SearchSpace space = SearchSpace::from_flag_table();
    const FlagValues start = space.values_of(Options{});
    Autotuner tuner(space, start, AutotuneParams{}, 5);
    for (int i = 0; i < 9; i++)
        tuner.record(true_objective(tuner.config()));
    ASSERT_FALSE(tuner.done());
    tuner.abandon("the game exited");
    EXPECT_TRUE(tuner.done());
    EXPECT_FALSE(tuner.result().improved);
    EXPECT_EQ(tuner.config(), start);
    EXPECT_EQ(tuner.result().why, "the game exited");
}

TEST(MlAutotuner, RolesFollowThePairs) {
    const SearchSpace space = SearchSpace::from_flag_table();
    const FlagValues start = space.values_of(Options{});
    AutotuneParams params;
    params.warmup_windows = 2;
    Autotuner tuner(space, start, params, 11);
    EXPECT_EQ(tuner.role(), WindowRole::Warmup);
    tuner.record(1000);
    tuner.record(1000);
    // Each pair runs the incumbent and the candidate once, in either order.
    for (int pair = 0; pair < 3; pair++) {
        const WindowRole first = tuner.role();
        ASSERT_TRUE(first == WindowRole::Incumbent || first == WindowRole::Candidate);
        EXPECT_EQ(tuner.config() == start, first == WindowRole::Incumbent);
        tuner.record(1000);
        const WindowRole second = tuner.role();
        EXPECT_NE(first, second);
        tuner.record(1000);
    }
}

TEST(MlAutotuner, IsReproducibleForASeed) {
    const TunerRun a = run_autotuner(42, Simulation{});
    const TunerRun b = run_autotuner(42, Simulation{});
    EXPECT_EQ(a.result.best, b.result.best);
    EXPECT_EQ(a.result.windows, b.result.windows);
    EXPECT_EQ(a.result.trials, b.result.trials);
}

} // namespace
} // namespace scx_gamer::ml

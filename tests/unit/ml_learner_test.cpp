// SPDX-License-Identifier: GPL-2.0-only
// Offline training from collected windows, and the learner's per-game session against a fake
// daemon: learned profiles applied and reverted, windows stored, autotuning to a saved profile.
#include "ml/learned_profile.h"
#include "ml/learner.h"
#include "ml/sample_store.h"
#include "ml/trainer.h"

#include "temp_dir.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <unistd.h>

namespace scx_gamer::ml {
namespace {

namespace fs = std::filesystem;

using scx_gamer::testing::TempDir;

const auto kNow = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 20000);

FlagValues config(const std::string& slice) {
    FlagValues values;
    values.set("slice-us", slice);
    return values;
}

SampleRecord window(const FlagValues& tunables, double p99, bool base, double bg_cpu = 1.0) {
    SampleRecord r;
    r.time = "2026-11-26T19:00:00Z";
    r.key = "game";
    r.game = "game.exe";
    r.tunables = tunables;
    r.base = base;
    r.role = "collect";
    r.metrics.window_s = 5;
    r.metrics.wakeups = 5000;
    r.metrics.p99_us = p99;
    r.metrics.bg_cpu = bg_cpu;
    return r;
}

TEST(MlTrainer, PicksAConfigurationThatIsSignificantlyBetter) {
    std::vector<SampleRecord> records;
    const double noise[] = {-12, 7, 3, -5, 9, -2};
    for (double n : noise) {
        records.push_back(window(config("2000"), 800 + n, true));
        records.push_back(window(config("4000"), 500 + n, false));
        records.push_back(window(config("8000"), 790 + n, false));
    }
    const TrainOutcome outcome = train("game", records, kNow);
    ASSERT_TRUE(outcome.profile);
    EXPECT_EQ(outcome.profile->tunables, config("4000"));
    EXPECT_EQ(outcome.profile->before, config("2000"));
    EXPECT_NEAR(outcome.profile->objective_before, 800, 1e-9);
    EXPECT_NEAR(outcome.profile->objective_after, 500, 1e-9);
    EXPECT_EQ(outcome.profile->windows, 18u);
    EXPECT_EQ(outcome.profile->trials, 3u);
    EXPECT_FALSE(outcome.profile->single_config);
    EXPECT_EQ(outcome.profile->source, "ml-train");
}

TEST(MlTrainer, NoiseIsNotAnImprovement) {
    std::vector<SampleRecord> records;
    const double noise[] = {-120, 70, 30, -50, 90, -20};
    for (std::size_t i = 0; i < 6; i++) {
        records.push_back(window(config("2000"), 800 + noise[i], true));
        records.push_back(window(config("4000"), 780 + noise[5 - i], false));
    }
    const TrainOutcome outcome = train("game", records, kNow);
    ASSERT_TRUE(outcome.profile);
    EXPECT_EQ(outcome.profile->tunables, config("2000"));
}

TEST(MlTrainer, StarvingTheBackgroundDoesNotPay) {
    std::vector<SampleRecord> records;
    for (int i = 0; i < 6; i++) {
        records.push_back(window(config("2000"), 500 + i, true, 2.0));
        // 40 us better latency, but the background lost half its CPU: +800 us of penalty.
        records.push_back(window(config("4000"), 460 + i, false, 1.0));
    }
    const TrainOutcome outcome = train("game", records, kNow);
    ASSERT_TRUE(outcome.profile);
    EXPECT_EQ(outcome.profile->tunables, config("2000"));
}

TEST(MlTrainer, ASingleConfigurationIsKeptAndMarked) {
    std::vector<SampleRecord> records{window(config("2000"), 700, true),
                                      window(config("2000"), 720, true)};
    const TrainOutcome outcome = train("game", records, kNow);
    ASSERT_TRUE(outcome.profile);
    EXPECT_TRUE(outcome.profile->single_config);
    EXPECT_EQ(outcome.profile->tunables, config("2000"));
    EXPECT_NEAR(outcome.profile->objective_after, 710, 1e-9);
}

TEST(MlTrainer, NothingScorableGivesNoProfile) {
    SampleRecord idle = window(config("2000"), 700, true);
    idle.metrics.wakeups = 3;
    EXPECT_FALSE(train("game", {idle}, kNow).profile);
    EXPECT_FALSE(train("game", {}, kNow).profile);
}

// A daemon stand-in: base tunables from the flag table's defaults, an overlay the learner sets,
// and counters that advance each tick as a simulated game under the tunables in force would.
class FakeDaemon {
  public:
    explicit FakeDaemon(double noise = 0.0) : noise_(noise) {}

    LearnerHost host() {
        LearnerHost h;
        h.read = [this](uint32_t) { return reading(); };
        h.in_force = [this](const SearchSpace& space) { return space.values_of(options()); };
        h.base = [](const SearchSpace& space) { return space.values_of(Options{}); };
        h.pinned = [this] { return pinned; };
        h.apply = [this](const std::string& label, const FlagValues& tunables) {
            this->label = label;
            overlay = tunables;
            applied.push_back(label);
        };
        h.revert = [this] {
            label.clear();
            overlay.reset();
            applied.push_back("revert");
        };
        h.now = [] { return kNow; };
        h.ticks_per_second = 100;
        return h;
    }

    Options options() const { return overlay ? apply(Options{}, *overlay) : Options{}; }

    // p99 wakeup latency of the simulated game: best at slice-us 8000.
    double p99_us() const {
        const double x = std::log2(options().slice_us / 8000.0);
        return 200 + 150 * x * x;
    }

    // One window of game activity: 5000 wakeups, the slowest 2% of them at the p99 of the
    // tunables in force (so the window's p99 falls in that bucket).
    void advance() {
        now_ns_ += 5'000'000'000ULL;
        std::normal_distribution<double> gaussian(0.0, 1.0);
        const double p99 = p99_us() * (1.0 + noise_ * gaussian(rng_));
        const auto bucket = static_cast<std::size_t>(std::clamp(p99 / 10.0, 1.0, 99.0));
        histogram_[0] += 4900;
        histogram_[bucket] += 100;
        cpu_.busy += 1000;
        cpu_.total += 2000;
        game_ticks_ += 250;
    }

    std::optional<Reading> reading() const {
        Reading r;
        r.monotonic_ns = now_ns_;
        r.latency_histogram = histogram_;
        r.game_cpu_ticks = game_ticks_;
        r.cpu = cpu_;
        r.online_cpus = 4;
        return r;
    }

    std::string label;
    std::optional<FlagValues> overlay;
    std::vector<std::string> applied;
    std::vector<std::string> pinned;

  private:
    double noise_;
    std::mt19937_64 rng_{7};
    uint64_t now_ns_ = 1'000'000'000ULL;
    std::vector<uint64_t> histogram_ = std::vector<uint64_t>(GAMER_LAT_BUCKETS, 0);
    CpuTimes cpu_;
    uint64_t game_ticks_ = 0;
};

Game game(uint32_t pid = 4242) {
    Game g;
    g.pid = pid;
    g.name = "Portal2.exe";
    g.exe = "/games/Portal2.exe";
    g.steam_app_id = 620;
    return g;
}

// A learned profile of game() with slice-us 6000, saved in dir.
void save_profile(const TempDir& dir, const std::string& source) {
    LearnedProfile saved;
    saved.key = "steam-620";
    saved.game = "Portal2.exe";
    saved.tunables = config("6000");
    saved.source = source;
    saved.date = "2026-11-26T19:00:05Z";
    save_learned_profile(dir.path(), saved);
}

struct Modes {
    bool collect = false;
    bool autotune = false;
    bool profiles = false;
};

LearnerSettings settings_in(const TempDir& dir, Modes modes) {
    LearnerSettings settings;
    settings.collect = modes.collect;
    settings.autotune = modes.autotune;
    settings.profiles = modes.profiles;
    settings.state_dir = dir.path();
    return settings;
}

// n windows of the fake daemon's clock, each ended by the learner's timer.
void run_windows(Learner& learner, FakeDaemon& daemon, int n) {
    for (int i = 0; i < n; i++) {
        daemon.advance();
        learner.tick();
    }
}

TEST(MlLearner, AppliesTheLearnedProfileWhileTheGameRuns) {
    TempDir dir;
    save_profile(dir, "autotune");
    FakeDaemon daemon;
    LearnerSettings settings = settings_in(dir, {.profiles = true});
    Learner learner(settings, daemon.host(), 1);
    const Game g = game();
    learner.follow(&g);
    EXPECT_EQ(daemon.label, "learned:steam-620");
    EXPECT_EQ(daemon.options().slice_us, 6000u);
    EXPECT_FALSE(learner.needs_windows()); // nothing to measure: no timer, no wake-ups
    learner.follow(&g);                    // the same game again: nothing changes
    EXPECT_EQ(daemon.applied.size(), 1u);
    EXPECT_EQ(learner.sessions_started(), 1u);
    learner.follow(nullptr);
    EXPECT_EQ(daemon.label, "");
    EXPECT_EQ(daemon.options(), Options{});
    EXPECT_EQ(daemon.applied, (std::vector<std::string>{"learned:steam-620", "revert"}));
    learner.follow(&g); // launched again: a new session
    EXPECT_EQ(learner.sessions_started(), 2u);
    EXPECT_EQ(daemon.label, "learned:steam-620");
}

TEST(MlLearner, AGameWithoutAProfileIsLeftAlone) {
    TempDir dir;
    FakeDaemon daemon;
    LearnerSettings settings = settings_in(dir, {.profiles = true});
    Learner learner(settings, daemon.host(), 1);
    const Game g = game();
    learner.follow(&g);
    learner.follow(nullptr);
    EXPECT_TRUE(daemon.applied.empty());
}

TEST(MlLearner, CollectsOneLinePerWindow) {
    TempDir dir;
    FakeDaemon daemon;
    LearnerSettings settings = settings_in(dir, {.collect = true});
    Learner learner(settings, daemon.host(), 1);
    const Game g = game();
    learner.follow(&g);
    EXPECT_TRUE(learner.needs_windows());
    run_windows(learner, daemon, 4);
    learner.follow(nullptr);
    EXPECT_FALSE(learner.needs_windows());
    const SampleLoad load = read_samples(dir.path(), "steam-620");
    EXPECT_TRUE(load.warnings.empty());
    ASSERT_EQ(load.records.size(), 4u);
    const SampleRecord& first = load.records.front();
    EXPECT_EQ(first.role, "collect");
    EXPECT_TRUE(first.base);
    EXPECT_EQ(first.metrics.wakeups, 5000u);
    EXPECT_DOUBLE_EQ(first.metrics.window_s, 5.0);
    EXPECT_DOUBLE_EQ(first.metrics.game_cpu, 0.5);
    EXPECT_DOUBLE_EQ(first.metrics.bg_cpu, 1.5);
    EXPECT_EQ(*first.tunables.find("slice-us"), "2000");
    EXPECT_TRUE(daemon.applied.empty()); // collecting changes nothing
}

TEST(MlLearner, AutotunesSavesAndAppliesTheBestConfiguration) {
    TempDir dir;
    FakeDaemon daemon(0.05);
    LearnerSettings settings = settings_in(dir, {.autotune = true, .profiles = true});
    // Only slice-us is free: the others are pinned, as if given on the command line.
    for (const FlagSpec& spec : flag_table())
        if (spec.name != "slice-us")
            daemon.pinned.emplace_back(spec.name);
    Learner learner(settings, daemon.host(), 3);
    const Game g = game();
    learner.follow(&g);
    unsigned windows = 0;
    while (learner.tuning() && windows < 500) {
        daemon.advance();
        learner.tick();
        windows++;
        if (learner.tuning() && daemon.overlay) { // trials run as "autotune:KEY"
            EXPECT_EQ(daemon.label, "autotune:steam-620");
        }
    }
    ASSERT_FALSE(learner.tuning());
    EXPECT_LE(windows, settings.autotune_params.budget_windows);
    EXPECT_EQ(daemon.label, "learned:steam-620");
    EXPECT_EQ(daemon.options().slice_us, 8000u);
    EXPECT_FALSE(learner.needs_windows()); // done and not collecting: the timer can stop

    const auto saved = load_learned_profile(dir.path(), "steam-620");
    ASSERT_TRUE(saved);
    EXPECT_EQ(saved->source, "autotune");
    EXPECT_EQ(*saved->tunables.find("slice-us"), "8000");
    EXPECT_EQ(*saved->before.find("slice-us"), "2000");
    EXPECT_LT(saved->objective_after, saved->objective_before);
    EXPECT_GE(saved->trials, 2u);

    // Every window was stored, with its role; ml-train on them agrees with the autotuner.
    const SampleLoad load = read_samples(dir.path(), "steam-620");
    EXPECT_EQ(load.records.size(), windows);
    EXPECT_EQ(load.records.front().role, "warmup");
    const TrainOutcome trained = train("steam-620", load.records, kNow);
    ASSERT_TRUE(trained.profile);
    EXPECT_EQ(*trained.profile->tunables.find("slice-us"), "8000");

    learner.follow(nullptr);
    EXPECT_EQ(daemon.options(), Options{});

    // Next time the game runs, the saved profile applies at once.
    Learner next(settings, daemon.host(), 4);
    next.follow(&g);
    EXPECT_EQ(daemon.label, "learned:steam-620");
    EXPECT_EQ(daemon.options().slice_us, 8000u);
}

TEST(MlLearner, TheGameExitingMidSearchSavesNothingAndReverts) {
    TempDir dir;
    FakeDaemon daemon;
    LearnerSettings settings = settings_in(dir, {.autotune = true});
    Learner learner(settings, daemon.host(), 5);
    const Game g = game();
    learner.follow(&g);
    run_windows(learner, daemon, 5);
    ASSERT_TRUE(learner.tuning());
    learner.follow(nullptr);
    EXPECT_FALSE(load_learned_profile(dir.path(), "steam-620"));
    EXPECT_EQ(daemon.options(), Options{});
}

TEST(MlLearner, TheUserTakingOverStopsTheSearch) {
    TempDir dir;
    FakeDaemon daemon;
    LearnerSettings settings = settings_in(dir, {.autotune = true});
    Learner learner(settings, daemon.host(), 6);
    const Game g = game();
    learner.follow(&g);
    run_windows(learner, daemon, 5);
    ASSERT_TRUE(learner.tuning());
    learner.user_took_over(false);
    EXPECT_FALSE(learner.tuning());
    EXPECT_EQ(daemon.options(), Options{}); // back to the start before the user's change
}

TEST(MlLearner, DeletingTheAppliedProfileRevertsAtOnce) {
    TempDir dir;
    save_profile(dir, "ml-train");
    FakeDaemon daemon;
    LearnerSettings settings = settings_in(dir, {.profiles = true});
    Learner learner(settings, daemon.host(), 1);
    const Game g = game();
    learner.follow(&g);
    ASSERT_EQ(daemon.label, "learned:steam-620");
    learner.learned_profile_deleted("steam-440");
    EXPECT_EQ(daemon.label, "learned:steam-620");
    learner.learned_profile_deleted("steam-620");
    EXPECT_EQ(daemon.label, "");
    learner.follow(nullptr);
    EXPECT_EQ(daemon.applied, (std::vector<std::string>{"learned:steam-620", "revert"}));
}

} // namespace
} // namespace scx_gamer::ml

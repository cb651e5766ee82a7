// SPDX-License-Identifier: GPL-2.0-only
// The scheduler's life without a kernel: a fake loader hands out fake schedulers (or refuses), so
// attach, the kernel's restart request and ejection, and the all-or-nothing option change are
// checked on their own.
#include "service/scheduler_supervisor.h"

#include "fake_timers.h"
#include "service/exit_codes.h"
#include "util/error.h"

#include <gtest/gtest.h>

#include <deque>

namespace scx_gamer {
namespace {

// A game known by its pid alone (designated initializers would leave the other members to
// -Wmissing-field-initializers).
Game game_with_pid(uint32_t pid) {
    Game game;
    game.pid = pid;
    return game;
}

using testing::FakeTimers;

struct FakeSchedulerState {
    gamer_tunables tunables{};
    std::vector<uint32_t> games;
    unsigned games_changed = 0;
    std::optional<SchedulerExit> exit;
    bool reporting = true;
    bool alive = true;
};

class FakeScheduler final : public Scheduler {
  public:
    explicit FakeScheduler(std::shared_ptr<FakeSchedulerState> state) : state_(std::move(state)) {}
    ~FakeScheduler() override { state_->alive = false; }
    bool attached() const override { return true; }
    void set_tunables(const gamer_tunables& tunables) override { state_->tunables = tunables; }
    gamer_tunables tunables() const override { return state_->tunables; }
    void add_game(uint32_t tgid) override { state_->games.push_back(tgid); }
    void remove_game(uint32_t tgid) override { std::erase(state_->games, tgid); }
    void games_changed() override { ++state_->games_changed; }
    std::array<uint64_t, GAMER_NR_STATS> stats() const override { return {}; }
    std::vector<uint64_t> latency_histogram() const override { return {}; }
    std::vector<uint64_t> cpu_perf_targets() const override { return {}; }
    std::optional<SchedulerExit> consume_exit() override { return state_->exit; }
    void stop_exit_reports() override { state_->reporting = false; }

  private:
    std::shared_ptr<FakeSchedulerState> state_;
};

class SchedulerSupervisorTest : public ::testing::Test {
  protected:
    SchedulerSupervisorTest() {
        SupervisorDeps deps{
            [this](const SchedulerConfig& config, std::function<void()> on_exit) {
                loaded_configs.push_back(config);
                if (!refusals.empty() && refusals.front()) {
                    refusals.pop_front();
                    throw Error("the verifier refused");
                }
                if (!refusals.empty())
                    refusals.pop_front();
                schedulers.push_back(std::make_shared<FakeSchedulerState>());
                schedulers.back()->tunables = config.tunables;
                exit_reports.push_back(std::move(on_exit));
                return std::make_unique<FakeScheduler>(schedulers.back());
            },
            [this](const Options& options) {
                if (options.primary_domain == "bad")
                    throw Error("--primary-domain: no such CPU");
                SchedulerConfig config{to_tunables(options)};
                config.game_map_fd = game_map_fd;
                return config;
            },
            [this] { return games; },
            timers,
            [this](int code) { exits.push_back(code); },
            [this](const SchedulerExit& exit) { ejections.push_back(exit.reason); }};
        supervisor = std::make_unique<SchedulerSupervisor>(Options{}, std::move(deps));
    }

    // An option only a re-attach can change, and one that changes live.
    static Options needing_reattach() {
        Options options;
        options.primary_domain = "0-1";
        return options;
    }
    static Options live_change() {
        Options options;
        options.slice_us = Options{}.slice_us * 2;
        return options;
    }

    FakeTimers timers;
    int game_map_fd = -1;
    std::vector<Game> games;
    std::deque<bool> refusals; // per load: whether the kernel refuses it
    std::vector<SchedulerConfig> loaded_configs;
    std::vector<std::shared_ptr<FakeSchedulerState>> schedulers;
    std::vector<std::function<void()>> exit_reports;
    std::vector<int> exits;
    std::vector<std::string> ejections;
    std::unique_ptr<SchedulerSupervisor> supervisor;
};

TEST_F(SchedulerSupervisorTest, AttachGivesAPrivateGameMapTheGamesKnownSoFar) {
    games = {game_with_pid(10), game_with_pid(11)};
    supervisor->attach();
    ASSERT_EQ(schedulers.size(), 1u);
    EXPECT_EQ(schedulers[0]->games, (std::vector<uint32_t>{10, 11}));
    EXPECT_FALSE(supervisor->shares_game_map());
    supervisor->game_removed(game_with_pid(10));
    EXPECT_EQ(schedulers[0]->games, std::vector<uint32_t>{11});
}

TEST_F(SchedulerSupervisorTest, ASharedGameMapIsOnlyLookedUpAgain) {
    game_map_fd = 7;
    games = {game_with_pid(10)};
    supervisor->attach();
    EXPECT_TRUE(supervisor->shares_game_map());
    EXPECT_TRUE(schedulers[0]->games.empty());
    supervisor->game_added(game_with_pid(12));
    supervisor->trees_changed();
    EXPECT_TRUE(schedulers[0]->games.empty());
    EXPECT_EQ(schedulers[0]->games_changed, 2u);
}

TEST_F(SchedulerSupervisorTest, ALiveChangeRewritesTheTunablesWithoutReattaching) {
    supervisor->attach();
    const auto change = supervisor->change(live_change());
    EXPECT_EQ(change.mode, ChangeMode::Live);
    EXPECT_FALSE(change.changes.empty());
    EXPECT_EQ(schedulers.size(), 1u);
    EXPECT_EQ(schedulers[0]->tunables.slice_ns, to_tunables(live_change()).slice_ns);
    EXPECT_EQ(supervisor->options().slice_us, live_change().slice_us);
}

TEST_F(SchedulerSupervisorTest, AChangeThatNeedsIt_ReattachesWithTheNewOptions) {
    supervisor->attach();
    const auto change = supervisor->change(needing_reattach());
    EXPECT_EQ(change.mode, ChangeMode::Reattach);
    ASSERT_EQ(schedulers.size(), 2u);
    EXPECT_FALSE(schedulers[0]->alive); // the old one went before the new one loaded
    EXPECT_TRUE(schedulers[1]->alive);
    EXPECT_EQ(supervisor->options().primary_domain, "0-1");
}

TEST_F(SchedulerSupervisorTest, AConfigurationThatCannotBeBuiltChangesNothing) {
    supervisor->attach();
    Options bad = needing_reattach();
    bad.primary_domain = "bad";
    EXPECT_THROW(supervisor->change(bad), Error);
    EXPECT_EQ(schedulers.size(), 1u);
    EXPECT_TRUE(schedulers[0]->alive); // never touched
    EXPECT_EQ(supervisor->options().primary_domain, Options{}.primary_domain);
}

TEST_F(SchedulerSupervisorTest, AFailedReattachBringsThePreviousSchedulerAndOptionsBack) {
    games = {game_with_pid(10)};
    supervisor->attach();
    refusals = {true, false}; // the new one is refused, the previous one loads again
    EXPECT_THROW(supervisor->change(needing_reattach()), Error);
    ASSERT_EQ(loaded_configs.size(), 3u);
    EXPECT_EQ(supervisor->options().primary_domain, Options{}.primary_domain);
    ASSERT_EQ(schedulers.size(), 2u);
    EXPECT_TRUE(schedulers[1]->alive);
    EXPECT_EQ(schedulers[1]->games, std::vector<uint32_t>{10}); // with the games again
    EXPECT_EQ(supervisor->scheduler()->tunables().slice_ns, to_tunables(Options{}).slice_ns);
    EXPECT_TRUE(exits.empty());
}

TEST_F(SchedulerSupervisorTest, WhenEvenThePreviousSchedulerCannotComeBackTheDaemonExits) {
    supervisor->attach();
    refusals = {true, true};
    EXPECT_THROW(supervisor->change(needing_reattach()), Error);
    EXPECT_EQ(exits, std::vector<int>{kExitFailure});
    EXPECT_EQ(supervisor->scheduler(), nullptr);
    EXPECT_EQ(supervisor->options().primary_domain, Options{}.primary_domain);
}

TEST_F(SchedulerSupervisorTest, WithoutASchedulerOnlyTheOptionsChange) {
    const auto change = supervisor->change(needing_reattach()); // companion mode
    EXPECT_EQ(change.mode, ChangeMode::Live);
    EXPECT_TRUE(loaded_configs.empty());
    EXPECT_EQ(supervisor->options().primary_domain, "0-1");
}

TEST_F(SchedulerSupervisorTest, TheKernelsRestartRequestReattachesFromATimer) {
    supervisor->attach();
    SchedulerExit exit;
    exit.exit_code = static_cast<int64_t>(GAMER_ECODE_ACT_RESTART);
    exit.reason = "cpu hotplug";
    schedulers[0]->exit = exit;
    exit_reports[0]();
    EXPECT_FALSE(schedulers[0]->reporting);
    EXPECT_TRUE(schedulers[0]->alive); // not replaced inside its own exit report
    ASSERT_TRUE(timers.fire("scheduler restart"));
    EXPECT_FALSE(schedulers[0]->alive);
    ASSERT_EQ(schedulers.size(), 2u);
    EXPECT_TRUE(exits.empty());
    EXPECT_TRUE(ejections.empty());
}

TEST_F(SchedulerSupervisorTest, ARestartTheKernelRefusesEndsTheDaemon) {
    supervisor->attach();
    SchedulerExit exit;
    exit.exit_code = static_cast<int64_t>(GAMER_ECODE_ACT_RESTART);
    schedulers[0]->exit = exit;
    exit_reports[0]();
    refusals = {true};
    ASSERT_TRUE(timers.fire("scheduler restart"));
    EXPECT_EQ(exits, std::vector<int>{kExitFailure});
}

TEST_F(SchedulerSupervisorTest, AnErrorExitIsReportedAndEndsTheDaemonWithItsOwnCode) {
    supervisor->attach();
    SchedulerExit exit;
    exit.kind = 1025;
    exit.reason = "runnable task stall";
    schedulers[0]->exit = exit;
    exit_reports[0]();
    EXPECT_EQ(ejections, std::vector<std::string>{"runnable task stall"});
    EXPECT_EQ(exits, std::vector<int>{kExitKernelEjected});
}

TEST_F(SchedulerSupervisorTest, AReportWithoutAnExitIsIgnored) {
    supervisor->attach();
    exit_reports[0]();
    EXPECT_TRUE(exits.empty());
    EXPECT_FALSE(timers.armed("scheduler restart"));
}

} // namespace
} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
// The detection pipeline without a kernel: detector records, /proc, exit watches, timers and
// clocks are fakes, so each step (classification, the wait for a cut-short exec, the registry,
// exit tracking and the sweep of members whose exit went unreported) is checked on its own.
#include "service/detection_pipeline.h"

#include "fake_proc_reader.h"
#include "fake_timers.h"
#include "util/error.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <set>
#include <stdexcept>

namespace scx_gamer {
namespace {

using testing::FakeProcess;
using testing::FakeProcReader;
using testing::FakeTimers;

constexpr uint32_t kGame = 4000;
constexpr uint32_t kChild = 4001;
constexpr uint32_t kOther = 5000;

class FakeDetector final : public DetectorPort {
  public:
    std::vector<DetectorRecord> queued;
    std::map<uint32_t, uint32_t> tree; // tgid -> root
    std::vector<uint32_t> watched, unwatched;
    uint64_t drops = 0, misses = 0;
    std::set<uint32_t> throw_on_tree_of;

    size_t consume(const std::function<void(const DetectorRecord&)>& on_record) override {
        auto records = std::exchange(queued, {});
        for (const DetectorRecord& record : records)
            on_record(record);
        return records.size();
    }
    void watch(uint32_t root) override {
        watched.push_back(root);
        tree[root] = root;
    }
    void unwatch(uint32_t root) override {
        unwatched.push_back(root);
        std::erase_if(tree, [&](const auto& entry) { return entry.second == root; });
    }
    std::optional<uint32_t> tree_of(uint32_t tgid) const override {
        if (throw_on_tree_of.count(tgid))
            throw std::runtime_error("map lookup failed");
        const auto it = tree.find(tgid);
        return it == tree.end() ? std::nullopt : std::optional(it->second);
    }
    std::optional<Released> release(uint32_t tgid) override {
        const auto it = tree.find(tgid);
        if (it == tree.end())
            return std::nullopt;
        const uint32_t root = it->second;
        tree.erase(it);
        const bool emptied = std::none_of(tree.begin(), tree.end(),
                                          [&](const auto& entry) { return entry.second == root; });
        return Released{root, emptied};
    }
    bool join(uint32_t tgid, uint32_t root) override { return tree.emplace(tgid, root).second; }
    std::vector<uint32_t> members(uint32_t root) const override {
        std::vector<uint32_t> out;
        for (const auto& [tgid, r] : tree)
            if (r == root)
                out.push_back(tgid);
        return out;
    }
    uint64_t dropped() const override { return drops; }
    uint64_t missed() const override { return misses; }
    uint64_t tree_full() const override { return 0; }
};

class FakeProcessTable final : public ProcessTable {
  public:
    std::set<uint32_t> running;
    std::vector<std::pair<uint32_t, uint32_t>> parent_of;
    mutable int parents_read = 0; // walks of /proc for every process's parent
    bool alive(uint32_t pid) const override { return running.count(pid) != 0; }
    std::vector<uint32_t> pids() const override { return {running.begin(), running.end()}; }
    std::vector<std::pair<uint32_t, uint32_t>> parents() const override {
        ++parents_read;
        return parent_of;
    }
    std::optional<uint64_t> threads(uint32_t pid) const override {
        return running.count(pid) ? std::optional<uint64_t>(3) : std::nullopt;
    }
};

class FakeExitWatches final : public ExitWatches {
  public:
    std::map<uint32_t, std::function<void()>> watches;
    bool watch(uint32_t pid, std::function<void()> on_exit) override {
        watches[pid] = std::move(on_exit);
        return true;
    }
    void unwatch(uint32_t pid) override { watches.erase(pid); }
    void exit(uint32_t pid) { watches.at(pid)(); }
};

class Everyone final : public SessionOracle {
  public:
    bool has_active_local_session(uid_t) const override { return true; }
};

std::vector<std::string> steam_env() {
    return {"HOME=/home/gamer", "SteamAppId=1245620", "SteamGameId=1245620"};
}

FakeProcess game_process() {
    return FakeProcess{"game", "/home/gamer/games/game", std::vector<std::string>{"game"},
                       steam_env()};
}

FakeProcess plain_process() {
    return FakeProcess{"editor", "/home/gamer/bin/editor", std::vector<std::string>{"editor"},
                       std::vector<std::string>{"HOME=/home/gamer"}};
}

DetectorRecord exec_record(uint32_t tgid, const FakeProcess& process, bool complete) {
    DetectorRecord record;
    record.event.kind = GAMER_EV_EXEC;
    record.event.tgid = tgid;
    record.event.pid = tgid;
    record.event.ppid = 1;
    record.event.ts_ns = 1'000'000;
    std::strncpy(record.event.comm, process.comm->c_str(), sizeof(record.event.comm) - 1);
    record.exec = ExecStrings{*process.cmdline, *process.environment, complete};
    return record;
}

DetectorRecord event_record(uint32_t kind, uint32_t tgid, uint32_t root = 0) {
    DetectorRecord record;
    record.event.kind = kind;
    record.event.tgid = tgid;
    record.event.root = root;
    return record;
}

class DetectionPipelineTest : public ::testing::Test {
  protected:
    DetectionPipelineTest() {
        DetectionClocks clocks;
        clocks.steady = [this] { return now; };
        clocks.monotonic_ns = [] { return uint64_t{2'000'000}; };
        clocks.realtime_us = [] { return uint64_t{1'700'000'000'000'000}; };
        pipeline = std::make_unique<DetectionPipeline>(
            "/nonexistent/games.toml",
            DetectionDeps{proc, sessions, processes, exits, timers, std::move(clocks),
                          [this] { ++trees_changed; }});
        pipeline->set_detector(&detector);
        pipeline->games().on_added([this](const Game& game) {
            detected.push_back(game.pid);
            now += detection_cost; // the listeners after the pipeline's: the bus signal
        });
        pipeline->games().on_removed([this](const Game& game) { exited.push_back(game.pid); });
    }

    void add(uint32_t pid, const FakeProcess& process) {
        proc.add(static_cast<pid_t>(pid), process);
        processes.running.insert(pid);
    }
    void deliver(DetectorRecord record) {
        detector.queued.push_back(std::move(record));
        pipeline->on_detector_events();
    }
    // kGame detected by its exec, and kChild, a plain process, a member of its tree.
    void start_game_with_member() {
        add(kGame, game_process());
        deliver(exec_record(kGame, game_process(), true));
        add(kChild, plain_process());
        ASSERT_TRUE(detector.join(kChild, kGame));
    }

    FakeProcReader proc;
    Everyone sessions;
    FakeProcessTable processes;
    FakeExitWatches exits;
    FakeTimers timers;
    FakeDetector detector;
    std::chrono::steady_clock::time_point now{std::chrono::seconds(100)};
    std::chrono::steady_clock::duration detection_cost = std::chrono::microseconds(300);
    int trees_changed = 0;
    std::vector<uint32_t> detected, exited;
    std::unique_ptr<DetectionPipeline> pipeline;
};

TEST_F(DetectionPipelineTest, ACompleteExecRecordOfAGameRegistersItAtOnce) {
    add(kGame, game_process());
    deliver(exec_record(kGame, game_process(), true));
    EXPECT_EQ(detected, std::vector<uint32_t>{kGame});
    ASSERT_NE(pipeline->games().find(kGame), nullptr);
    EXPECT_EQ(pipeline->games().find(kGame)->reason, "steam-app-id");
    EXPECT_EQ(detector.watched, std::vector<uint32_t>{kGame}); // its tree is watched
    EXPECT_EQ(exits.watches.count(kGame), 1u);                 // and its pidfd
    EXPECT_TRUE(timers.armed("game tree check"));              // the member sweep runs
    EXPECT_FALSE(timers.armed("exec retry"));
}

// /proc is read later than the exec: by then the pid may hold another user's process.
TEST_F(DetectionPipelineTest, AnExecRecordsUidIsTheGamesUser) {
    FakeProcess in_proc = game_process();
    in_proc.owner = 0; // what /proc would say
    add(kGame, in_proc);
    DetectorRecord record = exec_record(kGame, game_process(), true);
    record.event.uid = 1000;
    deliver(std::move(record));
    ASSERT_NE(pipeline->games().find(kGame), nullptr);
    EXPECT_EQ(pipeline->games().find(kGame)->uid, std::optional<uid_t>(1000));
}

TEST_F(DetectionPipelineTest, ANonGameIsNotRegistered) {
    add(kOther, plain_process());
    deliver(exec_record(kOther, plain_process(), true));
    EXPECT_TRUE(detected.empty());
    EXPECT_TRUE(detector.watched.empty());
}

TEST_F(DetectionPipelineTest, DetectionTimeRunsFromReadingTheRecordToGameDetectedSent) {
    add(kGame, game_process());
    detection_cost = std::chrono::microseconds(2'500);
    deliver(exec_record(kGame, game_process(), true));
    EXPECT_EQ(pipeline->latency().samples(), 1u);
    StatsMap stats;
    pipeline->add_stats(stats);
    EXPECT_EQ(std::get<uint64_t>(stats.at("detection_p50_us")), 3000u); // bucket (2 ms, 3 ms]
    EXPECT_EQ(std::get<uint64_t>(stats.at("detection_p99_us")), 3000u);
    EXPECT_EQ(std::get<uint64_t>(stats.at("nr_games")), 1u);
    EXPECT_EQ(std::get<uint32_t>(stats.at("game_pid")), kGame);
    EXPECT_EQ(std::get<uint64_t>(stats.at("nr_game_threads")), 3u);
}

TEST_F(DetectionPipelineTest, AGameFoundByAScanHasNoDetectionTime) {
    add(kGame, game_process());
    pipeline->scan_running_processes();
    EXPECT_EQ(detected, std::vector<uint32_t>{kGame});
    EXPECT_EQ(pipeline->latency().samples(), 0u);
}

TEST_F(DetectionPipelineTest, ACutShortRecordWaitsForTheExecToFinishThenCountsTheWait) {
    FakeProcess unfinished = game_process();
    unfinished.cmdline = std::vector<std::string>{}; // /proc shows no arguments yet
    unfinished.environment = std::vector<std::string>{};
    add(kGame, unfinished);
    deliver(exec_record(kGame, game_process(), false));
    EXPECT_TRUE(detected.empty());
    EXPECT_EQ(timers.armed("exec retry"), DetectionPipeline::kExecRetryDelay);

    ASSERT_TRUE(timers.fire("exec retry")); // still unfinished: armed again
    EXPECT_TRUE(detected.empty());
    EXPECT_TRUE(timers.armed("exec retry"));

    proc.add(kGame, game_process()); // the exec finished
    now += std::chrono::milliseconds(2);
    ASSERT_TRUE(timers.fire("exec retry"));
    EXPECT_EQ(detected, std::vector<uint32_t>{kGame});
    EXPECT_FALSE(timers.armed("exec retry"));
    // 2 ms waiting plus 0.3 ms sending: the wait counts.
    EXPECT_EQ(pipeline->latency().quantile_us(0.5), 3000u);
}

TEST_F(DetectionPipelineTest, TheWaitForAnExecIsBounded) {
    FakeProcess empty_argv = game_process();
    empty_argv.cmdline = std::vector<std::string>{}; // a process may really have no arguments
    add(kGame, empty_argv);
    deliver(exec_record(kGame, game_process(), false));
    unsigned fired = 0;
    while (timers.fire("exec retry"))
        ++fired;
    EXPECT_EQ(fired, DetectionPipeline::kExecRetries);
    EXPECT_EQ(detected, std::vector<uint32_t>{kGame}); // classified from /proc in the end
}

TEST_F(DetectionPipelineTest, OneFailingRecordDoesNotKeepTheOthersOfItsBatch) {
    add(kOther, game_process());
    add(kGame, game_process());
    detector.throw_on_tree_of.insert(kOther);
    detector.queued.push_back(exec_record(kOther, game_process(), true));
    detector.queued.push_back(exec_record(kGame, game_process(), true));
    pipeline->on_detector_events();
    EXPECT_EQ(detected, std::vector<uint32_t>{kGame});
}

TEST_F(DetectionPipelineTest, AGameAlreadyExitingWhenDetectedIsDroppedAgain) {
    proc.add(kGame, game_process()); // a /proc entry, but exiting: not alive
    deliver(exec_record(kGame, game_process(), true));
    EXPECT_EQ(detected, std::vector<uint32_t>{kGame});
    EXPECT_EQ(exited, std::vector<uint32_t>{kGame});
    EXPECT_EQ(pipeline->games().size(), 0u);
}

TEST_F(DetectionPipelineTest, TheDetectorsExitReportEndsTheGame) {
    add(kGame, game_process());
    deliver(exec_record(kGame, game_process(), true));
    deliver(event_record(GAMER_EV_EXIT, kGame, kGame));
    EXPECT_EQ(exited, std::vector<uint32_t>{kGame});
    EXPECT_EQ(detector.unwatched, std::vector<uint32_t>{kGame});
    EXPECT_EQ(exits.watches.count(kGame), 0u); // its pidfd watch is dropped with it
}

TEST_F(DetectionPipelineTest, TheRootsPidfdEndsTheGameOnlyOnceNoMemberOfItsTreeLives) {
    ASSERT_NO_FATAL_FAILURE(start_game_with_member());

    processes.running.erase(kGame);
    exits.exit(kGame);           // the root ended, its exit report went missing
    EXPECT_TRUE(exited.empty()); // removal happens from a timer, not inside the watch
    ASSERT_TRUE(timers.fire("game exits"));
    EXPECT_TRUE(exited.empty()); // the child still runs

    processes.running.erase(kChild);
    deliver(event_record(GAMER_EV_EXIT, kChild, kGame)); // the tree's last process
    EXPECT_EQ(exited, std::vector<uint32_t>{kGame});
}

TEST_F(DetectionPipelineTest, TheSweepReleasesMembersThatEndedUnreportedAndEndsEmptyTrees) {
    ASSERT_NO_FATAL_FAILURE(start_game_with_member());
    processes.running.erase(kChild); // ended; the kernel skipped the exit hook
    detector.misses = 1;
    ASSERT_TRUE(timers.fire("game tree check"));
    EXPECT_FALSE(detector.tree_of(kChild));
    EXPECT_EQ(trees_changed, 1);
    EXPECT_TRUE(exited.empty()); // the root still runs
    EXPECT_TRUE(timers.armed("game tree check"));

    processes.running.erase(kGame);
    detector.misses = 2;
    ASSERT_TRUE(timers.fire("game tree check"));
    EXPECT_EQ(exited, std::vector<uint32_t>{kGame});
    EXPECT_FALSE(timers.armed("game tree check")); // no games: the sweep sleeps
}

TEST_F(DetectionPipelineTest, NoNewMissesNoSweep) {
    ASSERT_NO_FATAL_FAILURE(start_game_with_member());
    processes.running.erase(kChild);
    ASSERT_TRUE(timers.fire("game tree check"));
    EXPECT_TRUE(detector.tree_of(kChild)); // the detector's own exit report is trusted
}

TEST_F(DetectionPipelineTest, LostRecordsRescanRunningProcessesAtMostEveryTwoSeconds) {
    detection_cost = {}; // the clock moves only when the test says
    detector.drops = 5;
    deliver(event_record(GAMER_EV_JOIN, kChild, kGame));
    EXPECT_EQ(timers.armed("rescan after detector drops"), std::chrono::microseconds(0));
    add(kGame, game_process()); // its exec record was among the lost
    ASSERT_TRUE(timers.fire("rescan after detector drops"));
    EXPECT_EQ(detected, std::vector<uint32_t>{kGame});

    now += std::chrono::milliseconds(500);
    detector.drops = 9;
    deliver(event_record(GAMER_EV_JOIN, kChild, kGame));
    EXPECT_EQ(timers.armed("rescan after detector drops"),
              std::chrono::duration_cast<std::chrono::microseconds>(
                  DetectionPipeline::kRescanInterval - std::chrono::milliseconds(500)));
}

TEST_F(DetectionPipelineTest, AMemberThatExecsAHelperLeavesTheGameAndAnEmptyTreeEnds) {
    add(kGame, game_process());
    deliver(exec_record(kGame, game_process(), true));
    FakeProcess helper{"steamwebhelper", "/home/gamer/.steam/steamwebhelper",
                       std::vector<std::string>{"steamwebhelper"}, steam_env()};
    add(kChild, helper);
    ASSERT_TRUE(detector.join(kChild, kGame));
    DetectorRecord record = exec_record(kChild, helper, true);
    record.event.flags = GAMER_EVF_WATCHED;
    deliver(record);
    EXPECT_FALSE(detector.tree_of(kChild));
    EXPECT_EQ(trees_changed, 1);
    EXPECT_TRUE(exited.empty());
    EXPECT_EQ(detected, std::vector<uint32_t>{kGame}); // the member is no game of its own
}

TEST_F(DetectionPipelineTest, ProcessesTheRootStartedBeforeJoinItsTreeOnTheLoopsNextTurn) {
    add(kChild, plain_process());
    processes.parent_of = {{kChild, kGame}, {kOther, 1}};
    add(kOther, plain_process());
    add(kGame, game_process());
    deliver(exec_record(kGame, game_process(), true));
    // Detected (and its detection time taken) before the walk of /proc.
    EXPECT_EQ(detected, std::vector<uint32_t>{kGame});
    EXPECT_EQ(pipeline->latency().samples(), 1u);
    EXPECT_FALSE(detector.tree_of(kChild));
    EXPECT_EQ(timers.armed("adopt descendants"), std::chrono::microseconds(0));
    ASSERT_TRUE(timers.fire("adopt descendants"));
    EXPECT_EQ(detector.tree_of(kChild), kGame);
    EXPECT_FALSE(detector.tree_of(kOther));
}

TEST_F(DetectionPipelineTest, GamesDetectedInOneTurnShareOneWalkOfProc) {
    constexpr uint32_t kSecondGame = 6000, kSecondChild = 6001;
    add(kChild, plain_process());
    add(kSecondChild, plain_process());
    processes.parent_of = {{kChild, kGame}, {kSecondChild, kSecondGame}};
    add(kGame, game_process());
    add(kSecondGame, game_process());
    detector.queued.push_back(exec_record(kGame, game_process(), true));
    deliver(exec_record(kSecondGame, game_process(), true));
    EXPECT_EQ(detected, (std::vector<uint32_t>{kGame, kSecondGame}));
    ASSERT_TRUE(timers.fire("adopt descendants"));
    EXPECT_EQ(processes.parents_read, 1);
    EXPECT_EQ(detector.tree_of(kChild), kGame);
    EXPECT_EQ(detector.tree_of(kSecondChild), kSecondGame);
}

TEST_F(DetectionPipelineTest, TheAdoptionStopsReadingOnceTheTreeIsFull) {
    constexpr uint32_t kFirstChild = 10000;
    constexpr uint32_t kChildren = GAMER_MAX_TREE_PROCS + 50;
    for (uint32_t pid = kFirstChild; pid < kFirstChild + kChildren; pid++) {
        add(pid, plain_process());
        processes.parent_of.emplace_back(pid, kGame);
    }
    add(kGame, game_process());
    deliver(exec_record(kGame, game_process(), true));
    ASSERT_TRUE(timers.fire("adopt descendants"));
    EXPECT_EQ(detector.members(kGame).size(), size_t{GAMER_MAX_TREE_PROCS}); // root included
}

// Children that ended before the walk (zombies: nobody reaped them) join and leave again; they
// must not take the places of live ones.
TEST_F(DetectionPipelineTest, ChildrenThatEndedDoNotCountAgainstTheTreesBound) {
    constexpr uint32_t kFirstChild = 10000, kEnded = 300, kLive = GAMER_MAX_TREE_PROCS;
    for (uint32_t pid = kFirstChild; pid < kFirstChild + kEnded + kLive; pid++) {
        add(pid, plain_process());
        if (pid < kFirstChild + kEnded)
            processes.running.erase(pid); // listed first: the walk meets them first
        processes.parent_of.emplace_back(pid, kGame);
    }
    add(kGame, game_process());
    deliver(exec_record(kGame, game_process(), true));
    ASSERT_TRUE(timers.fire("adopt descendants"));
    const auto members = detector.members(kGame);
    EXPECT_EQ(members.size(), size_t{GAMER_MAX_TREE_PROCS}); // the root and 511 live children
    EXPECT_TRUE(std::all_of(members.begin(), members.end(),
                            [&](uint32_t pid) { return processes.alive(pid); }));
}

TEST_F(DetectionPipelineTest, AGameThatEndedBeforeTheAdoptionAdoptsNothing) {
    add(kChild, plain_process());
    processes.parent_of = {{kChild, kGame}};
    add(kGame, game_process());
    deliver(exec_record(kGame, game_process(), true));
    processes.running.erase(kGame);
    exits.exit(kGame);
    timers.fire("game exits");
    ASSERT_EQ(pipeline->games().find(kGame), nullptr);
    timers.fire("adopt descendants");
    EXPECT_FALSE(detector.tree_of(kChild));
    EXPECT_EQ(processes.parents_read, 0); // no walk for no game
}

TEST_F(DetectionPipelineTest, RegistrationBypassesTheClassifierAndIsNotUndoneByIt) {
    add(kOther, plain_process());
    pipeline->register_game(kOther, {":1.42", "", "launch"});
    ASSERT_NE(pipeline->games().find(kOther), nullptr);
    EXPECT_EQ(pipeline->games().find(kOther)->reason, "registered:launch");
    deliver(exec_record(kOther, plain_process(), true)); // an exec into a non-game
    EXPECT_NE(pipeline->games().find(kOther), nullptr);
    EXPECT_FALSE(pipeline->unregister_game(kGame));
    pipeline->client_vanished(":1.42");
    EXPECT_EQ(exited, std::vector<uint32_t>{kOther});
}

TEST_F(DetectionPipelineTest, RegisteringAPidThatDoesNotExistThrows) {
    EXPECT_THROW(pipeline->register_game(kGame, {":1.42", "", ""}), Error);
    EXPECT_TRUE(detected.empty());
}

TEST_F(DetectionPipelineTest, ADetectedGameThatExecsIntoANonGameIsDropped) {
    add(kGame, game_process());
    deliver(exec_record(kGame, game_process(), true));
    proc.add(kGame, plain_process());
    DetectorRecord record = exec_record(kGame, plain_process(), true);
    deliver(record);
    EXPECT_EQ(exited, std::vector<uint32_t>{kGame});
}

TEST_F(DetectionPipelineTest, WithoutADetectorTheRootIsTheGame) {
    pipeline->set_detector(nullptr);
    add(kGame, game_process());
    pipeline->scan_running_processes();
    EXPECT_EQ(detected, std::vector<uint32_t>{kGame});
    processes.running.erase(kGame);
    exits.exit(kGame);
    ASSERT_TRUE(timers.fire("game exits"));
    EXPECT_EQ(exited, std::vector<uint32_t>{kGame});
}

} // namespace
} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
// Detection, one job: the detector's records -> classification (waiting for an exec to finish
// when its record was cut short) -> the game registry, and each game's end: the detector's exit
// report, the game's pidfd, and the sweep of tree members whose exit went unreported. It owns the
// classifier and the registry; everything it touches outside the process is injected (the
// detector's ring buffer and game trees, /proc, exit watches, timers, clocks), so the unit tests
// (tests/unit/detection_pipeline_test.cpp) drive it with fakes.
//
// What a game's arrival or departure means elsewhere (the scheduler's map, scx_loader, the bus)
// is not its business: Daemon adds those as registry listeners.
#pragma once

#include "control/controller.h"
#include "games/classifier.h"
#include "games/detector_record.h"
#include "games/eligibility.h"
#include "games/game_registry.h"
#include "games/proc_reader.h"
#include "service/detection_latency.h"
#include "service/timers.h"
#include "stats/stats_fields.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace scx_gamer {

// The kernel's detector as the pipeline uses it (DetectorBpf, daemon/bpf/detector_bpf.h, says
// what each call means); BpfDetectorPort adapts the real one.
class DetectorPort {
  public:
    virtual ~DetectorPort() = default;
    virtual size_t consume(const std::function<void(const DetectorRecord&)>& on_record) = 0;
    virtual void watch(uint32_t root) = 0;
    virtual void unwatch(uint32_t root) = 0;
    virtual std::optional<uint32_t> tree_of(uint32_t tgid) const = 0;
    struct Released {
        uint32_t root = 0;
        bool tree_emptied = false;
    };
    virtual std::optional<Released> release(uint32_t tgid) = 0;
    virtual bool join(uint32_t tgid, uint32_t root) = 0;
    virtual std::vector<uint32_t> members(uint32_t root) const = 0;
    virtual uint64_t dropped() const = 0;
    virtual uint64_t missed() const = 0;
    virtual uint64_t tree_full() const = 0;
};

// What the pipeline reads of the process table beyond one process's identity (ProcReader).
class ProcessTable {
  public:
    virtual ~ProcessTable() = default;
    // Runs, as far as an exit report goes: a zombie, or a process inside exit(), may have passed
    // the kernel's exit tracepoint already, so a watch set now would never fire.
    virtual bool alive(uint32_t pid) const = 0;
    // Every process, and every process with its parent.
    virtual std::vector<uint32_t> pids() const = 0;
    virtual std::vector<std::pair<uint32_t, uint32_t>> parents() const = 0; // (tgid, ppid)
    virtual std::optional<uint64_t> threads(uint32_t pid) const = 0;
};

// A notice once a process has exited (its pidfd readable): fires at most once per watch.
class ExitWatches {
  public:
    virtual ~ExitWatches() = default;
    // False when the exit cannot be watched (gone already, out of fds...).
    virtual bool watch(uint32_t pid, std::function<void()> on_exit) = 0;
    virtual void unwatch(uint32_t pid) = 0;
};

struct DetectionClocks {
    std::function<std::chrono::steady_clock::time_point()> steady = [] {
        return std::chrono::steady_clock::now();
    };
    std::function<uint64_t()> monotonic_ns; // CLOCK_MONOTONIC, bpf_ktime_get_ns()'s clock
    std::function<uint64_t()> realtime_us;  // Game::since
};

struct DetectionDeps {
    ProcReader& proc;
    SessionOracle& sessions;
    ProcessTable& processes;
    ExitWatches& exits;
    Timers& timers;
    DetectionClocks clocks;
    // The game trees changed in the kernel's map behind the scheduler's back (a member left).
    std::function<void()> trees_changed;
};

class DetectionPipeline {
  public:
    DetectionPipeline(std::filesystem::path rules_path, DetectionDeps deps);
    DetectionPipeline(const DetectionPipeline&) = delete;
    DetectionPipeline& operator=(const DetectionPipeline&) = delete;

    // The detector, once it runs (nullptr once it is gone); it must outlive its use here. Without
    // one, a game is its root process and exits come from pidfds alone.
    void set_detector(DetectorPort* detector) { detector_ = detector; }

    GameRegistry& games() { return games_; }
    const GameRegistry& games() const { return games_; }
    const Classifier& classifier() const { return classifier_; }

    // The detector's ring buffer is readable: handles every waiting record (one bad record does
    // not keep the others from being handled), then looks for what was lost or missed.
    void on_detector_events();
    // Classifies every running process (at start, and after a rules change or lost records).
    void scan_running_processes();
    // Reads the rules file again; a changed one re-applies the [detection] policy and rescans.
    // Logs and keeps the previous rules when the file is invalid.
    void reload_rules();

    // Explicit registration (Controller::register_game and friends).
    // Throws Error for a pid that does not exist, GameLimitReached past the [detection] limits.
    using Registration = Controller::Registration;
    void register_game(uint32_t pid, const Registration& registration);
    bool unregister_game(uint32_t pid);
    void client_vanished(const std::string& owner);

    // nr_games, game_pid, game_name, nr_game_threads, the detector's counters and the detection
    // time percentiles.
    void add_stats(StatsMap& out) const;
    const DetectionLatency& latency() const { return latency_; }

    static constexpr auto kExecRetryDelay = std::chrono::milliseconds(1);
    static constexpr unsigned kExecRetries = 50;
    static constexpr auto kRefusalLogInterval = std::chrono::minutes(1);
    // After the ring buffer dropped records (a flood of execs), /proc is scanned again so that a
    // game whose exec record was lost is found; at most this often, as a scan reads every process.
    static constexpr auto kRescanInterval = std::chrono::seconds(2);
    // How often missed runs of the detector's hooks are looked for while games are tracked.
    static constexpr auto kTreeCheckInterval = std::chrono::seconds(2);

  private:
    using TimePoint = std::chrono::steady_clock::time_point;
    // Where an exec came from: its kernel timestamp and when its record was read, for the logs
    // and the detection time.
    struct ExecOrigin {
        uint64_t exec_ns = 0;
        TimePoint read_at;
    };
    void handle_record(const DetectorRecord& record, TimePoint read_at);
    void consider_exec(const DetectorRecord& record, TimePoint read_at);
    void consider(uint32_t tgid, const char* trigger, std::optional<ExecOrigin> origin = {});
    void register_if_game(uint32_t tgid, const std::optional<ProcessInfo>& info,
                          const char* trigger, std::optional<ExecOrigin> origin);
    bool exec_finished(uint32_t tgid) const;
    void retry_pending_execs();
    void watch_exit(uint32_t pid);
    void remove_exited_games();
    bool tree_lives(uint32_t root) const;
    void check_game_trees();
    void check_detector_misses();
    void check_tree_member(uint32_t tgid, const std::optional<ProcessInfo>& info);
    // children: every process's tgid by its parent's (ppid -> tgid), read once per loop turn.
    void adopt_descendants(uint32_t root, const std::multimap<uint32_t, uint32_t>& children);
    void adopt_pending_descendants();
    void rescan_after_drops();
    void apply_detection_policy();
    // Logs why pid is not treated as a game, at most once a minute per user and reason: one
    // user's exec flood must not become a journal flood.
    void note_refusal(std::optional<uid_t> uid, uint32_t pid, const std::string& name,
                      const std::string& why);
    void exited(uint32_t root);

    std::filesystem::path rules_path_;
    DetectionDeps deps_;
    DetectorPort* detector_ = nullptr;
    Classifier classifier_;
    GameRegistry games_;
    EligibilityPolicy eligibility_;
    DetectionLatency latency_;
    std::map<std::pair<std::optional<uid_t>, std::string>, TimePoint> refusals_logged_;
    uint64_t drops_seen_ = 0;
    uint64_t misses_seen_ = 0;
    TimePoint last_rescan_;
    struct PendingExec {
        ExecOrigin origin;
        unsigned retries = 0;
    };
    std::map<uint32_t, PendingExec> pending_execs_; // by tgid
    std::vector<uint32_t> exited_games_;            // roots whose end is to be checked
    std::vector<uint32_t> adoptions_;               // new games whose earlier children to adopt
    // Declared last: dropped first, before what their callbacks use.
    std::unique_ptr<Timer> exec_retry_timer_, exit_timer_, rescan_timer_, tree_check_timer_,
        adopt_timer_;
};

} // namespace scx_gamer

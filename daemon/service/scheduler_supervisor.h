// SPDX-License-Identifier: GPL-2.0-only
// The BPF scheduler's life, one job: attach it, re-attach it when the kernel asks (CPU hotplug),
// end the daemon when the kernel unloads it for an error, and change its options
// transactionally: a change is in force fully (live tunables, or a new scheduler) or not at all
// (the previous scheduler and options back, and the caller gets the exception). Loading a
// scheduler is injected (SchedulerLoader), so tests/unit/scheduler_supervisor_test.cpp drives it
// with a fake scheduler and no kernel.
#pragma once

#include "bpf/scheduler_bpf.h"
#include "control/controller.h"
#include "games/game_registry.h"
#include "service/timers.h"
#include "tuning/flags.h"

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace scx_gamer {

// A loaded and attached scheduler as the daemon uses it (SchedulerBpf says what each call means;
// BpfScheduler adapts the real one).
class Scheduler {
  public:
    virtual ~Scheduler() = default;
    virtual bool attached() const = 0;
    virtual void set_tunables(const gamer_tunables& tunables) = 0;
    virtual gamer_tunables tunables() const = 0;
    virtual void add_game(uint32_t tgid) = 0;
    virtual void remove_game(uint32_t tgid) = 0;
    virtual void games_changed() = 0;
    virtual std::array<uint64_t, GAMER_NR_STATS> stats() const = 0;
    virtual std::vector<uint64_t> latency_histogram() const = 0;
    virtual std::vector<uint64_t> cpu_perf_targets() const = 0;
    virtual std::optional<SchedulerExit> consume_exit() = 0;
    // Stops reporting the exit (from inside that report: the scheduler is replaced afterwards).
    virtual void stop_exit_reports() = 0;
};

// Loads and attaches a scheduler for `config`; `on_exit` runs (in the loop) once the kernel
// unloaded it. Throws Error when the kernel refuses.
using SchedulerLoader = std::function<std::unique_ptr<Scheduler>(const SchedulerConfig& config,
                                                                 std::function<void()> on_exit)>;

struct SupervisorDeps {
    SchedulerLoader load;
    // Everything about a scheduler that can be wrong (CPUs that do not exist...) fails here,
    // before a running scheduler is touched.
    std::function<SchedulerConfig(const Options&)> config;
    // The games to give a new scheduler when it does not share the detector's map of them.
    std::function<std::vector<Game>()> games;
    Timers& timers;
    // Ends the daemon with this exit code (service/exit_codes.h).
    std::function<void(int code)> exit;
    // The kernel unloaded the scheduler for an error (before the daemon exits).
    std::function<void(const SchedulerExit&)> ejected;
};

class SchedulerSupervisor {
  public:
    SchedulerSupervisor(Options options, SupervisorDeps deps);
    SchedulerSupervisor(const SchedulerSupervisor&) = delete;
    SchedulerSupervisor& operator=(const SchedulerSupervisor&) = delete;

    // Loads and attaches the scheduler with the options in force; throws when it cannot.
    void attach();
    // Drops the scheduler: the kernel falls back to its default.
    void detach();

    const Options& options() const { return options_; }
    Scheduler* scheduler() const { return scheduler_.get(); }
    // Whether the scheduler reads the detector's map of game trees as its game map.
    bool shares_game_map() const { return shares_game_map_; }

    // The registry's listeners: a game reaches the scheduler (or, for a shared map, the
    // scheduler looks its tasks up again).
    void game_added(const Game& game);
    void game_removed(const Game& game);
    // The detector's map changed behind the scheduler's back.
    void trees_changed();

    struct Change {
        ChangeMode mode = ChangeMode::Live;
        FlagValues changes; // the flags whose values changed, with their new values
    };
    // Puts `next` in force: live tunables, or a re-attach when a changed flag needs one (only
    // while a scheduler runs; without one only the options change). Throws, with everything as
    // it was, when it cannot; when even the previous scheduler cannot come back the daemon
    // exits (kExitFailure) rather than run on without one.
    Change change(const Options& next);

  private:
    void load(const SchedulerConfig& config);
    void on_exit();
    void restart();

    Options options_;
    SupervisorDeps deps_;
    std::unique_ptr<Scheduler> scheduler_;
    bool shares_game_map_ = false;
    std::unique_ptr<Timer> restart_timer_;
};

} // namespace scx_gamer

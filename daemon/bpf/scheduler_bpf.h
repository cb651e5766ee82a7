// SPDX-License-Identifier: GPL-2.0-only
// Owner of scx_gamer's sched_ext scheduler (bpf/scheduler.bpf.c) in the kernel: the loaded BPF
// object, the struct_ops link while attached, and the ring buffer that announces the
// scheduler's exit. Move-only; destroying it detaches the scheduler and unloads it.
//
//   auto sched = SchedulerBpf::open_and_load(config);  // verified and loaded, not running yet
//   sched.attach();                                    // "gamer" now schedules the system
//   epoll on sched.exit_fd(); when it fires:
//   if (auto exit = sched.consume_exit()) ...          // the kernel unloaded it: why
//
// Every method throws scx_gamer::Error with its context ("attaching the scheduler: Device or
// resource busy") when the kernel refuses. A moved-from object may only be destroyed or
// assigned to.
#pragma once

#include "bpf/intf.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace scx_gamer {

// What is fixed once the scheduler is loaded, except the tunables, which are only its initial
// values (see SchedulerBpf::set_tunables()).
struct SchedulerConfig {
    // The scheduler has no defaults of its own: to_tunables(Options{}) gives the flag table's.
    explicit SchedulerConfig(const gamer_tunables& initial) : tunables(initial) {}

    gamer_tunables tunables;
    // CPUs tried first for background tasks (the primary domain); empty: all CPUs alike.
    std::vector<int> primary_cpus;
    // The daemon's process, whose threads are scheduled like a game's (0: none).
    uint32_t daemon_tgid = 0;
    // The detector's map of game trees (DetectorBpf::game_map_fd()), used as the scheduler's
    // game_tgids: the detector then keeps it, and add_game()/remove_game() are not to be used;
    // games_changed() tells running tasks to look again. -1: the scheduler's own map.
    int game_map_fd = -1;
    // Bytes of debug dump the kernel produces when the scheduler errors out; 0: its default.
    uint32_t exit_dump_len = 0;
    // libbpf's debug messages (maps, relocations, verifier) on stderr while loading. The
    // scheduler's own tracing is tunables.verbose.
    bool verbose = false;
};

// Why the kernel unloaded the scheduler, as ops.exit() recorded it.
struct SchedulerExit {
    int32_t kind = 0;      // enum scx_exit_kind: 64 detached by user space, >= 1024 an error
    int64_t exit_code = 0; // GAMER_ECODE_* bits
    std::string reason;    // the kernel's summary, e.g. "runnable task stall"
    std::string msg;       // details, e.g. "stress-ng[123] failed to run for 5.1s"

    // An error (BPF error, stall), not a requested unload.
    bool error() const { return kind >= 1024; }
    // The kernel asks to be loaded again (CPU hotplug): not a failure of the scheduler.
    bool restart_requested() const {
        return (static_cast<uint64_t>(exit_code) & GAMER_ECODE_ACT_RESTART) != 0;
    }
};

class SchedulerBpf {
  public:
    // Opens the embedded BPF object, sets it up for this machine and `config` (possible CPUs,
    // primary domain, the ops flags the running kernel knows, its CPU hotplug sequence) and
    // loads it: the verifier runs here. The scheduler does not run until attach().
    static SchedulerBpf open_and_load(const SchedulerConfig& config);

    SchedulerBpf(SchedulerBpf&&) noexcept;
    SchedulerBpf& operator=(SchedulerBpf&&) noexcept;
    ~SchedulerBpf();

    // Makes "gamer" the system's scheduler; no-op while attached. Fails with EBUSY while
    // another sched_ext scheduler is attached. Allowed again after detach() or after the kernel
    // unloaded it, except after a restart request (CPU hotplug): the hotplug sequence is fixed
    // at load, so that needs a new open_and_load().
    void attach();
    // Hands the CPUs back to the kernel's default scheduler; no-op when not attached.
    void detach();
    // Attached and not unloaded by the kernel since.
    bool attached() const;

    // Live tunables: the running scheduler reads them at its next decision.
    void set_tunables(const gamer_tunables& tunables);
    gamer_tunables tunables() const;

    // Threads of thread group `tgid` become game threads (or stop being ones), at once.
    // add_game fails with E2BIG beyond GAMER_MAX_GAMES games; remove_game of a non-game is a
    // no-op.
    void add_game(uint32_t tgid);
    void remove_game(uint32_t tgid);
    // The game map changed behind the scheduler's back (a shared map, see game_map_fd): running
    // tasks look their thread group up again. New tasks always do.
    void games_changed();

    // Counters since load, summed over CPUs, indexed by enum gamer_stat_idx.
    std::array<uint64_t, GAMER_NR_STATS> stats() const;
    // Game wakeup-latency histogram since load, GAMER_LAT_BUCKETS buckets (layout in intf.h).
    std::vector<uint64_t> latency_histogram() const;
    // Each possible CPU's performance target as the scheduler last set it, in CPU order
    // (0..GAMER_CPUPERF_ONE; see cpu_perf in intf.h).
    std::vector<uint64_t> cpu_perf_targets() const;

    // Readable (epoll) once the scheduler exited; then call consume_exit().
    int exit_fd() const;
    // Drains exit_fd(). Why the scheduler exited if it did (on every later call too, until
    // the next attach()); nothing while it runs or before it was attached.
    std::optional<SchedulerExit> consume_exit();

#ifdef SCX_GAMER_TEST_HOOKS
    // Fault injection for tests (compiled only with -DSCX_GAMER_TEST_HOOKS=ON), until the next
    // attach():
    // the scheduler aborts itself with scx_bpf_error("injected") at its next dispatch.
    void inject_error();
    // The scheduler stops running thread `tid` until the kernel's watchdog ejects it.
    void stall_task(uint32_t tid);
#endif

  private:
    struct Impl;
    explicit SchedulerBpf(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

} // namespace scx_gamer

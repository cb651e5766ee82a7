// SPDX-License-Identifier: GPL-2.0-only
#include "stats_fields.h"

namespace scx_gamer {

namespace {

constexpr StatField kFields[] = {
    {"uptime_s", StatKind::U64, "seconds since the daemon started"},
    {"scheduler_state", StatKind::String, "sched_ext state: enabled, disabled, detached, ..."},
    {"profile", StatKind::String, "the profile in force"},
    {"nr_games", StatKind::U64, "games currently detected or registered"},
    {"nr_game_threads", StatKind::U64, "threads of the detected games"},
    {"game_pid", StatKind::U32, "pid of the most recently detected game, 0 when none"},
    {"game_name", StatKind::String, "name of that game"},
    {"nr_detector_drops", StatKind::U64, "detector events lost because the ring buffer was full"},
    {"nr_detector_misses", StatKind::U64,
     "detector program runs the kernel skipped (a tracing program preempted on that CPU)"},
    {"nr_dispatched", StatKind::U64, "tasks moved from a shared queue to a CPU"},
    {"nr_direct_dispatched", StatKind::U64, "tasks placed on an idle CPU straight at wakeup"},
    {"nr_kicks", StatKind::U64, "CPUs kicked (idle wakeups and preemptions)"},
    {"nr_preempt_kicks", StatKind::U64, "background work preempted for a waking game thread"},
    {"nr_game_enqueued", StatKind::U64, "game thread enqueues"},
    {"nr_bg_enqueued", StatKind::U64, "background task enqueues"},
    {"nr_bg_starve_guard", StatKind::U64,
     "background tasks run first because they waited too long"},
    {"nr_migrations", StatKind::U64, "tasks that started on a different CPU than they last ran on"},
    {"nr_game_wakeups", StatKind::U64, "game thread wakeups measured"},
    {"nr_overdue_runs", StatKind::U64,
     "tasks run out of deadline order because they had waited too long (see docs/scheduler.md)"},
    {"nr_bg_floor", StatKind::U64,
     "background tasks run first because background work had less than its floor "
     "(--bg-min-share-pct) of the CPU"},
    {"nr_local_preempt", StatKind::U64,
     "game threads woken on their own CPU that preempted background work there, without a kick"},
    {"nr_reenqueued", StatKind::U64,
     "tasks handed back from a CPU's local queue (a real-time task took the CPU) and queued again"},
    {"nr_kthread_enqueued", StatKind::U64,
     "enqueues of per-CPU kernel threads, which queue with the game threads"},
    {"nr_wakeup_timer_runs", StatKind::U64,
     "runs of the wakeup timer (it stops while the scheduler's queues are empty)"},
    {"nr_cpuperf_sets", StatKind::U64, "changes of a CPU's performance target (cpufreq)"},
    {"cpuperf_targets", StatKind::String,
     "each CPU's performance target, 0-1024 (1024: full speed), in CPU order, space-separated"},
    {"game_wakeup_p50_us", StatKind::U64, "game wakeup latency, median (us)"},
    {"game_wakeup_p99_us", StatKind::U64, "game wakeup latency, 99th percentile (us)"},
    {"game_wakeup_p999_us", StatKind::U64, "game wakeup latency, 99.9th percentile (us)"},
    {"bpf_slice_us", StatKind::U64, "background slice, read back from the running scheduler (us)"},
    {"bpf_game_slice_us", StatKind::U64, "game slice, read back from the running scheduler (us)"},
    {"bpf_wakeup_timer_us", StatKind::U64,
     "wakeup timer period, read back from the scheduler (us)"},
};

} // namespace

std::span<const StatField> stat_fields() {
    return kFields;
}

std::string_view scx_stats_kind(StatKind kind) {
    switch (kind) {
    case StatKind::U64:
    case StatKind::U32:
        return "u64";
    case StatKind::Float:
        return "float";
    case StatKind::String:
        return "string";
    }
    return "string";
}

} // namespace scx_gamer

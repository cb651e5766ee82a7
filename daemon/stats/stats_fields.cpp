// SPDX-License-Identifier: GPL-2.0-only
#include "stats/stats_fields.h"

#include "bpf/intf.h"

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
    {"detection_p50_us", StatKind::U64,
     "the daemon's detection time, exec record read to GameDetected sent, median (us)"},
    {"detection_p99_us", StatKind::U64,
     "the daemon's detection time, exec record read to GameDetected sent, 99th percentile (us)"},
// The scheduler's counters, in their order (bpf/intf.h).
#define SCHEDULER_COUNTER_FIELD(name, key, desc) {key, StatKind::U64, desc},
    GAMER_STATS(SCHEDULER_COUNTER_FIELD)
#undef SCHEDULER_COUNTER_FIELD
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

constexpr SchedulerCounter kSchedulerCounters[] = {
#define SCHEDULER_COUNTER(name, key, desc) {GAMER_STAT_##name, key},
    GAMER_STATS(SCHEDULER_COUNTER)
#undef SCHEDULER_COUNTER
};

} // namespace

std::span<const SchedulerCounter> scheduler_counters() {
    return kSchedulerCounters;
}

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

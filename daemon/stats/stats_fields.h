// SPDX-License-Identifier: GPL-2.0-only
// The statistics the daemon reports, described once: D-Bus GetStats, the scx_stats socket's
// metadata and `--monitor` all read this table.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace scx_gamer {

using StatValue = std::variant<uint64_t, uint32_t, double, std::string>;
using StatsMap = std::map<std::string, StatValue>;

enum class StatKind { U64, U32, Float, String };

struct StatField {
    std::string_view name;
    StatKind kind;
    std::string_view desc;
};

std::span<const StatField> stat_fields();

// The scheduler's per-CPU counters (bpf/intf.h's GAMER_STATS): the index of each in the BPF
// counters and the key it is reported under.
struct SchedulerCounter {
    unsigned index;
    std::string_view name;
};
std::span<const SchedulerCounter> scheduler_counters();

// "u64", "float", "string": the kind names of the scx_stats metadata.
std::string_view scx_stats_kind(StatKind kind);

} // namespace scx_gamer

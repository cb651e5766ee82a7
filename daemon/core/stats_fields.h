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

// "u64", "float", "string": the kind names of the scx_stats metadata.
std::string_view scx_stats_kind(StatKind kind);

} // namespace scx_gamer

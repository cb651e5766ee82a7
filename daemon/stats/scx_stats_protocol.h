// SPDX-License-Identifier: GPL-2.0-only
// The scx_stats wire protocol (sched-ext/scx rust/scx_stats): one JSON object per line each way.
//   request:  {"req":"stats","args":{"target":"top"}}   or   {"req":"stats_meta","args":{}}
//   response: {"errno":0,"args":{"resp":<json>}}       errors: errno 22 (EINVAL), resp = message
// Pure functions over a request line, so the parser is unit-tested and fuzzed without sockets.
#pragma once

#include "stats/stats_fields.h"

#include <functional>
#include <string>
#include <string_view>

namespace scx_gamer {

// Name of our top-level stats struct in stats_meta.
inline constexpr std::string_view kScxStatsStructName = "scx_gamer";
// Longest request line a server accepts; longer ones get EINVAL and the rest is discarded.
inline constexpr std::size_t kMaxScxStatsRequest = 64 * 1024;

// Answers one request line (without its newline); the result has no newline either.
// `current_stats` is only called for a valid "stats" request.
std::string answer_scx_stats_request(std::string_view line,
                                     const std::function<StatsMap()>& current_stats);

// The "resp" of stats_meta: our one struct, marked top, with every field of stat_fields().
std::string scx_stats_meta_json();

// The "resp" of a stats request: the fields of stat_fields() that `stats` has.
std::string scx_stats_json(const StatsMap& stats);

// An error response line for a request that could not even be read (e.g. too long).
std::string scx_stats_error(int errnum, std::string_view message);

} // namespace scx_gamer

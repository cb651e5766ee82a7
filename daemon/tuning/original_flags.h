// SPDX-License-Identifier: GPL-2.0-only
// The original scx_gamer's flags that this one does not have (docs/man/scx_gamer.8.scd,
// COMPATIBILITY). A launch script or /etc/default/scx written for the original must still start
// the scheduler, so on the daemon's command line these are accepted, with their value if they
// take one, and ignored with one warning each. They are ONE table (original_flag_table()).
//
// Only flags whose absence changes no one's expectations silently are here: scheduler knobs
// this scheduler has no counterpart for, and ways of running the original's process. Flags with
// a real equivalent are in the flag table under the same name (--slice-us, --mm-affinity, ...);
// run-once or interactive options (--tui, --help-stats, --ml-export-csv, ...) are NOT accepted,
// because starting a scheduler instead of doing what they ask would be a silent change.
//
// Not for profiles or ApplyFlags: those take only flags that describe how we schedule.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace scx_gamer {

struct OriginalFlag {
    std::string_view name{};  // long name without "--"
    char short_name = '\0';   // the original's short form, if we do not use that letter
    bool takes_value = false; // the original's flag takes a value (any text is accepted)
};

std::span<const OriginalFlag> original_flag_table();

// The warning for one ignored flag:
// "--enable-numa is a flag of the original scx_gamer that this one does not use; ignored".
std::string ignored_flag_warning(const OriginalFlag& flag);

// Adds the table's flags to app, hidden from --help. After app.parse(),
// ignored_original_flags(app) returns one warning per flag given.
void add_original_flags(CLI::App& app);
std::vector<std::string> ignored_original_flags(const CLI::App& app);

// The original's -w was --no-wake-sync, a switch; ours is --wakeup-timer-us N. A "-w" that is not
// followed by a number (the end, or another flag) cannot be ours, so it becomes "--no-wake-sync".
// args are the arguments in order, without argv[0].
void rewrite_original_short_flags(std::vector<std::string>& args);

} // namespace scx_gamer

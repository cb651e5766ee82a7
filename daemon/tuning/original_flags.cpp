// SPDX-License-Identifier: GPL-2.0-only
#include "tuning/original_flags.h"

#include <CLI/CLI.hpp>

#include <array>

namespace scx_gamer {
namespace {

// The original's flags (RitzDaCat/scx and hodgesds/scx gamer-optimization, src/main.rs `Opts`,
// plus the RitzDaCat fork's detector/trace switches) that this scheduler has no counterpart for.
// Short forms are kept where the letter is free here; the original's -w is handled by
// rewrite_original_short_flags() because our -w is --wakeup-timer-us.
constexpr std::array kOriginalFlags{
    // Topology and idle-CPU search: ours reads the topology itself.
    OriginalFlag{.name = "enable-numa", .short_name = 'n'},
    OriginalFlag{.name = "disable-cpufreq", .short_name = 'f'},
    OriginalFlag{.name = "flat-idle-scan", .short_name = 'i'},
    OriginalFlag{.name = "preferred-idle-scan", .short_name = 'P'},
    OriginalFlag{.name = "disable-smt"},
    // Wakeup paths.
    OriginalFlag{.name = "no-wake-sync"},
    OriginalFlag{.name = "no-deferred-wakeup", .short_name = 'd'},
    OriginalFlag{.name = "prefer-napi-on-input"},
    OriginalFlag{.name = "disable-mm-hint"},
    OriginalFlag{.name = "mm-hint-size", .takes_value = true},
    // Migration limits.
    OriginalFlag{.name = "mig-window-ms", .takes_value = true},
    OriginalFlag{.name = "mig-max", .takes_value = true},
    // Input boosts: ours boosts game threads from what it detects, with no input windows.
    OriginalFlag{.name = "input-window-us", .takes_value = true},
    OriginalFlag{.name = "keyboard-boost-us", .takes_value = true},
    OriginalFlag{.name = "mouse-boost-us", .takes_value = true},
    // The game: ours detects it (a manual PID in a boot configuration names no process anyway).
    OriginalFlag{.name = "foreground-pid", .takes_value = true},
    // How the original's own process ran.
    OriginalFlag{.name = "watchdog-secs", .takes_value = true},
    OriginalFlag{.name = "event-loop-cpu", .takes_value = true},
    OriginalFlag{.name = "realtime-scheduling"},
    OriginalFlag{.name = "rt-priority", .takes_value = true},
    OriginalFlag{.name = "deadline-scheduling"},
    OriginalFlag{.name = "deadline-runtime-us", .takes_value = true},
    OriginalFlag{.name = "deadline-deadline-us", .takes_value = true},
    OriginalFlag{.name = "deadline-period-us", .takes_value = true},
    OriginalFlag{.name = "debug-api", .takes_value = true},
    // The original's ML tuner (ours: --ml-collect, --ml-autotune, --ml-profiles, --ml-window).
    OriginalFlag{.name = "ml-sample-interval", .takes_value = true},
    OriginalFlag{.name = "ml-autotune-trial-duration", .takes_value = true},
    OriginalFlag{.name = "ml-autotune-max-duration", .takes_value = true},
    OriginalFlag{.name = "ml-bayesian"},
    // The RitzDaCat fork's switches.
    OriginalFlag{.name = "enable-detectors"},
    OriginalFlag{.name = "disable-detectors"},
    OriginalFlag{.name = "enable-runtime-trace"},
    OriginalFlag{.name = "disable-runtime-trace"},
    OriginalFlag{.name = "enable-dispatch-events"},
    OriginalFlag{.name = "disable-dispatch-events"},
};

std::string long_flag(const OriginalFlag& flag) {
    return "--" + std::string(flag.name);
}

std::string names_of(const OriginalFlag& flag) {
    std::string names;
    if (flag.short_name != '\0')
        names = std::string("-") + flag.short_name + ",";
    return names + long_flag(flag);
}

} // namespace

std::span<const OriginalFlag> original_flag_table() {
    return kOriginalFlags;
}

std::string ignored_flag_warning(const OriginalFlag& flag) {
    return long_flag(flag) + " is a flag of the original scx_gamer that this one does not use; " +
           "ignored";
}

void add_original_flags(CLI::App& app) {
    for (const auto& flag : kOriginalFlags) {
        CLI::Option* option = flag.takes_value ? app.add_option(names_of(flag))->type_name("VALUE")
                                               : app.add_flag(names_of(flag));
        option->group(""); // hidden from --help: accepted, not offered
    }
}

std::vector<std::string> ignored_original_flags(const CLI::App& app) {
    std::vector<std::string> warnings;
    for (const auto& flag : kOriginalFlags)
        if (app.get_option(long_flag(flag))->count() > 0)
            warnings.push_back(ignored_flag_warning(flag));
    return warnings;
}

void rewrite_original_short_flags(std::vector<std::string>& args) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const bool value_follows = i + 1 < args.size() && !args[i + 1].starts_with("-");
        if (args[i] == "-w" && !value_follows)
            args[i] = "--no-wake-sync";
    }
}

} // namespace scx_gamer

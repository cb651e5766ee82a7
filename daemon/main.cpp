// SPDX-License-Identifier: GPL-2.0-only
// scx_gamer: parses the command line and runs the daemon. Everything else lives in the library.
#include "config_cli.h"
#include "doctor_cli.h"
#include "ml_cli.h"
#include "service/daemon.h"
#include "service/system_bus_facts.h"
#include "tuning/flags.h"
#include "tuning/original_flags.h"
#include "util/error.h"
#include "util/log.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>

#ifndef SCX_GAMER_VERSION
#define SCX_GAMER_VERSION "unknown"
#endif

namespace {

constexpr int kExitUsage = 2;

std::string version_text() {
    return std::string("scx_gamer ") + SCX_GAMER_VERSION + " (sched_ext ops \"" + GAMER_OPS_NAME +
           "\", BPF built against Linux " + SCX_GAMER_VMLINUX_VERSION + ")";
}

int run(int argc, char** argv) {
    using namespace scx_gamer;

    CLI::App app{"A sched_ext CPU scheduler that keeps games on time under background load.\n"
                 "Loads the \"gamer\" BPF scheduler and a game detector; stops on SIGINT/SIGTERM.",
                 "scx_gamer"};
    app.get_formatter()->column_width(34);
    DaemonSettings settings;
    settings.version = SCX_GAMER_VERSION;
    app.add_option("--profile", settings.profile,
                   "Profile to start with: auto, gaming, lowlatency, powersave, server")
        ->capture_default_str()
        ->group("Daemon");
    app.add_option("--rules", settings.rules_path, "Game rules file")
        ->capture_default_str()
        ->group("Daemon");
    app.add_option("--stats-socket", settings.stats_socket,
                   "scx_stats socket to serve (empty: none)")
        ->capture_default_str()
        ->group("Daemon");
    app.add_flag("--loader-companion", settings.loader_companion,
                 "Leave the scheduler to scx_loader: detect games and switch scx_loader to "
                 "Gaming mode while one runs")
        ->group("Daemon");
    // The learner (docs/learned-profiles.md): daemon options, not scheduler tunables.
    ml::LearnerSettings& learning = settings.learning;
    app.add_flag("--ml-collect", learning.collect,
                 "While a game runs, store what it experiences every window (under --state-dir)")
        ->group("Daemon");
    app.add_flag("--ml-autotune", learning.autotune,
                 "While a game runs, search the live tunables for a better configuration and "
                 "save it as the game's learned profile (stores windows like --ml-collect)")
        ->group("Daemon");
    app.add_flag("--ml-profiles", learning.profiles,
                 "Apply a game's learned profile while it runs (the base profile again after)")
        ->group("Daemon");
    app.add_option("--state-dir", learning.state_dir,
                   "Where collected windows and learned profiles live (default " +
                       learning.state_dir.string() + ")")
        ->capture_default_str()
        ->option_text("DIR")
        ->group("Daemon");
    unsigned window_secs = static_cast<unsigned>(learning.window.count());
    app.add_option("--ml-window", window_secs,
                   "Length of one measurement window, 1 to 60 s (default " +
                       std::to_string(window_secs) + ")")
        ->check(CLI::Range(1u, 60u))
        ->capture_default_str()
        ->option_text("SECS")
        ->group("Daemon");
    app.add_option("--ml-budget", learning.autotune_params.budget_windows,
                   "Windows one autotuning session may use, verification included, 30 to 10000 "
                   "(default " +
                       std::to_string(learning.autotune_params.budget_windows) + ")")
        ->check(CLI::Range(30u, 10000u))
        ->capture_default_str()
        ->option_text("N")
        ->group("Daemon");
    unsigned monitor_secs = 0;
    app.add_option("--monitor", monitor_secs,
                   "Do not schedule: print the running daemon's stats every SECS seconds")
        ->check(CLI::Range(1u, 3600u))
        ->option_text("SECS")
        ->group("Daemon");
    app.set_version_flag("-V,--version", version_text(), "Print the version and exit");
    // Command lines written for the original scx_gamer must still start the scheduler: values
    // below a minimum are raised (ParsePolicy) and its flags we have no use for are ignored,
    // each with one warning (man scx_gamer, COMPATIBILITY).
    std::vector<std::string> flag_warnings;
    add_flags(app, ParsePolicy{BelowMinimum::Raise, &flag_warnings});
    add_original_flags(app);
    ConfigCommands config_commands(app);
    DoctorCommand doctor(app);
    MlTrainCommand ml_train(app);

    try {
        std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
        rewrite_original_short_flags(args);
        std::reverse(args.begin(), args.end()); // CLI11 takes a vector of arguments reversed
        app.parse(args);
        settings.custom_flags = given_flags(app);
        for (const auto& warning : ignored_original_flags(app))
            flag_warnings.push_back(warning);
    } catch (const CLI::Success& e) {
        return app.exit(e); // --help, --version
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "scx_gamer: %s\n", e.what());
        std::fprintf(stderr, "Run 'scx_gamer --help' for the list of flags.\n");
        return kExitUsage;
    } catch (const FlagError& e) {
        std::fprintf(stderr, "scx_gamer: %s\n", e.what());
        return kExitUsage;
    }

    for (const auto& warning : flag_warnings)
        log_warning(warning);

    if (config_commands.selected())
        return config_commands.run();
    if (doctor.selected())
        return doctor.run();
    if (ml_train.selected())
        return ml_train.run();
    learning.window = std::chrono::seconds(window_secs);
    if (monitor_secs > 0)
        return monitor_stats(settings.stats_socket, monitor_secs);

    // Whoever started us (systemctl, D-Bus activation, a shell), the scheduler of a service that
    // is in charge of sched_ext is never replaced: refuse before anything is loaded. A companion
    // attaches nothing. (An attached scheduler with no such service is Daemon::run()'s check.)
    if (!settings.loader_companion) {
        SystemBusFacts facts;
        if (auto refusal = other_scheduler_service(facts)) {
            log_err(*refusal);
            return kExitOtherSchedulerService;
        }
    }

    // scx.service's EnvironmentFile tells us apart from other starters (where --persist saves).
    settings.service_environment = ServiceEnvironment::of_this_process();
    try {
        Daemon daemon(std::move(settings));
        return daemon.run();
    } catch (const UnknownProfile& e) {
        log_err(e.what());
        return kExitUsage;
    } catch (const std::exception& e) {
        log_err(e.what());
        return kExitFailure;
    }
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (...) { // run() reports every std::exception itself; this is what is left
        std::fputs("scx_gamer: unexpected error\n", stderr);
        return 1;
    }
}

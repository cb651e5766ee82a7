// scx_gamer: parses the command line and runs the daemon. Everything else lives in the library.
#include "config_cli.h"
#include "core/error.h"
#include "core/flags.h"
#include "core/log.h"
#include "service/daemon.h"

#include <CLI/CLI.hpp>

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

} // namespace

int main(int argc, char** argv) {
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
    unsigned monitor_secs = 0;
    app.add_option("--monitor", monitor_secs,
                   "Do not schedule: print the running daemon's stats every SECS seconds")
        ->check(CLI::Range(1u, 3600u))
        ->option_text("SECS")
        ->group("Daemon");
    app.set_version_flag("-V,--version", version_text(), "Print the version and exit");
    add_flags(app);
    ConfigCommands config_commands(app);

    try {
        app.parse(argc, argv);
        settings.custom_flags = given_flags(app);
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

    if (config_commands.selected())
        return config_commands.run();
    if (monitor_secs > 0)
        return monitor_stats(settings.stats_socket, monitor_secs);

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

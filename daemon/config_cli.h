// SPDX-License-Identifier: GPL-2.0-only
// `scx_gamer config ...`: the administrator's commands, in the daemon binary so that INSTALL.sh
// and UNINSTALL.sh use the same C++ code and flag table as the daemon (the scripts never parse or
// validate anything themselves).
//
//   scx_gamer config install   [--root DIR] [--mode MODE] [--activate [--scx-flags "FLAGS"]]
//                              [--dry-run]
//   scx_gamer config uninstall [--root DIR] [--dry-run]
//   scx_gamer config status    [--root DIR]
//   scx_gamer config detect    [--root DIR] [--mode MODE]
//   scx_gamer config validate-flags FLAGS...
//
// install/uninstall edit /etc/default/scx and scx_loader's TOML (see config/config_install.h for
// what exactly), atomically and with backups; --dry-run prints the unified diff instead.
// Exit codes: 0 done, 1 failure (nothing changed), 2 bad usage or invalid flags.
//
// Wiring in main.cpp:
//   ConfigCommands config_commands(app);   // after add_flags(app), before app.parse()
//   ...app.parse(argc, argv)...
//   if (config_commands.selected()) return config_commands.run();
#pragma once

#include "system/integration.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace scx_gamer {

class ConfigCommands {
  public:
    // Adds the "config" subcommand (and its subcommands) to app. CLI11 keeps pointers into this
    // object, so it must outlive app.parse() and stays where it was built.
    explicit ConfigCommands(CLI::App& app);
    ConfigCommands(const ConfigCommands&) = delete;
    ConfigCommands& operator=(const ConfigCommands&) = delete;

    // After app.parse(): whether the command line asked for `config ...`.
    bool selected() const;
    // Runs the chosen command, printing to stdout/stderr; returns the process exit code.
    int run() const;

  private:
    int run_install() const;
    int run_uninstall() const;
    int run_status() const;
    int run_validate_flags() const;
    int run_detect() const;
    // --mode, parsed; nullopt when not given. Throws UsageError for an unknown name.
    std::optional<InstallMode> asked_mode() const;

    CLI::App* config_ = nullptr;
    CLI::App* install_ = nullptr;
    CLI::App* uninstall_ = nullptr;
    CLI::App* status_ = nullptr;
    CLI::App* validate_flags_ = nullptr;
    CLI::App* detect_ = nullptr;

    std::string root_ = "/";
    bool dry_run_ = false;
    bool activate_ = false;
    std::string scx_flags_;
    std::string profile_ = "gaming";
    std::string mode_;
};

// The SCX_GAMER_INSTALL_FAIL_AFTER test hook: fail after that many file changes (install tests
// only; unset in real use).
std::optional<std::size_t> install_fail_after_from_environment();

} // namespace scx_gamer

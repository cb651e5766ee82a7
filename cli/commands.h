// SPDX-License-Identifier: GPL-2.0-only
// scxgamerctl's commands. Each returns the process exit code (daemon_client.h) and may throw
// sdbus::Error, which main() turns into a one-line message and exit code 1 or 3.
#pragma once

#include <string>
#include <vector>

namespace scxgamerctl {

struct GlobalOptions {
    bool json = false;        // machine-readable output
    bool ask_password = true; // let polkit ask for authentication (--no-ask-password clears it)
};

int cmd_status(const GlobalOptions& options);
// persist: also save the result for the daemon's next start (the *WithOptions D-Bus methods).
int cmd_set_profile(const GlobalOptions& options, const std::string& name, bool persist);
int cmd_apply_flags(const GlobalOptions& options, const std::vector<std::string>& flags,
                    bool persist);
int cmd_profiles(const GlobalOptions& options);
int cmd_games(const GlobalOptions& options);
int cmd_stats(const GlobalOptions& options, unsigned watch_seconds);
int cmd_monitor(const GlobalOptions& options);
// name: how the game shows; empty: the command's base name.
int cmd_launch(const GlobalOptions& options, const std::vector<std::string>& command,
               const std::string& name);
int cmd_agent(const GlobalOptions& options, bool no_notify);
// `learned list|show KEY|export KEY|delete KEY`: the daemon's learned per-game profiles.
int cmd_learned(const GlobalOptions& options, const std::string& action, const std::string& key);

} // namespace scxgamerctl

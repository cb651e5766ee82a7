// SPDX-License-Identifier: GPL-2.0-only
// Saving the daemon's state so that the next start comes back to it: what `scxgamerctl
// set-profile NAME --persist` and `apply-flags --persist` (D-Bus SetProfileWithOptions /
// ApplyFlagsWithOptions with persist=true) do after the change was applied live.
//
// WHERE depends on which unit starts the daemon, told by the environment it was started with
// (ServiceEnvironment, read once by main and passed in):
//   scx.service          its EnvironmentFile /etc/default/scx puts SCX_SCHEDULER into our
//                        environment, and it names scx_gamer ("scx_gamer" or a path ending in
//                        /scx_gamer) -> SCX_FLAGS in /etc/default/scx
//   anything else        SCX_SCHEDULER unset or naming another scheduler (scx_gamer.service,
//                        D-Bus activation, a shell) -> SCX_GAMER_FLAGS in /etc/default/scx_gamer,
//                        created (0644) if missing; scx_gamer.service runs
//                        `/usr/bin/scx_gamer $SCX_GAMER_FLAGS`.
// scx.service really runs ${SCX_SCHEDULER_OVERRIDE:-$SCX_SCHEDULER} ${SCX_FLAGS_OVERRIDE:-
// $SCX_FLAGS} (overrides come from `systemctl set-environment`). When an override decides what
// runs, editing SCX_FLAGS would not bring the state back (or would hand our flags to another
// scheduler), so persisting is refused with the reason and the way out.
//
// WHAT is the daemon's own command line for its state, e.g.
//   --profile lowlatency --slice-us 5000 --mm-affinity=false
// i.e. "--profile NAME", then the custom flags in force in canonical form (to_command_line), then
// --rules / --stats-socket when they differ from the defaults. main() reads --profile into the
// profile and every table flag into the custom flags, which is exactly the state Daemon keeps
// (profile_, custom_flags_), so a restart resolves to the same Options.
//
// The text goes into `bash -c` unquoted (scx.service), so every word is validated: the profile
// name by is_valid_profile_name(), flags by the flag table, paths by a strict whitelist, and the
// whole value once more by DefaultScxFile::set_value(). The file is edited byte-preservingly
// (DefaultScxFile), written atomically with a timestamped backup beside it (atomic_file.h).
#pragma once

#include "config/default_scx.h"
#include "tuning/flags.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace scx_gamer {

// The variables of the daemon's environment that tell which unit started it. nullopt: unset.
struct ServiceEnvironment {
    std::optional<std::string> scx_scheduler;          // SCX_SCHEDULER
    std::optional<std::string> scx_scheduler_override; // SCX_SCHEDULER_OVERRIDE
    std::optional<std::string> scx_flags_override;     // SCX_FLAGS_OVERRIDE

    // Reads the three variables from this process's environment (for main only).
    static ServiceEnvironment of_this_process();
};

// Where the state is saved: a file (relative to the root) and the variable in it.
struct PersistTarget {
    std::filesystem::path file; // "etc/default/scx" or "etc/default/scx_gamer"
    ScxVariable variable = ScxVariable::GamerFlags;

    bool operator==(const PersistTarget&) const = default;
};

// The target for a daemon started with this environment. Throws Error when scx.service runs
// scx_gamer through SCX_SCHEDULER_OVERRIDE or with SCX_FLAGS_OVERRIDE set (see above).
PersistTarget persist_target(const ServiceEnvironment& environment);

// The state a restarted daemon must come back to.
struct DaemonCommandLine {
    std::string profile;
    FlagValues custom_flags;                           // the flags given on top of the profile
    std::optional<std::filesystem::path> rules_path;   // only when not the default
    std::optional<std::filesystem::path> stats_socket; // idem; empty (serve none): refused

    // The words for the daemon's command line, as described above. Throws Error for a profile
    // name or path that is not safe to write (naming it and why).
    std::vector<std::string> to_args() const;
    // to_args() joined with single spaces.
    std::string to_command_line() const;
};

struct PersistOutcome {
    std::filesystem::path file;                  // the file as seen from the root
    std::string assignment;                      // e.g. SCX_FLAGS=--profile lowlatency (unquoted)
    bool changed = false;                        // false: the file already said so; not written
    std::optional<std::filesystem::path> backup; // the copy of the previous content, if any
};

// Saves `state` into the target file under root ("/" on a real system). Nothing is written (and
// no backup made) when the file already holds that value. Throws Error naming the file and the
// reason, leaving the file as it was: unsafe words, scx.service now selecting another scheduler
// in /etc/default/scx, a missing /etc/default/scx, an assignment spread over several lines,
// unreadable or read-only files.
PersistOutcome persist_state(const DaemonCommandLine& state, const ServiceEnvironment& environment,
                             const std::filesystem::path& root = "/");

} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
// Registering scx_gamer in the system's scheduler configuration, and taking it back out:
// `scx_gamer config install|uninstall`, which INSTALL.sh and UNINSTALL.sh run so that the
// scripts never parse or validate anything themselves.
//
// Install (idempotent: a second run plans no change):
//   /etc/default/scx   adds scx_gamer to the "# List of scx_schedulers:" comment. With
//                      `activate` it also sets SCX_SCHEDULER=scx_gamer and SCX_FLAGS, so that
//                      scx.service runs scx_gamer. That is opt-in: switching the running scheduler
//                      is the administrator's decision, and by default install only registers.
//   scx_loader TOML    adds [scheds.scx_gamer] with the five mode profiles to the file scx_loader
//                      reads (the first that exists of /etc/scx_loader/config.toml,
//                      /etc/scx_loader.toml, /usr/share/...). Files in /usr/share belong to the
//                      package and are never edited: scx_loader reads ONLY the first file it
//                      finds, so a new /etc/scx_loader.toml must carry the vendor settings too:
//                      the vendor file is copied there and our section added to the copy. With
//                      no file at all, /etc/scx_loader.toml is created with just our section. A
//                      section already present (the admin's own) is left as it is.
//   install state      /var/lib/scx_gamer/install-state records what uninstall needs to undo
//                      exactly: the SCX_SCHEDULER/SCX_FLAGS lines replaced (and the scheduler
//                      selected at install time), which TOML file got our section, whether
//                      that file was created.
// Uninstall reverts all of it: install then uninstall leaves both files byte-identical (backups
// aside), and a file install created is removed again.
#pragma once

#include "system/integration.h"
#include "tuning/flags.h"
#include "tuning/profiles.h"
#include "util/atomic_file.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scx_gamer {

inline constexpr std::string_view kGamerSchedulerName = "scx_gamer";

std::filesystem::path default_scx_path(const std::filesystem::path& root);
std::filesystem::path install_state_path(const std::filesystem::path& root);
// Where install puts a TOML file when it has to create one (the path the CachyOS GUIs write).
std::filesystem::path created_loader_toml_path(const std::filesystem::path& root);

// What install did that uninstall must undo. Stored as `key=value` lines (values %-escaped).
struct InstallState {
    bool activated = false;                             // install set SCX_SCHEDULER=scx_gamer
    std::optional<std::string> previous_scheduler_line; // the line it replaced (none: nullopt)
    std::optional<std::string> previous_flags_line;
    // SCX_SCHEDULER when install first ran: where uninstall goes if scx_gamer was selected by
    // hand later (no exact line to put back).
    std::optional<std::string> scheduler_before_install;
    // The SCX_FLAGS line (as written; nullopt: none) when install first ran, recorded with
    // scheduler_before_install: the other scheduler's flags. Uninstall keeps SCX_FLAGS while it
    // still holds them, and puts them back when a GUI left scx_gamer's own flags there.
    bool flags_before_install_recorded = false;
    std::optional<std::string> flags_line_before_install;
    // How INSTALL.sh set scx_gamer up (install_mode_name(); empty: registered only, as before
    // modes existed) and what the units were before, so that UNINSTALL.sh can put them back.
    std::string mode;
    UnitsBefore units_before;
    std::optional<std::string> loader_toml; // file (as seen from root) holding our section
    bool loader_section_added = false;
    bool loader_final_newline_added = false;
    bool loader_toml_created = false;           // install created that file
    std::uint64_t loader_toml_created_hash = 0; // content_hash() of it before our section

    std::string format() const;
    // Throws Error if the text is not a state file of a version we understand.
    static InstallState parse(std::string_view text, const std::string& source_name);
    bool operator==(const InstallState&) const = default;
};

// FNV-1a 64: a stable fingerprint of a file's content (not a security measure).
std::uint64_t content_hash(std::string_view content);

struct InstallOptions {
    std::filesystem::path root = "/";
    // With activate, SCX_SCHEDULER=scx_gamer (install mode scx-service).
    bool activate = false;
    // The mode INSTALL.sh sets up, and the units' states it found; recorded on the first install
    // (a later install with another mode records the new mode, never newer unit states).
    std::optional<InstallMode> mode;
    UnitsBefore units_before;
    // When activating, SCX_FLAGS becomes `--profile PROFILE` and these flags on top of it.
    std::string profile = "gaming";
    FlagValues scx_flags;
    ProfileSet profiles = ProfileSet::builtin();
};

// The file changes a command will make, in order, and notes for the administrator.
struct ConfigPlan {
    std::vector<FileChange> changes;
    std::vector<std::string> notes;

    bool changes_anything() const;
};

// Read-only: they look at the files under root and plan; apply_file_changes() does the writing.
// Throw Error when a file cannot be read or edited safely.
ConfigPlan plan_install(const InstallOptions& options);
ConfigPlan plan_uninstall(const std::filesystem::path& root);

// The planned edits as unified diffs (for --dry-run), paths shown as they are.
std::string describe_plan(const ConfigPlan& plan);

// What the configuration says now (`scx_gamer config status`).
struct ConfigStatus {
    std::optional<std::string> scx_scheduler; // nullopt: no /etc/default/scx or no assignment
    std::optional<std::string> scx_flags;
    bool listed = false;                              // scx_gamer in the list comment
    std::optional<std::filesystem::path> loader_toml; // the file scx_loader reads
    bool loader_section = false;                      // it has [scheds.scx_gamer]
    bool installed = false;                           // an install state exists
    std::string mode;                                 // the install state's mode ("" if none)
    UnitsBefore units_before;                         // what the state recorded
    ProfileLoad profiles;
};
ConfigStatus read_config_status(const std::filesystem::path& root);
// key=value lines, stable for scripts (UNINSTALL.sh reads scx_scheduler=).
std::string format_config_status(const ConfigStatus& status);

} // namespace scx_gamer

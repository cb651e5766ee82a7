// SPDX-License-Identifier: GPL-2.0-only
// Live reload of the daemon's configuration (SIGHUP, or an edit of a watched file): what to
// watch, and what a reload of the profiles changes. Decisions only; the daemon applies them.
#pragma once

#include "tuning/profiles.h"

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace scx_gamer {

// Which directories to watch so that creating, editing, replacing or removing any of `files` is
// seen, even when the file or its directory does not exist yet: for each file, its nearest
// existing ancestor directory, with the names in that directory that lead to the file
// ("/etc/scx_loader/config.toml" without /etc/scx_loader: /etc -> {"scx_loader"}).
// Recompute it after a change: a directory that appeared is then watched itself.
using WatchPlan = std::map<std::filesystem::path, std::set<std::string>>;
WatchPlan config_watch_plan(const std::vector<std::filesystem::path>& files);

// The files whose edits reload the daemon: scx_loader's TOML candidates under root (any of them
// may become the one scx_loader reads), and the game rules file.
std::vector<std::filesystem::path> config_files(const std::filesystem::path& root,
                                                const std::filesystem::path& rules_path);

struct ProfileReload {
    ProfileSet profiles; // what to use from now on
    std::optional<std::filesystem::path> source;
    std::vector<std::string> warnings; // "file:line:col: ..." lines, each for the log
    bool changed = false;              // some profile differs from the current set
    bool active_changed = false;       // the running profile's flags differ: re-apply them
};

// Reads the profiles again for a daemon running profile `active` (a profile of `current`).
// A file that cannot be used keeps `current` (a bad edit never loses working profiles); a
// profile with bad flags keeps its current flags; an `active` custom profile that the file no
// longer defines keeps its current flags too (with a warning), so the daemon always runs a
// profile that ListProfiles shows.
ProfileReload reload_profiles(const ProfileSet& current, const std::string& active,
                              const std::filesystem::path& root = "/");

} // namespace scx_gamer

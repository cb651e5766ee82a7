// SPDX-License-Identifier: GPL-2.0-only
// Learned profiles: the best tunables found for one game, saved as STATE_DIR/profiles/KEY.toml
// (human-readable, with the evidence) and applied on top of the base profile while that game
// runs. Written atomically (util/atomic_file.h): a reader sees the old file or the new one.
//
//   # scx_gamer learned profile ...
//   schema = 1
//   key = "steam-1091500"
//   game = "Cyberpunk2077.exe"
//
//   [tunables]            # what is applied, in the flag table's grammar
//   slice-us = 4000
//   mm-affinity = true
//
//   [evidence]
//   source = "autotune"   # or "ml-train"
//   date = "2026-11-26T19:00:05Z"
//   objective_before_us = 812.5
//   objective_after_us = 420.1
//   trials = 14
//   windows = 120
//   single_config = false # ml-train saw only one configuration: nothing was compared
//
//   [evidence.before]     # the configuration it was compared against
//   slice-us = 2000
#pragma once

#include "tuning/flags.h"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scx_gamer::ml {

inline constexpr int kProfileSchema = 1;

struct LearnedProfile {
    std::string key;
    std::string game;
    FlagValues tunables;
    std::string source; // "autotune" or "ml-train"
    std::string date;   // UTC, "2026-11-26T19:00:05Z"
    double objective_before = 0;
    double objective_after = 0;
    unsigned trials = 0;
    unsigned windows = 0;
    bool single_config = false;
    FlagValues before;

    bool operator==(const LearnedProfile&) const = default;
};

std::string format_learned_profile(const LearnedProfile& profile);
// Throws Error "SOURCE_NAME:LINE:COL: why" (or "SOURCE_NAME: why").
LearnedProfile parse_learned_profile(std::string_view text, const std::string& source_name);

std::filesystem::path profiles_dir(const std::filesystem::path& state_dir);
std::filesystem::path learned_profile_path(const std::filesystem::path& state_dir,
                                           const std::string& key);

// Creates STATE_DIR/profiles if needed; throws Error naming the path. The key must be valid.
void save_learned_profile(const std::filesystem::path& state_dir, const LearnedProfile& profile);
// nullopt when there is none; throws Error when it cannot be read or is invalid.
std::optional<LearnedProfile> load_learned_profile(const std::filesystem::path& state_dir,
                                                   const std::string& key);
// The file's text, for export; nullopt when there is none.
std::optional<std::string> read_learned_profile_text(const std::filesystem::path& state_dir,
                                                     const std::string& key);
// Returns false when there was none. Throws Error when it cannot be removed.
bool delete_learned_profile(const std::filesystem::path& state_dir, const std::string& key);

struct LearnedList {
    std::vector<LearnedProfile> profiles; // sorted by key
    std::vector<std::string> warnings;    // unreadable files, one line each
};
LearnedList list_learned_profiles(const std::filesystem::path& state_dir);

// "--slice-us 4000 --mm-affinity" (to_command_line), "(defaults)" when empty: for messages.
std::string describe_tunables(const FlagValues& tunables);

} // namespace scx_gamer::ml

// SPDX-License-Identifier: GPL-2.0-only
// Named profiles: each is a list of flags in the one flag grammar (see flags.h).
//
// The built-in table is the default. Administrators override or add profiles where CachyOS keeps
// scheduler profiles already, scx_loader's TOML:
//
//   [scheds.scx_gamer]
//   gaming_mode = ["--slice-us", "2000", "--mm-affinity"]   # overrides the built-in "gaming"
//   raid_mode = ["--game-slice-us", "500"]                  # a custom profile "raid"
//
// scx_loader reads only the first of its config files that exists (loader_config_paths()), so
// that is the one file we read. Mode numbers follow scx_loader's SchedMode.
#pragma once

#include "tuning/flags.h"

#include <array>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scx_gamer {

enum class SchedMode : unsigned { Auto = 0, Gaming = 1, PowerSave = 2, LowLatency = 3, Server = 4 };

struct Profile {
    std::string name;
    std::vector<std::string> flags; // as written by the user or the built-in table
    FlagValues values;              // validated
};

class ProfileSet {
  public:
    // The built-in profiles: auto, gaming, lowlatency, powersave, server.
    static ProfileSet builtin();

    // Adds or replaces a profile; throws FlagError when its flags are invalid (see ParsePolicy
    // for values below a minimum).
    void set(const std::string& name, std::vector<std::string> flags,
             const ParsePolicy& policy = {});

    const Profile* find(const std::string& name) const;
    // Every profile's canonical flags (to_args), by name.
    std::map<std::string, std::vector<std::string>> listing() const;

    // The Options a profile yields: defaults, then the profile's flags, then `custom` (the
    // command line's flags, which win).
    Options resolve(const Profile& profile, const FlagValues& custom) const;

    // Same profiles with the same validated flags.
    bool operator==(const ProfileSet& other) const { return listing() == other.listing(); }

  private:
    std::map<std::string, Profile> profiles_;
};

// The five profiles scx_loader knows, in the order its documentation lists their keys.
inline constexpr std::array<std::string_view, 5> kModeProfileNames = {
    "auto", "gaming", "lowlatency", "powersave", "server"};

// scx_loader's mode name for a profile ("gaming" -> Gaming), if it is one of the five.
std::optional<SchedMode> sched_mode_of(const std::string& profile_name);
// The profile of a mode (Gaming -> "gaming").
std::string_view profile_name_of(SchedMode mode);

// A name that can be a profile and a bare TOML key: 1-32 of a-z 0-9 _ -, not starting with _ or -.
bool is_valid_profile_name(std::string_view name);
// The profile's key in [scheds.scx_gamer]: "gaming" -> "gaming_mode".
std::string profile_key(std::string_view profile_name);

// scx_loader's config files under root ("/" on a real system), in the order it tries them.
std::vector<std::filesystem::path> loader_config_paths(const std::filesystem::path& root = "/");
// The one scx_loader reads: the first that exists; nullopt if none does.
std::optional<std::filesystem::path> find_loader_config(const std::filesystem::path& root = "/");

// Profiles read from scx_loader's TOML, and what was wrong with it.
struct ProfileLoad {
    ProfileSet profiles;
    std::optional<std::filesystem::path> source; // the file read; nullopt when none exists
    // One line each, "file:line:col: what is wrong; what is used instead". Never fatal.
    std::vector<std::string> warnings;
};

// The built-in profiles overridden and extended by the `<name>_mode` keys of [scheds.scx_gamer].
// Whatever the text cannot supply comes from last_good: all of it when the file is unusable (a
// syntax error, an empty file, a [scheds] that is not a table), one profile when only its key is
// invalid. So a reload after a bad edit keeps the profiles that worked; the first load passes
// the built-ins.
ProfileLoad profiles_from_loader_toml(std::string_view text, const std::string& source_name,
                                      const ProfileSet& last_good = ProfileSet::builtin());

// Reads the file scx_loader reads (find_loader_config(root)); the built-ins if there is none.
ProfileLoad load_profiles(const std::filesystem::path& root = "/",
                          const ProfileSet& last_good = ProfileSet::builtin());

} // namespace scx_gamer

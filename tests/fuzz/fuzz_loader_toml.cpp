// SPDX-License-Identifier: GPL-2.0-only
// scx_loader's TOML: the input is the whole file. It is read as profiles (what the daemon does on
// every reload), as game rules (the same TOML parser behind /etc/scx_gamer/games.toml), then
// edited the way `scx_gamer config install` and `uninstall` edit it.
//
// Invariants:
//   - reading profiles never throws; every warning is one non-empty line; the five scx_loader
//     mode profiles always exist and every profile's values are its flags, validated;
//   - GameRules::parse() rejects only with RulesError, in one line;
//   - an edit either succeeds or throws an Error for the user: never the editor's own
//     "internal error" (its check that it changed nothing outside [scheds.scx_gamer]);
//   - after set_gamer_profiles() the file has the section and reading it gives the profiles
//     that were set;
//   - without a section before, remove_gamer_section() of the result gives the input back byte
//     for byte; with one, remove_gamer_profiles() takes out exactly the profiles named.
#include "config/loader_toml.h"
#include "fuzz_check.h"
#include "games/game_rules.h"
#include "tuning/profiles.h"
#include "util/error.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

using namespace scx_gamer;
using fuzz::require;

namespace {

const std::string kSource = "scx_loader.toml";

void check_load(const ProfileLoad& load) {
    for (const auto& warning : load.warnings)
        require(!warning.empty() && fuzz::is_one_line(warning), "warnings are one line each",
                warning);
    for (const auto name : kModeProfileNames)
        require(load.profiles.find(std::string(name)) != nullptr, "the mode profiles exist");
    for (const auto& [name, flags] : load.profiles.listing()) {
        const Profile* profile = load.profiles.find(name);
        require(profile->values == parse_flags(profile->flags, {BelowMinimum::Raise}),
                "profiles hold validated flags (raised to the minimums, as read)");
        require(load.profiles.resolve(*profile, {}) == apply(Options{}, profile->values),
                "a profile resolves to its flags over the defaults");
    }
}

void check_rules(std::string_view text) {
    try {
        (void)GameRules::parse(text, "games.toml");
    } catch (const RulesError& error) {
        require(fuzz::is_one_line(error.what()), "a rules error is one line", error.what());
    }
}

// An edit may refuse the input, but its own consistency check must never fire.
void require_user_error(const Error& error) {
    require(!std::string_view(error.what()).starts_with("internal error"),
            "the edit kept everything outside [scheds.scx_gamer]", error.what());
    require(fuzz::is_one_line(error.what()), "an edit error is one line", error.what());
}

// What install writes, with "gaming" changed from the built-in and a custom profile "raid".
// Built once: validating flags is most of the cost of a run.
const std::vector<NamedFlags>& profiles_to_set() {
    static const std::vector<NamedFlags> profiles = [] {
        ProfileSet wanted = ProfileSet::builtin();
        wanted.set("gaming", {"--slice-us", "3000", "-m", "0-3"});
        std::vector<NamedFlags> named = mode_profiles(wanted);
        named.push_back({"raid", {"--game-slice-us", "500"}});
        return named;
    }();
    return profiles;
}

const NamedFlags& to_set(std::string_view name) {
    const auto& profiles = profiles_to_set();
    return *std::find_if(profiles.begin(), profiles.end(),
                         [&](const NamedFlags& profile) { return profile.name == name; });
}

// The profiles as the daemon reads them from text.
ProfileSet read_back(std::string_view text) {
    ProfileLoad load = profiles_from_loader_toml(text, kSource);
    check_load(load);
    return std::move(load.profiles);
}

// The validated flags of a profile; nullopt if there is no such profile.
std::optional<FlagValues> values_of(const ProfileSet& profiles, const std::string& name) {
    const Profile* profile = profiles.find(name);
    return profile ? std::optional(profile->values) : std::nullopt;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    check_load(profiles_from_loader_toml(text, kSource));
    check_rules(text);

    bool had_section = false;
    try {
        had_section = has_gamer_section(text, kSource);
    } catch (const Error& error) {
        require_user_error(error); // the input does not parse
        return 0;
    }

    const std::vector<NamedFlags>& profiles = profiles_to_set();
    std::string edited;
    try {
        edited = set_gamer_profiles(text, profiles, kSource);
    } catch (const Error& error) {
        require_user_error(error);
        return 0;
    }
    require(has_gamer_section(edited, kSource), "the edited file has the section");
    const ProfileSet read = read_back(edited);
    const auto gaming = values_of(read, "gaming");
    require(gaming == parse_flags(to_set("gaming").flags),
            "reading the edited file gives the profile that was set");
    require(values_of(read, "raid") == parse_flags(to_set("raid").flags),
            "a new profile is read back");

    if (!had_section) {
        require(has_our_gamer_section(edited, kSource), "an added section is marked as ours");
        std::string removed;
        try {
            removed = remove_gamer_section(edited, kSource, lacks_final_newline(text));
        } catch (const Error& error) {
            require_user_error(error);
            require(false, "a section we added can be removed");
        }
        require(removed == text, "add then remove the section gives the input back");
        return 0;
    }
    try {
        const std::string without_raid = remove_gamer_profiles(edited, {"raid"}, kSource);
        const ProfileSet after = read_back(without_raid);
        require(!values_of(after, "raid"), "a removed profile is gone");
        require(values_of(after, "gaming") == gaming, "other profiles stay");
    } catch (const Error& error) {
        require_user_error(error);
    }
    return 0;
}

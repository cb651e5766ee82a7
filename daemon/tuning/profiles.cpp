// SPDX-License-Identifier: GPL-2.0-only
#include "tuning/profiles.h"

#include "util/atomic_file.h"
#include "util/error.h"
#include "util/text.h"
#include "util/toml_location.h"

#include <algorithm>

namespace scx_gamer {

namespace {

struct BuiltinProfile {
    const char* name;
    std::vector<std::string> flags;
};

// Why these values: background slices short enough that a game thread never waits a whole
// slice behind a hog (it also preempts), longer when throughput matters more than latency.
const std::vector<BuiltinProfile>& builtin_table() {
    static const std::vector<BuiltinProfile> table = {
        {"auto", {}},
        {"gaming", {"--slice-us", "2000", "--game-slice-us", "1000", "--mm-affinity"}},
        {"lowlatency",
         {"--slice-us", "1000", "--game-slice-us", "500", "--mm-affinity", "--wakeup-timer-us",
          "500"}},
        {"powersave", {"--slice-us", "5000", "--game-slice-us", "2000", "--wakeup-timer-us", "0"}},
        {"server", {"--slice-us", "10000", "--game-slice-us", "5000", "--no-game-preempt"}},
    };
    return table;
}

constexpr std::string_view kModeSuffix = "_mode";
constexpr std::string_view kLoaderExecKey = "exec";
constexpr std::size_t kMaxProfileNameLength = 32;

using TomlValue = toml::ordered_value;

// Reads [scheds.scx_gamer] key by key; collects warnings instead of throwing.
class LoaderTomlReader {
  public:
    LoaderTomlReader(std::string source_name, const ProfileSet& last_good)
        : source_name_(std::move(source_name)), last_good_(last_good) {}

    ProfileLoad read(std::string_view text) {
        ProfileLoad load{ProfileSet::builtin(), std::nullopt, {}};
        if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
            return unusable(source_name_ + ": the file is empty, and scx_loader rejects an empty "
                                           "config file");
        auto parsed = toml_text::parse(text, source_name_);
        if (parsed.is_err())
            return unusable(parsed.unwrap_err());
        const TomlValue& root = parsed.unwrap();
        warn_about_default_sched(root);

        const TomlValue* section = nullptr;
        if (auto problem = find_section(root, section))
            return unusable(*problem);
        if (section != nullptr) {
            for (const auto& [key, value] : section->as_table())
                read_entry(key, value, load.profiles);
        }
        load.warnings = std::move(warnings_);
        return load;
    }

  private:
    // The whole file is unusable: keep every profile of the last good set.
    ProfileLoad unusable(const std::string& why) {
        warnings_.push_back(why + "; keeping the current profiles");
        return ProfileLoad{last_good_, std::nullopt, std::move(warnings_)};
    }

    // scx_loader deserializes default_sched into its closed list of schedulers, so naming us
    // there makes it reject the whole file (and fail to start).
    void warn_about_default_sched(const TomlValue& root) {
        if (!root.contains("default_sched"))
            return;
        const TomlValue& value = root.at("default_sched");
        if (value.is_string() && value.as_string() == "scx_gamer")
            warnings_.push_back(toml_text::where(value.location()) +
                                ": default_sched = \"scx_gamer\" makes scx_loader reject this "
                                "whole file (it only accepts its built-in schedulers); start "
                                "scx_gamer with scx.service or scx_gamer.service instead");
    }

    // Sets `section` to [scheds.scx_gamer] (nullptr if absent); returns what is wrong, if any.
    std::optional<std::string> find_section(const TomlValue& root, const TomlValue*& section) {
        if (!root.contains("scheds"))
            return std::nullopt;
        const TomlValue& scheds = root.at("scheds");
        if (!scheds.is_table())
            return toml_text::where(scheds.location()) +
                   ": scheds must be a table ([scheds.NAME] sections)";
        if (!scheds.contains("scx_gamer"))
            return std::nullopt;
        const TomlValue& gamer = scheds.at("scx_gamer");
        if (!gamer.is_table())
            return toml_text::where(gamer.location()) + ": scheds.scx_gamer must be a table";
        section = &gamer;
        return std::nullopt;
    }

    void read_entry(const std::string& key, const TomlValue& value, ProfileSet& profiles) {
        const std::string at = toml_text::where(value.location()) + ": ";
        // Where an scx_loader with external schedulers finds our binary
        // (docs/upstream-scx-loader.md): scx_loader's key, not a profile.
        if (key == kLoaderExecKey) {
            if (!value.is_string())
                warnings_.push_back(at + std::string(kLoaderExecKey) +
                                    " must be a string (the scheduler's path); ignored");
            return;
        }
        if (!key.ends_with(kModeSuffix) || !is_valid_profile_name(std::string_view(key).substr(
                                               0, key.size() - kModeSuffix.size()))) {
            warnings_.push_back(at + "unknown key " + quote_for_message(key) +
                                " in [scheds.scx_gamer] (profiles are NAME_mode = [\"--flag\", "
                                "...]); ignored");
            return;
        }
        const std::string name = key.substr(0, key.size() - kModeSuffix.size());
        try {
            // scx_loader's TOML may still hold the original scx_gamer's modes (its INSTALL.sh
            // wrote them, e.g. "--slice-us", "10"): raised to our minimums, with a warning.
            std::vector<std::string> raised;
            profiles.set(name, string_list(value, key), {BelowMinimum::Raise, &raised});
            for (const auto& warning : raised)
                warn_about(at, key, warning);
        } catch (const Error& e) {
            warn_about(at, key, std::string(e.what()) + "; " + fall_back(name, profiles));
        }
    }

    static std::vector<std::string> string_list(const TomlValue& value, const std::string& key) {
        if (!value.is_array())
            throw Error("must be a list of strings, e.g. " + key + " = [\"--slice-us\", \"2000\"]");
        std::vector<std::string> flags;
        for (const auto& item : value.as_array()) {
            if (!item.is_string())
                throw Error("must be a list of strings, e.g. " + key +
                            " = [\"--slice-us\", \"2000\"]");
            flags.push_back(item.as_string());
        }
        return flags;
    }

    // Puts last_good's version of the profile in place; says what is used instead.
    std::string fall_back(const std::string& name, ProfileSet& profiles) const {
        const Profile* previous = last_good_.find(name);
        if (previous == nullptr)
            return "profile " + quote_for_message(name) + " ignored";
        profiles.set(name, previous->flags);
        const ProfileSet builtins = ProfileSet::builtin();
        const Profile* builtin = builtins.find(name);
        const bool is_builtin = builtin != nullptr && builtin->values == previous->values;
        return std::string(is_builtin ? "using the built-in " : "keeping the previous ") +
               quote_for_message(name) + " profile";
    }

    // "<where>key: what", built in place (warn_about runs in a loop over every raised flag).
    void warn_about(const std::string& at, const std::string& key, std::string_view what) {
        std::string warning = at;
        warning += key;
        warning += ": ";
        warning += what;
        warnings_.push_back(std::move(warning));
    }

    std::string source_name_;
    const ProfileSet& last_good_;
    std::vector<std::string> warnings_;
};

} // namespace

ProfileSet ProfileSet::builtin() {
    ProfileSet set;
    for (const auto& profile : builtin_table())
        set.set(profile.name, profile.flags);
    return set;
}

void ProfileSet::set(const std::string& name, std::vector<std::string> flags,
                     const ParsePolicy& policy) {
    FlagValues values = parse_flags(flags, policy);
    profiles_[name] = Profile{name, std::move(flags), std::move(values)};
}

const Profile* ProfileSet::find(const std::string& name) const {
    auto it = profiles_.find(name);
    return it == profiles_.end() ? nullptr : &it->second;
}

std::map<std::string, std::vector<std::string>> ProfileSet::listing() const {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& [name, profile] : profiles_)
        out.emplace(name, to_args(profile.values));
    return out;
}

Options ProfileSet::resolve(const Profile& profile, const FlagValues& custom) const {
    FlagValues values = profile.values;
    values.merge(custom);
    return apply(Options{}, values);
}

std::optional<SchedMode> sched_mode_of(const std::string& profile_name) {
    static const std::map<std::string, SchedMode> modes = {
        {"auto", SchedMode::Auto},           {"gaming", SchedMode::Gaming},
        {"powersave", SchedMode::PowerSave}, {"lowlatency", SchedMode::LowLatency},
        {"server", SchedMode::Server},
    };
    auto it = modes.find(profile_name);
    if (it == modes.end())
        return std::nullopt;
    return it->second;
}

std::string_view profile_name_of(SchedMode mode) {
    switch (mode) {
    case SchedMode::Auto:
        return "auto";
    case SchedMode::Gaming:
        return "gaming";
    case SchedMode::PowerSave:
        return "powersave";
    case SchedMode::LowLatency:
        return "lowlatency";
    case SchedMode::Server:
        return "server";
    }
    return "auto";
}

bool is_valid_profile_name(std::string_view name) {
    if (name.empty() || name.size() > kMaxProfileNameLength || name[0] == '_' || name[0] == '-')
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

std::string profile_key(std::string_view profile_name) {
    return std::string(profile_name) + std::string(kModeSuffix);
}

std::vector<std::filesystem::path> loader_config_paths(const std::filesystem::path& root) {
    // scx_loader's get_config_path(), with its build-time VENDORDIR at its default /usr/share.
    return {root / "etc/scx_loader/config.toml", root / "etc/scx_loader.toml",
            root / "usr/share/scx_loader/config.toml", root / "usr/share/scx_loader.toml"};
}

std::optional<std::filesystem::path> find_loader_config(const std::filesystem::path& root) {
    for (const auto& path : loader_config_paths(root)) {
        std::error_code error;
        if (std::filesystem::exists(path, error))
            return path;
    }
    return std::nullopt;
}

ProfileLoad profiles_from_loader_toml(std::string_view text, const std::string& source_name,
                                      const ProfileSet& last_good) {
    return LoaderTomlReader(source_name, last_good).read(text);
}

ProfileLoad load_profiles(const std::filesystem::path& root, const ProfileSet& last_good) {
    const auto path = find_loader_config(root);
    if (!path)
        return ProfileLoad{ProfileSet::builtin(), std::nullopt, {}};
    std::optional<std::string> text;
    try {
        text = read_config_file(*path);
    } catch (const Error& e) {
        return ProfileLoad{
            last_good, path, {std::string(e.what()) + "; keeping the current profiles"}};
    }
    if (!text) // removed between the lookup and the read: as if it had never been there
        return ProfileLoad{ProfileSet::builtin(), std::nullopt, {}};
    ProfileLoad load = profiles_from_loader_toml(*text, path->string(), last_good);
    load.source = path;
    return load;
}

} // namespace scx_gamer

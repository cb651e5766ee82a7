// SPDX-License-Identifier: GPL-2.0-only
#include "ml/learned_profile.h"

#include "ml/game_key.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/text.h"
#include "util/toml_location.h"

#include <toml.hpp>

#include <cmath>

namespace scx_gamer::ml {
namespace {

using TomlValue = toml::ordered_value;

[[noreturn]] void throw_at(const TomlValue& value, const std::string& why) {
    throw Error(toml_text::where(value.location()) + ": " + why);
}

// Evidence is read by people: a tenth of a microsecond is plenty.
double rounded(double value) {
    return std::round(value * 10) / 10;
}

TomlValue tunables_table(const FlagValues& tunables) {
    TomlValue table = toml::ordered_table{};
    for (const auto& entry : tunables.entries()) {
        const std::string name(entry.spec->name);
        switch (entry.spec->type()) {
        case FlagType::Switch:
            table.as_table().emplace_back(name, TomlValue(entry.value == "true"));
            break;
        case FlagType::Unsigned:
            table.as_table().emplace_back(
                name,
                TomlValue(static_cast<toml::ordered_value::integer_type>(std::stoll(entry.value))));
            break;
        case FlagType::String:
            table.as_table().emplace_back(name, TomlValue(entry.value));
            break;
        }
    }
    return table;
}

FlagValues tunables_from(const TomlValue& table, const std::string& name) {
    if (!table.is_table())
        throw_at(table, "[" + name + "] must be a table");
    FlagValues values;
    for (const auto& [flag, value] : table.as_table()) {
        const FlagSpec* spec = find_flag(flag);
        if (spec == nullptr || spec->flag_class != FlagClass::Live)
            throw_at(value, quote_for_message(flag) + " is not a live scheduler tunable");
        try {
            if (value.is_boolean())
                values.set(flag, value.as_boolean() ? "true" : "false");
            else if (value.is_integer() && value.as_integer() >= 0)
                values.set(flag, std::to_string(value.as_integer()));
            else if (value.is_string())
                values.set(flag, value.as_string());
            else
                throw_at(value, flag + " must be a switch (true/false) or a whole number");
        } catch (const FlagError& e) {
            throw_at(value, e.what());
        }
    }
    return values;
}

const TomlValue& required(const TomlValue& table, const std::string& key,
                          const std::string& where) {
    if (!table.contains(key))
        throw_at(table, where + " lacks " + key);
    return table.at(key);
}

std::string string_at(const TomlValue& table, const std::string& key, const std::string& where) {
    const TomlValue& value = required(table, key, where);
    if (!value.is_string())
        throw_at(value, key + " must be a string");
    return value.as_string();
}

double number_at(const TomlValue& table, const std::string& key, const std::string& where) {
    const TomlValue& value = required(table, key, where);
    if (value.is_floating())
        return value.as_floating();
    if (value.is_integer())
        return static_cast<double>(value.as_integer());
    throw_at(value, key + " must be a number");
}

unsigned count_at(const TomlValue& table, const std::string& key, const std::string& where) {
    const TomlValue& value = required(table, key, where);
    if (!value.is_integer() || value.as_integer() < 0 || value.as_integer() > 1'000'000'000)
        throw_at(value, key + " must be a whole number");
    return static_cast<unsigned>(value.as_integer());
}

} // namespace

std::string format_learned_profile(const LearnedProfile& profile) {
    TomlValue root = toml::ordered_table{};
    auto& top = root.as_table();
    top.emplace_back("schema", TomlValue(kProfileSchema));
    top.emplace_back("key", TomlValue(profile.key));
    top.emplace_back("game", TomlValue(profile.game));
    top.emplace_back("tunables", tunables_table(profile.tunables));
    TomlValue evidence = toml::ordered_table{};
    auto& ev = evidence.as_table();
    ev.emplace_back("source", TomlValue(profile.source));
    ev.emplace_back("date", TomlValue(profile.date));
    ev.emplace_back("objective_before_us", TomlValue(rounded(profile.objective_before)));
    ev.emplace_back("objective_after_us", TomlValue(rounded(profile.objective_after)));
    ev.emplace_back("trials", TomlValue(static_cast<TomlValue::integer_type>(profile.trials)));
    ev.emplace_back("windows", TomlValue(static_cast<TomlValue::integer_type>(profile.windows)));
    ev.emplace_back("single_config", TomlValue(profile.single_config));
    ev.emplace_back("before", tunables_table(profile.before));
    top.emplace_back("evidence", std::move(evidence));
    return "# scx_gamer learned profile for " + profile.key +
           ": applied on top of the base profile while this game runs\n"
           "# (docs/learned-profiles.md). Objective: microseconds of game wakeup latency and "
           "penalties,\n# lower is better. Delete with: scxgamerctl learned delete " +
           profile.key + "\n" + toml::format(root);
}

LearnedProfile parse_learned_profile(std::string_view text, const std::string& source_name) {
    auto parsed = toml_text::parse(text, source_name);
    if (parsed.is_err())
        throw Error(parsed.unwrap_err());
    const TomlValue& root = parsed.unwrap();
    const TomlValue& schema = required(root, "schema", source_name);
    if (!schema.is_integer() || schema.as_integer() != kProfileSchema)
        throw_at(schema, "schema must be " + std::to_string(kProfileSchema) +
                             " (this scx_gamer reads that version)");
    LearnedProfile profile;
    profile.key = string_at(root, "key", source_name);
    if (!is_valid_key(profile.key))
        throw_at(root.at("key"), "invalid key " + quote_for_message(profile.key));
    profile.game = string_at(root, "game", source_name);
    profile.tunables = tunables_from(required(root, "tunables", source_name), "tunables");
    const TomlValue& evidence = required(root, "evidence", source_name);
    if (!evidence.is_table())
        throw_at(evidence, "[evidence] must be a table");
    profile.source = string_at(evidence, "source", "[evidence]");
    profile.date = string_at(evidence, "date", "[evidence]");
    profile.objective_before = number_at(evidence, "objective_before_us", "[evidence]");
    profile.objective_after = number_at(evidence, "objective_after_us", "[evidence]");
    profile.trials = count_at(evidence, "trials", "[evidence]");
    profile.windows = count_at(evidence, "windows", "[evidence]");
    const TomlValue& single = required(evidence, "single_config", "[evidence]");
    if (!single.is_boolean())
        throw_at(single, "single_config must be true or false");
    profile.single_config = single.as_boolean();
    if (evidence.contains("before"))
        profile.before = tunables_from(evidence.at("before"), "evidence.before");
    return profile;
}

std::filesystem::path profiles_dir(const std::filesystem::path& state_dir) {
    return state_dir / "profiles";
}

std::filesystem::path learned_profile_path(const std::filesystem::path& state_dir,
                                           const std::string& key) {
    return profiles_dir(state_dir) / (key + ".toml");
}

void save_learned_profile(const std::filesystem::path& state_dir, const LearnedProfile& profile) {
    if (!is_valid_key(profile.key))
        throw Error("invalid game key " + quote_for_message(profile.key));
    std::error_code ec;
    std::filesystem::create_directories(profiles_dir(state_dir), ec);
    if (ec)
        throw Error(profiles_dir(state_dir).string() + ": creating the directory: " + ec.message());
    write_file_atomically(learned_profile_path(state_dir, profile.key),
                          format_learned_profile(profile), 0644);
}

std::optional<std::string> read_learned_profile_text(const std::filesystem::path& state_dir,
                                                     const std::string& key) {
    if (!is_valid_key(key))
        return std::nullopt;
    return read_config_file(learned_profile_path(state_dir, key));
}

std::optional<LearnedProfile> load_learned_profile(const std::filesystem::path& state_dir,
                                                   const std::string& key) {
    const auto text = read_learned_profile_text(state_dir, key);
    if (!text)
        return std::nullopt;
    const auto path = learned_profile_path(state_dir, key);
    LearnedProfile profile = parse_learned_profile(*text, path.string());
    if (profile.key != key)
        throw Error(path.string() + ": its key " + quote_for_message(profile.key) +
                    " does not match its file name");
    return profile;
}

bool delete_learned_profile(const std::filesystem::path& state_dir, const std::string& key) {
    if (!is_valid_key(key))
        return false;
    const auto path = learned_profile_path(state_dir, key);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(std::filesystem::symlink_status(path, ec)))
        return false;
    remove_file_durably(path);
    return true;
}

LearnedList list_learned_profiles(const std::filesystem::path& state_dir) {
    LearnedList list;
    std::error_code ec;
    std::vector<std::string> keys;
    for (const auto& entry : std::filesystem::directory_iterator(profiles_dir(state_dir), ec)) {
        const auto name = entry.path().filename().string();
        if (name.size() > 5 && name.ends_with(".toml") &&
            is_valid_key(name.substr(0, name.size() - 5)))
            keys.push_back(name.substr(0, name.size() - 5));
    }
    std::sort(keys.begin(), keys.end());
    for (const auto& key : keys) {
        try {
            if (auto profile = load_learned_profile(state_dir, key))
                list.profiles.push_back(std::move(*profile));
        } catch (const Error& e) {
            list.warnings.push_back(e.what());
        }
    }
    return list;
}

std::string describe_tunables(const FlagValues& tunables) {
    return tunables.empty() ? std::string("(defaults)") : to_command_line(tunables);
}

} // namespace scx_gamer::ml

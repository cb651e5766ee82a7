// SPDX-License-Identifier: GPL-2.0-only
#include "games/game_rules.h"

#include "util/error.h"
#include "util/file_read.h"
#include "util/text.h"
#include "util/toml_location.h"

#include <toml.hpp>

#include <algorithm>

namespace scx_gamer {
namespace {

using TomlValue = toml::ordered_value;

[[noreturn]] void throw_at(const TomlValue& value, const std::string& why) {
    throw RulesError(toml_text::where(value.location()) + ": " + why);
}

std::string non_empty_string(const TomlValue& value, std::string_view key) {
    if (!value.is_string())
        throw_at(value, std::string(key) + " must be a list of strings");
    const std::string& text = value.as_string();
    if (text.empty() || text.find('\0') != std::string::npos)
        throw_at(value, std::string(key) + " entries must be non-empty text");
    return text;
}

std::uint64_t app_id(const TomlValue& value) {
    if (!value.is_integer() || value.as_integer() <= 0)
        throw_at(value, "steam_app_ids must be a list of positive integers");
    return static_cast<std::uint64_t>(value.as_integer());
}

const toml::ordered_array& array_of(const TomlValue& value, std::string_view key) {
    if (!value.is_array())
        throw_at(value,
                 std::string(key) + " must be a list, e.g. " + std::string(key) + " = [...]");
    return value.as_array();
}

RuleSet parse_rule_set(const TomlValue& section, std::string_view section_name) {
    if (!section.is_table())
        throw_at(section, "[" + std::string(section_name) + "] must be a table");
    RuleSet rules;
    for (const auto& [key, value] : section.as_table()) {
        if (key == "names") {
            for (const auto& item : array_of(value, key))
                rules.names.push_back(non_empty_string(item, key));
        } else if (key == "paths") {
            for (const auto& item : array_of(value, key))
                rules.paths.push_back(non_empty_string(item, key));
        } else if (key == "steam_app_ids") {
            for (const auto& item : array_of(value, key))
                rules.steam_app_ids.push_back(app_id(item));
        } else {
            throw_at(value, "unknown key " + quote_for_message(key) + " in [" +
                                std::string(section_name) +
                                "] (expected names, paths or steam_app_ids)");
        }
    }
    return rules;
}

std::size_t limit(const TomlValue& value, std::string_view key, std::size_t max) {
    if (!value.is_integer() || value.as_integer() < 1 ||
        static_cast<std::uint64_t>(value.as_integer()) > max)
        throw_at(value, std::string(key) + " must be an integer from 1 to " + std::to_string(max));
    return static_cast<std::size_t>(value.as_integer());
}

DetectionPolicy parse_detection(const TomlValue& section) {
    if (!section.is_table())
        throw_at(section, "[detection] must be a table");
    DetectionPolicy policy;
    for (const auto& [key, value] : section.as_table()) {
        if (key == "users") {
            if (!value.is_string() ||
                (value.as_string() != "active-session" && value.as_string() != "everyone"))
                throw_at(value, "users must be \"active-session\" or \"everyone\"");
            policy.everyone = value.as_string() == "everyone";
        } else if (key == "allow_users") {
            for (const auto& item : array_of(value, key))
                policy.allow_users.push_back(non_empty_string(item, key));
        } else if (key == "max_games_per_user") {
            policy.limits.per_user = limit(value, key, kMaxTrackedGames);
        } else if (key == "max_games") {
            policy.limits.total = limit(value, key, kMaxTrackedGames);
        } else {
            throw_at(value, "unknown key " + quote_for_message(key) +
                                " in [detection] (expected users, allow_users, "
                                "max_games_per_user or max_games)");
        }
    }
    return policy;
}

bool same_name(const std::string& rule, const std::string& name) {
    return to_lower_ascii(rule) == to_lower_ascii(name);
}

std::optional<std::string> find_rule(const RuleSet& rules, const RuleSubject& subject) {
    for (const auto& rule : rules.names) {
        for (const auto& name : subject.names) {
            if (same_name(rule, name))
                return "name=" + rule;
        }
    }
    for (const auto& rule : rules.paths) {
        for (const auto& path : subject.paths) {
            if (glob_match(rule, path))
                return "path=" + rule;
        }
    }
    if (subject.steam_app_id) {
        const auto& ids = rules.steam_app_ids;
        if (std::find(ids.begin(), ids.end(), *subject.steam_app_id) != ids.end())
            return "steam_app_id=" + std::to_string(*subject.steam_app_id);
    }
    return std::nullopt;
}

} // namespace

GameRules::GameRules(RuleSet include, RuleSet exclude, DetectionPolicy detection)
    : include_(std::move(include)), exclude_(std::move(exclude)), detection_(std::move(detection)) {
}

GameRules GameRules::parse(std::string_view toml_text, const std::string& source_name) {
    auto parsed = toml_text::parse(toml_text, source_name);
    if (parsed.is_err())
        throw RulesError(parsed.unwrap_err());

    const TomlValue& root = parsed.unwrap();
    RuleSet include;
    RuleSet exclude;
    DetectionPolicy detection;
    for (const auto& [key, value] : root.as_table()) {
        if (key == "include")
            include = parse_rule_set(value, key);
        else if (key == "exclude")
            exclude = parse_rule_set(value, key);
        else if (key == "detection")
            detection = parse_detection(value);
        else
            throw_at(value, "unknown key " + quote_for_message(key) +
                                " (expected [include], [exclude] or [detection])");
    }
    return GameRules(std::move(include), std::move(exclude), std::move(detection));
}

GameRules GameRules::load(const std::filesystem::path& path) {
    std::error_code error;
    if (!std::filesystem::exists(path, error) && !error)
        return {};
    const auto content = read_file_prefix(path, kMaxRulesFileBytes + 1);
    if (!content)
        throw RulesError(path.string() + ": cannot be read");
    if (content->size() > kMaxRulesFileBytes)
        throw RulesError(path.string() + ": larger than " + std::to_string(kMaxRulesFileBytes) +
                         " bytes");
    return parse(*content, path.string());
}

std::optional<RuleMatch> GameRules::match(const RuleSubject& subject) const {
    if (auto rule = find_rule(exclude_, subject))
        return RuleMatch{false, std::move(*rule)};
    if (auto rule = find_rule(include_, subject))
        return RuleMatch{true, std::move(*rule)};
    return std::nullopt;
}

} // namespace scx_gamer

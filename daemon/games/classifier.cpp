// SPDX-License-Identifier: GPL-2.0-only
#include "games/classifier.h"

#include "games/known_helpers.h"
#include "util/error.h"
#include "util/log.h"
#include "util/text.h"

#include <algorithm>

namespace scx_gamer {
namespace {

constexpr std::string_view kExeSuffix = ".exe";

Verdict game(std::string reason, std::string name) {
    return Verdict{true, std::move(reason), std::move(name)};
}

Verdict not_game(std::string reason, std::string name) {
    return Verdict{false, std::move(reason), std::move(name)};
}

void add_unique(std::vector<std::string>& names, std::string_view name) {
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end())
        names.emplace_back(name);
}

// The basenames a native process goes by, most complete first: comm is cut at 15 characters.
std::vector<std::string> native_names(const ProcessInfo& process) {
    std::vector<std::string> names;
    add_unique(names, unix_basename(process.exe));
    if (!process.cmdline.empty())
        add_unique(names, unix_basename(process.cmdline.front()));
    add_unique(names, process.comm);
    return names;
}

std::string display_name(const ProcessInfo& process, const std::string& wine_program) {
    if (!wine_program.empty())
        return std::string(windows_basename(wine_program));
    if (!process.exe.empty())
        return std::string(unix_basename(process.exe));
    return process.comm;
}

RuleSubject rule_subject(const ProcessInfo& process, const std::string& wine_program,
                         const std::string& name) {
    RuleSubject subject;
    subject.steam_app_id = process.steam_app_id;
    if (process.is_wine) {
        add_unique(subject.names, name);
        add_unique(subject.names, process.comm);
    } else {
        subject.names = native_names(process);
    }
    if (!process.exe.empty())
        subject.paths.push_back(process.exe);
    if (!wine_program.empty())
        subject.paths.push_back(unix_style_path(wine_program));
    return subject;
}

Verdict classify_wine(const ProcessInfo& process, const std::string& wine_program,
                      const std::string& name) {
    if (wine_program.empty())
        return not_game("no-signal", name); // a Wine loader that runs no .exe (yet)
    if (is_windows_system_program(wine_program))
        return not_game("excluded:windows-system:" + name, name);
    if (const auto* helper = find_known_helper(name))
        return not_game("excluded:" + std::string(helper->category) + ":" + name, name);
    return game(process.steam_app_id ? "steam-app-id" : "wine-exe", name);
}

Verdict classify_native(const ProcessInfo& process, const std::string& name) {
    if (!process.steam_app_id)
        return not_game("no-signal", name);
    for (const auto& candidate : native_names(process)) {
        if (const auto* helper = find_known_helper(candidate))
            return not_game("excluded:" + std::string(helper->category) + ":" + candidate, name);
    }
    // Without the exe we cannot tell a game from /usr/bin/sleep; the process is probably gone.
    if (process.exe.empty())
        return not_game("no-signal", name);
    if (is_in_system_dir(process.exe))
        return not_game("excluded:system-path:" + process.exe, name);
    return game("steam-app-id", name);
}

} // namespace

std::string wine_program_path(const ProcessInfo& process) {
    const auto& argv = process.cmdline;
    if (!argv.empty() && ends_with_ignoring_case(argv[0], kExeSuffix))
        return argv[0];
    // "wine64 Game.exe" before the preloader rewrites the command line.
    if (is_wine_loader(process.exe) && argv.size() >= 2 &&
        ends_with_ignoring_case(argv[1], kExeSuffix))
        return argv[1];
    if (ends_with_ignoring_case(process.comm, kExeSuffix))
        return process.comm;
    return {};
}

std::string unix_style_path(std::string_view windows_path) {
    std::string path(windows_path);
    std::replace(path.begin(), path.end(), '\\', '/');
    // Wine maps drive Z: to the root of the Unix file system.
    if (path.size() >= 3 && (path[0] == 'z' || path[0] == 'Z') && path[1] == ':' && path[2] == '/')
        path.erase(0, 2);
    return path;
}

Classifier::Classifier(GameRules rules) : rules_(std::move(rules)) {}

Verdict Classifier::classify(const ProcessInfo& process) const {
    const std::string wine_program = process.is_wine ? wine_program_path(process) : "";
    std::string name = display_name(process, wine_program);

    if (const auto match = rules_.match(rule_subject(process, wine_program, name))) {
        if (match->include)
            return game("rule:" + match->rule, std::move(name));
        return not_game("excluded:rule:" + match->rule, std::move(name));
    }
    if (process.is_wine)
        return classify_wine(process, wine_program, name);
    return classify_native(process, name);
}

std::optional<std::string> leaves_game_tree(const GameRules& rules, const ProcessInfo& process) {
    const std::string wine_program = process.is_wine ? wine_program_path(process) : "";
    const std::string name = display_name(process, wine_program);
    if (const auto match = rules.match(rule_subject(process, wine_program, name)))
        return match->include ? std::nullopt : std::optional<std::string>("rule:" + match->rule);
    std::vector<std::string> names;
    if (process.is_wine)
        add_unique(names, windows_basename(wine_program)); // "wine*" patterns never hide a game
    else
        names = native_names(process);
    for (const auto& candidate : names)
        if (const auto* helper = find_known_helper(candidate); helper && helper->leaves_game_tree)
            return std::string(helper->category) + ":" + candidate;
    return std::nullopt;
}

bool Classifier::reload_rules(const std::filesystem::path& path) {
    try {
        rules_ = GameRules::load(path);
        return true;
    } catch (const RulesError& error) {
        log_err("game rules not loaded, keeping the previous ones: ", error.what());
        return false;
    }
}

} // namespace scx_gamer

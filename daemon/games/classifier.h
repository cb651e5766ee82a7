// SPDX-License-Identifier: GPL-2.0-only
// Decides whether a process is a game. In order:
//   1. a user rule (games.toml) — exclude wins over include, and rules win over everything below;
//   2. a Wine/Proton process is a game if it runs a .exe that is not Wine's own (C:\windows\...)
//      nor a known helper (launchers, installers, anti-cheat services);
//   3. a native process with a non-zero SteamAppId/SteamGameId is a game unless it is a known
//      helper (steam, reaper, pressure-vessel, shells, python...) or a program from a system
//      directory (/usr/bin/sleep run by a launch script);
//   4. anything else is not a game. (Explicit registration over D-Bus bypasses the classifier and
//      is reported with reason "registered".)
// The helper list is data: see known_helpers.cpp and docs/games.md.
#pragma once

#include "games/game_rules.h"
#include "games/proc_reader.h"

#include <filesystem>
#include <optional>
#include <string>

namespace scx_gamer {

struct Verdict {
    bool is_game = false;
    // Why, for logs and D-Bus: "steam-app-id", "wine-exe", "rule:<rule>", "registered",
    // "excluded:rule:<rule>", "excluded:<helper category>:<name>", "excluded:system-path:<exe>",
    // "excluded:windows-system:<name>", "no-signal" (nothing suggests a game).
    std::string reason;
    // Display name: the .exe's basename for Wine, else the exe's basename, else comm.
    std::string name;

    bool operator==(const Verdict&) const = default;
};

// Reason given to processes registered explicitly (scxgamerctl launch / RegisterGame).
inline constexpr std::string_view kRegisteredReason = "registered";

class Classifier {
  public:
    explicit Classifier(GameRules rules = {});

    Verdict classify(const ProcessInfo& process) const;

    // Not synchronised: call from the thread that classifies (the daemon's event loop).
    void set_rules(GameRules rules) { rules_ = std::move(rules); }
    const GameRules& rules() const { return rules_; }
    // Loads the rules file. On error logs "file:line:col: reason", keeps the rules it had (the
    // last good ones) and returns false. A missing file means no rules.
    bool reload_rules(const std::filesystem::path& path = kDefaultRulesPath);

  private:
    GameRules rules_;
};

// Whether a process that joined a game's process tree leaves it: an exclude rule names it, or it
// is a known helper that is no part of the game (KnownHelper::leaves_game_tree). Returns the
// reason ("rule:<rule>", "<helper category>:<name>"), or nullopt when it stays.
std::optional<std::string> leaves_game_tree(const GameRules& rules, const ProcessInfo& process);

// The Windows path of the program a Wine process runs ("Z:\\games\\Game.exe"), or "" if none.
std::string wine_program_path(const ProcessInfo& process);
// "Z:\\games\\Game.exe" -> "/games/Game.exe"; other drives keep their letter: "C:/x/y.exe".
std::string unix_style_path(std::string_view windows_path);

} // namespace scx_gamer

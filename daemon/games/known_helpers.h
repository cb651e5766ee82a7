// SPDX-License-Identifier: GPL-2.0-only
// Programs that run next to a game — launchers, runtime wrappers, shells, Wine's own services —
// and are never the game itself, even though they carry SteamAppId or run under Wine.
//
// The list is data: known_helpers.cpp holds it in one table, documented in docs/games.md. A user
// who disagrees overrides it with a rule in /etc/scx_gamer/games.toml (rules win).
#pragma once

#include <span>
#include <string_view>

namespace scx_gamer {

struct KnownHelper {
    std::string_view pattern;  // glob, matched without regard to case against a program name
    std::string_view category; // appears in the verdict: "excluded:<category>:<name>"
    // Started by a game, it still is no part of it: it does not inherit the game's class (a
    // crash handler, a web helper, a shader compiler). Shells, interpreters and runtime wrappers
    // do inherit: a game is often what they run next.
    bool leaves_game_tree = false;
};

std::span<const KnownHelper> known_helpers();

// The first helper whose pattern matches program_name (a basename such as "bash" or
// "explorer.exe"), or nullptr.
const KnownHelper* find_known_helper(std::string_view program_name);

// Native programs installed in these directories are tools (sleep, gamescope, xdg-open...), not
// games, even when a launch script runs them with SteamAppId set.
std::span<const std::string_view> system_program_dirs();
bool is_in_system_dir(std::string_view exe_path);

// Windows programs under C:\windows\ are Wine's (services.exe, explorer.exe...).
bool is_windows_system_program(std::string_view windows_path);

} // namespace scx_gamer

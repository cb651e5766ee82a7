// SPDX-License-Identifier: GPL-2.0-only
// The name under which the learner keeps a game's data and profile: "steam-<app id>" when Steam
// told us the app id (stable across updates, reinstalls and renamed executables), else the
// executable's file name. Keys become file names under the state directory and arrive from
// D-Bus callers, so they are restricted to a safe alphabet.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace scx_gamer::ml {

inline constexpr std::size_t kMaxKeyLength = 64;

// "steam-1091500" or the sanitised basename of exe (or of name when exe is empty): characters
// outside [A-Za-z0-9._+-] become '_', a leading '.' becomes '_', cut at kMaxKeyLength.
std::string game_key(std::optional<std::uint64_t> steam_app_id, std::string_view exe,
                     std::string_view name);

// 1-64 characters of [A-Za-z0-9._+-], not starting with '.': safe as a file name, never a path.
bool is_valid_key(std::string_view key);

} // namespace scx_gamer::ml

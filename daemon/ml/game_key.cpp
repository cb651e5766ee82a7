// SPDX-License-Identifier: GPL-2.0-only
#include "ml/game_key.h"

#include <algorithm>

namespace scx_gamer::ml {
namespace {

bool key_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '+' || c == '-';
}

} // namespace

std::string game_key(std::optional<std::uint64_t> steam_app_id, std::string_view exe,
                     std::string_view name) {
    if (steam_app_id && *steam_app_id != 0)
        return "steam-" + std::to_string(*steam_app_id);
    std::string_view base = exe.empty() ? name : exe;
    if (const auto slash = base.find_last_of('/'); slash != std::string_view::npos)
        base.remove_prefix(slash + 1);
    std::string key(base.substr(0, kMaxKeyLength));
    std::replace_if(
        key.begin(), key.end(), [](char c) { return !key_char(c); }, '_');
    if (key.empty())
        return "unknown";
    if (key.front() == '.')
        key.front() = '_';
    return key;
}

bool is_valid_key(std::string_view key) {
    return !key.empty() && key.size() <= kMaxKeyLength && key.front() != '.' &&
           std::all_of(key.begin(), key.end(), key_char);
}

} // namespace scx_gamer::ml

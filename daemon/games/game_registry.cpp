// SPDX-License-Identifier: GPL-2.0-only
#include "games/game_registry.h"

#include "util/guard.h"
#include "util/text.h"

#include <algorithm>

namespace scx_gamer {

AddResult GameRegistry::add(Game game) {
    if (games_.contains(game.pid))
        return AddResult::already_a_game;
    if (games_.size() >= limits_.total)
        return AddResult::total_limit;
    if (games_of(game.uid) >= limits_.per_user)
        return AddResult::user_limit;
    game.name = to_valid_utf8(game.name, kMaxGameNameBytes);
    game.exe = to_valid_utf8(game.exe, kMaxGameExeBytes);
    game.reason = to_valid_utf8(game.reason, kMaxGameReasonBytes);
    const Game& added = games_.emplace(game.pid, std::move(game)).first->second;
    for (const auto& listener : added_listeners_)
        run_guarded("reacting to game " + std::to_string(added.pid), [&] { listener(added); });
    return AddResult::added;
}

std::size_t GameRegistry::games_of(std::optional<uid_t> uid) const {
    return static_cast<std::size_t>(std::count_if(
        games_.begin(), games_.end(), [&](const auto& entry) { return entry.second.uid == uid; }));
}

std::optional<Game> GameRegistry::remove(uint32_t pid) {
    auto node = games_.extract(pid);
    if (node.empty())
        return std::nullopt;
    for (const auto& listener : removed_listeners_)
        run_guarded("reacting to the end of game " + std::to_string(pid),
                    [&] { listener(node.mapped()); });
    return std::move(node.mapped());
}

std::vector<Game> GameRegistry::remove_registered_by(const std::string& bus_name) {
    std::vector<uint32_t> pids;
    for (const auto& [pid, game] : games_)
        if (game.registered_by == bus_name)
            pids.push_back(pid);
    std::vector<Game> removed;
    for (uint32_t pid : pids)
        if (auto game = remove(pid))
            removed.push_back(std::move(*game));
    return removed;
}

const Game* GameRegistry::find(uint32_t pid) const {
    auto it = games_.find(pid);
    return it == games_.end() ? nullptr : &it->second;
}

std::vector<Game> GameRegistry::games() const {
    std::vector<Game> out;
    out.reserve(games_.size());
    for (const auto& [pid, game] : games_)
        out.push_back(game);
    return out;
}

const Game* GameRegistry::current() const {
    const Game* newest = nullptr;
    for (const auto& [pid, game] : games_)
        if (!newest || game.detected_at_us >= newest->detected_at_us)
            newest = &game;
    return newest;
}

} // namespace scx_gamer

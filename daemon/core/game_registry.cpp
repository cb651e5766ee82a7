#include "game_registry.h"

#include <algorithm>

namespace scx_gamer {

bool GameRegistry::add(Game game) {
    auto [it, inserted] = games_.emplace(game.pid, std::move(game));
    if (!inserted)
        return false;
    for (const auto& listener : added_listeners_)
        listener(it->second);
    return true;
}

std::optional<Game> GameRegistry::remove(uint32_t pid) {
    auto node = games_.extract(pid);
    if (node.empty())
        return std::nullopt;
    for (const auto& listener : removed_listeners_)
        listener(node.mapped());
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

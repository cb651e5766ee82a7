// The set of games the daemon currently treats as games, whatever found them (detector, rules,
// explicit registration). Everything that must react to a game appearing or leaving (the BPF
// scheduler's game map, the detector's exit watch, D-Bus signals) subscribes here, so the
// bookkeeping lives in one place.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace scx_gamer {

struct Game {
    uint32_t pid = 0;
    std::string name;   // display name (the .exe for Wine games)
    std::string exe;    // resolved executable path
    std::string reason; // why it is a game: "steam-app-id", "wine-exe", "rule:...", "registered"
    uint64_t detected_at_us = 0; // CLOCK_REALTIME, microseconds
    std::optional<std::string> registered_by; // bus name of an explicit registration
    std::optional<uint64_t> steam_app_id;     // from its environment; keys its learned profile
};

class GameRegistry {
public:
    using Listener = std::function<void(const Game&)>;

    // Returns false (and notifies nobody) when pid is already a game.
    bool add(Game game);
    // Returns the removed game, or nothing when pid was not a game.
    std::optional<Game> remove(uint32_t pid);
    // Removes every game registered by a bus client that left; returns them.
    std::vector<Game> remove_registered_by(const std::string& bus_name);

    const Game* find(uint32_t pid) const;
    std::vector<Game> games() const;
    size_t size() const { return games_.size(); }
    // The game shown as "current": the most recently detected one.
    const Game* current() const;

    void on_added(Listener listener) { added_listeners_.push_back(std::move(listener)); }
    void on_removed(Listener listener) { removed_listeners_.push_back(std::move(listener)); }

private:
    std::map<uint32_t, Game> games_;
    std::vector<Listener> added_listeners_;
    std::vector<Listener> removed_listeners_;
};

} // namespace scx_gamer

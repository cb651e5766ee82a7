// SPDX-License-Identifier: GPL-2.0-only
// The set of games the daemon currently treats as games, whatever found them (detector, rules,
// explicit registration). Everything that must react to a game appearing or leaving (the BPF
// scheduler's game map, the detector's exit watch, D-Bus signals) subscribes here, so the
// bookkeeping lives in one place.
#pragma once

#include "bpf/intf.h"

#include <sys/types.h>

#include <cstddef>
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
    uint64_t detected_at_us = 0;              // CLOCK_REALTIME, microseconds
    std::optional<std::string> registered_by; // bus name of an explicit registration
    std::optional<uint64_t> steam_app_id;     // from its environment; keys its learned profile
    std::optional<uid_t> uid;                 // who started it (real uid); nullopt if unknown
};

// The most games the daemon can track: the size of the BPF maps that hold them.
inline constexpr std::size_t kMaxTrackedGames = GAMER_MAX_GAMES;

// What one user, and everyone together, may have tracked as games at once. Each game costs a BPF
// map entry, a pidfd and an exit watch, a D-Bus signal pair and a /proc read per GetStats; these
// bound that cost whatever a user starts. Set by the administrator in the rules file.
struct GameLimits {
    std::size_t per_user = 16;
    std::size_t total = 64; // at most kMaxTrackedGames

    bool operator==(const GameLimits&) const = default;
};

// Text limits of a Game's strings: they go out in D-Bus signals and notifications.
inline constexpr std::size_t kMaxGameNameBytes = 255;
inline constexpr std::size_t kMaxGameExeBytes = 4096;
inline constexpr std::size_t kMaxGameReasonBytes = 512;

enum class AddResult {
    added,
    already_a_game, // nobody is told twice
    user_limit,     // its user has GameLimits::per_user games already
    total_limit,    // GameLimits::total games are tracked already
};

class GameRegistry {
  public:
    using Listener = std::function<void(const Game&)>;

    explicit GameRegistry(GameLimits limits = {}) : limits_(limits) {}

    // Adds a game and tells the listeners, unless pid is one already or a limit is reached (then
    // nobody is told). Its name, exe and reason are made valid UTF-8 and cut to the kMax*Bytes
    // here, so that no text a process controls can make a D-Bus signal or a stored file fail.
    AddResult add(Game game);
    // Returns the removed game, or nothing when pid was not a game.
    std::optional<Game> remove(uint32_t pid);
    // Removes every game registered by a bus client that left; returns them.
    std::vector<Game> remove_registered_by(const std::string& bus_name);

    const Game* find(uint32_t pid) const;
    std::vector<Game> games() const;
    size_t size() const { return games_.size(); }
    // The game shown as "current": the most recently detected one.
    const Game* current() const;

    // Limits apply to games added from now on; games over a lowered limit stay until they end.
    void set_limits(GameLimits limits) { limits_ = limits; }
    const GameLimits& limits() const { return limits_; }
    std::size_t games_of(std::optional<uid_t> uid) const;

    // Listeners run in the order given, each behind run_guarded(): one that throws is logged and
    // the others still run.
    void on_added(Listener listener) { added_listeners_.push_back(std::move(listener)); }
    void on_removed(Listener listener) { removed_listeners_.push_back(std::move(listener)); }

  private:
    GameLimits limits_;
    std::map<uint32_t, Game> games_;
    std::vector<Listener> added_listeners_;
    std::vector<Listener> removed_listeners_;
};

} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
// What the daemon's interfaces (D-Bus object, scx_stats socket) may ask of the daemon and hear
// from it. The daemon implements it; interfaces only translate, so they are tested against a fake.
#pragma once

#include "games/game_registry.h"
#include "ml/learned_profile.h"
#include "stats/stats_fields.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace scx_gamer {

// How a change reached the scheduler.
enum class ChangeMode {
    Live,     // tunables written into the running scheduler; no re-attach
    Reattach, // the scheduler was detached and attached again with the new flags
};

struct ApplyOutcome {
    ChangeMode mode = ChangeMode::Live;
    std::vector<std::string> flags; // the flags now in force, canonical form
};

// Raised for a profile name that is not defined (D-Bus: ...Error.UnknownProfile).
struct UnknownProfile : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Raised for a learned-profile key that has no profile (D-Bus: ...Error.UnknownLearnedProfile).
struct UnknownLearnedProfile : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Raised when a registration would take a user, or everyone, over the game limits of the rules
// file's [detection] section (D-Bus: org.freedesktop.DBus.Error.LimitsExceeded).
struct GameLimitReached : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Observers of the daemon's state; the D-Bus object turns these into signals.
struct ControllerEvents {
    std::function<void(const Game&)> game_detected;
    std::function<void(const Game&)> game_exited;
    // Names of D-Bus-visible properties whose value changed ("Profile", "Flags", ...).
    std::function<void(const std::vector<std::string>&)> properties_changed;
    // The kernel unloaded the scheduler for an error: its reason and message (ops.exit()).
    std::function<void(const std::string& reason, const std::string& message)> scheduler_exited;
    // Set when the subscriber may go before the controller (a bus connection lost and
    // replaced): once it has expired, the controller drops these callbacks.
    std::optional<std::weak_ptr<const void>> owner;

    bool expired() const { return owner && owner->expired(); }
};

class Controller {
  public:
    virtual ~Controller() = default;

    virtual StatsMap stats() const = 0;
    virtual std::string profile() const = 0;
    virtual std::vector<std::string> flags() const = 0;
    virtual std::string scheduler_state() const = 0;
    virtual std::string detection_method() const = 0;
    virtual std::map<std::string, std::vector<std::string>> profiles() const = 0;
    virtual std::vector<Game> games() const = 0;

    // Throws UnknownProfile. Never re-attaches: profiles only change live tunables.
    virtual ApplyOutcome set_profile(const std::string& name) = 0;
    // Throws FlagError (naming the bad flag) before changing anything.
    virtual ApplyOutcome apply_flags(const std::vector<std::string>& flags) = 0;
    // Saves the profile and flags now in force so that the next start comes back to them
    // (config/persist.h says where and what). The running scheduler is not touched. Throws Error
    // naming the file and the reason; the file is then left as it was.
    virtual void persist() = 0;

    // Explicit registration. Throws Error when pid does not exist, GameLimitReached when its user
    // or everyone has the most games allowed.
    struct Registration {
        std::string owner; // the caller's unique bus name
        std::string name;  // display name; empty: the classifier's name for the process
        std::string via;   // how the caller found the game: "", "launch" or "gamemode"
    };
    virtual void register_game(uint32_t pid, const Registration& registration) = 0;
    // Returns false when pid was not registered.
    virtual bool unregister_game(uint32_t pid) = 0;
    // The bus client left: drop what it registered.
    virtual void client_vanished(const std::string& owner) = 0;

    // Learned profiles (docs/learned-profiles.md), by game key. The list skips unreadable files
    // (logged); the others throw UnknownLearnedProfile for a key without a profile, Error for an
    // unreadable one. Deleting the profile of the running game reverts it to the base profile.
    virtual std::vector<ml::LearnedProfile> learned_profiles() const = 0;
    virtual ml::LearnedProfile learned_profile(const std::string& key) const = 0;
    virtual std::string export_learned_profile(const std::string& key) const = 0;
    virtual void delete_learned_profile(const std::string& key) = 0;

    virtual void subscribe(ControllerEvents events) = 0;
};

} // namespace scx_gamer

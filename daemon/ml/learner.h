// SPDX-License-Identifier: GPL-2.0-only
// The learner: the per-game session that ties the rest of daemon/ml together while a game runs.
// When the followed game appears it applies the game's learned profile (--ml-profiles); every
// window it measures what the game experienced, appends it to the game's file (--ml-collect)
// and, with --ml-autotune, feeds the autotuner and applies the configuration it asks for next;
// when the game exits it reverts to the base profile.
//
// It knows nothing about BPF, D-Bus or the event loop: the daemon gives it a LearnerHost (how to
// read counters, what is in force, how to apply a configuration) and calls tick() from a timer
// that runs only while needs_windows() says so. Tests drive it with a fake host.
#pragma once

#include "games/game_registry.h"
#include "ml/autotuner.h"
#include "ml/objective.h"
#include "ml/sample_store.h"
#include "ml/search_space.h"
#include "ml/window.h"
#include "tuning/flags.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace scx_gamer::ml {

inline constexpr const char* kDefaultStateDir = "/var/lib/scx_gamer";

struct LearnerSettings {
    bool collect = false;  // --ml-collect: store every window
    bool autotune = false; // --ml-autotune: search while the game runs (stores windows too)
    bool profiles = false; // --ml-profiles: apply a game's learned profile when it appears
    std::filesystem::path state_dir = kDefaultStateDir;
    std::chrono::seconds window{5};
    AutotuneParams autotune_params;
    ObjectiveParams objective;
    StoreLimits store_limits;
    double deadline_us = kDefaultDeadlineUs;

    bool enabled() const { return collect || autotune || profiles; }
};

// What the learner asks of the daemon. Every member must be set.
struct LearnerHost {
    // The counters now (scheduler, /proc) for the game `pid`; nullopt without a scheduler.
    std::function<std::optional<Reading>(uint32_t pid)> read;
    // The values of the space's flags now in force, and those the base profile gives.
    std::function<FlagValues(const SearchSpace&)> in_force;
    std::function<FlagValues(const SearchSpace&)> base;
    // Flags the user set explicitly (command line, ApplyFlags): never searched.
    std::function<std::vector<std::string>()> pinned;
    // Applies `tunables` on top of the base profile, shown as profile `label`; revert() goes
    // back to the base profile.
    std::function<void(const std::string& label, const FlagValues& tunables)> apply;
    std::function<void()> revert;
    std::function<std::chrono::system_clock::time_point()> now;
    long ticks_per_second = 100;
};

class Learner {
  public:
    Learner(LearnerSettings settings, LearnerHost host, uint64_t seed);
    ~Learner();
    Learner(const Learner&) = delete;
    Learner& operator=(const Learner&) = delete;

    const LearnerSettings& settings() const { return settings_; }

    // The game to follow now (the registry's current game), nullptr when none runs. Ends the
    // session of a game that is no longer current and starts one for the new game.
    void follow(const Game* current);
    // While true, the daemon calls tick() every settings().window.
    bool needs_windows() const;
    // A window ended.
    void tick();
    // The user changed the profile or flags: any search stops where it is (the start
    // configuration is restored). drop_learned: also take the learned profile off.
    void user_took_over(bool drop_learned);
    // A learned profile was deleted: if it is applied, go back to the base profile.
    void learned_profile_deleted(const std::string& key);

    // The followed game's key, if a session runs.
    std::optional<std::string> key() const;
    // How many sessions have started: a change tells a new session (a new game, or the same
    // key again) from the one before.
    unsigned sessions_started() const { return sessions_started_; }
    bool tuning() const;

  private:
    struct Session;
    void start(const Game& game);
    void end(const char* why);
    void finish_autotune();
    void restore_start();

    LearnerSettings settings_;
    LearnerHost host_;
    uint64_t seed_;
    unsigned sessions_started_ = 0;
    std::unique_ptr<Session> session_;
};

} // namespace scx_gamer::ml

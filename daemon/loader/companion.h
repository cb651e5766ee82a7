// SPDX-License-Identifier: GPL-2.0-only
// Companion mode (scx_gamer --loader-companion): scx_loader runs a stock sched_ext scheduler, so
// scx_gamer's own scheduler stays detached (only one sched_ext scheduler can run), and scx_gamer
// only detects games and asks scx_loader for its Gaming mode while one runs.
//
// LoaderCompanion is that policy and nothing else: it is fed game events and talks to scx_loader
// through LoaderClient, so it is tested without a bus (tests/unit/loader_companion_test.cpp).
// LoaderBusLink (loader_bus.h) feeds it from the daemon and implements LoaderClient over D-Bus.
//
//   first game starts  -> remember scx_loader's scheduler and mode, then
//                         HoldScheduler(scheduler, Gaming) where scx_loader has holds, else
//                         SwitchScheduler(scheduler, Gaming)
//   last game exits    -> ReleaseScheduler(cookie) (scx_loader restores what ran before), else
//                         SwitchScheduler(scheduler, previous mode) -- unless someone changed
//                         scx_loader meanwhile, whose choice is then left alone
//   scx_loader appears -> the same as a first game, if games are running
#pragma once

#include "tuning/profiles.h" // SchedMode: scx_loader's mode numbers
#include "util/error.h"

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace scx_gamer {

// What scx_loader runs.
struct LoaderState {
    std::string scheduler;         // "scx_lavd"; "unknown" or empty when it runs none
    uint32_t mode = 0;             // SchedMode number
    std::vector<std::string> args; // set when started with explicit arguments instead of a mode

    bool runs_scheduler() const { return !scheduler.empty() && scheduler != "unknown"; }
    bool operator==(const LoaderState&) const = default;
};

// A failed call to scx_loader; what() is one line for the log.
class LoaderError : public Error {
  public:
    enum class Kind {
        Unavailable, // nobody owns org.scx.Loader, or it did not answer
        Unsupported, // the method does not exist in this scx_loader (HoldScheduler on old ones)
        Failed,      // scx_loader refused (polkit, an unknown scheduler, a hold in the way, ...)
    };
    LoaderError(Kind kind, const std::string& what) : Error(what), kind_(kind) {}
    Kind kind() const { return kind_; }

  private:
    Kind kind_;
};

// The calls the companion makes; each throws LoaderError.
class LoaderClient {
  public:
    virtual ~LoaderClient() = default;
    virtual LoaderState state() = 0;
    virtual void switch_scheduler(const std::string& scheduler, uint32_t mode) = 0;
    virtual void switch_scheduler_with_args(const std::string& scheduler,
                                            const std::vector<std::string>& args) = 0;
    virtual uint32_t hold_scheduler(const std::string& scheduler, uint32_t mode,
                                    const std::string& reason, const std::string& app_id) = 0;
    virtual void release_scheduler(uint32_t cookie) = 0;
};

// The app_id scx_loader shows for our holds (its ActiveHolds property).
inline constexpr const char* kLoaderHoldAppId = "org.cachyos.ScxGamer";

class LoaderCompanion {
  public:
    // `loader` must outlive the companion.
    explicit LoaderCompanion(LoaderClient& loader) : loader_(loader) {}

    // A game appeared / left (pids from the GameRegistry). Unknown pids and repeats are ignored.
    void game_started(uint32_t pid, const std::string& name);
    void game_exited(uint32_t pid);

    // org.scx.Loader got an owner (scx_loader started or restarted) / has none (lost it, or had
    // none when the daemon started: warns once). A loader that vanishes takes our hold or switch
    // with it: a restarted one runs its own default.
    void loader_appeared();
    void loader_vanished();

    // The daemon is stopping: give scx_loader back what it ran before, as if the last game had
    // exited (scx_loader does not drop the holds of clients that leave the bus).
    void stop();

    // What the companion did to scx_loader, for tests and logs.
    struct Held {
        uint32_t cookie;
    };
    struct Switched {
        LoaderState previous; // restored when the last game exits
        LoaderState ours;     // what we switched to; a different state later means someone else
                              // changed scx_loader
    };
    using Engagement = std::variant<std::monostate, Held, Switched>;
    const Engagement& engagement() const { return engagement_; }
    bool engaged() const { return !std::holds_alternative<std::monostate>(engagement_); }
    std::size_t games() const { return games_.size(); }
    // nullopt until a HoldScheduler call told whether this scx_loader has holds.
    std::optional<bool> holds_supported() const { return holds_supported_; }

  private:
    void engage();
    void disengage();
    void restore(const Switched& switched);
    void report(const LoaderError& error); // what() names the call

    LoaderClient& loader_;
    std::set<uint32_t> games_;
    std::string first_game_; // named in the hold's reason
    Engagement engagement_;
    std::optional<bool> holds_supported_;
    bool warned_unavailable_ = false; // say "not running" once, not at every game
};

} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
// The companion's link to scx_loader: org.scx.Loader on the system bus, through the proxy
// generated from dbus/org.scx.Loader.xml. Thin on purpose: the decisions are LoaderCompanion's
// (companion.h); this only turns game events and org.scx.Loader's comings and goings into calls
// of it, and its calls into D-Bus calls.
//
//   auto link = LoaderBusLink::start(loop.get());
//   link->game_started(game); ... link->game_exited(game);
//   link->stop();  // before the loop goes: gives scx_loader back what it ran
#pragma once

#include "games/game_registry.h"
#include "loader/companion.h"

#include <sdbus-c++/IConnection.h>

#include <systemd/sd-event.h>

#include <functional>
#include <memory>

namespace scx_gamer {

namespace loader_names {
inline constexpr const char* kBusName = "org.scx.Loader";
inline constexpr const char* kObjectPath = "/org/scx/Loader";
} // namespace loader_names

class LoaderBusLink {
  public:
    // Uses `bus`, or when null a connection of its own to the system bus
    // ($DBUS_SYSTEM_BUS_ADDRESS when set, as in tests), served by `loop`, and watches who owns
    // org.scx.Loader. scx_loader need not be running. Throws sdbus::Error when the bus cannot be
    // reached. `loop` must outlive the link.
    static std::unique_ptr<LoaderBusLink> start(sd_event* loop,
                                                std::unique_ptr<sdbus::IConnection> bus = nullptr);
    // Calls stop().
    ~LoaderBusLink();

    LoaderBusLink(const LoaderBusLink&) = delete;
    LoaderBusLink& operator=(const LoaderBusLink&) = delete;

    void game_started(const Game& game) { companion_->game_started(game.pid, game.name); }
    void game_exited(const Game& game) { companion_->game_exited(game.pid); }
    // Releases or restores scx_loader's mode if a game still runs. Idempotent.
    void stop();
    // Calls `lost` (once, from the loop) when the bus connection breaks; the link is dead from
    // then on (its calls fail as Unavailable) and the owner replaces it from outside the callback.
    // scx_loader drops a dead client's holds itself.
    void on_disconnect(std::function<void()> lost);

    const LoaderCompanion& companion() const { return *companion_; }

  private:
    class Client;
    LoaderBusLink() = default;
    void owner_changed(const std::string& new_owner);

    std::unique_ptr<sdbus::IConnection> bus_;
    std::unique_ptr<Client> client_;
    std::unique_ptr<LoaderCompanion> companion_;
    sdbus::Slot owner_match_;
    sdbus::Slot disconnect_match_;
};

} // namespace scx_gamer

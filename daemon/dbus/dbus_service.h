// SPDX-License-Identifier: GPL-2.0-only
// scx_gamer's D-Bus object: org.cachyos.ScxGamer at /org/cachyos/ScxGamer on the system bus
// (interface in dbus/org.cachyos.ScxGamer.xml). It only translates: method calls become
// Controller calls after an asynchronous polkit check, Controller events become signals and
// PropertiesChanged, exceptions become D-Bus errors. Everything runs on the daemon's sd-event
// loop; nothing here blocks it or starts a thread.
//
//   auto bus = DbusService::connect_system_bus();
//   auto service = DbusService::start(*bus, loop.get(), daemon, SCX_GAMER_VERSION);
//   loop.run();
//   service.reset();  // before the bus and the loop
#pragma once

#include "control/controller.h"

#include <sdbus-c++/IConnection.h>

#include <systemd/sd-event.h>

#include <functional>
#include <memory>
#include <string>

namespace scx_gamer {

class ScxGamerObject;

class DbusService {
  public:
    // A connection to the system bus (or to $DBUS_SYSTEM_BUS_ADDRESS when set, as in tests).
    // Throws sdbus::Error when the bus cannot be reached.
    static std::unique_ptr<sdbus::IConnection> connect_system_bus();

    // Attaches `bus` to `loop` (unless it already is), exports the object, subscribes to the
    // controller's events and finally requests org.cachyos.ScxGamer: clients that see the name
    // find the object complete.
    // Throws sdbus::Error when the name cannot be owned (org.freedesktop.DBus.Error.AccessDenied
    // when not root, ...FileExists when another instance owns it) and std::invalid_argument when
    // `bus` is attached to a different loop.
    // `bus`, `loop` and `controller` must outlive the returned service.
    static std::unique_ptr<DbusService> start(sdbus::IConnection& bus, sd_event* loop,
                                              Controller& controller, std::string version);

    // Releases the name, removes the object and cancels pending polkit checks (their callers get
    // an error from the bus when the daemon disconnects). Controller events that arrive later
    // are ignored, so the controller may outlive the service.
    ~DbusService();

    // `lost` runs once when the connection to the bus breaks (the bus daemon stopped or
    // restarted). By then the connection is detached from the loop; it is of no further use, so
    // the owner destroys this service and the connection (not from inside `lost`) and connects
    // again.
    void on_disconnect(std::function<void()> lost);

    DbusService(const DbusService&) = delete;
    DbusService& operator=(const DbusService&) = delete;

  private:
    DbusService(sdbus::IConnection& bus, bool detach_loop_on_exit);

    sdbus::IConnection& bus_;
    bool detach_loop_on_exit_;
    bool owns_name_ = false;
    std::function<void()> lost_;
    sdbus::Slot disconnect_match_; // the local Disconnected signal; calls lost_
    // Shared because the controller's event callbacks hold weak references to it: Controller has
    // no unsubscribe, and the object may go before the controller does.
    std::shared_ptr<ScxGamerObject> object_;
};

} // namespace scx_gamer

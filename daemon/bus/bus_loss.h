// SPDX-License-Identifier: GPL-2.0-only
// Surviving the loss of a bus connection (the bus daemon stopped or restarted). sdbus-c++ asks a
// connection attached to an sd-event loop for its fd before every iteration and throws once the
// connection is closed; from inside sd-event's callback that ends in std::terminate. sd-bus
// synthesizes org.freedesktop.DBus.Local.Disconnected when the connection breaks (the match never
// reaches the bus daemon), so reacting to it in time means: detach the connection from the loop,
// then tell the owner, which drops the connection outside this callback and connects again.
#pragma once

#include <sdbus-c++/IConnection.h>
#include <sdbus-c++/Message.h>
#include <sdbus-c++/TypeTraits.h>

#include <functional>
#include <utility>

namespace scx_gamer {

// Calls `lost` once the connection breaks, after detaching it from its event loop. The returned
// slot ends the watch; `bus` must outlive it.
inline sdbus::Slot watch_bus_loss(sdbus::IConnection& bus, std::function<void()> lost) {
    return bus.addMatch(
        "type='signal',path='/org/freedesktop/DBus/Local',interface='org.freedesktop.DBus.Local',"
        "member='Disconnected'",
        [&bus, lost = std::move(lost)](const sdbus::Message&) {
            bus.detachSdEventLoop();
            lost();
        },
        sdbus::return_slot);
}

} // namespace scx_gamer

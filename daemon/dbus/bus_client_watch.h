// SPDX-License-Identifier: GPL-2.0-only
// Tells when bus clients leave the bus. A game registered over D-Bus belongs to the client that
// registered it (e.g. `scxgamerctl launch`); when that client disconnects, even by crashing, its
// registrations must go. One NameOwnerChanged match per watched client keeps the daemon asleep
// while other clients come and go.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <systemd/sd-event.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace scx_gamer {

class BusClientWatch {
  public:
    using VanishedHandler = std::function<void(const std::string& unique_name)>;

    // `loop` is the sd-event loop `bus` is attached to; it runs the deferred clean-ups.
    BusClientWatch(sdbus::IConnection& bus, sd_event* loop, VanishedHandler on_vanished);
    ~BusClientWatch();

    BusClientWatch(const BusClientWatch&) = delete;
    BusClientWatch& operator=(const BusClientWatch&) = delete;

    // Starts watching `unique_name` (":1.42"); watching a name twice is harmless. If the client
    // has already left, on_vanished still runs (once, from the event loop).
    void watch(const std::string& unique_name);
    // Stops watching without reporting anything (the client's registrations are all gone).
    void forget(const std::string& unique_name);
    bool watching(const std::string& unique_name) const { return matches_.count(unique_name) > 0; }

  private:
    void vanished(const std::string& unique_name);
    void schedule_cleanup();

    struct EventSourceUnref {
        void operator()(sd_event_source* source) const { sd_event_source_disable_unref(source); }
    };

    sdbus::IConnection& bus_;
    VanishedHandler on_vanished_;
    // Asks the bus daemon whether a freshly watched name still exists.
    std::unique_ptr<sdbus::IProxy> bus_daemon_;
    std::map<std::string, sdbus::Slot> matches_;
    // A match cannot be dropped from inside its own callback (sdbus-c++ would free the running
    // handler), so dropped matches wait here until the loop is idle again.
    std::vector<sdbus::Slot> retired_;
    std::unique_ptr<sd_event_source, EventSourceUnref> cleanup_;
};

} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
// Drives the real LoaderBusLink (companion mode's D-Bus side) with synthetic game events, for
// tests/integration/test_loader_companion.py: the real daemon needs sched_ext to detect games,
// this needs only a bus with a stand-in org.scx.Loader on it ($DBUS_SYSTEM_BUS_ADDRESS).
//
// Commands on stdin, one per line; each is answered with one line on stdout once it is done
// (so every D-Bus call it caused has been answered):
//   start PID NAME   a game started            -> "ok <engagement>"
//   exit PID         a game exited             -> "ok <engagement>"
//   sync             nothing but the ordering  -> "ok <engagement>" (owner changes seen)
//   stop             the daemon is stopping    -> "ok <engagement>"
//   wait-lost        runs the loop until the link reports the bus connection lost (the test
//                    kills the bus daemon first) -> "ok lost", or "error ..." after 10 s
// <engagement> is "none", "held COOKIE" or "switched". End of input ends the program.
#include "loader/loader_bus.h"

#include <sdbus-c++/sdbus-c++.h>
#include <systemd/sd-event.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <variant>

namespace {

using scx_gamer::LoaderCompanion;

struct EventUnref {
    void operator()(sd_event* event) const { sd_event_unref(event); }
};

std::string engagement(const LoaderCompanion& companion) {
    const auto& state = companion.engagement();
    if (const auto* held = std::get_if<LoaderCompanion::Held>(&state))
        return "held " + std::to_string(held->cookie);
    if (std::holds_alternative<LoaderCompanion::Switched>(state))
        return "switched";
    return "none";
}

// Runs everything that is ready (bus messages already received) without waiting.
void run_pending(sd_event* loop) {
    while (sd_event_run(loop, 0) > 0) {
    }
}

int run() {
    sd_event* raw_loop = nullptr;
    if (sd_event_new(&raw_loop) < 0) {
        std::fprintf(stderr, "loader_companion_driver: cannot create an event loop\n");
        return 1;
    }
    std::unique_ptr<sd_event, EventUnref> loop(raw_loop);
    auto bus = sdbus::createSystemBusConnection();
    sdbus::IConnection& connection = *bus;
    auto link = scx_gamer::LoaderBusLink::start(loop.get(), std::move(bus));
    // Declared after the link, which owns the connection: destroyed before it.
    auto bus_daemon = sdbus::createProxy(connection, sdbus::ServiceName{"org.freedesktop.DBus"},
                                         sdbus::ObjectPath{"/org/freedesktop/DBus"});
    bool lost = false;
    link->on_disconnect([&lost] { lost = true; });
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line == "wait-lost") {
            // What the daemon's loop would do: iterate while the connection dies. Without the
            // link's watch, sdbus-c++ throws from the loop and the process ends in terminate().
            for (int waited_ms = 0; !lost && waited_ms < 10000; waited_ms += 100)
                sd_event_run(loop.get(), 100 * 1000);
            for (int more = 0; lost && more < 5; more++) // and the loop goes on after it
                sd_event_run(loop.get(), 100 * 1000);
            std::printf(lost ? "ok lost\n" : "error the link did not report the loss\n");
            std::fflush(stdout);
            continue;
        }
        // Every owner change the bus daemon announced before this command reaches the link
        // first: the bus daemon sends in order, so a round trip to it orders them.
        std::string id;
        bus_daemon->callMethod("GetId").onInterface("org.freedesktop.DBus").storeResultsTo(id);
        run_pending(loop.get());
        std::istringstream words(line);
        std::string command;
        words >> command;
        if (command == "start") {
            scx_gamer::Game game;
            words >> game.pid >> game.name;
            link->game_started(game);
        } else if (command == "exit") {
            scx_gamer::Game game;
            words >> game.pid;
            link->game_exited(game);
        } else if (command == "sync") {
            // Nothing more: the round trip above did it.
        } else if (command == "stop") {
            link->stop();
        } else {
            std::printf("error unknown command %s\n", command.c_str());
            std::fflush(stdout);
            continue;
        }
        std::printf("ok %s\n", engagement(link->companion()).c_str());
        std::fflush(stdout);
    }
    bus_daemon.reset();
    link.reset(); // stop(): releases or restores if a game still runs (fails quietly once lost)
    return 0;
}

} // namespace

int main() {
    try {
        return run();
    } catch (const sdbus::Error& e) {
        std::fprintf(stderr, "loader_companion_driver: %s: %s\n", e.getName().c_str(),
                     e.getMessage().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "loader_companion_driver: %s\n", e.what());
    }
    return 1;
}

// SPDX-License-Identifier: GPL-2.0-only
// Staying on the system bus, one job for both users of it (the D-Bus service and companion
// mode's link to scx_loader): connect, notice the connection's loss, and connect again every
// kRetryDelay until a bus is back. Neither scheduling nor detection depends on the bus, so the
// daemon never exits for its loss. Connecting is injected: tests/unit/bus_presence_test.cpp
// drives it with fakes.
#pragma once

#include "service/timers.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace scx_gamer {

class BusPresence {
  public:
    // Connects (and starts serving); throws when it cannot. Must arrange for `lost` to be called
    // when the connection dies; `lost` may be called inside the dead connection's callback.
    using Connect = std::function<void(std::function<void()> lost)>;

    struct Messages {
        std::string prefix;        // before every line: "" or "companion mode: "
        std::string first_failure; // warning, with the error appended
        std::string lost;          // warning
        std::string back;          // notice
    };

    // `drop` releases the connection (and what serves on it); it must not throw.
    BusPresence(Timers& timers, std::string name, Connect connect, std::function<void()> drop,
                Messages messages, bool retry_after_first_failure);
    BusPresence(const BusPresence&) = delete;
    BusPresence& operator=(const BusPresence&) = delete;

    // The first attempt; never throws.
    void start();
    bool connected() const { return connected_; }

    // A restarted dbus-daemon is back within a second or two, and a connect attempt costs next
    // to nothing.
    static constexpr auto kRetryDelay = std::chrono::seconds(1);

  private:
    void on_lost();
    void retry();

    Connect connect_;
    std::function<void()> drop_;
    Messages messages_;
    bool retry_after_first_failure_;
    bool connected_ = false;
    std::unique_ptr<Timer> retry_timer_;
};

} // namespace scx_gamer

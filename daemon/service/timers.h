// SPDX-License-Identifier: GPL-2.0-only
// One-shot timers as the daemon's parts see them: named, armed with a delay, firing once. The
// event loop provides the real ones (LoopTimers); unit tests fire fakes by hand, so the parts'
// retry and defer logic is tested without a loop or a clock.
#pragma once

#include "event_loop.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace scx_gamer {

class Timer {
  public:
    virtual ~Timer() = default;
    // Fires once, `delay` from now; re-arming moves it.
    virtual void arm(std::chrono::microseconds delay) = 0;
};

class Timers {
  public:
    virtual ~Timers() = default;
    // A disarmed timer; `fire` runs in the loop (behind its guard) each time it expires.
    virtual std::unique_ptr<Timer> timer(std::string name, std::function<void()> fire) = 0;
};

// Timers of the sd-event loop (EventLoop::timer: on time to the microsecond).
class LoopTimers final : public Timers {
  public:
    explicit LoopTimers(EventLoop& loop) : loop_(loop) {}
    std::unique_ptr<Timer> timer(std::string name, std::function<void()> fire) override;

  private:
    EventLoop& loop_;
};

} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
#include "timers.h"

namespace scx_gamer {

namespace {

class LoopTimer final : public Timer {
  public:
    explicit LoopTimer(EventSource source) : source_(std::move(source)) {}
    void arm(std::chrono::microseconds delay) override { source_.arm(delay); }

  private:
    EventSource source_;
};

} // namespace

std::unique_ptr<Timer> LoopTimers::timer(std::string name, std::function<void()> fire) {
    return std::make_unique<LoopTimer>(loop_.timer(std::move(name), std::move(fire)));
}

} // namespace scx_gamer

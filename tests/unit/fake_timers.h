// SPDX-License-Identifier: GPL-2.0-only
// Timers the test fires by hand (service/timers.h): what is armed, and with which delay.
#pragma once

#include "service/timers.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace scx_gamer::testing {

class FakeTimers final : public Timers {
  public:
    struct State {
        std::function<void()> fire;
        std::optional<std::chrono::microseconds> armed;
    };

    std::unique_ptr<Timer> timer(std::string name, std::function<void()> fire) override {
        auto state = std::make_shared<State>(State{std::move(fire), std::nullopt});
        timers_[name] = state;
        return std::make_unique<FakeTimer>(state);
    }

    // The delay `name` is armed with, nullopt while disarmed.
    std::optional<std::chrono::microseconds> armed(const std::string& name) const {
        const auto it = timers_.find(name);
        return it == timers_.end() ? std::nullopt : it->second->armed;
    }
    // Fires `name` as the loop would: only when armed. Returns whether it fired.
    bool fire(const std::string& name) {
        const auto it = timers_.find(name);
        if (it == timers_.end() || !it->second->armed)
            return false;
        it->second->armed.reset();
        it->second->fire();
        return true;
    }

  private:
    class FakeTimer final : public Timer {
      public:
        explicit FakeTimer(std::shared_ptr<State> state) : state_(std::move(state)) {}
        ~FakeTimer() override { state_->armed.reset(); }
        void arm(std::chrono::microseconds delay) override { state_->armed = delay; }

      private:
        std::shared_ptr<State> state_;
    };
    std::map<std::string, std::shared_ptr<State>> timers_;
};

} // namespace scx_gamer::testing

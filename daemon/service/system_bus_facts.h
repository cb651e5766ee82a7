// SPDX-License-Identifier: GPL-2.0-only
// SchedulerServiceFacts from the real system: the own unit from /proc/self/cgroup, unit states
// from systemd and name owners from the bus driver, over one short-lived system bus connection.
// Nothing here may start anything: every call goes out with NO_AUTO_START.
#pragma once

#include "system/scheduler_owner.h"

#include <chrono>

struct sd_bus;

namespace scx_gamer {

class SystemBusFacts final : public SchedulerServiceFacts {
  public:
    // Connects lazily; `timeout` bounds each call (a wedged bus must not hold up a start).
    explicit SystemBusFacts(std::chrono::milliseconds timeout = std::chrono::seconds(3));
    ~SystemBusFacts() override;
    SystemBusFacts(const SystemBusFacts&) = delete;
    SystemBusFacts& operator=(const SystemBusFacts&) = delete;

    std::optional<std::string> own_unit() override;
    std::optional<std::string> unit_active_state(const std::string& unit) override;
    std::optional<bool> name_has_owner(const std::string& name) override;

  private:
    sd_bus* bus(); // nullptr when there is no system bus
    std::chrono::milliseconds timeout_;
    sd_bus* bus_ = nullptr;
    bool tried_ = false;
};

} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
// Whether another service is in charge of the system's sched_ext scheduler, so that scx_gamer
// must not start its own (docs/security.md, "Who may start scx_gamer"). The facts come from the
// system bus (service/system_bus_facts.h); the decision is here, unit-tested with fakes.
#pragma once

#include <optional>
#include <string>

namespace scx_gamer {

// Exit status when scx_gamer refuses to start because scx.service or scx_loader is in charge
// (EX_UNAVAILABLE: the scheduler slot belongs to someone else). Distinct from 1 so that
// scx_gamer.service can tell systemd not to retry (RestartPreventExitStatus=): nothing changes
// until an administrator stops the other service.
inline constexpr int kExitOtherSchedulerService = 69;

// What systemd and the bus driver say. Every answer is nullopt when it cannot be known (no system
// bus, no systemd, a timeout): that check is then skipped, never guessed.
class SchedulerServiceFacts {
  public:
    virtual ~SchedulerServiceFacts() = default;
    // The systemd unit this process runs in: "scx_gamer.service", "scx.service" (scx_gamer as
    // SCX_SCHEDULER), "scx_loader.service" (started by scx_loader), a session scope...
    virtual std::optional<std::string> own_unit() = 0;
    // The unit's ActiveState ("active", "activating", "inactive", "failed", ...); "inactive" for a
    // unit that systemd does not have loaded.
    virtual std::optional<std::string> unit_active_state(const std::string& unit) = 0;
    // Whether a connection owns the name now (asked without activating it).
    virtual std::optional<bool> name_has_owner(const std::string& name) = 0;
};

// Why scx_gamer must not attach its scheduler: one line for the journal, or nothing. Counted as in
// charge: scx.service active (or starting, reloading, waiting to restart), scx_loader.service
// active, or org.scx.Loader owned on the system bus. The service scx_gamer itself runs under is
// not counted: scx.service with SCX_SCHEDULER=scx_gamer, or scx_loader running scx_gamer.
std::optional<std::string> other_scheduler_service(SchedulerServiceFacts& facts);

} // namespace scx_gamer

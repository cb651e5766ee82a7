// SPDX-License-Identifier: GPL-2.0-only
#include "system/scheduler_owner.h"

#include <array>
#include <string_view>

namespace scx_gamer {

namespace {

constexpr const char* kScxUnit = "scx.service";
constexpr const char* kLoaderUnit = "scx_loader.service";
constexpr const char* kLoaderBusName = "org.scx.Loader";

// Running, or about to run again: "activating" covers a start in progress and a unit waiting to
// be restarted after a failure (SubState auto-restart).
bool in_charge(const std::optional<std::string>& active_state) {
    static constexpr std::array<std::string_view, 4> kRunning{"active", "activating", "reloading",
                                                              "refreshing"};
    if (!active_state)
        return false;
    for (std::string_view state : kRunning)
        if (*active_state == state)
            return true;
    return false;
}

} // namespace

std::optional<std::string> other_scheduler_service(SchedulerServiceFacts& facts) {
    const std::optional<std::string> own = facts.own_unit();
    const bool under_scx = own && *own == kScxUnit;
    const bool under_loader = own && *own == kLoaderUnit;

    if (!under_scx) {
        const std::optional<std::string> state = facts.unit_active_state(kScxUnit);
        if (in_charge(state))
            return "not starting: scx.service is " + *state +
                   " and runs the system's sched_ext scheduler; scx_gamer does not replace it "
                   "(stop it first with systemctl stop scx.service, or let scx.service run "
                   "scx_gamer: scx_gamer config install --activate)";
    }
    if (!under_loader) {
        const std::optional<std::string> state = facts.unit_active_state(kLoaderUnit);
        const bool loader_unit = in_charge(state);
        if (loader_unit || facts.name_has_owner(kLoaderBusName).value_or(false))
            return std::string("not starting: scx_loader manages the sched_ext scheduler (") +
                   (loader_unit ? "scx_loader.service is " + *state
                                : std::string("org.scx.Loader is on the system bus")) +
                   "); scx_gamer does not replace it (stop scx_loader first, or run "
                   "scx_gamer-companion.service beside it)";
    }
    return std::nullopt;
}

} // namespace scx_gamer

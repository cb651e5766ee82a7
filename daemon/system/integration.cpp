// SPDX-License-Identifier: GPL-2.0-only
#include "system/integration.h"

#include <array>
#include <utility>

namespace scx_gamer {
namespace {

constexpr std::array<std::pair<InstallMode, std::string_view>, 5> kModes{{
    {InstallMode::Companion, "companion"},
    {InstallMode::ReplaceLoader, "replace-loader"},
    {InstallMode::ScxService, "scx-service"},
    {InstallMode::Own, "own"},
    {InstallMode::Manual, "manual"},
}};

} // namespace

std::string_view manager_name(Manager manager) {
    switch (manager) {
    case Manager::ScxLoader:
        return "scx_loader";
    case Manager::ScxService:
        return "scx.service";
    case Manager::None:
        break;
    }
    return "none";
}

std::string_view install_mode_name(InstallMode mode) {
    for (const auto& [value, name] : kModes)
        if (value == mode)
            return name;
    return "manual";
}

std::optional<InstallMode> parse_install_mode(std::string_view name) {
    for (const auto& [value, mode_name] : kModes)
        if (mode_name == name)
            return value;
    return std::nullopt;
}

std::optional<std::string_view> mode_unit(InstallMode mode) {
    switch (mode) {
    case InstallMode::Companion:
        return "scx_gamer-companion.service";
    case InstallMode::ReplaceLoader:
    case InstallMode::Own:
        return "scx_gamer.service";
    case InstallMode::ScxService:
        return "scx.service";
    case InstallMode::Manual:
        break;
    }
    return std::nullopt;
}

bool UnitFacts::active() const {
    return active_state && (*active_state == "active" || *active_state == "activating" ||
                            *active_state == "reloading" || *active_state == "refreshing");
}

Manager detect_manager(const ManagerFacts& facts) {
    if (facts.scx_loader.active() || facts.scx_loader.enabled ||
        facts.loader_on_bus.value_or(false))
        return Manager::ScxLoader;
    if (facts.scx_service.active() || facts.scx_service.enabled)
        return Manager::ScxService;
    return Manager::None;
}

InstallMode default_mode(Manager manager) {
    switch (manager) {
    case Manager::ScxLoader:
        return InstallMode::Companion;
    case Manager::ScxService:
        return InstallMode::ScxService;
    case Manager::None:
        break;
    }
    return InstallMode::Own;
}

std::optional<std::string> mode_conflict(InstallMode mode, const ManagerFacts& facts) {
    const Manager manager = detect_manager(facts);
    switch (mode) {
    case InstallMode::Companion:
        if (!facts.scx_loader.installed && !facts.loader_on_bus.value_or(false))
            return "companion mode needs scx_loader (scx_loader.service is not installed); "
                   "install it (pacman -S scx-tools), or choose --mode own";
        if (facts.scx_service.active())
            return "companion mode steers scx_loader's scheduler, but scx.service is running "
                   "one; stop it (systemctl disable --now scx.service) or choose --mode "
                   "scx-service";
        return std::nullopt;
    case InstallMode::ScxService:
        if (!facts.default_scx)
            return "scx-service mode needs /etc/default/scx (from scx.service's package), which "
                   "this system lacks (CachyOS uses scx_loader now); choose --mode companion or "
                   "--mode own";
        if (manager == Manager::ScxLoader)
            return "scx_loader manages sched_ext here; scx.service must not run beside it "
                   "(they do not know of each other): choose --mode companion or "
                   "--mode replace-loader";
        return std::nullopt;
    case InstallMode::Own:
        if (manager == Manager::ScxLoader)
            return "scx_loader manages sched_ext here and scx_gamer.service does not replace "
                   "it: choose --mode companion, or --mode replace-loader to stop scx_loader";
        if (manager == Manager::ScxService)
            return "scx.service manages sched_ext here and scx_gamer.service does not replace "
                   "it: choose --mode scx-service, or stop scx.service first";
        return std::nullopt;
    case InstallMode::ReplaceLoader:
        if (manager != Manager::ScxLoader)
            return "replace-loader stops scx_loader, which does not manage sched_ext here; "
                   "choose --mode " +
                   std::string(install_mode_name(default_mode(manager)));
        if (facts.scx_service.active())
            return "scx.service is running a scheduler too; stop it first "
                   "(systemctl disable --now scx.service)";
        return std::nullopt;
    case InstallMode::Manual:
        break;
    }
    return std::nullopt;
}

UnitsBefore units_before(const ManagerFacts& facts) {
    UnitsBefore before;
    before.recorded = true;
    before.loader_enabled = facts.scx_loader.enabled;
    before.loader_active = facts.scx_loader.active();
    before.scx_enabled = facts.scx_service.enabled;
    before.scx_active = facts.scx_service.active();
    return before;
}

} // namespace scx_gamer

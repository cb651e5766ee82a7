// SPDX-License-Identifier: GPL-2.0-only
// Which service manages sched_ext on this system, and how scx_gamer fits beside it: the decision
// INSTALL.sh takes (through `scx_gamer config detect` and `config install --mode`) and
// `scx_gamer doctor` explains. Facts in, decision out; gathering the facts is the caller's job
// (doctor_cli.cpp reads the system, unit tests feed fakes).
//
//   manager      what is in charge        mode that fits  what INSTALL.sh does
//   scx_loader   scx_loader.service or    companion       enable --now scx_gamer-companion.service
//                org.scx.Loader           replace-loader  (asked for) disable --now scx_loader,
//                                                         enable --now scx_gamer.service
//   scx.service  scx.service              scx-service     SCX_SCHEDULER=scx_gamer, restart it
//   none         nothing                  own             enable --now scx_gamer.service
//   any                                   manual          install and register only
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace scx_gamer {

enum class Manager { ScxLoader, ScxService, None };
enum class InstallMode { Companion, ReplaceLoader, ScxService, Own, Manual };

std::string_view manager_name(Manager manager);       // "scx_loader", "scx.service", "none"
std::string_view install_mode_name(InstallMode mode); // "companion", "replace-loader", ...
std::optional<InstallMode> parse_install_mode(std::string_view name);
// The systemd unit a mode runs scx_gamer in (nullopt for manual).
std::optional<std::string_view> mode_unit(InstallMode mode);

// One systemd unit as seen from its files and from systemd.
struct UnitFacts {
    bool installed = false; // a unit file exists
    bool enabled = false;   // a *.wants/ or *.requires/ link to it exists
    // ActiveState from systemd; nullopt when systemd could not be asked (no bus, --root).
    std::optional<std::string> active_state;

    bool active() const; // active, activating, reloading (running or about to)
    bool operator==(const UnitFacts&) const = default;
};

struct ManagerFacts {
    UnitFacts scx_loader;              // scx_loader.service
    std::optional<bool> loader_on_bus; // org.scx.Loader owned on the system bus
    UnitFacts scx_service;             // scx.service
    bool default_scx = false;          // /etc/default/scx exists
};

// scx_loader when its unit is active or enabled or it owns org.scx.Loader (the CachyOS way, and
// what the Kernel Manager drives); else scx.service when it is active or enabled; else none.
// A unit that is only installed manages nothing.
Manager detect_manager(const ManagerFacts& facts);
// The mode INSTALL.sh picks by default for a manager.
InstallMode default_mode(Manager manager);
// Whether a mode can be set up beside that manager (e.g. scx-service needs /etc/default/scx).
// nullopt if it can; otherwise one line saying why not and what to do.
std::optional<std::string> mode_conflict(InstallMode mode, const ManagerFacts& facts);

// What the units were before INSTALL.sh changed them, recorded in the install state so that
// UNINSTALL.sh restores them: scx_loader (replace-loader stops and disables it) and scx.service
// (scx-service restarts it with scx_gamer).
struct UnitsBefore {
    bool recorded = false;
    bool loader_enabled = false;
    bool loader_active = false;
    bool scx_enabled = false;
    bool scx_active = false;
    bool operator==(const UnitsBefore&) const = default;
};
UnitsBefore units_before(const ManagerFacts& facts);

} // namespace scx_gamer

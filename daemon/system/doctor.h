// SPDX-License-Identifier: GPL-2.0-only
// `scx_gamer doctor`: what runs, what is missing, and the next step for each. The checks are a
// pure function of DoctorFacts, so they are unit-tested with made-up systems; doctor_cli.cpp
// gathers the facts from the real one (sysfs, unit files, systemd and the buses, read-only).
#pragma once

#include "system/integration.h"

#include <optional>
#include <string>
#include <vector>

namespace scx_gamer {

struct DoctorFacts {
    bool sched_ext = false;                   // /sys/kernel/sched_ext exists
    std::string sched_ext_state;              // "enabled", "disabled", ... ("" unreadable)
    std::optional<std::string> attached;      // root/ops of the attached scheduler
    std::optional<bool> bpf_lsm;              // "bpf" in the LSM list; nullopt: unreadable
    std::optional<std::string> lsm_list;      // /sys/kernel/security/lsm as read
    ManagerFacts manager;                     // scx_loader, scx.service
    UnitFacts gamer_unit;                     // scx_gamer.service
    UnitFacts companion_unit;                 // scx_gamer-companion.service
    bool installed_binary = false;            // /usr/bin/scx_gamer
    bool install_state = false;               // INSTALL.sh's record exists
    std::string install_mode;                 // recorded mode ("" none or unreadable)
    std::optional<std::string> scx_scheduler; // SCX_SCHEDULER in /etc/default/scx
    std::optional<bool> daemon_on_bus;        // org.cachyos.ScxGamer owned on the system bus
    bool agent_unit_installed = false;        // scxgamerctl-agent.service (user unit)
    std::optional<bool> agent_running;        // its name on the session bus; nullopt: no bus
};

enum class CheckStatus { Ok, Info, Warn, Fail };
std::string_view check_status_name(CheckStatus status); // "ok", "info", "warn", "fail"

struct DoctorCheck {
    std::string id; // stable, e.g. "kernel.sched_ext"
    CheckStatus status = CheckStatus::Info;
    std::string summary;   // one line: what is
    std::string next_step; // one line: what to do ("" when nothing)
};

// Exit status of `scx_gamer doctor`: 0 nothing to fix, 1 something keeps scx_gamer from working
// as set up (a "fail" check), 3 it works but something is missing (only "warn" checks). 2 stays
// the usage error of every scx_gamer command.
inline constexpr int kDoctorOk = 0;
inline constexpr int kDoctorFail = 1;
inline constexpr int kDoctorWarn = 3;

struct DoctorReport {
    Manager manager = Manager::None;
    InstallMode recommended = InstallMode::Own;
    std::string installed_mode; // "" when not installed by INSTALL.sh with a mode
    std::vector<DoctorCheck> checks;

    int exit_status() const;
};

DoctorReport diagnose(const DoctorFacts& facts);
std::string format_doctor_text(const DoctorReport& report);
// One JSON object: manager, recommended_mode, installed_mode, status, exit_status, checks[].
std::string format_doctor_json(const DoctorReport& report);

} // namespace scx_gamer

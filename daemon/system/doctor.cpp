// SPDX-License-Identifier: GPL-2.0-only
#include "system/doctor.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace scx_gamer {
namespace {

constexpr const char* kGamerOps = "gamer";

void add(DoctorReport& report, std::string id, CheckStatus status, std::string summary,
         std::string next_step = {}) {
    report.checks.push_back({std::move(id), status, std::move(summary), std::move(next_step)});
}

std::string install_command(InstallMode mode) {
    return "./INSTALL.sh --yes --mode " + std::string(install_mode_name(mode));
}

void check_kernel(const DoctorFacts& facts, DoctorReport& report) {
    if (!facts.sched_ext)
        add(report, "kernel.sched_ext", CheckStatus::Fail,
            "this kernel has no sched_ext (/sys/kernel/sched_ext is missing)",
            "boot a kernel with CONFIG_SCHED_CLASS_EXT=y: linux-cachyos, or Linux 6.12 or newer "
            "built with it");
    else
        add(report, "kernel.sched_ext", CheckStatus::Ok,
            "sched_ext is in the kernel (state: " +
                (facts.sched_ext_state.empty() ? std::string("unreadable")
                                               : facts.sched_ext_state) +
                ")");

    if (!facts.bpf_lsm)
        add(report, "kernel.bpf_lsm", CheckStatus::Info,
            "cannot read /sys/kernel/security/lsm (securityfs not mounted?)");
    else if (*facts.bpf_lsm)
        add(report, "kernel.bpf_lsm", CheckStatus::Ok,
            "BPF-LSM is active: games are detected as they exec");
    else
        add(report, "kernel.bpf_lsm", CheckStatus::Warn,
            "BPF-LSM is not active (lsm=" + facts.lsm_list.value_or("") +
                "): game detection falls back to tracepoints",
            "add bpf to lsm= on the kernel command line, after the ones listed now (lsm=" +
                facts.lsm_list.value_or("...") + ",bpf), and reboot");
}

std::string manager_detail(const ManagerFacts& facts) {
    std::vector<std::string> parts;
    if (facts.scx_loader.active_state && facts.scx_loader.installed)
        parts.push_back("scx_loader.service " + *facts.scx_loader.active_state +
                        (facts.scx_loader.enabled ? ", enabled" : ", not enabled"));
    if (facts.loader_on_bus.value_or(false))
        parts.push_back("org.scx.Loader on the system bus");
    if (facts.scx_service.installed)
        parts.push_back("scx.service " + facts.scx_service.active_state.value_or("state unknown") +
                        (facts.scx_service.enabled ? ", enabled" : ", not enabled"));
    std::string out;
    for (const auto& part : parts)
        out += (out.empty() ? "" : "; ") + part;
    return out.empty() ? "neither scx_loader nor scx.service is installed" : out;
}

void check_manager(const DoctorFacts& facts, DoctorReport& report) {
    const ManagerFacts& m = facts.manager;
    const std::string detail = " (" + manager_detail(m) + ")";
    switch (report.manager) {
    case Manager::ScxLoader:
        add(report, "manager", CheckStatus::Info, "scx_loader manages sched_ext" + detail);
        break;
    case Manager::ScxService:
        add(report, "manager", CheckStatus::Info, "scx.service manages sched_ext" + detail);
        break;
    case Manager::None:
        add(report, "manager", CheckStatus::Info, "nothing manages sched_ext" + detail);
        break;
    }
    const bool loader = m.scx_loader.active() || m.scx_loader.enabled;
    const bool scx = m.scx_service.active() || m.scx_service.enabled;
    if (loader && scx)
        add(report, "manager.both", CheckStatus::Warn,
            "scx_loader and scx.service are both enabled or running; they do not know of each "
            "other and fight over the one sched_ext slot",
            "keep one: systemctl disable --now scx.service (CachyOS and its Kernel Manager use "
            "scx_loader)");
}

void check_attached(const DoctorFacts& facts, InstallMode mode, bool have_mode,
                    DoctorReport& report) {
    if (!facts.sched_ext)
        return;
    if (facts.sched_ext_state != "enabled" || !facts.attached) {
        add(report, "scheduler", CheckStatus::Info,
            "no sched_ext scheduler is attached (the kernel's own scheduler runs)");
        return;
    }
    if (*facts.attached == kGamerOps) {
        add(report, "scheduler", CheckStatus::Ok, "scx_gamer's scheduler (gamer) is attached");
        return;
    }
    const bool gamer_expected =
        have_mode && (mode == InstallMode::Own || mode == InstallMode::ReplaceLoader ||
                      mode == InstallMode::ScxService);
    if (gamer_expected)
        add(report, "scheduler", CheckStatus::Fail,
            "another sched_ext scheduler (" + *facts.attached +
                ") is attached, so scx_gamer's cannot be",
            "stop what runs it (see the manager line), then systemctl restart " +
                std::string(*mode_unit(mode)));
    else
        add(report, "scheduler", CheckStatus::Info,
            "sched_ext scheduler " + *facts.attached + " is attached" +
                (have_mode && mode == InstallMode::Companion
                     ? " (scx_loader's; the companion switches its mode for games)"
                     : ""));
}

// Whether the unit that runs scx_gamer in this mode is set up and running.
void check_unit(const UnitFacts& unit, std::string_view name, DoctorReport& report) {
    const std::string unit_name(name);
    if (!unit.installed) {
        add(report, "mode.unit", CheckStatus::Fail, unit_name + " is not installed",
            "install scx_gamer again: ./INSTALL.sh --yes");
        return;
    }
    if (!unit.enabled)
        add(report, "mode.enabled", CheckStatus::Warn,
            unit_name + " is not enabled: it will not start at boot",
            "systemctl enable " + unit_name);
    if (!unit.active_state)
        add(report, "mode.active", CheckStatus::Info,
            "cannot ask systemd whether " + unit_name + " runs");
    else if (unit.active())
        add(report, "mode.active", CheckStatus::Ok, unit_name + " is " + *unit.active_state);
    else
        add(report, "mode.active", CheckStatus::Fail, unit_name + " is " + *unit.active_state,
            "systemctl start " + unit_name + " (journalctl -u " + unit_name +
                " says why it "
                "stopped)");
}

void check_mode(const DoctorFacts& facts, DoctorReport& report) {
    const auto mode = parse_install_mode(report.installed_mode);
    const ManagerFacts& m = facts.manager;
    const bool loader_running = m.scx_loader.active() || m.loader_on_bus.value_or(false);
    if (!facts.install_state) {
        const bool units = facts.gamer_unit.installed || facts.companion_unit.installed;
        if (units || facts.installed_binary)
            add(report, "install", CheckStatus::Warn,
                "scx_gamer is installed but not by INSTALL.sh (no install record): nothing says "
                "how it should run",
                install_command(report.recommended) + " (it fits " +
                    std::string(manager_name(report.manager)) + ")");
        else
            add(report, "install", CheckStatus::Warn, "scx_gamer is not installed",
                install_command(report.recommended) + " (it fits " +
                    std::string(manager_name(report.manager)) + ")");
        return;
    }
    if (!mode || *mode == InstallMode::Manual) {
        add(report, "install", CheckStatus::Info,
            "scx_gamer is installed without a mode: nothing starts it",
            install_command(report.recommended) + " sets up the mode that fits " +
                std::string(manager_name(report.manager)));
        return;
    }
    add(report, "install", CheckStatus::Ok,
        "scx_gamer is installed in " + report.installed_mode + " mode");

    switch (*mode) {
    case InstallMode::Companion:
        check_unit(facts.companion_unit, *mode_unit(*mode), report);
        if (!loader_running)
            add(report, "mode.loader", CheckStatus::Fail,
                "scx_loader is not running: the companion has nobody to switch to Gaming mode",
                "systemctl enable --now scx_loader.service");
        if (m.scx_service.active())
            add(report, "mode.scx_service", CheckStatus::Fail,
                "scx.service runs a scheduler, so scx_loader's cannot attach",
                "systemctl disable --now scx.service");
        break;
    case InstallMode::ReplaceLoader:
    case InstallMode::Own:
        check_unit(facts.gamer_unit, *mode_unit(*mode), report);
        if (loader_running)
            add(report, "mode.loader", CheckStatus::Fail,
                "scx_loader is running: scx_gamer.service refuses to start beside it (exit 69)",
                *mode == InstallMode::ReplaceLoader
                    ? "systemctl disable --now scx_loader.service (something started it again)"
                    : install_command(InstallMode::Companion) + ", or " +
                          install_command(InstallMode::ReplaceLoader));
        if (m.scx_service.active())
            add(report, "mode.scx_service", CheckStatus::Fail,
                "scx.service is running: scx_gamer.service refuses to start beside it (exit 69)",
                "systemctl disable --now scx.service, or " +
                    install_command(InstallMode::ScxService));
        break;
    case InstallMode::ScxService:
        if (facts.scx_scheduler.value_or("") != "scx_gamer")
            add(report, "mode.scx_scheduler", CheckStatus::Fail,
                "SCX_SCHEDULER in /etc/default/scx is " + facts.scx_scheduler.value_or("not set") +
                    ", not scx_gamer",
                install_command(InstallMode::ScxService) +
                    " (or choose scx_gamer in the GUI that edits /etc/default/scx)");
        check_unit(m.scx_service, "scx.service", report);
        if (loader_running)
            add(report, "mode.loader", CheckStatus::Fail,
                "scx_loader is running beside scx.service; they fight over sched_ext",
                "systemctl disable --now scx_loader.service, or " +
                    install_command(InstallMode::Companion));
        break;
    case InstallMode::Manual:
        break;
    }
    if (*mode != InstallMode::ReplaceLoader && *mode != report.recommended &&
        report.manager != Manager::None)
        add(report, "mode.fit", CheckStatus::Info,
            std::string(manager_name(report.manager)) + " manages sched_ext here; " +
                std::string(install_mode_name(report.recommended)) + " mode fits it",
            install_command(report.recommended));
}

void check_daemon(const DoctorFacts& facts, DoctorReport& report) {
    if (!facts.daemon_on_bus)
        add(report, "daemon", CheckStatus::Info,
            "cannot ask the system bus whether scx_gamer runs");
    else if (*facts.daemon_on_bus)
        add(report, "daemon", CheckStatus::Ok,
            "scx_gamer is running (org.cachyos.ScxGamer is on the system bus)");
    else
        add(report, "daemon", CheckStatus::Warn,
            "scx_gamer is not running (org.cachyos.ScxGamer is not on the system bus)",
            "see the mode lines above for the unit to start");
}

void check_agent(const DoctorFacts& facts, DoctorReport& report) {
    if (!facts.agent_unit_installed) {
        add(report, "agent", CheckStatus::Info,
            "the notification agent is not installed (optional: desktop notices of detected "
            "games)");
        return;
    }
    if (!facts.agent_running)
        add(report, "agent", CheckStatus::Info,
            "no session bus here: run scx_gamer doctor as your desktop user to check the "
            "notification agent");
    else if (*facts.agent_running)
        add(report, "agent", CheckStatus::Ok, "the notification agent runs in this session");
    else
        add(report, "agent", CheckStatus::Warn,
            "the notification agent does not run in this session: games are scheduled, but no "
            "desktop notice says so",
            "systemctl --user enable --now scxgamerctl-agent.service");
}

} // namespace

std::string_view check_status_name(CheckStatus status) {
    switch (status) {
    case CheckStatus::Ok:
        return "ok";
    case CheckStatus::Info:
        return "info";
    case CheckStatus::Warn:
        return "warn";
    case CheckStatus::Fail:
        break;
    }
    return "fail";
}

int DoctorReport::exit_status() const {
    auto has = [&](CheckStatus status) {
        return std::any_of(checks.begin(), checks.end(),
                           [&](const DoctorCheck& check) { return check.status == status; });
    };
    if (has(CheckStatus::Fail))
        return kDoctorFail;
    if (has(CheckStatus::Warn))
        return kDoctorWarn;
    return kDoctorOk;
}

DoctorReport diagnose(const DoctorFacts& facts) {
    DoctorReport report;
    report.manager = detect_manager(facts.manager);
    report.recommended = default_mode(report.manager);
    report.installed_mode = facts.install_state ? facts.install_mode : "";
    const auto mode = parse_install_mode(report.installed_mode);
    check_kernel(facts, report);
    check_manager(facts, report);
    check_attached(facts, mode.value_or(InstallMode::Manual), mode.has_value(), report);
    check_mode(facts, report);
    check_daemon(facts, report);
    check_agent(facts, report);
    return report;
}

std::string format_doctor_text(const DoctorReport& report) {
    std::string out =
        "manager: " + std::string(manager_name(report.manager)) +
        ", mode that fits: " + std::string(install_mode_name(report.recommended)) +
        ", installed mode: " + (report.installed_mode.empty() ? "none" : report.installed_mode) +
        "\n";
    for (const auto& check : report.checks) {
        std::string tag(check_status_name(check.status));
        tag.resize(4, ' ');
        out += "[" + tag + "] " + check.summary + "\n";
        if (!check.next_step.empty())
            out += "       next: " + check.next_step + "\n";
    }
    return out;
}

std::string format_doctor_json(const DoctorReport& report) {
    nlohmann::json checks = nlohmann::json::array();
    for (const auto& check : report.checks)
        checks.push_back({{"id", check.id},
                          {"status", check_status_name(check.status)},
                          {"summary", check.summary},
                          {"next_step", check.next_step}});
    const int status = report.exit_status();
    const nlohmann::json out = {
        {"manager", manager_name(report.manager)},
        {"recommended_mode", install_mode_name(report.recommended)},
        {"installed_mode", report.installed_mode},
        {"status", status == kDoctorOk     ? "ok"
                   : status == kDoctorWarn ? "warn"
                                           : "fail"},
        {"exit_status", status},
        {"checks", checks},
    };
    // Text from files (an LSM list, a unit state) may hold any bytes: never throw on them.
    return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

} // namespace scx_gamer

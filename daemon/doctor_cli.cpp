// SPDX-License-Identifier: GPL-2.0-only
#include "doctor_cli.h"

#include "config/config_install.h"
#include "config/default_scx.h"
#include "dbus/names.h"
#include "service/system_bus_facts.h"
#include "system/system_state.h"
#include "util/file_read.h"

#include <CLI/CLI.hpp>
#include <systemd/sd-bus.h>

#include <array>
#include <iostream>
#include <memory>

namespace scx_gamer {
namespace {

namespace fs = std::filesystem;

constexpr int kExitFailure = 1;

// Where systemd looks for system units, as seen under root (the first ones win).
constexpr std::array<const char*, 5> kSystemUnitDirs{
    "etc/systemd/system", "run/systemd/system", "usr/local/lib/systemd/system",
    "usr/lib/systemd/system", "lib/systemd/system"};
// Where `systemctl enable` (and presets) put the links that make a unit start with a target.
constexpr std::array<const char*, 3> kEnableDirs{"etc/systemd/system", "usr/lib/systemd/system",
                                                 "lib/systemd/system"};

bool entry_exists(const fs::path& path) {
    std::error_code ec;
    return fs::exists(fs::symlink_status(path, ec)) && !ec;
}

bool masked(const fs::path& path) {
    std::error_code ec;
    return fs::is_symlink(path, ec) && fs::read_symlink(path, ec) == "/dev/null";
}

// Installed: a unit file in one of systemd's directories (a mask is not one). Enabled: a link to
// it in some target's .wants/ or .requires/ directory.
UnitFacts unit_files(const fs::path& root, const std::string& unit) {
    UnitFacts facts;
    for (const char* dir : kSystemUnitDirs) {
        const fs::path path = root / dir / unit;
        if (entry_exists(path)) {
            facts.installed = !masked(path);
            break;
        }
    }
    for (const char* dir : kEnableDirs) {
        std::error_code ec;
        for (fs::directory_iterator it(root / dir, ec), end; !ec && it != end; it.increment(ec)) {
            const std::string name = it->path().filename().string();
            if ((name.ends_with(".wants") || name.ends_with(".requires")) &&
                entry_exists(it->path() / unit))
                facts.enabled = true;
        }
    }
    return facts;
}

bool live(const fs::path& root) {
    std::error_code ec;
    return fs::equivalent(root, "/", ec);
}

UnitFacts unit_facts(const fs::path& root, const std::string& unit, SystemBusFacts* bus) {
    UnitFacts facts = unit_files(root, unit);
    if (bus)
        facts.active_state = bus->unit_active_state(unit);
    return facts;
}

ManagerFacts manager_facts(const fs::path& root, SystemBusFacts* bus) {
    ManagerFacts facts;
    facts.scx_loader = unit_facts(root, "scx_loader.service", bus);
    facts.scx_service = unit_facts(root, "scx.service", bus);
    if (bus)
        facts.loader_on_bus = bus->name_has_owner("org.scx.Loader");
    facts.default_scx = entry_exists(default_scx_path(root));
    return facts;
}

struct BusUnref {
    void operator()(sd_bus* bus) const { sd_bus_flush_close_unref(bus); }
};

// Whether the notification agent owns its name on this user's session bus; nullopt without one.
std::optional<bool> agent_on_session_bus() {
    sd_bus* raw = nullptr;
    if (sd_bus_open_user(&raw) < 0)
        return std::nullopt;
    std::unique_ptr<sd_bus, BusUnref> bus(raw);
    sd_bus_set_method_call_timeout(bus.get(), 2'000'000);
    sd_bus_error error = SD_BUS_ERROR_NULL;
    sd_bus_message* reply = nullptr;
    const int r = sd_bus_call_method(bus.get(), "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "NameHasOwner", &error, &reply, "s",
                                     dbus_names::kAgentBusName);
    sd_bus_error_free(&error);
    if (r < 0)
        return std::nullopt;
    int owned = 0;
    const int read = sd_bus_message_read(reply, "b", &owned);
    sd_bus_message_unref(reply);
    if (read < 0)
        return std::nullopt;
    return owned != 0;
}

} // namespace

ManagerFacts gather_manager_facts(const fs::path& root) {
    if (!live(root))
        return manager_facts(root, nullptr);
    SystemBusFacts bus;
    return manager_facts(root, &bus);
}

DoctorFacts gather_doctor_facts(const fs::path& root) {
    DoctorFacts facts;
    const SystemState system(root);
    facts.sched_ext = system.has_sched_ext();
    facts.sched_ext_state = system.sched_ext_state();
    facts.attached = system.active_scheduler();
    facts.lsm_list = read_sysfs_line(root / "sys/kernel/security/lsm");
    if (facts.lsm_list)
        facts.bpf_lsm = system.bpf_lsm_active();

    std::optional<SystemBusFacts> bus;
    if (live(root))
        bus.emplace();
    SystemBusFacts* bus_facts = bus ? &*bus : nullptr;
    facts.manager = manager_facts(root, bus_facts);
    facts.gamer_unit = unit_facts(root, "scx_gamer.service", bus_facts);
    facts.companion_unit = unit_facts(root, "scx_gamer-companion.service", bus_facts);
    if (bus_facts)
        facts.daemon_on_bus = bus_facts->name_has_owner(dbus_names::kBusName);

    facts.installed_binary = entry_exists(root / "usr/bin/scx_gamer");
    facts.install_state = entry_exists(install_state_path(root));
    try {
        const ConfigStatus status = read_config_status(root);
        facts.install_mode = status.mode;
        facts.scx_scheduler = status.scx_scheduler;
    } catch (const std::exception&) {
        // An unreadable record or /etc/default/scx: the checks say "not set"/"no mode".
    }
    for (const char* dir : {"usr/lib/systemd/user", "etc/systemd/user", "etc/xdg/autostart"}) {
        if (entry_exists(root / dir / "scxgamerctl-agent.service") ||
            entry_exists(root / dir / "scxgamerctl-agent.desktop"))
            facts.agent_unit_installed = true;
    }
    if (live(root))
        facts.agent_running = agent_on_session_bus();
    return facts;
}

DoctorCommand::DoctorCommand(CLI::App& app) {
    doctor_ = app.add_subcommand(
        "doctor", "Say what runs, what is missing and the next step for each: sched_ext, "
                  "BPF-LSM, who manages sched_ext, scx_gamer's mode and units, the notification "
                  "agent. Needs no root and no running daemon. Exit 0 all well, 1 something "
                  "keeps scx_gamer from working, 3 only warnings");
    doctor_->add_flag("--json", json_, "Print one JSON object instead of text");
    doctor_->add_option("--root", root_, "Look at the system installed under DIR (files only)")
        ->type_name("DIR")
        ->capture_default_str();
}

bool DoctorCommand::selected() const {
    return doctor_->parsed();
}

int DoctorCommand::run() const {
    try {
        const DoctorReport report = diagnose(gather_doctor_facts(root_));
        std::cout << (json_ ? format_doctor_json(report) : format_doctor_text(report));
        return report.exit_status();
    } catch (const std::exception& e) {
        std::cerr << "scx_gamer: doctor: " << e.what() << "\n";
        return kExitFailure;
    }
}

} // namespace scx_gamer

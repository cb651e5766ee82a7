// SPDX-License-Identifier: GPL-2.0-only
// `scx_gamer doctor [--json] [--root DIR]`, and the fact gathering it shares with
// `scx_gamer config detect` and `config install --mode`.
//
// Why a subcommand of scx_gamer and not of scxgamerctl: it must work while the daemon is not
// running (scxgamerctl is a client of the daemon's bus name), and the facts it reads — the install
// record, /etc/default/scx, which service is in charge of sched_ext — are read by the daemon's own
// code (config/config_install, system/scheduler_owner, system/system_state); one binary, one source
// of truth. It needs no root: sysfs, unit files and the buses' name lists are readable by anyone,
// and nothing here writes or starts anything (every bus call is NO_AUTO_START).
#pragma once

#include "system/doctor.h"
#include "system/integration.h"

#include <filesystem>

namespace CLI {
class App;
}

namespace scx_gamer {

// The units and name owners that tell who manages sched_ext. Under a --root other than "/" only
// files are read (no systemd, no bus: those answers stay nullopt).
ManagerFacts gather_manager_facts(const std::filesystem::path& root);
DoctorFacts gather_doctor_facts(const std::filesystem::path& root);

class DoctorCommand {
  public:
    explicit DoctorCommand(CLI::App& app);
    DoctorCommand(const DoctorCommand&) = delete;
    DoctorCommand& operator=(const DoctorCommand&) = delete;

    bool selected() const;
    int run() const;

  private:
    CLI::App* doctor_ = nullptr;
    std::string root_ = "/";
    bool json_ = false;
};

} // namespace scx_gamer

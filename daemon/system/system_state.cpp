// SPDX-License-Identifier: GPL-2.0-only
#include "system/system_state.h"

#include "util/file_read.h"

#include <sstream>

namespace scx_gamer {

std::optional<std::string> SystemState::read_line(const std::filesystem::path& relative) const {
    return read_sysfs_line(root_ / relative);
}

bool SystemState::has_sched_ext() const {
    std::error_code ec;
    return std::filesystem::is_directory(root_ / "sys/kernel/sched_ext", ec);
}

std::string SystemState::sched_ext_state() const {
    return read_line("sys/kernel/sched_ext/state").value_or("");
}

std::optional<std::string> SystemState::active_scheduler() const {
    if (sched_ext_state() == "disabled")
        return std::nullopt;
    auto ops = read_line("sys/kernel/sched_ext/root/ops");
    if (!ops || ops->empty())
        return std::nullopt;
    return ops;
}

std::optional<uint64_t> SystemState::enable_seq() const {
    auto line = read_line("sys/kernel/sched_ext/enable_seq");
    if (!line)
        return std::nullopt;
    try {
        return std::stoull(*line);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

bool SystemState::bpf_lsm_active() const {
    auto lsms = read_line("sys/kernel/security/lsm");
    if (!lsms)
        return false;
    std::istringstream list(*lsms);
    for (std::string name; std::getline(list, name, ',');)
        if (name == "bpf")
            return true;
    return false;
}

std::optional<std::string> attach_blocker(const SystemState& system) {
    if (!system.has_sched_ext())
        return "kernel lacks CONFIG_SCHED_CLASS_EXT (/sys/kernel/sched_ext is missing)";
    if (auto active = system.active_scheduler())
        return "another sched_ext scheduler is already active: " + *active;
    return std::nullopt;
}

} // namespace scx_gamer

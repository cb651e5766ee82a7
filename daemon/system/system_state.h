// SPDX-License-Identifier: GPL-2.0-only
// What the running kernel offers scx_gamer, read from sysfs/securityfs. The root directory is
// injectable so the checks are unit-tested against a fake tree.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace scx_gamer {

class SystemState {
  public:
    explicit SystemState(std::filesystem::path root = "/") : root_(std::move(root)) {}

    // CONFIG_SCHED_CLASS_EXT: /sys/kernel/sched_ext exists.
    bool has_sched_ext() const;
    // "enabled", "disabled", "enabling", ... or empty when unreadable.
    std::string sched_ext_state() const;
    // Name of the sched_ext scheduler attached right now (root/ops), if any.
    std::optional<std::string> active_scheduler() const;
    // Bumped by the kernel on every scheduler enable; tells a live change from a re-attach.
    std::optional<uint64_t> enable_seq() const;
    // "bpf" is in the active LSM list, so BPF-LSM programs take effect.
    bool bpf_lsm_active() const;

  private:
    std::optional<std::string> read_line(const std::filesystem::path& relative) const;
    std::filesystem::path root_;
};

// Why scx_gamer's scheduler cannot attach here, as one line for the user; nothing when it can.
// An earlier instance of scx_gamer still attached counts as a conflict too.
std::optional<std::string> attach_blocker(const SystemState& system);

} // namespace scx_gamer

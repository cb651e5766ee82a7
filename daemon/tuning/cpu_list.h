// SPDX-License-Identifier: GPL-2.0-only
// CPU lists in the kernel's "cpulist" syntax ("0-3,6"), and the --primary-domain resolution.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace scx_gamer {

// CONFIG_NR_CPUS is at most 8192, so a larger id is a typo, not a CPU.
inline constexpr int kMaxCpuId = 8191;

// Parses "0-3,6" into sorted CPU ids. Strict: decimal ids without leading zeros or spaces,
// ranges low-high with low <= high, no empty items, no CPU named twice, ids <= kMaxCpuId.
// Throws FlagError ("invalid CPU list \"0-\": range 0- has no end").
std::vector<int> parse_cpu_list(std::string_view text);

// The shortest cpulist for sorted, unique ids: {0,1,2,3,6} -> "0-3,6".
std::string format_cpu_list(std::span<const int> cpus);

struct CpuCapacity {
    int cpu;
    // cpu_capacity (1024 = the biggest core) if the kernel exports it, else cpuinfo_max_freq in
    // kHz, else 0 when neither is readable.
    std::uint64_t capacity;
};

// Online CPUs and their capacities from <sysfs_root>/devices/system/cpu. Throws Error if no CPU
// can be found at all.
std::vector<CpuCapacity> read_cpu_capacities(const std::filesystem::path& sysfs_root = "/sys");

// Capacities within this fraction of the fastest (or slowest) CPU count as equal: amd-pstate
// reports slightly different maximum frequencies for "preferred" cores of one CCD.
inline constexpr double kCapacityTolerance = 0.05;

// The CPUs of a canonical --primary-domain value: "all", "performance" (the fastest CPUs),
// "powersave" (the slowest CPUs) or a CPU list whose CPUs must all be online. On a machine whose
// CPUs are all alike, "performance" and "powersave" are all CPUs. Throws FlagError for an
// offline CPU, Error if sysfs has no CPUs.
std::vector<int> resolve_primary_domain(std::string_view spec,
                                        const std::filesystem::path& sysfs_root = "/sys");

} // namespace scx_gamer

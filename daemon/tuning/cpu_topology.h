// SPDX-License-Identifier: GPL-2.0-only
// The machine's cache domains (CPUs that share a last-level cache), as the scheduler takes them:
// one domain index per possible CPU (bpf/intf.h, "CPU topology").
//
//   CacheDomains d = read_cache_domains(16);     // from /sys/devices/system/cpu
//   d.cpu_llc[5]                                 // CPU 5's domain, below d.count
//   describe(d)                                  // "2 (0-7 | 8-15)"
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace scx_gamer {

struct CacheDomains {
    std::vector<uint32_t> cpu_llc; // one per possible CPU: its domain, below count
    uint32_t count = 1;            // at least 1
    bool from_l3 = false;          // false: no CPU had L3 information, all CPUs are one domain
};

// Reads cpuN/cache/index*/{level,shared_cpu_list} under <sysfs_root>/devices/system/cpu for
// N below nr_cpus. Two CPUs are in one domain when their L3's shared_cpu_list starts with the
// same CPU; domains are numbered in the order of that CPU. A CPU whose L3 cannot be read (no
// cache directory: offline, or a machine without the information; an unreadable or malformed
// list, or one that does not contain the CPU itself) joins the domain of a list that names it,
// else domain 0. Domains beyond max_domains share indices (i % max_domains). Never throws for
// what sysfs holds; a missing sysfs is one domain.
CacheDomains read_cache_domains(int nr_cpus, const std::filesystem::path& sysfs_root = "/sys",
                                uint32_t max_domains = 64);

// "N (cpus | cpus | ...)": the count, then each domain's CPUs as a cpulist.
std::string describe(const CacheDomains& domains);

} // namespace scx_gamer

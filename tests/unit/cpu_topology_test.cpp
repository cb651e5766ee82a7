// SPDX-License-Identifier: GPL-2.0-only
// The cache domains read from fake sysfs trees, the odd and hostile ones included.
#include "temp_dir.h"
#include "tuning/cpu_topology.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace scx_gamer {
namespace {

using testing::TempDir;

// Writes cpuN/cache/indexI/{level,shared_cpu_list}.
void cache(const TempDir& dir, int cpu, int index, std::string_view level, std::string_view list) {
    const std::string base = "devices/system/cpu/cpu" + std::to_string(cpu) + "/cache/index" +
                             std::to_string(index) + "/";
    dir.write(base + "level", level);
    dir.write(base + "shared_cpu_list", list);
}

// cpus CPUs with an L1 of their own, an L2 per pair and an L3 per `per_l3` CPUs.
void machine(const TempDir& dir, int cpus, int per_l3) {
    for (int cpu = 0; cpu < cpus; cpu++) {
        cache(dir, cpu, 0, "1\n", std::to_string(cpu) + "\n");
        const int pair = cpu / 2 * 2;
        cache(dir, cpu, 2, "2\n", std::to_string(pair) + "-" + std::to_string(pair + 1) + "\n");
        const int first = cpu / per_l3 * per_l3;
        cache(dir, cpu, 3, "3\n",
              std::to_string(first) + "-" + std::to_string(first + per_l3 - 1) + "\n");
    }
}

std::vector<uint32_t> llcs(std::initializer_list<uint32_t> v) {
    return v;
}

TEST(CpuTopology, TwoL3sAreTwoDomains) {
    TempDir dir;
    machine(dir, 8, 4);
    const CacheDomains d = read_cache_domains(8, dir.path());
    EXPECT_TRUE(d.from_l3);
    EXPECT_EQ(d.count, 2u);
    EXPECT_EQ(d.cpu_llc, llcs({0, 0, 0, 0, 1, 1, 1, 1}));
    EXPECT_EQ(describe(d), "2 (0-3 | 4-7)");
}

TEST(CpuTopology, NoSysfsIsOneDomain) {
    TempDir dir;
    const CacheDomains d = read_cache_domains(4, dir.path() / "absent");
    EXPECT_FALSE(d.from_l3);
    EXPECT_EQ(d.count, 1u);
    EXPECT_EQ(d.cpu_llc, llcs({0, 0, 0, 0}));
}

TEST(CpuTopology, NoL3IsOneDomain) {
    TempDir dir;
    for (int cpu = 0; cpu < 4; cpu++)
        cache(dir, cpu, 0, "1\n", std::to_string(cpu) + "\n");
    const CacheDomains d = read_cache_domains(4, dir.path());
    EXPECT_FALSE(d.from_l3);
    EXPECT_EQ(d.count, 1u);
}

TEST(CpuTopology, OfflineCpuJoinsTheListThatNamesIt) {
    TempDir dir;
    machine(dir, 8, 4);
    // CPU 5 offline: no cache directory; its siblings' lists still name it.
    std::filesystem::remove_all(dir.path() / "devices/system/cpu/cpu5/cache");
    const CacheDomains d = read_cache_domains(8, dir.path());
    EXPECT_EQ(d.cpu_llc, llcs({0, 0, 0, 0, 1, 1, 1, 1}));
}

TEST(CpuTopology, CpuNobodyNamesIsInDomainZero) {
    TempDir dir;
    machine(dir, 4, 2);
    // CPUs 4 and 5 possible but never seen (offline at boot): no directory at all.
    const CacheDomains d = read_cache_domains(6, dir.path());
    EXPECT_EQ(d.count, 2u);
    EXPECT_EQ(d.cpu_llc, llcs({0, 0, 1, 1, 0, 0}));
}

TEST(CpuTopology, GarbageListsAreIgnored) {
    TempDir dir;
    machine(dir, 4, 2);
    cache(dir, 2, 3, "3\n", "2-\n");       // malformed
    cache(dir, 3, 3, "3\n", "\xff\xfe\n"); // not a list at all
    const CacheDomains d = read_cache_domains(4, dir.path());
    EXPECT_EQ(d.count, 1u);
    EXPECT_EQ(d.cpu_llc, llcs({0, 0, 0, 0}));
}

TEST(CpuTopology, ListWithoutTheCpuOrBeyondTheCpusIsIgnored) {
    TempDir dir;
    machine(dir, 4, 2);
    cache(dir, 2, 3, "3\n", "0-1\n");    // does not contain CPU 2
    cache(dir, 3, 3, "3\n", "3-9000\n"); // names CPUs that are not possible
    const CacheDomains d = read_cache_domains(4, dir.path());
    EXPECT_EQ(d.cpu_llc, llcs({0, 0, 0, 0}));
}

TEST(CpuTopology, HugeAttributeIsReadCutAndRejected) {
    TempDir dir;
    machine(dir, 2, 1);
    std::string huge = "1";
    while (huge.size() < 100000)
        huge += ",1";
    cache(dir, 1, 3, "3\n", huge);
    const CacheDomains d = read_cache_domains(2, dir.path());
    EXPECT_EQ(d.cpu_llc, llcs({0, 0}));
}

TEST(CpuTopology, LevelIsMatchedExactly) {
    TempDir dir;
    cache(dir, 0, 0, "3 \n", "0-1\n"); // not "3"
    cache(dir, 1, 0, "33\n", "0-1\n");
    const CacheDomains d = read_cache_domains(2, dir.path());
    EXPECT_FALSE(d.from_l3);
}

TEST(CpuTopology, TooManyDomainsShareIndices) {
    TempDir dir;
    machine(dir, 6, 1);
    const CacheDomains d = read_cache_domains(6, dir.path(), 4);
    EXPECT_EQ(d.count, 4u);
    EXPECT_EQ(d.cpu_llc, llcs({0, 1, 2, 3, 0, 1}));
}

TEST(CpuTopology, NoCpus) {
    TempDir dir;
    const CacheDomains d = read_cache_domains(0, dir.path());
    EXPECT_EQ(d.count, 1u);
    EXPECT_TRUE(d.cpu_llc.empty());
    EXPECT_EQ(read_cache_domains(-3, dir.path()).cpu_llc.size(), 0u);
}

} // namespace
} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
#include "tuning/cpu_list.h"
#include "util/error.h"

#include "temp_dir.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace scx_gamer {
namespace {

using Cpus = std::vector<int>;
using testing::TempDir;

std::string parse_error(std::string_view text) {
    try {
        parse_cpu_list(text);
    } catch (const FlagError& error) {
        return error.what();
    }
    return "<no error>";
}

struct ListCase {
    std::string text;
    Cpus cpus;
    std::string canonical;
};

class ParsesCpuList : public ::testing::TestWithParam<ListCase> {};

TEST_P(ParsesCpuList, AndFormatsItBack) {
    const auto& [text, cpus, canonical] = GetParam();
    EXPECT_EQ(parse_cpu_list(text), cpus) << text;
    EXPECT_EQ(format_cpu_list(cpus), canonical) << text;
}

INSTANTIATE_TEST_SUITE_P(Valid, ParsesCpuList,
                         ::testing::Values(ListCase{"0", {0}, "0"},
                                           ListCase{"0-3,6", {0, 1, 2, 3, 6}, "0-3,6"},
                                           ListCase{"6,0-3", {0, 1, 2, 3, 6}, "0-3,6"},
                                           ListCase{"1,2,3", {1, 2, 3}, "1-3"},
                                           ListCase{"5-5", {5}, "5"},
                                           ListCase{"0-1,3-4,8", {0, 1, 3, 4, 8}, "0-1,3-4,8"},
                                           ListCase{"8191", {8191}, "8191"}));

struct BadListCase {
    std::string text;
    std::string message;
};

class RejectsCpuList : public ::testing::TestWithParam<BadListCase> {};

TEST_P(RejectsCpuList, WithReason) {
    const auto& [text, message] = GetParam();
    EXPECT_EQ(parse_error(text), message);
}

INSTANTIATE_TEST_SUITE_P(
    Invalid, RejectsCpuList,
    ::testing::Values(
        BadListCase{"", "invalid CPU list \"\": it is empty"},
        BadListCase{",", "invalid CPU list \",\": it has an empty item"},
        BadListCase{"0,", "invalid CPU list \"0,\": it has an empty item"},
        BadListCase{"0-", "invalid CPU list \"0-\": range 0- has no end"},
        BadListCase{"-3", "invalid CPU list \"-3\": a CPU number is missing"},
        BadListCase{"3-1", "invalid CPU list \"3-1\": range 3-1 is backwards"},
        BadListCase{"0-1-2", "invalid CPU list \"0-1-2\": \"1-2\" is not a CPU number"},
        BadListCase{"01", "invalid CPU list \"01\": 01 has a leading zero"},
        BadListCase{" 1", "invalid CPU list \" 1\": \" 1\" is not a CPU number"},
        BadListCase{"1 ", "invalid CPU list \"1 \": \"1 \" is not a CPU number"},
        BadListCase{"a", "invalid CPU list \"a\": \"a\" is not a CPU number"},
        BadListCase{"8192", "invalid CPU list \"8192\": CPU 8192 is above 8191"},
        BadListCase{"99999999999",
                    "invalid CPU list \"99999999999\": CPU 99999999999 is above 8191"},
        BadListCase{"1,1", "invalid CPU list \"1,1\": CPU 1 is listed twice"},
        BadListCase{"0-4,2-6", "invalid CPU list \"0-4,2-6\": CPU 2 is listed twice"}));

TEST(FormatCpuList, Empty) {
    EXPECT_EQ(format_cpu_list({}), "");
}

// A fake /sys with the CPUs given as {cpu, capacity file, value}.
class FakeSysfs {
  public:
    void online(std::string_view list) {
        dir_.write("devices/system/cpu/online", std::string(list) + "\n");
    }
    void max_freq(int cpu, std::uint64_t khz) {
        dir_.write(cpu_file(cpu, "cpufreq/cpuinfo_max_freq"), std::to_string(khz) + "\n");
    }
    void capacity(int cpu, std::uint64_t capacity) {
        dir_.write(cpu_file(cpu, "cpu_capacity"), std::to_string(capacity) + "\n");
    }
    void bare_cpu(int cpu) { dir_.write(cpu_file(cpu, "uevent"), ""); }
    const std::filesystem::path& root() const { return dir_.path(); }

  private:
    static std::string cpu_file(int cpu, std::string_view name) {
        return "devices/system/cpu/cpu" + std::to_string(cpu) + "/" + std::string(name);
    }
    TempDir dir_;
};

TEST(PrimaryDomain, HybridByMaxFrequency) {
    FakeSysfs sys;
    sys.online("0-5");
    for (int cpu : {0, 1, 2, 3})
        sys.max_freq(cpu, 5'400'000); // P-cores
    for (int cpu : {4, 5})
        sys.max_freq(cpu, 4'000'000); // E-cores
    EXPECT_EQ(resolve_primary_domain("all", sys.root()), (Cpus{0, 1, 2, 3, 4, 5}));
    EXPECT_EQ(resolve_primary_domain("performance", sys.root()), (Cpus{0, 1, 2, 3}));
    EXPECT_EQ(resolve_primary_domain("powersave", sys.root()), (Cpus{4, 5}));
}

TEST(PrimaryDomain, CpuCapacityWinsOverFrequency) {
    FakeSysfs sys;
    sys.online("0-3");
    for (int cpu : {0, 1, 2, 3})
        sys.max_freq(cpu, 3'000'000); // all alike by frequency...
    sys.capacity(0, 1024);
    sys.capacity(1, 1024);
    sys.capacity(2, 512); // ...but not by capacity (big.LITTLE)
    sys.capacity(3, 512);
    EXPECT_EQ(resolve_primary_domain("performance", sys.root()), (Cpus{0, 1}));
    EXPECT_EQ(resolve_primary_domain("powersave", sys.root()), (Cpus{2, 3}));
}

TEST(PrimaryDomain, EqualCapacitiesMeanAllCpus) {
    FakeSysfs sys;
    sys.online("0-3");
    for (int cpu : {0, 1, 2, 3})
        sys.max_freq(cpu, 4'200'000);
    EXPECT_EQ(resolve_primary_domain("performance", sys.root()), (Cpus{0, 1, 2, 3}));
    EXPECT_EQ(resolve_primary_domain("powersave", sys.root()), (Cpus{0, 1, 2, 3}));
}

TEST(PrimaryDomain, PreferredCoreJitterCountsAsEqual) {
    // amd-pstate gives "preferred" cores of one CCD a slightly higher maximum.
    FakeSysfs sys;
    sys.online("0-3");
    sys.max_freq(0, 5'700'000);
    sys.max_freq(1, 5'650'000);
    sys.max_freq(2, 5'500'000);
    sys.max_freq(3, 5'450'000);
    EXPECT_EQ(resolve_primary_domain("performance", sys.root()), (Cpus{0, 1, 2, 3}));
}

TEST(PrimaryDomain, UnknownCapacityMeansAllCpus) {
    FakeSysfs sys;
    sys.online("0-1");
    sys.max_freq(0, 5'000'000); // cpu1 has no cpufreq (a VM)
    EXPECT_EQ(resolve_primary_domain("performance", sys.root()), (Cpus{0, 1}));
}

TEST(PrimaryDomain, CpuListMustBeOnline) {
    FakeSysfs sys;
    sys.online("0-3,6");
    EXPECT_EQ(resolve_primary_domain("1-2,6", sys.root()), (Cpus{1, 2, 6}));
    try {
        resolve_primary_domain("4", sys.root());
        FAIL() << "accepted an offline CPU";
    } catch (const FlagError& error) {
        EXPECT_STREQ(error.what(), "--primary-domain: CPU 4 is not online (online: 0-3,6)");
    }
}

TEST(PrimaryDomain, WithoutOnlineFileUsesCpuDirectories) {
    FakeSysfs sys;
    sys.bare_cpu(0);
    sys.bare_cpu(1);
    sys.bare_cpu(10);
    std::filesystem::create_directories(sys.root() / "devices/system/cpu/cpufreq");
    std::filesystem::create_directories(sys.root() / "devices/system/cpu/cpuidle");
    EXPECT_EQ(resolve_primary_domain("all", sys.root()), (Cpus{0, 1, 10}));
}

TEST(PrimaryDomain, NoCpusIsAnError) {
    FakeSysfs sys;
    EXPECT_THROW(resolve_primary_domain("all", sys.root()), Error);
}

TEST(PrimaryDomain, GarbageOnlineFileIsAnError) {
    FakeSysfs sys;
    sys.online("zero-three");
    EXPECT_THROW(resolve_primary_domain("all", sys.root()), Error);
}

TEST(PrimaryDomain, RealSysfsHasCpus) {
    if (!std::filesystem::exists("/sys/devices/system/cpu"))
        GTEST_SKIP() << "no /sys";
    const auto all = resolve_primary_domain("all");
    EXPECT_FALSE(all.empty());
    const auto fast = resolve_primary_domain("performance");
    EXPECT_FALSE(fast.empty());
    EXPECT_LE(fast.size(), all.size());
}

} // namespace
} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
// The original scx_gamer's flags that the daemon's command line accepts and ignores
// (daemon/tuning/original_flags.h), as main sets them up next to the flag table.
#include "tuning/flags.h"
#include "tuning/original_flags.h"
#include "util/error.h"

#include <CLI/CLI.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace scx_gamer {
namespace {

using Args = std::vector<std::string>;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

// What main does: the table's flags (raised to their minimums) plus the original's, -w rewritten.
struct DaemonCommandLine {
    FlagValues flags;
    std::vector<std::string> warnings;
};

DaemonCommandLine parse_like_main(Args args) {
    CLI::App app{"scx_gamer"};
    DaemonCommandLine parsed;
    add_flags(app, {BelowMinimum::Raise, &parsed.warnings});
    add_original_flags(app);
    rewrite_original_short_flags(args);
    std::reverse(args.begin(), args.end());
    app.parse(args);
    parsed.flags = given_flags(app);
    for (const auto& warning : ignored_original_flags(app))
        parsed.warnings.push_back(warning);
    return parsed;
}

TEST(OriginalFlags, TableHasNoDuplicatesAndNoneOfOurFlags) {
    std::set<std::string> names;
    std::set<char> shorts;
    for (const auto& flag : original_flag_table()) {
        EXPECT_TRUE(names.insert(std::string(flag.name)).second) << flag.name;
        EXPECT_EQ(find_flag(flag.name), nullptr) << flag.name << " is one of ours";
        if (flag.short_name != '\0') {
            EXPECT_TRUE(shorts.insert(flag.short_name).second) << flag.short_name;
            for (const auto& spec : flag_table())
                EXPECT_NE(spec.short_name, flag.short_name) << flag.name << " vs " << spec.name;
        }
    }
}

TEST(OriginalFlags, WarningText) {
    EXPECT_EQ(ignored_flag_warning(original_flag_table().front()),
              "--enable-numa is a flag of the original scx_gamer that this one does not use; "
              "ignored");
}

TEST(OriginalFlags, EachIsAcceptedWithItsValueAndWarnedAboutOnce) {
    for (const auto& flag : original_flag_table()) {
        Args args = {"--" + std::string(flag.name)};
        if (flag.takes_value)
            args.push_back("5");
        args.push_back("--slice-us");
        args.push_back("3000");
        const DaemonCommandLine parsed = parse_like_main(args);
        EXPECT_THAT(parsed.warnings, ElementsAre(ignored_flag_warning(flag))) << flag.name;
        EXPECT_EQ(to_args(parsed.flags), (Args{"--slice-us", "3000"})) << flag.name;
    }
}

TEST(OriginalFlags, ShortForms) {
    const DaemonCommandLine parsed = parse_like_main({"-n", "-f", "-i", "-P", "-d", "-a"});
    EXPECT_EQ(parsed.warnings.size(), 5u);
    EXPECT_EQ(to_args(parsed.flags), (Args{"--mm-affinity"}));
}

TEST(OriginalFlags, ValueFlagStillNeedsItsValue) {
    EXPECT_THROW(parse_like_main({"--mig-max"}), CLI::ParseError);
}

// Our -w is --wakeup-timer-us N; the original's was the switch --no-wake-sync.
TEST(OriginalFlags, BareDashWIsTheOriginalsNoWakeSync) {
    Args last = {"-a", "-w"};
    rewrite_original_short_flags(last);
    EXPECT_EQ(last, (Args{"-a", "--no-wake-sync"}));
    Args before_flag = {"-w", "--mm-affinity"};
    rewrite_original_short_flags(before_flag);
    EXPECT_EQ(before_flag, (Args{"--no-wake-sync", "--mm-affinity"}));
    Args ours = {"-w", "1000", "-w", "0"};
    rewrite_original_short_flags(ours);
    EXPECT_EQ(ours, (Args{"-w", "1000", "-w", "0"}));

    const DaemonCommandLine parsed = parse_like_main({"-w", "500", "-a", "-w"});
    EXPECT_EQ(to_args(parsed.flags), (Args{"--mm-affinity", "--wakeup-timer-us", "500"}));
    EXPECT_THAT(parsed.warnings,
                ElementsAre("--no-wake-sync is a flag of the original scx_gamer that this one "
                            "does not use; ignored"));
}

TEST(OriginalFlags, TheOriginalsLoaderModesStart) {
    const DaemonCommandLine gaming = parse_like_main(
        {"--slice-us", "10", "--mm-affinity", "--wakeup-timer-us", "100", "--stats", "0"});
    EXPECT_EQ(to_args(gaming.flags), (Args{"--slice-us", "100", "--mm-affinity",
                                           "--wakeup-timer-us", "250", "--stats", "0"}));
    EXPECT_THAT(gaming.warnings,
                UnorderedElementsAre("--slice-us 10 is below the minimum 100; using 100",
                                     "--wakeup-timer-us 100 is below the minimum 250; using 250"));

    const DaemonCommandLine monitor =
        parse_like_main({"--stats", "1.0", "--slice-us", "10", "--wakeup-timer-us", "100"});
    EXPECT_EQ(to_args(monitor.flags),
              (Args{"--slice-us", "100", "--wakeup-timer-us", "250", "--stats", "1"}));
    EXPECT_EQ(monitor.warnings.size(), 2u);

    const DaemonCommandLine everything = parse_like_main({"-s",      "10",
                                                          "-l",      "20000",
                                                          "-m",      "turbo",
                                                          "-n",      "-w",
                                                          "-d",      "--mig-window-ms",
                                                          "50",      "--mig-max",
                                                          "3",       "--input-window-us",
                                                          "5000",    "--keyboard-boost-us",
                                                          "1000000", "--mouse-boost-us",
                                                          "8000",    "--foreground-pid",
                                                          "0",       "--stats",
                                                          "0.5"});
    EXPECT_EQ(to_args(everything.flags), (Args{"--slice-us", "100", "--slice-lag-us", "20000",
                                               "--primary-domain", "performance", "--stats", "1"}));
    EXPECT_EQ(everything.warnings.size(), 2u + 9u); // 2 raised, 9 ignored
}

// Only the daemon's command line: profiles and ApplyFlags (parse_flags) still refuse them.
TEST(OriginalFlags, NotProfileFlags) {
    EXPECT_THROW(parse_flags(Args{"--enable-numa"}), FlagError);
    EXPECT_THROW(parse_flags(Args{"--mig-max", "3"}), FlagError);
}

TEST(OriginalFlags, HiddenFromHelp) {
    CLI::App app{"scx_gamer"};
    add_flags(app);
    add_original_flags(app);
    const std::string help = app.help();
    for (const auto& flag : original_flag_table())
        EXPECT_EQ(help.find("--" + std::string(flag.name)), std::string::npos) << flag.name;
}

} // namespace
} // namespace scx_gamer

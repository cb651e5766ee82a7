// SPDX-License-Identifier: GPL-2.0-only
#include "tuning/flags.h"
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
using ::testing::HasSubstr;
using ::testing::StartsWith;

FlagValues parse(const Args& args) {
    return parse_flags(args);
}

std::string parse_error(const Args& args) {
    try {
        parse_flags(args);
    } catch (const FlagError& error) {
        return error.what();
    }
    return "<no error>";
}

std::string args_text(const Args& args) {
    std::string text;
    for (const auto& arg : args)
        text += "[" + arg + "]";
    return text;
}

// ---- The table itself ----

TEST(FlagTable, DefaultsAreTheSaneOnes) {
    const Options defaults;
    EXPECT_EQ(defaults.slice_us, 2000u);
    EXPECT_EQ(defaults.game_slice_us, 1000u);
    EXPECT_EQ(defaults.slice_lag_us, 20000u);
    EXPECT_FALSE(defaults.mm_affinity);
    EXPECT_EQ(defaults.wakeup_timer_us, 1000u);
    EXPECT_FALSE(defaults.avoid_smt);
    EXPECT_EQ(defaults.bg_starve_us, 50000u);
    EXPECT_EQ(defaults.bg_starve_count, 0u);  // off: sched_yield() loops would count
    EXPECT_EQ(defaults.bg_min_share_pct, 5u); // as much as the kernel's RT throttling leaves
    EXPECT_FALSE(defaults.no_game_preempt);
    EXPECT_EQ(defaults.primary_domain, "all");
    EXPECT_EQ(defaults.stats_secs, 0u);
    EXPECT_FALSE(defaults.verbose);
    EXPECT_EQ(defaults.exit_dump_len, 32768u);
}

TEST(FlagTable, EveryDefaultIsValidAndCanonical) {
    for (const auto& spec : flag_table())
        EXPECT_EQ(canonical_value(spec, spec.default_value), spec.default_value) << spec.name;
}

TEST(FlagTable, NamesAreUniqueAndDocumented) {
    std::set<std::string_view> long_names;
    std::set<char> short_names;
    for (const auto& spec : flag_table()) {
        EXPECT_TRUE(long_names.insert(spec.name).second) << spec.name;
        if (spec.short_name != '\0') {
            EXPECT_TRUE(short_names.insert(spec.short_name).second) << spec.name;
        }
        EXPECT_FALSE(spec.help.empty()) << spec.name;
        if (spec.type() != FlagType::Switch) {
            EXPECT_FALSE(spec.value_name.empty()) << spec.name;
        }
        if (spec.type() == FlagType::Unsigned) {
            EXPECT_LE(spec.min, spec.max) << spec.name;
        }
        if (spec.type() == FlagType::String) {
            EXPECT_NE(spec.canonicalize, nullptr) << spec.name;
        }
    }
}

struct ClassCase {
    std::string_view name;
    FlagClass expected;
};

TEST(FlagTable, ClassOfEveryFlag) {
    const std::vector<ClassCase> cases = {
        {"slice-us", FlagClass::Live},         {"game-slice-us", FlagClass::Live},
        {"slice-lag-us", FlagClass::Live},     {"mm-affinity", FlagClass::Live},
        {"wakeup-timer-us", FlagClass::Live},  {"avoid-smt", FlagClass::Live},
        {"bg-starve-us", FlagClass::Live},     {"bg-starve-count", FlagClass::Live},
        {"bg-min-share-pct", FlagClass::Live}, {"no-game-preempt", FlagClass::Live},
        {"no-wake-boost", FlagClass::Live},    {"primary-domain", FlagClass::Reload},
        {"stats", FlagClass::Daemon},          {"verbose", FlagClass::Live},
        {"exit-dump-len", FlagClass::Reload},
    };
    ASSERT_EQ(cases.size(), flag_table().size());
    for (const auto& [name, expected] : cases) {
        const FlagSpec* spec = find_flag(name);
        ASSERT_NE(spec, nullptr) << name;
        EXPECT_EQ(spec->flag_class, expected) << name;
    }
}

TEST(FlagTable, FindFlag) {
    EXPECT_EQ(find_flag("slice-us")->short_name, 's');
    EXPECT_EQ(find_flag("--slice-us"), nullptr);
    EXPECT_EQ(find_flag("nope"), nullptr);
}

// ---- Accepted input: every flag, every spelling ----

struct GoodCase {
    Args args;
    std::string_view flag;
    std::string canonical;
};

class AcceptsFlag : public ::testing::TestWithParam<GoodCase> {};

TEST_P(AcceptsFlag, ParsesToCanonicalValue) {
    const auto& [args, flag, canonical] = GetParam();
    const FlagValues values = parse(args);
    ASSERT_EQ(values.size(), 1u) << args_text(args);
    ASSERT_NE(values.find(flag), nullptr) << args_text(args);
    EXPECT_EQ(*values.find(flag), canonical) << args_text(args);
}

INSTANTIATE_TEST_SUITE_P(
    EveryFlag, AcceptsFlag,
    ::testing::Values(
        GoodCase{{"--slice-us", "5000"}, "slice-us", "5000"},
        GoodCase{{"-s", "5000"}, "slice-us", "5000"}, GoodCase{{"-s5000"}, "slice-us", "5000"},
        GoodCase{{"--slice-us=5000"}, "slice-us", "5000"},
        GoodCase{{"--slice-us", "100"}, "slice-us", "100"},
        GoodCase{{"--slice-us", "100000"}, "slice-us", "100000"},
        GoodCase{{"--slice-us", "000300"}, "slice-us", "300"},
        GoodCase{{"--game-slice-us", "50"}, "game-slice-us", "50"},
        GoodCase{{"--game-slice-us", "20000"}, "game-slice-us", "20000"},
        GoodCase{{"-l", "0"}, "slice-lag-us", "0"},
        GoodCase{{"--slice-lag-us", "1000000"}, "slice-lag-us", "1000000"},
        GoodCase{{"--mm-affinity"}, "mm-affinity", "true"}, GoodCase{{"-a"}, "mm-affinity", "true"},
        GoodCase{{"--mm-affinity=false"}, "mm-affinity", "false"},
        GoodCase{{"--mm-affinity=true"}, "mm-affinity", "true"},
        GoodCase{{"-w", "0"}, "wakeup-timer-us", "0"},
        GoodCase{{"--wakeup-timer-us", "250"}, "wakeup-timer-us", "250"},
        GoodCase{{"--wakeup-timer-us", "1000000"}, "wakeup-timer-us", "1000000"},
        GoodCase{{"-S"}, "avoid-smt", "true"}, GoodCase{{"--avoid-smt"}, "avoid-smt", "true"},
        GoodCase{{"--bg-starve-us", "1000"}, "bg-starve-us", "1000"},
        GoodCase{{"--bg-starve-us", "1000000"}, "bg-starve-us", "1000000"},
        GoodCase{{"--bg-starve-count", "0"}, "bg-starve-count", "0"},
        GoodCase{{"--bg-starve-count", "16"}, "bg-starve-count", "16"},
        GoodCase{{"--bg-starve-count=100000"}, "bg-starve-count", "100000"},
        GoodCase{{"--bg-min-share-pct", "0"}, "bg-min-share-pct", "0"},
        GoodCase{{"--bg-min-share-pct", "1"}, "bg-min-share-pct", "1"},
        GoodCase{{"--bg-min-share-pct=50"}, "bg-min-share-pct", "50"},
        GoodCase{{"--bg-min-share-pct", "005"}, "bg-min-share-pct", "5"},
        GoodCase{{"--no-game-preempt"}, "no-game-preempt", "true"},
        GoodCase{{"-m", "all"}, "primary-domain", "all"},
        GoodCase{{"--primary-domain", "performance"}, "primary-domain", "performance"},
        GoodCase{{"--primary-domain=powersave"}, "primary-domain", "powersave"},
        // The original scx_gamer's name for its fastest cores.
        GoodCase{{"-m", "turbo"}, "primary-domain", "performance"},
        GoodCase{{"-m", "0-3,6"}, "primary-domain", "0-3,6"},
        GoodCase{{"-m", "3,0-2,7"}, "primary-domain", "0-3,7"},
        GoodCase{{"-m", "5"}, "primary-domain", "5"}, GoodCase{{"--stats", "0"}, "stats", "0"},
        GoodCase{{"--stats", "3600"}, "stats", "3600"}, GoodCase{{"-v"}, "verbose", "true"},
        // The original took --stats as float seconds; whole ones mean the same here.
        GoodCase{{"--stats", "1.0"}, "stats", "1"}, GoodCase{{"--stats", "0.0"}, "stats", "0"},
        GoodCase{{"--stats", "5.000"}, "stats", "5"}, GoodCase{{"--verbose"}, "verbose", "true"},
        GoodCase{{"--exit-dump-len", "0"}, "exit-dump-len", "0"},
        GoodCase{{"--exit-dump-len", "1048576"}, "exit-dump-len", "1048576"}));

TEST(ParseFlags, NothingGivenIsEmpty) {
    EXPECT_TRUE(parse({}).empty());
}

TEST(ParseFlags, CombinedShortSwitches) {
    const FlagValues values = parse({"-aSv", "-s", "300"});
    EXPECT_EQ(to_args(values),
              (Args{"--slice-us", "300", "--mm-affinity", "--avoid-smt", "--verbose"}));
}

TEST(ParseFlags, TheOriginalProfilesStillParse) {
    // scx_loader's gaming mode for the original scx_gamer, minus its 10 µs slice.
    const FlagValues values = parse({"--slice-us", "1000", "--mm-affinity", "--stats", "0"});
    EXPECT_EQ(*values.find("stats"), "0");
}

TEST(ParseFlags, LaterFlagWins) {
    const FlagValues values = parse({"--slice-us", "300", "-s", "400", "--slice-us=500"});
    EXPECT_EQ(*values.find("slice-us"), "500");
    const FlagValues switches = parse({"--mm-affinity=false", "-a"});
    EXPECT_EQ(*switches.find("mm-affinity"), "true");
}

// ---- Rejected input: one line that names the flag and says why ----

struct BadCase {
    Args args;
    std::string message;
};

class RejectsFlag : public ::testing::TestWithParam<BadCase> {};

TEST_P(RejectsFlag, WithOneLineMessage) {
    const auto& [args, message] = GetParam();
    EXPECT_EQ(parse_error(args), message) << args_text(args);
}

INSTANTIATE_TEST_SUITE_P(
    Ranges, RejectsFlag,
    ::testing::Values(
        BadCase{{"--slice-us", "5"}, "--slice-us: 5 is out of range [100, 100000]"},
        BadCase{{"-s", "99"}, "--slice-us: 99 is out of range [100, 100000]"},
        BadCase{{"--slice-us", "100001"}, "--slice-us: 100001 is out of range [100, 100000]"},
        BadCase{{"--slice-us", "0"}, "--slice-us: 0 is out of range [100, 100000]"},
        BadCase{{"--game-slice-us", "49"}, "--game-slice-us: 49 is out of range [50, 20000]"},
        BadCase{{"--game-slice-us", "20001"}, "--game-slice-us: 20001 is out of range [50, 20000]"},
        BadCase{{"-l", "1000001"}, "--slice-lag-us: 1000001 is out of range [0, 1000000]"},
        BadCase{{"-w", "100"},
                "--wakeup-timer-us: 100 is out of range [250, 1000000] (or 0 to disable)"},
        BadCase{{"-w", "1000001"},
                "--wakeup-timer-us: 1000001 is out of range [250, 1000000] (or 0 to disable)"},
        BadCase{{"--bg-starve-us", "999"}, "--bg-starve-us: 999 is out of range [1000, 1000000]"},
        BadCase{{"--bg-starve-count", "15"},
                "--bg-starve-count: 15 is out of range [16, 100000] (or 0 to disable)"},
        BadCase{{"--bg-starve-count", "100001"},
                "--bg-starve-count: 100001 is out of range [16, 100000] (or 0 to disable)"},
        BadCase{{"--bg-min-share-pct", "51"},
                "--bg-min-share-pct: 51 is out of range [1, 50] (or 0 to disable)"},
        BadCase{{"--bg-min-share-pct", "100"},
                "--bg-min-share-pct: 100 is out of range [1, 50] (or 0 to disable)"},
        BadCase{{"--bg-min-share-pct", "-5"}, "--bg-min-share-pct: \"-5\" is not a whole number"},
        BadCase{{"--bg-min-share-pct", "5%"}, "--bg-min-share-pct: \"5%\" is not a whole number"},
        BadCase{{"--bg-min-share-pct"}, "--bg-min-share-pct: needs a value"},
        BadCase{{"--stats", "3601"}, "--stats: 3601 is out of range [0, 3600]"},
        // Without BelowMinimum::Raise (ApplyFlags, config commands), no value is changed quietly.
        BadCase{{"--stats", "0.5"}, "--stats: \"0.5\" is not a whole number of seconds"},
        BadCase{{"--stats", "1."}, "--stats: \"1.\" is not a number"},
        BadCase{{"--stats", ".5"}, "--stats: \".5\" is not a number"},
        BadCase{{"--stats", "1.5.0"}, "--stats: \"1.5.0\" is not a number"},
        BadCase{{"--stats", "3600.5"}, "--stats: \"3600.5\" is not a whole number of seconds"},
        BadCase{{"--stats", "3601.0"}, "--stats: 3601 is out of range [0, 3600]"},
        BadCase{{"--slice-us", "100.0"}, "--slice-us: \"100.0\" is not a whole number"},
        BadCase{{"--exit-dump-len", "1048577"},
                "--exit-dump-len: 1048577 is out of range [0, 1048576]"},
        BadCase{{"--slice-us", "4294967296"},
                "--slice-us: 4294967296 is out of range [100, 100000]"},
        BadCase{{"--slice-us", "123456789012345678901234567890"},
                "--slice-us: 12345678901234567890... is out of range [100, 100000]"}));

INSTANTIATE_TEST_SUITE_P(
    Values, RejectsFlag,
    ::testing::Values(
        BadCase{{"--slice-us", "abc"}, "--slice-us: \"abc\" is not a whole number"},
        BadCase{{"--slice-us", "-5"}, "--slice-us: \"-5\" is not a whole number"},
        BadCase{{"--slice-us", "+5"}, "--slice-us: \"+5\" is not a whole number"},
        BadCase{{"--slice-us", "1e3"}, "--slice-us: \"1e3\" is not a whole number"},
        BadCase{{"--slice-us", "0x10"}, "--slice-us: \"0x10\" is not a whole number"},
        BadCase{{"--slice-us", " 100"}, "--slice-us: \" 100\" is not a whole number"},
        BadCase{{"--slice-us", "2000us"}, "--slice-us: \"2000us\" is not a whole number"},
        BadCase{{"--slice-us", ""}, "--slice-us: needs a number"},
        BadCase{{"--slice-us"}, "--slice-us: needs a value"},
        BadCase{{"--slice-us="}, "--slice-us: needs a value"},
        BadCase{{"-s", "--mm-affinity"}, "--slice-us: \"--mm-affinity\" is not a whole number"},
        BadCase{{"--mm-affinity=yes"},
                "--mm-affinity: \"yes\" is not a switch value (give the flag alone, or "
                "=true/=false)"},
        BadCase{{"--primary-domain", "fastest"},
                "--primary-domain: \"fastest\" is not all, performance, powersave, turbo or a "
                "CPU list"},
        BadCase{{"--primary-domain", "All"},
                "--primary-domain: \"All\" may only contain a-z, 0-9, ',' and '-'"},
        BadCase{{"-m", "0-"}, "--primary-domain: invalid CPU list \"0-\": range 0- has no end"},
        BadCase{{"-m", "3-1"},
                "--primary-domain: invalid CPU list \"3-1\": range 3-1 is backwards"},
        BadCase{{"-m", "0,,1"},
                "--primary-domain: invalid CPU list \"0,,1\": it has an empty item"},
        BadCase{{"-m", "0-3,2"},
                "--primary-domain: invalid CPU list \"0-3,2\": CPU 2 is listed twice"},
        BadCase{{"-m", ""}, "--primary-domain: needs a value"}));

INSTANTIATE_TEST_SUITE_P(
    UnknownAndPositional, RejectsFlag,
    ::testing::Values(
        BadCase{{"--foo"}, "unknown flag \"--foo\""},
        BadCase{{"--foo=bar"}, "unknown flag \"--foo\""}, BadCase{{"-x"}, "unknown flag \"-x\""},
        BadCase{{"--Slice-us", "100"}, "unknown flag \"--Slice-us\""},
        BadCase{{"--slice_us", "100"}, "unknown flag \"--slice_us\""},
        BadCase{{"--help"}, "unknown flag \"--help\""}, BadCase{{"-h"}, "unknown flag \"-h\""},
        BadCase{{"--version"}, "unknown flag \"--version\""},
        BadCase{{"--slice-us", "300", "400"},
                "unexpected argument \"400\" (only flags such as --slice-us 2000 are accepted)"},
        BadCase{{"gaming"},
                "unexpected argument \"gaming\" (only flags such as --slice-us 2000 are "
                "accepted)"},
        BadCase{{"--", "-s", "300"},
                "unexpected argument \"--\" (only flags such as --slice-us 2000 are accepted)"}));

// ---- Injection: nothing that could reach /etc/default/scx or bash -c gets through ----

const std::vector<std::string> kHostileValues = {
    "0;rm -rf /",
    "$(id)",
    "`id`",
    "0-3\nSCX_SCHEDULER=evil",
    "0'",
    "0\"",
    "0 1",
    "0|id",
    "0&&id",
    "0>x",
    "0\\",
    "../../etc/passwd",
    std::string("0\0-3", 4),
    "\x1b[31m",
    "0-3\r",
    "0,1\t",
    "\xc3\xa9",
    std::string(300, '1'),
    "0" + std::string(300, ','),
};

TEST(Injection, HostileValuesAreRejectedForEveryValueFlag) {
    for (const auto& spec : flag_table()) {
        for (const auto& value : kHostileValues) {
            // A switch takes a value only after '='; "-a VALUE" is a positional argument.
            std::vector<Args> spellings = {Args{spec.long_flag() + "=" + value}};
            if (spec.type() != FlagType::Switch)
                spellings.push_back(Args{spec.long_flag(), value});
            for (const Args& args : spellings) {
                const std::string message = parse_error(args);
                EXPECT_THAT(message, StartsWith(spec.long_flag() + ": ")) << args_text(args);
                EXPECT_EQ(message.find('\n'), std::string::npos) << message;
                EXPECT_EQ(message.find('\r'), std::string::npos) << message;
                EXPECT_EQ(message.find('\x1b'), std::string::npos) << message;
                EXPECT_LT(message.size(), 160u) << message;
            }
        }
    }
}

TEST(Injection, PrimaryDomainExamplesFromTheBrief) {
    EXPECT_EQ(parse_error({"--primary-domain=0;rm -rf /"}),
              "--primary-domain: \"0;rm -rf /\" may only contain a-z, 0-9, ',' and '-'");
    EXPECT_EQ(parse_error({"-m", "$(id)"}),
              "--primary-domain: \"$(id)\" may only contain a-z, 0-9, ',' and '-'");
    EXPECT_EQ(parse_error({"-m", "0\nSCX_FLAGS=x"}),
              "--primary-domain: \"0\\x0aSCX_FLAGS=x\" may only contain a-z, 0-9, ',' and '-'");
}

TEST(Injection, OverlongValueIsRejectedWithItsLength) {
    EXPECT_EQ(parse_error({"-m", std::string(300, '1')}),
              "--primary-domain: value is too long (300 characters, at most 256)");
}

TEST(Injection, HostileFlagNamesAreRejectedOnOneLine) {
    for (const std::string& arg :
         {std::string("--slice-us;id"), std::string("--$(id)"), std::string("--a\nb"),
          std::string("-\x1b"), std::string(500, '-') + "x"}) {
        const std::string message = parse_error({arg});
        EXPECT_THAT(message, StartsWith("unknown flag")) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
        EXPECT_LT(message.size(), 80u) << message;
    }
}

TEST(Injection, TooManyArguments) {
    const Args args(kMaxFlagArgs + 1, "-a");
    EXPECT_EQ(parse_error(args), "too many arguments (65, at most 64)");
}

TEST(Injection, CanonicalOutputUsesOnlySafeCharacters) {
    const FlagValues values =
        parse({"-s", "0300", "-m", "7,0-3", "-a", "--avoid-smt=false", "--stats", "5"});
    const std::string line = to_command_line(values);
    EXPECT_EQ(line, "--slice-us 300 --mm-affinity --avoid-smt=false --primary-domain 0-3,7 "
                    "--stats 5");
    EXPECT_EQ(line.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-=, "),
              std::string::npos);
}

// ---- FlagValues ----

TEST(FlagValues, SetValidatesAndCanonicalizes) {
    FlagValues values;
    values.set("slice-us", "0500");
    EXPECT_EQ(*values.find("slice-us"), "500");
    EXPECT_THROW(values.set("slice-us", "5"), FlagError);
    EXPECT_THROW(values.set("no-such-flag", "1"), FlagError);
    EXPECT_EQ(values.find("game-slice-us"), nullptr);
}

TEST(FlagValues, KeepsTableOrderWhateverTheInputOrder) {
    const FlagValues values = parse({"--exit-dump-len", "0", "-v", "-s", "300"});
    ASSERT_EQ(values.size(), 3u);
    EXPECT_EQ(values.entries()[0].spec->name, "slice-us");
    EXPECT_EQ(values.entries()[1].spec->name, "verbose");
    EXPECT_EQ(values.entries()[2].spec->name, "exit-dump-len");
}

TEST(FlagValues, MergeLaterWins) {
    FlagValues profile = parse({"--slice-us", "3000", "--mm-affinity", "-m", "performance"});
    const FlagValues custom = parse({"--slice-us", "500", "--mm-affinity=false", "--stats", "2"});
    profile.merge(custom);
    EXPECT_EQ(to_args(profile), (Args{"--slice-us", "500", "--mm-affinity=false",
                                      "--primary-domain", "performance", "--stats", "2"}));
}

// ---- to_args round trip ----

class RoundTrip : public ::testing::TestWithParam<Args> {};

TEST_P(RoundTrip, ParseOfToArgsIsIdentity) {
    const FlagValues values = parse(GetParam());
    const Args canonical = to_args(values);
    EXPECT_EQ(parse(canonical), values) << args_text(canonical);
    EXPECT_EQ(to_args(parse(canonical)), canonical);
}

INSTANTIATE_TEST_SUITE_P(
    Samples, RoundTrip,
    ::testing::Values(Args{}, Args{"-a"}, Args{"--mm-affinity=false"},
                      Args{"-s", "0100", "-l0", "-w", "0"}, Args{"-m", "6,0-3", "--stats", "1"},
                      Args{"--slice-us=100000", "--game-slice-us=50", "--slice-lag-us=1000000",
                           "--mm-affinity", "--wakeup-timer-us=250", "--avoid-smt",
                           "--bg-starve-us=1000", "--no-game-preempt", "--primary-domain=powersave",
                           "--stats=3600", "--verbose", "--exit-dump-len=0"}));

TEST(RoundTrip, NonDefaultOptions) {
    Options options;
    options.slice_us = 3000;
    options.mm_affinity = true;
    options.primary_domain = "0-3";
    const FlagValues values = non_default_flags(options);
    EXPECT_EQ(to_command_line(values), "--slice-us 3000 --mm-affinity --primary-domain 0-3");
    EXPECT_EQ(apply(Options{}, parse(to_args(values))), options);
    EXPECT_TRUE(non_default_flags(Options{}).empty());
}

// ---- apply, diff, live vs reload ----

TEST(Apply, SetsOnlyTheGivenFlags) {
    const Options options = apply(Options{}, parse({"-s", "300", "-S", "--no-game-preempt"}));
    Options expected;
    expected.slice_us = 300;
    expected.avoid_smt = true;
    expected.no_game_preempt = true;
    EXPECT_EQ(options, expected);
}

TEST(Apply, LaterValuesOverrideTheBase) {
    const Options base = apply(Options{}, parse({"-s", "300", "-a"}));
    const Options applied = apply(base, parse({"--mm-affinity=false", "--stats", "10"}));
    EXPECT_EQ(applied.slice_us, 300u);
    EXPECT_FALSE(applied.mm_affinity);
    EXPECT_EQ(applied.stats_secs, 10u);
}

struct ModeCase {
    Args change;
    ApplyMode expected;
};

class ApplyModeOf : public ::testing::TestWithParam<ModeCase> {};

TEST_P(ApplyModeOf, ChangeFromDefaults) {
    const auto& [change, expected] = GetParam();
    const FlagValues delta = diff(Options{}, apply(Options{}, parse(change)));
    EXPECT_EQ(required_apply_mode(delta), expected) << args_text(change);
}

INSTANTIATE_TEST_SUITE_P(
    Classes, ApplyModeOf,
    ::testing::Values(ModeCase{{}, ApplyMode::Unchanged},
                      ModeCase{{"-s", "2000"}, ApplyMode::Unchanged}, // the default again
                      ModeCase{{"-s", "3000"}, ApplyMode::Live},
                      ModeCase{{"--game-slice-us", "500"}, ApplyMode::Live},
                      ModeCase{{"-l", "0"}, ApplyMode::Live}, ModeCase{{"-a"}, ApplyMode::Live},
                      ModeCase{{"-w", "0"}, ApplyMode::Live}, ModeCase{{"-S"}, ApplyMode::Live},
                      ModeCase{{"--bg-starve-us", "2000"}, ApplyMode::Live},
                      ModeCase{{"--bg-min-share-pct", "0"}, ApplyMode::Live},
                      ModeCase{{"--bg-min-share-pct", "5"}, ApplyMode::Unchanged},
                      ModeCase{{"--no-game-preempt"}, ApplyMode::Live},
                      ModeCase{{"-v"}, ApplyMode::Live},
                      ModeCase{{"--stats", "5"}, ApplyMode::Live}, // daemon only: no reload
                      ModeCase{{"-m", "0-1"}, ApplyMode::Reload},
                      ModeCase{{"--exit-dump-len", "0"}, ApplyMode::Reload},
                      ModeCase{{"-s", "3000", "-m", "performance"}, ApplyMode::Reload}));

TEST(Diff, ListsChangedFlagsWithTheirNewValues) {
    const Options from = apply(Options{}, parse({"-a", "-s", "300"}));
    const Options to = apply(Options{}, parse({"-s", "400", "-S"}));
    EXPECT_EQ(to_args(diff(from, to)),
              (Args{"--slice-us", "400", "--mm-affinity=false", "--avoid-smt"}));
    EXPECT_TRUE(diff(to, to).empty());
}

// ---- Tunables ----

TEST(Tunables, MicrosecondsBecomeNanoseconds) {
    const Options options =
        apply(Options{},
              parse({"-s", "100000", "--game-slice-us", "50", "-l", "1000000", "-w", "0",
                     "--bg-starve-us", "1000000", "--bg-starve-count", "0", "--bg-min-share-pct",
                     "50", "-a", "-S", "--no-game-preempt", "--no-wake-boost", "-v"}));
    const gamer_tunables tunables = to_tunables(options);
    EXPECT_EQ(tunables.slice_ns, 100'000'000ull);
    EXPECT_EQ(tunables.game_slice_ns, 50'000ull);
    EXPECT_EQ(tunables.slice_lag_ns, 1'000'000'000ull);
    EXPECT_EQ(tunables.wakeup_timer_ns, 0ull);
    EXPECT_EQ(tunables.bg_starve_ns, 1'000'000'000ull);
    EXPECT_EQ(tunables.bg_min_share_pct, 50u); // a percentage: passed on as it is
    EXPECT_EQ(tunables.bg_starve_count, 0u);   // off
    EXPECT_EQ(tunables.mm_affinity, 1u);
    EXPECT_EQ(tunables.avoid_smt, 1u);
    EXPECT_EQ(tunables.game_preempt, 0u);
    EXPECT_EQ(tunables.wake_boost, 0u);
    EXPECT_EQ(tunables.verbose, 1u);
}

TEST(Tunables, Defaults) {
    const gamer_tunables tunables = to_tunables(Options{});
    EXPECT_EQ(tunables.slice_ns, 2'000'000ull);
    EXPECT_EQ(tunables.game_slice_ns, 1'000'000ull);
    EXPECT_EQ(tunables.slice_lag_ns, 20'000'000ull);
    EXPECT_EQ(tunables.wakeup_timer_ns, 1'000'000ull);
    EXPECT_EQ(tunables.bg_starve_ns, 50'000'000ull);
    EXPECT_EQ(tunables.bg_min_share_pct, 5u);
    EXPECT_EQ(tunables.bg_starve_count, 0u);
    EXPECT_EQ(tunables.mm_affinity, 0u);
    EXPECT_EQ(tunables.avoid_smt, 0u);
    EXPECT_EQ(tunables.game_preempt, 1u);
    EXPECT_EQ(tunables.wake_boost, 1u);
    EXPECT_EQ(tunables.verbose, 0u);
}

// ---- Command lines and profiles written for the original scx_gamer (BelowMinimum::Raise) ----

struct Raised {
    FlagValues values;
    std::vector<std::string> warnings;
};

Raised parse_raising(const Args& args) {
    Raised raised;
    raised.values = parse_flags(args, {BelowMinimum::Raise, &raised.warnings});
    return raised;
}

std::string parse_raising_error(const Args& args) {
    try {
        parse_raising(args);
    } catch (const FlagError& error) {
        return error.what();
    }
    return "<no error>";
}

TEST(RaiseToMinimum, EveryFlagWithAMinimumIsRaisedWithOneWarning) {
    for (const auto& spec : flag_table()) {
        if (spec.type() != FlagType::Unsigned || spec.min <= 1)
            continue; // 0 (and so 0 below 1) means "off" where the minimum is 1
        const std::string below = std::to_string(spec.min - 1);
        const Raised raised = parse_raising({spec.long_flag(), below});
        EXPECT_EQ(*raised.values.find(spec.name), std::to_string(spec.min)) << spec.name;
        EXPECT_EQ(raised.warnings,
                  (std::vector<std::string>{spec.long_flag() + " " + below +
                                            " is below the minimum " + std::to_string(spec.min) +
                                            "; using " + std::to_string(spec.min)}))
            << spec.name;
        // The same value is still an error where nothing is raised.
        EXPECT_THAT(parse_error({spec.long_flag(), below}), HasSubstr("is out of range"));
    }
}

TEST(RaiseToMinimum, WarningNamesBothValues) {
    const Raised raised = parse_raising(
        {"--slice-us", "10", "--game-slice-us", "5", "-w", "100", "--bg-starve-us", "0"});
    EXPECT_THAT(raised.warnings, ::testing::UnorderedElementsAre(
                                     "--slice-us 10 is below the minimum 100; using 100",
                                     "--game-slice-us 5 is below the minimum 50; using 50",
                                     "--wakeup-timer-us 100 is below the minimum 250; using 250",
                                     "--bg-starve-us 0 is below the minimum 1000; using 1000"));
    EXPECT_EQ(to_args(raised.values), (Args{"--slice-us", "100", "--game-slice-us", "50",
                                            "--wakeup-timer-us", "250", "--bg-starve-us", "1000"}));
}

TEST(RaiseToMinimum, ZeroThatDisablesIsKeptWithoutAWarning) {
    const Raised raised = parse_raising({"--wakeup-timer-us", "0", "--bg-min-share-pct", "0"});
    EXPECT_TRUE(raised.warnings.empty());
    EXPECT_EQ(to_args(raised.values), (Args{"--wakeup-timer-us", "0", "--bg-min-share-pct", "0"}));
}

TEST(RaiseToMinimum, ValuesInRangeAreNotWarnedAbout) {
    const Raised raised = parse_raising({"--slice-us", "100", "--stats", "2", "-a"});
    EXPECT_TRUE(raised.warnings.empty());
    EXPECT_EQ(to_args(raised.values), (Args{"--slice-us", "100", "--mm-affinity", "--stats", "2"}));
}

TEST(RaiseToMinimum, AboveTheMaximumStillFails) {
    EXPECT_EQ(parse_raising_error({"--slice-us", "100001"}),
              "--slice-us: 100001 is out of range [100, 100000]");
    EXPECT_EQ(parse_raising_error({"--wakeup-timer-us", "1000001"}),
              "--wakeup-timer-us: 1000001 is out of range [250, 1000000] (or 0 to disable)");
    EXPECT_EQ(parse_raising_error({"--stats", "3601"}), "--stats: 3601 is out of range [0, 3600]");
    EXPECT_EQ(parse_raising_error({"--stats", "3600.5"}),
              "--stats: 3600.5 is out of range [0, 3600]");
    EXPECT_EQ(parse_raising_error({"--slice-us", "99999999999999999999999"}),
              "--slice-us: 99999999999999999999... is out of range [100, 100000]");
}

TEST(RaiseToMinimum, GarbageStillFails) {
    EXPECT_EQ(parse_raising_error({"--slice-us", "-5"}),
              "--slice-us: \"-5\" is not a whole number");
    EXPECT_EQ(parse_raising_error({"--slice-us", "10.5"}),
              "--slice-us: \"10.5\" is not a whole number");
    EXPECT_EQ(parse_raising_error({"--stats", "1e3"}), "--stats: \"1e3\" is not a whole number");
    EXPECT_EQ(parse_raising_error({"--stats", "0.5s"}), "--stats: \"0.5s\" is not a number");
}

TEST(RaiseToMinimum, FractionalStatsRoundUpWithAWarning) {
    const Raised half = parse_raising({"--stats", "0.5"});
    EXPECT_EQ(*half.values.find("stats"), "1"); // not 0, which would turn stats off
    EXPECT_EQ(half.warnings,
              (std::vector<std::string>{"--stats 0.5 is not a whole number of seconds; using 1"}));
    EXPECT_EQ(*parse_raising({"--stats", "2.25"}).values.find("stats"), "3");
    EXPECT_EQ(*parse_raising({"--stats", "9.5"}).values.find("stats"), "10");
    EXPECT_EQ(*parse_raising({"--stats", "99.01"}).values.find("stats"), "100");
    const Raised whole = parse_raising({"--stats", "1.0"});
    EXPECT_EQ(*whole.values.find("stats"), "1");
    EXPECT_TRUE(whole.warnings.empty());
    EXPECT_EQ(apply(Options{}, parse_raising({"--stats", "0"}).values).stats_secs, 0u); // off
}

// The original's scx_loader modes (its INSTALL.sh wrote them to /etc/scx_loader.toml).
TEST(RaiseToMinimum, TheOriginalsLoaderModesParse) {
    const Raised gaming = parse_raising(
        {"--slice-us", "10", "--mm-affinity", "--wakeup-timer-us", "100", "--stats", "0"});
    EXPECT_EQ(to_args(gaming.values), (Args{"--slice-us", "100", "--mm-affinity",
                                            "--wakeup-timer-us", "250", "--stats", "0"}));
    EXPECT_EQ(gaming.warnings.size(), 2u);

    const Raised lowlatency = parse_raising(
        {"--slice-us", "5", "--mm-affinity", "--wakeup-timer-us", "50", "--stats", "0"});
    EXPECT_EQ(to_args(lowlatency.values), (Args{"--slice-us", "100", "--mm-affinity",
                                                "--wakeup-timer-us", "250", "--stats", "0"}));
    EXPECT_EQ(parse_raising({"--slice-us", "20", "--stats", "0"}).warnings.size(), 1u);
    EXPECT_EQ(parse_raising({"--slice-us", "15", "--stats", "0"}).warnings.size(), 1u);

    const Raised monitor =
        parse_raising({"--stats", "1.0", "--slice-us", "10", "--wakeup-timer-us", "100"});
    const Options options = apply(Options{}, monitor.values);
    EXPECT_EQ(options.stats_secs, 1u);
    EXPECT_EQ(options.slice_us, 100u);
    EXPECT_EQ(options.wakeup_timer_us, 250u);
    EXPECT_THAT(monitor.warnings, ::testing::UnorderedElementsAre(
                                      "--slice-us 10 is below the minimum 100; using 100",
                                      "--wakeup-timer-us 100 is below the minimum 250; using 250"));
}

TEST(RaiseToMinimum, OnTheDaemonsCliApp) {
    CLI::App app{"scx_gamer"};
    std::vector<std::string> warnings;
    add_flags(app, {BelowMinimum::Raise, &warnings});
    Args args = {"--stats", "0.5", "--slice-us", "10"};
    std::reverse(args.begin(), args.end());
    app.parse(args);
    EXPECT_EQ(to_args(given_flags(app)), (Args{"--slice-us", "100", "--stats", "1"}));
    EXPECT_THAT(warnings, ::testing::UnorderedElementsAre(
                              "--stats 0.5 is not a whole number of seconds; using 1",
                              "--slice-us 10 is below the minimum 100; using 100"));
}

// ---- CLI11 App built from the table ----

TEST(CliApp, HelpIsGeneratedFromTheTable) {
    CLI::App app{"scx_gamer"};
    add_flags(app);
    const std::string help = app.help();
    for (const auto& spec : flag_table()) {
        EXPECT_THAT(help, HasSubstr(spec.long_flag())) << spec.name;
        EXPECT_THAT(help, HasSubstr(describe_flag(spec))) << spec.name;
    }
    EXPECT_THAT(help, HasSubstr("Scheduler tunables (applied live)"));
    EXPECT_THAT(help, HasSubstr("-s,--slice-us N"));
}

// 0 turns the floor off: it must reach the scheduler as 0, not as the default or the minimum.
TEST(Tunables, BgMinSharePctZeroIsOff) {
    EXPECT_EQ(to_tunables(apply(Options{}, parse({"--bg-min-share-pct", "0"}))).bg_min_share_pct,
              0u);
    EXPECT_EQ(to_tunables(apply(Options{}, parse({"--bg-min-share-pct", "1"}))).bg_min_share_pct,
              1u);
}

TEST(CliApp, DescribeFlag) {
    EXPECT_EQ(describe_flag(*find_flag("slice-us")),
              "Time slice of background (non-game) tasks. Range 100..100000 us; default 2000.");
    EXPECT_EQ(describe_flag(*find_flag("wakeup-timer-us")),
              "Period of the timer that kicks idle CPUs with queued work. Range 250..1000000 us, "
              "or 0 to disable; default 1000.");
    EXPECT_EQ(describe_flag(*find_flag("bg-min-share-pct")),
              "Minimum share of each CPU that background (non-game) tasks keep while they wait. "
              "Range 1..50 %, or 0 to disable; default 5.");
    EXPECT_EQ(describe_flag(*find_flag("avoid-smt")),
              "Prefer fully idle cores (no busy SMT sibling) for game threads.");
}

TEST(CliApp, DaemonOnlyOptionsLiveNextToTheTable) {
    CLI::App app{"scx_gamer"};
    std::string profile;
    app.add_option("--profile", profile, "Profile to start with");
    add_flags(app);
    Args args = {"--profile", "gaming", "-s", "0300", "-a"};
    std::reverse(args.begin(), args.end());
    app.parse(args);
    EXPECT_EQ(profile, "gaming");
    EXPECT_EQ(to_args(given_flags(app)), (Args{"--slice-us", "300", "--mm-affinity"}));
}

TEST(CliApp, BadValueOnTheDaemonCommandLineNamesTheFlag) {
    CLI::App app{"scx_gamer"};
    add_flags(app);
    Args args = {"5", "--slice-us"}; // CLI11 takes its arguments reversed
    try {
        app.parse(args);
        FAIL() << "accepted --slice-us 5";
    } catch (const CLI::ValidationError& error) {
        EXPECT_STREQ(error.what(), "--slice-us: 5 is out of range [100, 100000]");
    }
}

TEST(FlagsHelp, OneLinePerFlag) {
    const std::string text = flags_help();
    EXPECT_EQ(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')),
              flag_table().size());
    EXPECT_THAT(text, HasSubstr("  -s, --slice-us N"));
    EXPECT_THAT(text, HasSubstr("      --game-slice-us N"));
    EXPECT_THAT(text, HasSubstr("[reload] CPUs to use first"));
}

} // namespace
} // namespace scx_gamer

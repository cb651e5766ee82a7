// SPDX-License-Identifier: GPL-2.0-only
#include "config/default_scx.h"
#include "tuning/flags.h"
#include "util/error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace scx_gamer {
namespace {

using ::testing::HasSubstr;
using Names = std::vector<std::string>;

// /etc/default/scx as scx-scheds ships it (sched-ext/scx services/scx).
constexpr std::string_view kStock =
    "# List of scx_schedulers: scx_beerland scx_bpfland scx_chaos scx_cosmos scx_flash scx_lavd "
    "scx_p2dq scx_rustland scx_rusty scx_tickless\n"
    "SCX_SCHEDULER=scx_cosmos\n"
    "\n"
    "# Set custom flags for each scheduler, below is an example of how to use\n"
    "#SCX_FLAGS='-s 700 -S'\n";

const Names kStockList = {"scx_beerland", "scx_bpfland", "scx_chaos", "scx_cosmos",
                          "scx_flash",    "scx_lavd",    "scx_p2dq",  "scx_rustland",
                          "scx_rusty",    "scx_tickless"};

FlagValues flags(const std::vector<std::string>& args) {
    return parse_flags(args);
}

// ---- reading ----

TEST(DefaultScxRead, StockFile) {
    const DefaultScxFile file(kStock);
    EXPECT_EQ(file.scheduler(), "scx_cosmos");
    EXPECT_EQ(file.flags(), std::nullopt) << "the commented-out example does not count";
    EXPECT_EQ(file.listed_schedulers(), kStockList);
    EXPECT_EQ(file.text(), kStock);
}

struct ReadCase {
    std::string line;
    std::optional<std::string> flags; // as systemd's EnvironmentFile gives SCX_FLAGS
};

void PrintTo(const ReadCase& c, std::ostream* out) {
    *out << ::testing::PrintToString(c.line);
}

class ReadsValuesLikeSystemd : public ::testing::TestWithParam<ReadCase> {};

TEST_P(ReadsValuesLikeSystemd, ForTheSimpleCases) {
    const DefaultScxFile file(GetParam().line);
    EXPECT_EQ(file.flags(), GetParam().flags) << GetParam().line;
    EXPECT_EQ(file.text(), GetParam().line) << "reading changes no byte";
}

INSTANTIATE_TEST_SUITE_P(
    DefaultScx, ReadsValuesLikeSystemd,
    ::testing::Values(ReadCase{"SCX_FLAGS=-s 700 -S\n", "-s 700 -S"},
                      ReadCase{"SCX_FLAGS='-s 700 -S'\n", "-s 700 -S"},
                      ReadCase{"SCX_FLAGS=\"-s 700 -S\"\n", "-s 700 -S"},
                      ReadCase{"SCX_FLAGS=   -s 700   \n", "-s 700"},
                      ReadCase{"  SCX_FLAGS = '-s 700'  \n", "-s 700"},
                      ReadCase{"SCX_FLAGS=\"a \\\"b\\\" \\$c \\x\"\n", "a \"b\" $c \\x"},
                      ReadCase{"SCX_FLAGS='it''s'\n", "its"}, ReadCase{"SCX_FLAGS=a\\ b\n", "a b"},
                      ReadCase{"SCX_FLAGS=\n", ""}, ReadCase{"SCX_FLAGS=''\r\n", ""},
                      ReadCase{"SCX_FLAGS=-s 1\nSCX_FLAGS=-s 2\n", "-s 2"},
                      ReadCase{"# SCX_FLAGS=-s 1\n", std::nullopt},
                      ReadCase{"; SCX_FLAGS=-s 1\n", std::nullopt},
                      ReadCase{"SCX_FLAGS_OVERRIDE=-s 1\n", std::nullopt},
                      ReadCase{"SCX_FLAGS=-s 1", "-s 1"}));

TEST(DefaultScxRead, ListCommentWithoutNamesAndNoComment) {
    EXPECT_EQ(DefaultScxFile("# List of scx_schedulers:\n").listed_schedulers(), Names{});
    EXPECT_EQ(DefaultScxFile("SCX_SCHEDULER=scx_lavd\n").listed_schedulers(), std::nullopt);
}

TEST(SchedulerName, OnlyNamesSafeForExecInBash) {
    for (const char* good : {"scx_gamer", "scx_lavd", "scx_p2dq", "scx_a_b_9"})
        EXPECT_TRUE(is_valid_scheduler_name(good)) << good;
    for (const char* bad : {"", "scx_", "lavd", "scx_Lavd", "scx_la-vd", "scx_lavd ", "scx_lavd;rm",
                            "scx_$(id)", "/usr/bin/scx_lavd", "scx_a*"})
        EXPECT_FALSE(is_valid_scheduler_name(bad)) << bad;
    EXPECT_FALSE(is_valid_scheduler_name("scx_" + std::string(61, 'a')));
}

// ---- editing: byte-for-byte expectations ----

struct EditCase {
    std::string name;
    std::string before;
    std::function<void(DefaultScxFile&)> edit;
    std::string after;
};

void PrintTo(const EditCase& c, std::ostream* out) {
    *out << c.name;
}

class EditsOnlyWhatItMust : public ::testing::TestWithParam<EditCase> {};

TEST_P(EditsOnlyWhatItMust, ByteForByte) {
    DefaultScxFile file(GetParam().before);
    GetParam().edit(file);
    EXPECT_EQ(file.text(), GetParam().after);
}

std::string stock_with(std::string_view list_suffix, std::string_view scheduler_line,
                       std::string_view flags_line = "") {
    std::string text = "# List of scx_schedulers: scx_beerland scx_bpfland scx_chaos scx_cosmos "
                       "scx_flash scx_lavd scx_p2dq scx_rustland scx_rusty scx_tickless";
    text += std::string(list_suffix) + "\n" + std::string(scheduler_line) + "\n";
    if (!flags_line.empty())
        text += std::string(flags_line) + "\n";
    text += "\n# Set custom flags for each scheduler, below is an example of how to use\n"
            "#SCX_FLAGS='-s 700 -S'\n";
    return text;
}

INSTANTIATE_TEST_SUITE_P(
    DefaultScx, EditsOnlyWhatItMust,
    ::testing::Values(
        EditCase{"StockRegister", std::string(kStock),
                 [](DefaultScxFile& f) { EXPECT_TRUE(f.add_listed_scheduler("scx_gamer")); },
                 stock_with(" scx_gamer", "SCX_SCHEDULER=scx_cosmos")},
        EditCase{
            "StockActivateWithFlags", std::string(kStock),
            [](DefaultScxFile& f) {
                f.set_scheduler("scx_gamer");
                f.set_flags(flags({"--slice-us", "3000", "-a"}));
            },
            stock_with("", "SCX_SCHEDULER=scx_gamer", "SCX_FLAGS='--slice-us 3000 --mm-affinity'")},
        EditCase{"StockActivateWithoutFlagsAddsNoFlagsLine", std::string(kStock),
                 [](DefaultScxFile& f) {
                     f.set_scheduler("scx_gamer");
                     f.set_flags(FlagValues{});
                 },
                 stock_with("", "SCX_SCHEDULER=scx_gamer")},
        EditCase{"KeepsDoubleQuotes", "SCX_SCHEDULER=\"scx_lavd\"\nSCX_FLAGS=\"--performance\"\n",
                 [](DefaultScxFile& f) {
                     f.set_scheduler("scx_gamer");
                     f.set_flags(flags({"-s", "500"}));
                 },
                 "SCX_SCHEDULER=\"scx_gamer\"\nSCX_FLAGS=\"--slice-us 500\"\n"},
        EditCase{"KeepsSingleQuotesAndSpacing", "  SCX_SCHEDULER = 'scx_lavd'  \t\n",
                 [](DefaultScxFile& f) { f.set_scheduler("scx_gamer"); },
                 "  SCX_SCHEDULER = 'scx_gamer'  \t\n"},
        // systemd has no trailing comments: "# x" is part of the value, and is replaced with it.
        EditCase{"TrailingHashIsPartOfTheValue", "SCX_SCHEDULER='scx_lavd' # x\n",
                 [](DefaultScxFile& f) { f.set_scheduler("scx_gamer"); },
                 "SCX_SCHEDULER='scx_gamer'\n"},
        EditCase{"KeepsUnquotedAndTrailingBlanks", "SCX_FLAGS=-s 700 -S  \t\n",
                 [](DefaultScxFile& f) {
                     f.set_flags(flags({"-s", "700"}));
                 },
                 "SCX_FLAGS=--slice-us 700  \t\n"},
        EditCase{"EmptiesFlagsKeepingTheLine", "SCX_FLAGS='-s 700'\n",
                 [](DefaultScxFile& f) { f.set_flags(FlagValues{}); }, "SCX_FLAGS=''\n"},
        EditCase{"EditsTheLastAssignmentOnly", "SCX_SCHEDULER=scx_a\nSCX_SCHEDULER=scx_b\n",
                 [](DefaultScxFile& f) { f.set_scheduler("scx_gamer"); },
                 "SCX_SCHEDULER=scx_a\nSCX_SCHEDULER=scx_gamer\n"},
        EditCase{"KeepsCrlf",
                 "# List of scx_schedulers: scx_lavd\r\nSCX_SCHEDULER=scx_lavd\r\n\r\n# end\r\n",
                 [](DefaultScxFile& f) {
                     f.add_listed_scheduler("scx_gamer");
                     f.set_scheduler("scx_gamer");
                     f.set_flags(flags({"-a"}));
                 },
                 "# List of scx_schedulers: scx_lavd scx_gamer\r\nSCX_SCHEDULER=scx_gamer\r\n"
                 "SCX_FLAGS='--mm-affinity'\r\n\r\n# end\r\n"},
        EditCase{"KeepsAMissingFinalNewline",
                 "# List of scx_schedulers: scx_lavd\nSCX_SCHEDULER=scx_lavd",
                 [](DefaultScxFile& f) {
                     f.add_listed_scheduler("scx_gamer");
                     f.set_scheduler("scx_gamer");
                     f.set_flags(flags({"-a"}));
                 },
                 "# List of scx_schedulers: scx_lavd scx_gamer\nSCX_SCHEDULER=scx_gamer\n"
                 "SCX_FLAGS='--mm-affinity'"},
        EditCase{"AddsSchedulerAtTheEndWhenMissing", "# nothing here\n",
                 [](DefaultScxFile& f) { f.set_scheduler("scx_gamer"); },
                 "# nothing here\nSCX_SCHEDULER=scx_gamer\n"},
        EditCase{"AddsToAnEmptyFile", "", [](DefaultScxFile& f) { f.set_scheduler("scx_gamer"); },
                 "SCX_SCHEDULER=scx_gamer\n"},
        EditCase{"ListAddIsIdempotent", "# List of scx_schedulers: scx_gamer scx_lavd\n",
                 [](DefaultScxFile& f) { EXPECT_FALSE(f.add_listed_scheduler("scx_gamer")); },
                 "# List of scx_schedulers: scx_gamer scx_lavd\n"},
        EditCase{"ListRemoveTakesEveryOccurrenceButNoLookalike",
                 "# List of scx_schedulers: scx_gamer scx_lavd scx_gamer2 scx_gamer\n",
                 [](DefaultScxFile& f) { EXPECT_TRUE(f.remove_listed_scheduler("scx_gamer")); },
                 "# List of scx_schedulers: scx_lavd scx_gamer2\n"},
        EditCase{"NoListCommentNoEdit", "SCX_SCHEDULER=scx_lavd\n",
                 [](DefaultScxFile& f) {
                     EXPECT_FALSE(f.add_listed_scheduler("scx_gamer"));
                     EXPECT_FALSE(f.remove_listed_scheduler("scx_gamer"));
                 },
                 "SCX_SCHEDULER=scx_lavd\n"}),
    [](const auto& info) { return info.param.name; });

// ---- undo: what install saved puts back the exact bytes ----

struct RoundTrip {
    std::string name;
    std::string original;
};

void PrintTo(const RoundTrip& c, std::ostream* out) {
    *out << c.name;
}

class InstallThenUninstall : public ::testing::TestWithParam<RoundTrip> {};

TEST_P(InstallThenUninstall, GivesBackTheOriginalBytes) {
    DefaultScxFile file(GetParam().original);
    const auto scheduler_line = file.assignment_line(ScxVariable::Scheduler);
    const auto flags_line = file.assignment_line(ScxVariable::Flags);
    file.add_listed_scheduler("scx_gamer");
    file.set_scheduler("scx_gamer");
    file.set_flags(flags({"--slice-us", "3000"}));
    ASSERT_EQ(file.scheduler(), "scx_gamer");

    DefaultScxFile installed(file.text());
    installed.remove_listed_scheduler("scx_gamer");
    installed.restore_assignment_line(ScxVariable::Scheduler, scheduler_line);
    installed.restore_assignment_line(ScxVariable::Flags, flags_line);
    EXPECT_EQ(installed.text(), GetParam().original);
}

INSTANTIATE_TEST_SUITE_P(
    DefaultScx, InstallThenUninstall,
    ::testing::Values(
        RoundTrip{"Stock", std::string(kStock)},
        RoundTrip{"QuotedWithFlags",
                  "# List of scx_schedulers: scx_lavd\nSCX_SCHEDULER=\"scx_lavd\"  \n"
                  "SCX_FLAGS='--performance --pinned-slice-us 500' \n"},
        RoundTrip{"Crlf", "# List of scx_schedulers: scx_lavd\r\nSCX_SCHEDULER=scx_lavd\r\n"},
        RoundTrip{"NoFinalNewline", "# List of scx_schedulers: scx_lavd\nSCX_SCHEDULER=scx_lavd"},
        RoundTrip{"NoSchedulerLine", "# List of scx_schedulers: scx_lavd\n# empty otherwise\n"},
        RoundTrip{"NoSchedulerLineNoFinalNewline", "# only a comment"}, RoundTrip{"Empty", ""},
        RoundTrip{"FlagsBeforeScheduler", "SCX_FLAGS=-x\nSCX_SCHEDULER=scx_lavd\n"}),
    [](const auto& info) { return info.param.name; });

TEST(DefaultScxRestore, RejectsWhatIsNotOneAssignmentOfTheVariable) {
    DefaultScxFile file(kStock);
    for (const char* bad : {"SCX_FLAGS=-s 1", "SCX_SCHEDULER=a\nX=1", "# SCX_SCHEDULER=scx_a",
                            "SCX_SCHEDULER='scx_a"})
        EXPECT_THROW(file.restore_assignment_line(ScxVariable::Scheduler, std::string(bad)), Error)
            << bad;
    EXPECT_EQ(file.text(), kStock);
}

TEST(DefaultScxEdit, RefusesBadSchedulerNamesAndMultiLineValues) {
    DefaultScxFile file(kStock);
    EXPECT_THROW(file.set_scheduler("scx_x; rm -rf /"), Error);
    DefaultScxFile continued("SCX_FLAGS='-s 700\n-S'\n");
    try {
        continued.set_flags(flags({"-a"}));
        FAIL() << "expected an Error";
    } catch (const Error& e) {
        EXPECT_THAT(e.what(), HasSubstr("SCX_FLAGS continues on the next line"));
    }
    EXPECT_EQ(continued.text(), "SCX_FLAGS='-s 700\n-S'\n");
}

// ---- set_value: any variable, safe text only ----

TEST(DefaultScxSetValue, GamerFlagsGoAtTheEndQuotedLikeTheExample) {
    DefaultScxFile file("# scx_gamer.service\r\nOTHER=1\r\n");
    file.set_value(ScxVariable::GamerFlags, "--profile gaming --slice-us 5000");
    EXPECT_EQ(file.text(), "# scx_gamer.service\r\nOTHER=1\r\n"
                           "SCX_GAMER_FLAGS='--profile gaming --slice-us 5000'\r\n");
    EXPECT_EQ(file.value(ScxVariable::GamerFlags), "--profile gaming --slice-us 5000");
    file.set_value(ScxVariable::GamerFlags, "--profile auto");
    EXPECT_EQ(file.text(),
              "# scx_gamer.service\r\nOTHER=1\r\nSCX_GAMER_FLAGS='--profile auto'\r\n");
    EXPECT_EQ(file.flags(), std::nullopt) << "SCX_GAMER_FLAGS is not SCX_FLAGS";
}

TEST(DefaultScxSetValue, AnEmptyValueAddsNoLine) {
    DefaultScxFile file("A=1\n");
    file.set_value(ScxVariable::GamerFlags, "");
    EXPECT_EQ(file.text(), "A=1\n");
}

TEST(DefaultScxSetValue, RefusesTextThatBashOrSystemdWouldReadDifferently) {
    for (const char* bad : {"$(reboot)", "${HOME}", "`id`", "a'b",  "a\"b", "a\\b", "a\nb", "a\rb",
                            "a\tb",      "a;b",     "a&b",  "a|b",  "a>b",  "a<b",  "a*",   "a?",
                            "[a]",       "~root",   "#x",   "a(b)", "a{b}", "%n",   "!x"}) {
        EXPECT_FALSE(is_safe_variable_value(bad)) << ::testing::PrintToString(std::string(bad));
        DefaultScxFile file(kStock);
        EXPECT_THROW(file.set_value(ScxVariable::Flags, bad), Error)
            << ::testing::PrintToString(std::string(bad));
        EXPECT_EQ(file.text(), kStock);
    }
    EXPECT_FALSE(is_safe_variable_value(std::string(4097, 'a')));
    for (const char* good :
         {"", "--profile gaming", "--mm-affinity=false", "--primary-domain 0-3,8",
          "--rules /etc/scx_gamer/a.b+c_d.toml", "--flag=value"})
        EXPECT_TRUE(is_safe_variable_value(good)) << good;
}

// ---- inputs found by tests/fuzz/fuzz_default_scx ----

// systemd ends a line at a lone CR as at LF, so "A=1\rB=2" assigns B: we must read (and edit)
// the same values scx.service gets.
TEST(DefaultScxFuzzRegression, ALoneCarriageReturnEndsALineAsInSystemd) {
    const std::string text = "FOO=x\rSCX_SCHEDULER=scx_lavd\rSCX_FLAGS='-a'\r\n";
    DefaultScxFile file(text);
    EXPECT_EQ(file.scheduler(), "scx_lavd");
    EXPECT_EQ(file.flags(), "-a");
    EXPECT_EQ(file.assignment_line(ScxVariable::Scheduler), "SCX_SCHEDULER=scx_lavd");
    EXPECT_EQ(file.text(), text);
    file.set_scheduler("scx_gamer");
    EXPECT_EQ(file.text(), "FOO=x\rSCX_SCHEDULER=scx_gamer\rSCX_FLAGS='-a'\r\n");
}

// The crashing input: the saved SCX_SCHEDULER line held a CR, which uninstall then refused to
// put back ("not a one-line SCX_SCHEDULER assignment"), so install could not be undone.
TEST(DefaultScxFuzzRegression, InstallThenUninstallAroundALoneCarriageReturn) {
    const std::string text("#\tlist%\0\r\n\0\0\0\0\0and\t\r\n"
                           "SCX_SCHEDULER=\"scx_bpfland\"\rscx_bpfland\"\r\n",
                           63);
    DefaultScxFile file(text);
    EXPECT_EQ(file.scheduler(), "scx_bpfland");

    const auto scheduler_line = file.assignment_line(ScxVariable::Scheduler);
    const auto flags_line = file.assignment_line(ScxVariable::Flags);
    file.set_scheduler("scx_gamer");
    file.set_flags(flags({"--slice-us", "5000"}));
    EXPECT_EQ(DefaultScxFile(file.text()).scheduler(), "scx_gamer");

    file.restore_assignment_line(ScxVariable::Scheduler, scheduler_line);
    file.restore_assignment_line(ScxVariable::Flags, flags_line);
    EXPECT_EQ(file.text(), text);
}

// The list comment's words are split at blanks only, so "x:scx_gamer" is not scx_gamer: install
// added a real scx_gamer, and uninstall removed that one and the tail of "x:scx_gamer" too.
TEST(DefaultScxFuzzRegression, RemoveListedTakesOnlyWholeWords) {
    const std::string text = "# List of scx_schedulers: scx_lavd x:scx_gamer\n";
    DefaultScxFile file(text);
    ASSERT_TRUE(file.add_listed_scheduler("scx_gamer"));
    EXPECT_EQ(file.listed_schedulers(), (Names{"scx_lavd", "x:scx_gamer", "scx_gamer"}));
    EXPECT_TRUE(file.remove_listed_scheduler("scx_gamer"));
    EXPECT_EQ(file.text(), text);

    DefaultScxFile right_after_colon("# List of scx_schedulers:scx_gamer scx_lavd\n");
    EXPECT_TRUE(right_after_colon.remove_listed_scheduler("scx_gamer"));
    EXPECT_EQ(right_after_colon.text(), "# List of scx_schedulers: scx_lavd\n");
}

} // namespace
} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
#include "config/loader_toml.h"
#include "util/error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace scx_gamer {
namespace {

using ::testing::HasSubstr;

const std::string kMarker = std::string(kGamerSectionMarker);

// A config as an administrator (or the CachyOS GUI) leaves it: comments, blank lines, several
// schedulers, a trailing comment.
constexpr std::string_view kRealistic = R"(# scx_loader configuration
default_sched = "scx_lavd"
default_mode = "Gaming"   # what the GUI starts

[scheds.scx_lavd]
auto_mode = ["--autopilot", "--pinned-slice-us", "500"]
gaming_mode = ["--performance", "--pinned-slice-us", "500"]

# bpfland tuned by hand
[scheds.scx_bpfland]
gaming_mode = [
    "-m", "all",   # every CPU
]
lowlatency_mode = ["-m", "performance", "-w"]
)";

// The shipped /usr/share/scx_loader/config.toml has every line commented out.
constexpr std::string_view kAllCommented = "# default_sched = \"scx_bpfland\"\n"
                                           "# default_mode = \"Auto\"\n";

std::vector<NamedFlags> two_profiles() {
    return {{"gaming", {"--slice-us", "2000", "--mm-affinity"}}, {"auto", {}}};
}

std::string our_block(std::string_view eol = "\n") {
    std::string e(eol);
    return kMarker + e + "[scheds.scx_gamer]" + e +
           "gaming_mode = [\"--slice-us\", \"2000\", \"--mm-affinity\"]" + e + "auto_mode = []" + e;
}

std::string error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& e) {
        return e.what();
    }
    return "<no error>";
}

TEST(ModeProfiles, AreTheFiveInScxLoaderOrderWithCanonicalFlags) {
    ProfileSet profiles = ProfileSet::builtin();
    profiles.set("gaming", {"-s", "3000", "-a"});
    profiles.set("custom", {"-s", "4000"});
    const auto modes = mode_profiles(profiles);
    ASSERT_EQ(modes.size(), 5u);
    EXPECT_EQ(modes[0], (NamedFlags{"auto", {}}));
    EXPECT_EQ(modes[1], (NamedFlags{"gaming", {"--slice-us", "3000", "--mm-affinity"}}));
    EXPECT_EQ(modes[2].name, "lowlatency");
    EXPECT_EQ(modes[3].name, "powersave");
    EXPECT_EQ(modes[4].name, "server");
}

// ---- appending a section: exact bytes ----

struct AppendCase {
    std::string name;
    std::string before;
    std::string after;
};

void PrintTo(const AppendCase& c, std::ostream* out) {
    *out << c.name;
}

class AppendsAtTheEnd : public ::testing::TestWithParam<AppendCase> {};

TEST_P(AppendsAtTheEnd, ByteForByteAndRemovalGivesTheOriginalBack) {
    const auto& c = GetParam();
    const std::string added = set_gamer_profiles(c.before, two_profiles(), "t.toml");
    EXPECT_EQ(added, c.after);
    EXPECT_TRUE(has_our_gamer_section(added, "t.toml"));
    EXPECT_EQ(remove_gamer_section(added, "t.toml", lacks_final_newline(c.before)), c.before);
}

INSTANTIATE_TEST_SUITE_P(
    LoaderToml, AppendsAtTheEnd,
    ::testing::Values(
        AppendCase{"EmptyFile", "", our_block()},
        AppendCase{"OneKey", "default_mode = \"Auto\"\n",
                   "default_mode = \"Auto\"\n\n" + our_block()},
        AppendCase{"NoFinalNewline", "default_mode = \"Auto\"",
                   "default_mode = \"Auto\"\n\n" + our_block()},
        AppendCase{"EndsWithBlankLine", "default_mode = \"Auto\"\n\n",
                   "default_mode = \"Auto\"\n\n\n" + our_block()},
        AppendCase{"Crlf", "default_mode = \"Auto\"\r\n[scheds.scx_lavd]\r\nauto_mode = []\r\n",
                   "default_mode = \"Auto\"\r\n[scheds.scx_lavd]\r\nauto_mode = []\r\n\r\n" +
                       our_block("\r\n")},
        AppendCase{"AllCommented", std::string(kAllCommented),
                   std::string(kAllCommented) + "\n" + our_block()},
        AppendCase{"Realistic", std::string(kRealistic),
                   std::string(kRealistic) + "\n" + our_block()}),
    [](const auto& info) { return info.param.name; });

// ---- updating an existing section in place ----

TEST(SetGamerProfiles, ReplacesValuesInPlaceAndAddsNewKeysAfterTheLastOne) {
    const std::string before = "[scheds.scx_gamer]  # mine\n"
                               "# my gaming profile\n"
                               "gaming_mode   = [\"-s\", \"500\"]   # tuned\n"
                               "raid_mode = [\n"
                               "  \"-a\",\n"
                               "]\n"
                               "\n"
                               "# lavd below\n"
                               "[scheds.scx_lavd]\n"
                               "auto_mode = []\n";
    const std::string after = set_gamer_profiles(
        before, {{"gaming", {"--slice-us", "2000"}}, {"raid", {}}, {"server", {"-s", "9000"}}},
        "t.toml");
    EXPECT_EQ(after, "[scheds.scx_gamer]  # mine\n"
                     "# my gaming profile\n"
                     "gaming_mode   = [\"--slice-us\", \"2000\"]   # tuned\n"
                     "raid_mode = []\n"
                     "server_mode = [\"-s\", \"9000\"]\n"
                     "\n"
                     "# lavd below\n"
                     "[scheds.scx_lavd]\n"
                     "auto_mode = []\n");
}

TEST(SetGamerProfiles, AddsAKeyToASectionAtTheEndOfAFileWithoutNewline) {
    EXPECT_EQ(
        set_gamer_profiles("[scheds.scx_gamer]\nauto_mode = []", {{"gaming", {"-a"}}}, "t.toml"),
        "[scheds.scx_gamer]\nauto_mode = []\ngaming_mode = [\"-a\"]\n");
    EXPECT_EQ(set_gamer_profiles("[scheds.scx_gamer]\n", {{"gaming", {"-a"}}}, "t.toml"),
              "[scheds.scx_gamer]\ngaming_mode = [\"-a\"]\n");
}

TEST(SetGamerProfiles, IsIdempotent) {
    const std::string once = set_gamer_profiles(kRealistic, two_profiles(), "t.toml");
    EXPECT_EQ(set_gamer_profiles(once, two_profiles(), "t.toml"), once);
}

TEST(SetGamerProfiles, RejectsInvalidFlagsAndNames) {
    EXPECT_THROW(set_gamer_profiles("", {{"gaming", {"--slice-us", "5"}}}, "t.toml"), FlagError);
    EXPECT_THAT(error_of([] {
                    set_gamer_profiles("", {{"Bad Name", {}}}, "t.toml");
                }),
                HasSubstr("invalid profile name"));
}

// ---- removing ----

TEST(RemoveGamerProfiles, RemovesWholeKeyLinesOnly) {
    const std::string before = "[scheds.scx_gamer]\n"
                               "auto_mode = []\n"
                               "raid_mode = [\n  \"-a\",\n]  # raid\n"
                               "gaming_mode = [\"-a\"]\n"
                               "[scheds.scx_lavd]\n";
    EXPECT_EQ(remove_gamer_profiles(before, {"raid", "gaming", "absent"}, "t.toml"),
              "[scheds.scx_gamer]\nauto_mode = []\n[scheds.scx_lavd]\n");
}

TEST(RemoveGamerSection, AnAdministratorsSectionInTheMiddle) {
    const std::string before = "default_mode = \"Auto\"\n"
                               "\n"
                               "[scheds.scx_gamer]\n"
                               "gaming_mode = [\"-a\"]\n"
                               "\n"
                               "# lavd, tuned\n"
                               "[scheds.scx_lavd]\n"
                               "auto_mode = []\n";
    EXPECT_FALSE(has_our_gamer_section(before, "t.toml"));
    EXPECT_TRUE(has_gamer_section(before, "t.toml"));
    EXPECT_EQ(remove_gamer_section(before, "t.toml"), "default_mode = \"Auto\"\n"
                                                      "\n"
                                                      "# lavd, tuned\n"
                                                      "[scheds.scx_lavd]\n"
                                                      "auto_mode = []\n");
}

TEST(RemoveGamerSection, NoSectionNoChange) {
    EXPECT_EQ(remove_gamer_section(kRealistic, "t.toml"), kRealistic);
    EXPECT_FALSE(has_gamer_section(kRealistic, "t.toml"));
}

// ---- refusing ----

TEST(LoaderTomlEdit, SyntaxErrorsNameFileLineAndColumn) {
    EXPECT_THAT(error_of([] { set_gamer_profiles("a = 1\n[scheds\n", {}, "bad.toml"); }),
                HasSubstr("bad.toml:2:"));
    EXPECT_THAT(error_of([] { remove_gamer_section("x = \n", "bad.toml"); }),
                HasSubstr("bad.toml:1:"));
}

TEST(LoaderTomlEdit, RefusesInlineAndDottedTables) {
    for (const char* text :
         {"[scheds]\nscx_gamer = { auto_mode = [] }\n", "[scheds]\nscx_gamer.auto_mode = []\n",
          "[scheds.scx_gamer.extra]\nx = 1\n"}) {
        EXPECT_THAT(error_of([&] { set_gamer_profiles(text, two_profiles(), "t.toml"); }),
                    HasSubstr("edit t.toml by hand"))
            << text;
        EXPECT_THAT(error_of([&] { remove_gamer_section(text, "t.toml"); }),
                    HasSubstr("edit t.toml by hand"))
            << text;
    }
}

// Found by tests/fuzz/fuzz_loader_toml: when `scheds` is an inline table, an array of tables or
// a value, TOML forbids a later [scheds.scx_gamer]. Appending one anyway made the edit's own
// check fire ("internal error: ... would make it invalid"); it is the file's problem, said so.
TEST(LoaderTomlFuzzRegression, SchedsThatCannotTakeOurSectionIsRefusedPlainly) {
    // The first is the crashing input as the fuzzer found it.
    for (const char* text :
         {"scheds = { scx_grema = { gscheds.scx_gameraserverode = [\"-a\"] } }\n",
          "scheds = { scx_lavd = { auto_mode = [] } }\n", "[[scheds]]\nx = 1\n", "scheds = 5\n"}) {
        const std::string error =
            error_of([&] { set_gamer_profiles(text, two_profiles(), "t.toml"); });
        EXPECT_THAT(error, HasSubstr("t.toml:1:")) << text;
        EXPECT_THAT(error, HasSubstr("[scheds.scx_gamer] cannot be added; edit t.toml by hand"))
            << text;
        EXPECT_THAT(error, ::testing::Not(HasSubstr("internal error"))) << text;
    }
    // Dotted keys and [scheds] headers can take it: TOML allows sub-tables there.
    for (const char* text : {"scheds.scx_lavd.auto_mode = []\n", "[scheds]\nscx_lavd = 1\n"}) {
        const std::string edited = set_gamer_profiles(text, two_profiles(), "t.toml");
        EXPECT_EQ(remove_gamer_section(edited, "t.toml"), text);
    }
}

// Found by tests/fuzz/fuzz_loader_toml (clean-clone CI): a file with an empty [scheds] of its
// own. Our section fills it; the edit's check, which drops an emptied [scheds] from the edited
// file only, then saw the rest change and refused ("internal error: ... would change more").
TEST(LoaderTomlFuzzRegression, AnEmptySchedsOfTheFilesOwnTakesOurSection) {
    for (const char* text :
         {"default_mode = \"Gaming\"\n[scheds]\n", "[scheds]\n", "[scheds]\n[other]\nx = 1\n"}) {
        const std::string edited = set_gamer_profiles(text, two_profiles(), "t.toml");
        EXPECT_TRUE(has_gamer_section(edited, "t.toml")) << text;
        EXPECT_EQ(remove_gamer_section(edited, "t.toml"), text);
    }
}

// Found by tests/fuzz/fuzz_loader_toml: install hung in toml11 on a comment with bad bytes.
TEST(LoaderTomlFuzzRegression, BadBytesInCommentsAreRefusedWithoutHanging) {
    EXPECT_EQ(error_of([] { set_gamer_profiles("#\xff\n#", two_profiles(), "t.toml"); }),
              "t.toml:1:2: invalid UTF-8 \"\\xff\" (TOML files must be UTF-8 text) (fix the "
              "file first; nothing was changed)");
}

// Found by tests/fuzz/fuzz_loader_toml (corpus file hang-skip-array-like): install hung in
// toml11's recovery from an unclosed nested array, until it ran out of memory.
TEST(LoaderTomlFuzzRegression, AKeyInsideAnUnclosedArrayIsRefusedWithoutHanging) {
    EXPECT_EQ(
        error_of([] { set_gamer_profiles("s = [[\nue^[x][y[= ]", two_profiles(), "t.toml"); }),
        "t.toml:2:10: '=' inside an array (a missing ']' or ',' before it?) (fix the file "
        "first; nothing was changed)");
}

} // namespace
} // namespace scx_gamer

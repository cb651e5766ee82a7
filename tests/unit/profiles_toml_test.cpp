// SPDX-License-Identifier: GPL-2.0-only
#include "temp_dir.h"
#include "tuning/profiles.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace scx_gamer {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;
using testing::TempDir;
using Flags = std::vector<std::string>;

Flags flags_of(const ProfileLoad& load, const std::string& name) {
    const auto listing = load.profiles.listing();
    auto it = listing.find(name);
    return it == listing.end() ? Flags{"<no such profile>"} : it->second;
}

Flags builtin_flags(const std::string& name) {
    return ProfileSet::builtin().listing().at(name);
}

// ---- modes ----

TEST(SchedMode, NumbersMatchScxLoader) {
    const std::vector<std::pair<std::string, unsigned>> expected = {
        {"auto", 0}, {"gaming", 1}, {"powersave", 2}, {"lowlatency", 3}, {"server", 4}};
    for (const auto& [name, number] : expected) {
        ASSERT_TRUE(sched_mode_of(name)) << name;
        EXPECT_EQ(static_cast<unsigned>(*sched_mode_of(name)), number) << name;
        EXPECT_EQ(profile_name_of(*sched_mode_of(name)), name);
    }
    EXPECT_EQ(sched_mode_of("raid"), std::nullopt);
}

TEST(ProfileName, IsABareTomlKey) {
    for (const char* good : {"gaming", "raid-night", "a_1", "9"})
        EXPECT_TRUE(is_valid_profile_name(good)) << good;
    for (const char* bad : {"", "Gaming", "_x", "-x", "a b", "a.b", "é"})
        EXPECT_FALSE(is_valid_profile_name(bad)) << bad;
    EXPECT_EQ(profile_key("gaming"), "gaming_mode");
}

// ---- which file ----

TEST(LoaderConfigLookup, FollowsScxLoadersOrder) {
    TempDir root;
    EXPECT_THAT(loader_config_paths(root.path()),
                ElementsAre(root.path() / "etc/scx_loader/config.toml",
                            root.path() / "etc/scx_loader.toml",
                            root.path() / "usr/share/scx_loader/config.toml",
                            root.path() / "usr/share/scx_loader.toml"));
    EXPECT_EQ(find_loader_config(root.path()), std::nullopt);
    root.write("usr/share/scx_loader.toml", "#\n");
    EXPECT_EQ(find_loader_config(root.path()), root.path() / "usr/share/scx_loader.toml");
    root.write("usr/share/scx_loader/config.toml", "#\n");
    EXPECT_EQ(find_loader_config(root.path()), root.path() / "usr/share/scx_loader/config.toml");
    root.write("etc/scx_loader.toml", "#\n");
    EXPECT_EQ(find_loader_config(root.path()), root.path() / "etc/scx_loader.toml");
    root.write("etc/scx_loader/config.toml", "#\n");
    EXPECT_EQ(find_loader_config(root.path()), root.path() / "etc/scx_loader/config.toml");
}

TEST(LoadProfiles, OnlyTheFirstExistingFileIsRead) {
    TempDir root;
    root.write("etc/scx_loader.toml", "[scheds.scx_gamer]\ngaming_mode = [\"-s\", \"7000\"]\n");
    root.write("etc/scx_loader/config.toml",
               "[scheds.scx_gamer]\ngaming_mode = [\"-s\", \"8000\"]\n");
    const ProfileLoad load = load_profiles(root.path());
    EXPECT_EQ(load.source, root.path() / "etc/scx_loader/config.toml");
    EXPECT_EQ(flags_of(load, "gaming"), (Flags{"--slice-us", "8000"}));
    EXPECT_THAT(load.warnings, IsEmpty());
}

TEST(LoadProfiles, NoFileMeansBuiltins) {
    TempDir root;
    const ProfileLoad load = load_profiles(root.path());
    EXPECT_EQ(load.source, std::nullopt);
    EXPECT_EQ(load.profiles, ProfileSet::builtin());
    EXPECT_THAT(load.warnings, IsEmpty());
}

// ---- what the text gives ----

TEST(ProfilesFromLoaderToml, OverridesBuiltinsAndAddsCustomProfiles) {
    const ProfileLoad load = profiles_from_loader_toml(R"(
default_sched = "scx_lavd"
[scheds.scx_lavd]
gaming_mode = ["--performance"]
[scheds.scx_gamer]
gaming_mode = ["--slice-us", "3000", "-a"]
raid_mode = ["--game-slice-us", "500"]
)",
                                                       "c.toml");
    EXPECT_THAT(load.warnings, IsEmpty());
    EXPECT_EQ(flags_of(load, "gaming"), (Flags{"--slice-us", "3000", "--mm-affinity"}));
    EXPECT_EQ(flags_of(load, "raid"), (Flags{"--game-slice-us", "500"}));
    EXPECT_EQ(flags_of(load, "server"), builtin_flags("server")) << "absent key: built-in";
    EXPECT_EQ(load.profiles.listing().size(), 6u);
}

TEST(ProfilesFromLoaderToml, NoSectionMeansBuiltins) {
    const ProfileLoad load =
        profiles_from_loader_toml("# all commented out\n# default_sched = \"scx_bpfland\"\n", "c");
    EXPECT_EQ(load.profiles, ProfileSet::builtin());
    EXPECT_THAT(load.warnings, IsEmpty());
}

struct BadFileCase {
    std::string name;
    std::string text;
    std::string warning_start; // the whole file is unusable: every profile of last_good is kept
};

void PrintTo(const BadFileCase& c, std::ostream* out) {
    *out << c.name;
}

class KeepsTheLastGoodSet : public ::testing::TestWithParam<BadFileCase> {};

TEST_P(KeepsTheLastGoodSet, WhenTheFileIsUnusable) {
    ProfileSet last_good = ProfileSet::builtin();
    last_good.set("gaming", {"--slice-us", "4000"});
    last_good.set("raid", {"-a"});
    const ProfileLoad load = profiles_from_loader_toml(GetParam().text, "c.toml", last_good);
    EXPECT_EQ(load.profiles, last_good);
    ASSERT_EQ(load.warnings.size(), 1u);
    EXPECT_THAT(load.warnings[0], StartsWith(GetParam().warning_start));
    EXPECT_THAT(load.warnings[0], HasSubstr("keeping the current profiles"));
}

INSTANTIATE_TEST_SUITE_P(
    ProfilesFromLoaderToml, KeepsTheLastGoodSet,
    ::testing::Values(
        BadFileCase{"Empty", "", "c.toml: the file is empty"},
        BadFileCase{"OnlyBlanks", " \n\t\r\n", "c.toml: the file is empty"},
        BadFileCase{"UnclosedHeader", "a = 1\n[scheds.scx_gamer\n", "c.toml:2:"},
        BadFileCase{"BadValue", "[scheds.scx_gamer]\ngaming_mode = [\"-a\"\n", "c.toml:2:"},
        BadFileCase{"DuplicateKey", "[scheds.scx_gamer]\nauto_mode = []\nauto_mode = []\n",
                    "c.toml:3:"},
        BadFileCase{"SchedsNotATable", "scheds = 1\n", "c.toml:1:10: scheds must be a table"},
        BadFileCase{"GamerNotATable", "[scheds]\nscx_gamer = 1\n",
                    "c.toml:2:13: scheds.scx_gamer must be a table"}),
    [](const auto& info) { return info.param.name; });

TEST(ProfilesFromLoaderToml, EmptyFileOnFirstLoadGivesBuiltins) {
    const ProfileLoad load = profiles_from_loader_toml("", "/etc/scx_loader.toml");
    EXPECT_EQ(load.profiles, ProfileSet::builtin());
    EXPECT_THAT(load.warnings,
                ElementsAre("/etc/scx_loader.toml: the file is empty, and scx_loader rejects an "
                            "empty config file; keeping the current profiles"));
}

TEST(ProfilesFromLoaderToml, ABadKeyCostsOnlyThatProfile) {
    ProfileSet last_good = ProfileSet::builtin();
    last_good.set("lowlatency", {"--slice-us", "900"});
    last_good.set("raid", {"-a"});
    const ProfileLoad load = profiles_from_loader_toml(R"([scheds.scx_gamer]
gaming_mode = ["--slice-us", "100001"]
lowlatency_mode = "--slice-us 800"
raid_mode = [1, 2]
party_mode = ["--bogus"]
server_mode = ["-s", "20000"]
colour = "blue"
)",
                                                       "c.toml", last_good);
    EXPECT_THAT(load.warnings,
                ElementsAre("c.toml:2:15: gaming_mode: --slice-us: 100001 is out of range [100, "
                            "100000]; using the built-in \"gaming\" profile",
                            "c.toml:3:19: lowlatency_mode: must be a list of strings, e.g. "
                            "lowlatency_mode = [\"--slice-us\", \"2000\"]; keeping the previous "
                            "\"lowlatency\" profile",
                            "c.toml:4:13: raid_mode: must be a list of strings, e.g. raid_mode = "
                            "[\"--slice-us\", \"2000\"]; keeping the previous \"raid\" profile",
                            HasSubstr("c.toml:5:14: party_mode: "),
                            "c.toml:7:10: unknown key \"colour\" in [scheds.scx_gamer] (profiles "
                            "are NAME_mode = [\"--flag\", ...]); ignored"));
    EXPECT_THAT(load.warnings[3], HasSubstr("; profile \"party\" ignored"));
    EXPECT_EQ(flags_of(load, "gaming"), builtin_flags("gaming"));
    EXPECT_EQ(flags_of(load, "lowlatency"), (Flags{"--slice-us", "900"}));
    EXPECT_EQ(flags_of(load, "raid"), (Flags{"--mm-affinity"}));
    EXPECT_EQ(flags_of(load, "server"), (Flags{"--slice-us", "20000"}));
    EXPECT_EQ(load.profiles.find("party"), nullptr);
}

// The key an scx_loader with external schedulers reads (docs/upstream-scx-loader.md) is not a
// profile and no mistake either: no warning, unless it is not a path string.
TEST(ProfilesFromLoaderToml, TheExecKeyOfTheUpstreamProposalIsAcceptedQuietly) {
    const ProfileLoad load = profiles_from_loader_toml(R"([scheds.scx_gamer]
exec = "/usr/bin/scx_gamer"
gaming_mode = ["--slice-us", "3000"]
)",
                                                       "e.toml");
    EXPECT_THAT(load.warnings, ::testing::IsEmpty());
    EXPECT_EQ(flags_of(load, "gaming"), (Flags{"--slice-us", "3000"}));
    EXPECT_EQ(load.profiles.find("exec"), nullptr);

    const ProfileLoad bad = profiles_from_loader_toml("[scheds.scx_gamer]\nexec = 1\n", "e.toml");
    EXPECT_THAT(bad.warnings, ElementsAre(HasSubstr("e.toml:2:8: exec must be a string")));
}

// The original scx_gamer's INSTALL.sh wrote these modes into /etc/scx_loader.toml: below our
// minimums, they are raised with a warning rather than costing the profile.
TEST(ProfilesFromLoaderToml, TheOriginalsModesAreRaisedToTheMinimums) {
    const ProfileLoad load = profiles_from_loader_toml(R"([scheds.scx_gamer]
gaming_mode = ["--slice-us", "10", "--mm-affinity", "--wakeup-timer-us", "100", "--stats", "0"]
lowlatency_mode = ["--slice-us", "5", "--mm-affinity", "--wakeup-timer-us", "50", "--stats", "0"]
powersave_mode = ["--slice-us", "20", "--stats", "1.0"]
)",
                                                       "c.toml");
    EXPECT_THAT(load.warnings,
                ElementsAre(HasSubstr("c.toml:2:15: gaming_mode: --slice-us 10 is below the "
                                      "minimum 100; using 100"),
                            HasSubstr("c.toml:2:15: gaming_mode: --wakeup-timer-us 100 is below "
                                      "the minimum 250; using 250"),
                            HasSubstr("c.toml:3:19: lowlatency_mode: --slice-us 5 is below the "
                                      "minimum 100; using 100"),
                            HasSubstr("c.toml:3:19: lowlatency_mode: --wakeup-timer-us 50 is "
                                      "below the minimum 250; using 250"),
                            "c.toml:4:18: powersave_mode: --slice-us 20 is below the minimum "
                            "100; using 100"));
    const Flags raised = {"--slice-us", "100", "--mm-affinity", "--wakeup-timer-us", "250",
                          "--stats",    "0"};
    EXPECT_EQ(flags_of(load, "gaming"), raised);
    EXPECT_EQ(flags_of(load, "lowlatency"), raised);
    EXPECT_EQ(flags_of(load, "powersave"), (Flags{"--slice-us", "100", "--stats", "1"}));
}

TEST(ProfilesFromLoaderToml, WarnsThatDefaultSchedScxGamerBreaksScxLoader) {
    const ProfileLoad load = profiles_from_loader_toml("default_sched = \"scx_gamer\"\n", "c.toml");
    ASSERT_EQ(load.warnings.size(), 1u);
    EXPECT_THAT(load.warnings[0], StartsWith("c.toml:1:17: default_sched = \"scx_gamer\" makes "
                                             "scx_loader reject this whole file"));
    EXPECT_EQ(load.profiles, ProfileSet::builtin());
}

TEST(LoadProfiles, AReloadAfterABadEditKeepsTheLastGoodSet) {
    TempDir root;
    const auto path =
        root.write("etc/scx_loader.toml", "[scheds.scx_gamer]\ngaming_mode = [\"-s\", \"3000\"]\n");
    const ProfileLoad first = load_profiles(root.path());
    ASSERT_THAT(first.warnings, IsEmpty());

    root.write("etc/scx_loader.toml", "[scheds.scx_gamer\n");
    const ProfileLoad second = load_profiles(root.path(), first.profiles);
    EXPECT_EQ(second.profiles, first.profiles);
    EXPECT_EQ(second.source, path);
    ASSERT_EQ(second.warnings.size(), 1u);
    EXPECT_THAT(second.warnings[0], StartsWith(path.string() + ":1:"));
}

TEST(LoadProfiles, AnUnreadableFileIsAWarning) {
    TempDir root;
    fs::create_directories(root.path() / "etc/scx_loader.toml"); // a directory, not a file
    const ProfileLoad load = load_profiles(root.path());
    EXPECT_EQ(load.profiles, ProfileSet::builtin());
    ASSERT_EQ(load.warnings.size(), 1u);
    EXPECT_THAT(load.warnings[0], HasSubstr("not a regular file"));
}

// Found by tests/fuzz/fuzz_loader_toml: these files made toml11 4.4's error recovery loop
// forever (the second until memory ran out), so a daemon reload hung on them. Now each is an
// unusable file like any other: warned about, profiles kept. Before the fixes this test hung.
TEST(ProfilesFromLoaderToml, FilesThatHungToml11AreAWarningNotAHang) {
    const std::pair<std::string, std::string> cases[] = {
        {"# \xff\xff\xff default_sched = \"scx_bpfland\"\n# default_mode = \"Auto\"\n",
         "c.toml:1:3: invalid UTF-8 \"\\xff\" (TOML files must be UTF-8 text)"},
        {"[scheds.scx_gamer]\ngaming_mode = [[\nue^[x][y[= ]\n",
         "c.toml:3:10: '=' inside an array (a missing ']' or ',' before it?)"},
    };
    for (const auto& [text, error] : cases) {
        ProfileSet last_good = ProfileSet::builtin();
        last_good.set("gaming", {"-s", "3000"});
        const ProfileLoad load = profiles_from_loader_toml(text, "c.toml", last_good);
        EXPECT_THAT(load.warnings, ElementsAre(error + "; keeping the current profiles"));
        EXPECT_EQ(load.profiles, last_good);
    }
}

} // namespace
} // namespace scx_gamer

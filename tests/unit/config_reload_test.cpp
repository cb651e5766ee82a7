// SPDX-License-Identifier: GPL-2.0-only
// What a configuration reload changes (reload_profiles) and what is watched for it
// (config_watch_plan), on temporary files.
#include "config/config_reload.h"
#include "temp_dir.h"

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
using ::testing::Pair;
using testing::TempDir;
using ::testing::UnorderedElementsAre;
using Flags = std::vector<std::string>;

constexpr const char* kLoaderToml = "etc/scx_loader.toml";

Flags flags_of(const ProfileSet& set, const std::string& name) {
    const auto listing = set.listing();
    auto it = listing.find(name);
    return it == listing.end() ? Flags{"<no such profile>"} : it->second;
}

ProfileSet loaded(const TempDir& root) {
    ProfileLoad load = load_profiles(root.path());
    EXPECT_THAT(load.warnings, IsEmpty());
    return load.profiles;
}

// ---- reload_profiles ----

TEST(ReloadProfiles, EditOfTheActiveProfileAsksToReapplyIt) {
    TempDir root;
    root.write(kLoaderToml, "[scheds.scx_gamer]\ngaming_mode = [\"--slice-us\", \"3000\"]\n");
    const ProfileSet current = loaded(root);
    root.write(kLoaderToml, "[scheds.scx_gamer]\ngaming_mode = [\"--slice-us\", \"4000\"]\n");

    const ProfileReload reload = reload_profiles(current, "gaming", root.path());
    EXPECT_TRUE(reload.changed);
    EXPECT_TRUE(reload.active_changed);
    EXPECT_THAT(flags_of(reload.profiles, "gaming"), ElementsAre("--slice-us", "4000"));
    EXPECT_THAT(reload.warnings, IsEmpty());
    EXPECT_EQ(reload.source, root.path() / kLoaderToml);
}

TEST(ReloadProfiles, EditOfAnotherProfileChangesTheSetOnly) {
    TempDir root;
    root.write(kLoaderToml, "[scheds.scx_gamer]\nserver_mode = [\"--slice-us\", \"9000\"]\n");
    const ProfileSet current = loaded(root);
    root.write(kLoaderToml, "[scheds.scx_gamer]\nserver_mode = [\"--slice-us\", \"8000\"]\n");

    const ProfileReload reload = reload_profiles(current, "gaming", root.path());
    EXPECT_TRUE(reload.changed);
    EXPECT_FALSE(reload.active_changed);
    EXPECT_THAT(flags_of(reload.profiles, "server"), ElementsAre("--slice-us", "8000"));
}

TEST(ReloadProfiles, UnchangedFileChangesNothing) {
    TempDir root;
    root.write(kLoaderToml, "[scheds.scx_gamer]\ngaming_mode = [\"--slice-us\", \"3000\"]\n");
    const ProfileSet current = loaded(root);
    const ProfileReload reload = reload_profiles(current, "gaming", root.path());
    EXPECT_FALSE(reload.changed);
    EXPECT_FALSE(reload.active_changed);
}

TEST(ReloadProfiles, SyntaxErrorKeepsTheLastGoodProfilesAndSaysWhere) {
    TempDir root;
    root.write(kLoaderToml, "[scheds.scx_gamer]\ngaming_mode = [\"--slice-us\", \"3000\"]\n");
    const ProfileSet current = loaded(root);
    root.write(kLoaderToml, "[scheds.scx_gamer]\ngaming_mode = [\"--slice-us\", \"4000\"\n");

    const ProfileReload reload = reload_profiles(current, "gaming", root.path());
    EXPECT_FALSE(reload.changed);
    EXPECT_FALSE(reload.active_changed);
    EXPECT_THAT(flags_of(reload.profiles, "gaming"), ElementsAre("--slice-us", "3000"));
    ASSERT_EQ(reload.warnings.size(), 1u);
    // file:line:col of the error.
    EXPECT_THAT(reload.warnings[0], HasSubstr((root.path() / kLoaderToml).string() + ":2:"));
    EXPECT_THAT(reload.warnings[0], HasSubstr("keeping the current profiles"));
}

TEST(ReloadProfiles, InvalidFlagKeepsThatProfilesCurrentFlags) {
    TempDir root;
    root.write(kLoaderToml, "[scheds.scx_gamer]\ngaming_mode = [\"--slice-us\", \"3000\"]\n"
                            "server_mode = [\"--slice-us\", \"9000\"]\n");
    const ProfileSet current = loaded(root);
    root.write(kLoaderToml, "[scheds.scx_gamer]\ngaming_mode = [\"--slice-us\", \"100001\"]\n"
                            "server_mode = [\"--slice-us\", \"8000\"]\n");

    const ProfileReload reload = reload_profiles(current, "gaming", root.path());
    EXPECT_FALSE(reload.active_changed);
    EXPECT_TRUE(reload.changed); // server did change
    EXPECT_THAT(flags_of(reload.profiles, "gaming"), ElementsAre("--slice-us", "3000"));
    EXPECT_THAT(flags_of(reload.profiles, "server"), ElementsAre("--slice-us", "8000"));
    ASSERT_EQ(reload.warnings.size(), 1u);
    EXPECT_THAT(reload.warnings[0], HasSubstr(":2:"));
    EXPECT_THAT(reload.warnings[0], HasSubstr("--slice-us"));
}

TEST(ReloadProfiles, RemovedFileBringsBackTheBuiltIns) {
    TempDir root;
    root.write(kLoaderToml, "[scheds.scx_gamer]\ngaming_mode = [\"--slice-us\", \"3000\"]\n");
    const ProfileSet current = loaded(root);
    fs::remove(root.path() / kLoaderToml);

    const ProfileReload reload = reload_profiles(current, "gaming", root.path());
    EXPECT_TRUE(reload.active_changed);
    EXPECT_EQ(reload.profiles, ProfileSet::builtin());
    EXPECT_EQ(reload.source, std::nullopt);
}

TEST(ReloadProfiles, ActiveCustomProfileRemovedFromTheFileKeepsItsFlags) {
    TempDir root;
    root.write(kLoaderToml, "[scheds.scx_gamer]\nraid_mode = [\"--game-slice-us\", \"500\"]\n");
    const ProfileSet current = loaded(root);
    root.write(kLoaderToml, "[scheds.scx_gamer]\n");

    const ProfileReload reload = reload_profiles(current, "raid", root.path());
    EXPECT_FALSE(reload.active_changed);
    EXPECT_THAT(flags_of(reload.profiles, "raid"), ElementsAre("--game-slice-us", "500"));
    ASSERT_EQ(reload.warnings.size(), 1u);
    EXPECT_THAT(reload.warnings[0], HasSubstr("\"raid\" is no longer defined"));
}

TEST(ReloadProfiles, InactiveCustomProfileRemovedFromTheFileGoes) {
    TempDir root;
    root.write(kLoaderToml, "[scheds.scx_gamer]\nraid_mode = [\"--game-slice-us\", \"500\"]\n");
    const ProfileSet current = loaded(root);
    root.write(kLoaderToml, "[scheds.scx_gamer]\n");

    const ProfileReload reload = reload_profiles(current, "gaming", root.path());
    EXPECT_TRUE(reload.changed);
    EXPECT_EQ(reload.profiles.find("raid"), nullptr);
    EXPECT_THAT(reload.warnings, IsEmpty());
}

TEST(ReloadProfiles, FileEarlierInTheLookupOrderTakesOver) {
    TempDir root;
    root.write("usr/share/scx_loader.toml",
               "[scheds.scx_gamer]\ngaming_mode = [\"--slice-us\", \"3000\"]\n");
    const ProfileSet current = loaded(root);
    root.write("etc/scx_loader/config.toml",
               "[scheds.scx_gamer]\ngaming_mode = [\"--slice-us\", \"6000\"]\n");

    const ProfileReload reload = reload_profiles(current, "gaming", root.path());
    EXPECT_TRUE(reload.active_changed);
    EXPECT_EQ(reload.source, root.path() / "etc/scx_loader/config.toml");
    EXPECT_THAT(flags_of(reload.profiles, "gaming"), ElementsAre("--slice-us", "6000"));
}

// ---- config_watch_plan ----

TEST(ConfigWatchPlan, WatchesTheNearestExistingDirectoryOfEachFile) {
    TempDir root;
    fs::create_directories(root.path() / "etc/scx_gamer");
    fs::create_directories(root.path() / "usr/share");
    const WatchPlan plan =
        config_watch_plan(config_files(root.path(), root.path() / "etc/scx_gamer/games.toml"));
    EXPECT_THAT(
        plan,
        UnorderedElementsAre(
            Pair(root.path() / "etc", UnorderedElementsAre("scx_loader", "scx_loader.toml")),
            Pair(root.path() / "usr/share", UnorderedElementsAre("scx_loader", "scx_loader.toml")),
            Pair(root.path() / "etc/scx_gamer", UnorderedElementsAre("games.toml"))));
}

TEST(ConfigWatchPlan, FollowsDirectoriesThatAppear) {
    TempDir root;
    fs::create_directories(root.path() / "etc");
    const std::vector<fs::path> files{root.path() / "etc/scx_loader/config.toml"};
    EXPECT_THAT(
        config_watch_plan(files),
        UnorderedElementsAre(Pair(root.path() / "etc", UnorderedElementsAre("scx_loader"))));
    fs::create_directories(root.path() / "etc/scx_loader");
    EXPECT_THAT(config_watch_plan(files),
                UnorderedElementsAre(
                    Pair(root.path() / "etc/scx_loader", UnorderedElementsAre("config.toml"))));
}

TEST(ConfigWatchPlan, DeeplyMissingPathsAreWatchedFromTheFirstExistingAncestor) {
    TempDir root;
    const std::vector<fs::path> files{root.path() / "a/b/c/file.toml"};
    EXPECT_THAT(config_watch_plan(files),
                UnorderedElementsAre(Pair(root.path(), UnorderedElementsAre("a"))));
}

} // namespace
} // namespace scx_gamer

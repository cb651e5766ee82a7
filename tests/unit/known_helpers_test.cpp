// SPDX-License-Identifier: GPL-2.0-only
#include "games/known_helpers.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace scx_gamer {
namespace {

class KnownHelper : public ::testing::TestWithParam<std::string> {};

TEST_P(KnownHelper, IsFound) {
    EXPECT_NE(find_known_helper(GetParam()), nullptr);
}

// Every helper the classifier must never report as a game.
INSTANTIATE_TEST_SUITE_P(
    Listed, KnownHelper,
    ::testing::Values("steam", "steamwebhelper", "reaper", "pressure-vessel-wrap",
                      "pressure-vessel-adverb", "pv-bwrap", "srt-bwrap", "wineserver",
                      "steam-runtime-launcher-service", "gameoverlayui", "fossilize_replay",
                      "explorer.exe", "EXPLORER.EXE", "services.exe", "winedevice.exe",
                      "plugplay.exe", "svchost.exe", "rpcss.exe", "conhost.exe", "start.exe",
                      "wineboot.exe", "steam.exe", "sh", "bash", "dash", "zsh", "fish", "python",
                      "python3", "python3.11", "perl", "env", "UnityCrashHandler64.exe",
                      "CrashReportClient.exe", "crashhandler", "Battle.net.exe",
                      "EpicGamesLauncher.exe", "unins000.exe", "EasyAntiCheat_EOS.exe"));

class NotAHelper : public ::testing::TestWithParam<std::string> {};

TEST_P(NotAHelper, IsNotFound) {
    EXPECT_EQ(find_known_helper(GetParam()), nullptr);
}

INSTANTIATE_TEST_SUITE_P(Games, NotAHelper,
                         ::testing::Values("eldenring.exe", "hl2_linux", "witcher3.exe",
                                           "Cyberpunk2077.exe", "luanti", "supertuxkart",
                                           "Terraria", "java", "mono", "wine64-preloader", "wine",
                                           "shotgun.exe", "steamworld.exe", "fishing_planet.exe",
                                           "envoy.exe", "bashful.exe"));

TEST(KnownHelpers, TableIsWellFormed) {
    for (const auto& helper : known_helpers()) {
        EXPECT_FALSE(helper.pattern.empty());
        EXPECT_FALSE(helper.category.empty()) << helper.pattern;
        EXPECT_EQ(helper.category.find(':'), std::string_view::npos) << helper.category;
    }
}

TEST(SystemDirs, Programs) {
    EXPECT_TRUE(is_in_system_dir("/usr/bin/sleep"));
    EXPECT_TRUE(is_in_system_dir("/bin/sh"));
    EXPECT_TRUE(is_in_system_dir("/run/host/usr/bin/gamescope"));
    EXPECT_FALSE(is_in_system_dir("/usr/games/supertuxkart"));
    EXPECT_FALSE(is_in_system_dir("/home/u/.local/share/Steam/steamapps/common/x/game"));
    EXPECT_FALSE(is_in_system_dir("/opt/game/game"));
    EXPECT_FALSE(is_in_system_dir("/usr/binary"));
}

TEST(WindowsSystem, Programs) {
    EXPECT_TRUE(is_windows_system_program("C:\\windows\\system32\\services.exe"));
    EXPECT_TRUE(is_windows_system_program("c:\\WINDOWS\\explorer.exe"));
    EXPECT_TRUE(is_windows_system_program("C:/windows/syswow64/rundll32.exe"));
    EXPECT_FALSE(is_windows_system_program("C:\\Games\\game.exe"));
    EXPECT_FALSE(is_windows_system_program("Z:\\windows\\game.exe"));
    EXPECT_FALSE(is_windows_system_program("C:\\windows\\"));
}

// docs/games.md lists the helpers for users; the table is the source, this keeps them in step.
TEST(KnownHelpers, DocumentedInGamesMd) {
    std::ifstream doc(std::string(SCX_GAMER_SOURCE_DIR) + "/docs/games.md");
    ASSERT_TRUE(doc) << "docs/games.md not found";
    std::stringstream text;
    text << doc.rdbuf();
    for (const auto& helper : known_helpers()) {
        const std::string cell = "`" + std::string(helper.pattern) + "`";
        const std::string row = "| `" + std::string(helper.category) + "` |";
        const auto row_start = text.str().find(row);
        ASSERT_NE(row_start, std::string::npos) << "no row for category " << helper.category;
        const auto row_end = text.str().find('\n', row_start);
        EXPECT_NE(text.str().substr(row_start, row_end - row_start).find(cell), std::string::npos)
            << helper.pattern << " is missing from the " << helper.category << " row";
    }
}

} // namespace
} // namespace scx_gamer

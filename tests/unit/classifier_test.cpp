// SPDX-License-Identifier: GPL-2.0-only
#include "games/classifier.h"
#include "util/log.h"

#include "fake_proc_reader.h"
#include "temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace scx_gamer {
namespace {

using testing::FakeProcess;
using testing::FakeProcReader;
using ::testing::HasSubstr;
using testing::TempDir;

constexpr pid_t kPid = 4242;
const std::string kSteam = "/home/gamer/.local/share/Steam";
const std::string kProton = kSteam + "/steamapps/common/Proton 9.0/files/bin/wine64-preloader";

std::vector<std::string> steam_env(const std::string& app_id = "1245620") {
    return {"HOME=/home/gamer", "SteamAppId=" + app_id, "SteamGameId=" + app_id,
            "STEAM_COMPAT_APP_ID=" + app_id};
}

FakeProcess native(std::string comm, std::string exe, std::vector<std::string> argv,
                   std::vector<std::string> env = {"HOME=/home/gamer"}) {
    return FakeProcess{std::move(comm), std::move(exe), std::move(argv), std::move(env)};
}

FakeProcess wine(std::string comm, std::string windows_path, std::vector<std::string> env = {},
                 std::string loader = kProton) {
    return FakeProcess{std::move(comm), std::move(loader),
                       std::vector<std::string>{std::move(windows_path)}, std::move(env)};
}

Verdict classify(const FakeProcess& process, const Classifier& classifier = Classifier{}) {
    FakeProcReader reader;
    reader.add(kPid, process);
    const auto info = read_process_info(reader, kPid);
    if (!info)
        throw std::runtime_error("process vanished");
    return classifier.classify(*info);
}

struct Case {
    std::string title;
    FakeProcess process;
    Verdict expected;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
    return info.param.title;
}

class Classifies : public ::testing::TestWithParam<Case> {};

TEST_P(Classifies, ByHeuristics) {
    EXPECT_EQ(classify(GetParam().process), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Games, Classifies,
    ::testing::Values(Case{"SteamNativeGame",
                           native("hl2_linux", kSteam + "/steamapps/common/Half-Life 2/hl2_linux",
                                  {kSteam + "/steamapps/common/Half-Life 2/hl2_linux", "-game",
                                   "hl2"},
                                  steam_env("220")),
                           {true, "steam-app-id", "hl2_linux"}},
                      Case{"ProtonGameWithZDrivePath",
                           wine("eldenring.exe",
                                "Z:\\home\\gamer\\.local\\share\\Steam\\steamapps\\common\\ELDEN "
                                "RING\\Game\\eldenring.exe",
                                steam_env()),
                           {true, "steam-app-id", "eldenring.exe"}},
                      Case{"WineGameWithoutSteam",
                           wine("witcher3.exe", "C:\\Games\\Witcher 3\\bin\\x64\\witcher3.exe", {},
                                "/usr/bin/wine64-preloader"),
                           {true, "wine-exe", "witcher3.exe"}},
                      Case{"WineLoaderBeforeThePreloaderRewritesArgv",
                           native("wine64", "/usr/bin/wine64", {"wine64", "Game.exe"}),
                           {true, "wine-exe", "Game.exe"}},
                      Case{"TruncatedCommStillUsesTheFullExeName",
                           wine("VeryLongGameNam", "Z:\\games\\VeryLongGameName.exe"),
                           {true, "wine-exe", "VeryLongGameName.exe"}},
                      Case{"NonSteamShortcut",
                           native("game", "/opt/game/game", {"/opt/game/game"},
                                  {"SteamAppId=0", "SteamGameId=13029441491437150208"}),
                           {true, "steam-app-id", "game"}}),
    case_name);

INSTANTIATE_TEST_SUITE_P(
    HelpersWithSteamAppId, Classifies,
    ::testing::Values(
        Case{"SteamClient",
             native("steam", kSteam + "/ubuntu12_32/steam", {kSteam + "/ubuntu12_32/steam"},
                    steam_env()),
             {false, "excluded:launcher:steam", "steam"}},
        Case{"SteamWebHelper",
             native("steamwebhelper", kSteam + "/ubuntu12_64/steamwebhelper",
                    {kSteam + "/ubuntu12_64/steamwebhelper", "--type=renderer"}, steam_env()),
             {false, "excluded:launcher:steamwebhelper", "steamwebhelper"}},
        Case{"Reaper",
             native("reaper", kSteam + "/ubuntu12_32/reaper",
                    {kSteam + "/ubuntu12_32/reaper", "SteamLaunch", "AppId=1245620"}, steam_env()),
             {false, "excluded:steam-runtime:reaper", "reaper"}},
        Case{"PressureVessel",
             native("pressure-vessel",
                    kSteam + "/steamapps/common/SteamLinuxRuntime_sniper/pressure-vessel/bin/"
                             "pressure-vessel-wrap",
                    {"pressure-vessel-wrap"}, steam_env()),
             {false, "excluded:steam-runtime:pressure-vessel-wrap", "pressure-vessel-wrap"}},
        Case{"SrtBwrap",
             native("srt-bwrap",
                    kSteam + "/steamapps/common/SteamLinuxRuntime_sniper/pressure-vessel/libexec/"
                             "steam-runtime-tools-0/srt-bwrap",
                    {"srt-bwrap"}, steam_env()),
             {false, "excluded:steam-runtime:srt-bwrap", "srt-bwrap"}},
        Case{"SteamRuntimeTool",
             native("steam-runtime-l",
                    "/usr/lib/pressure-vessel/from-host/libexec/steam-runtime-tools-0/"
                    "steam-runtime-launcher-service",
                    {"steam-runtime-launcher-service"}, steam_env()),
             {false, "excluded:steam-runtime:steam-runtime-launcher-service",
              "steam-runtime-launcher-service"}},
        Case{"GameOverlay",
             native("gameoverlayui", kSteam + "/ubuntu12_32/gameoverlayui",
                    {kSteam + "/ubuntu12_32/gameoverlayui", "-pid", "4242"}, steam_env()),
             {false, "excluded:overlay:gameoverlayui", "gameoverlayui"}},
        Case{"Wineserver",
             native("wineserver", kSteam + "/steamapps/common/Proton 9.0/files/bin/wineserver",
                    {kSteam + "/steamapps/common/Proton 9.0/files/bin/wineserver"}, steam_env()),
             {false, "excluded:wine-system:wineserver", "wineserver"}},
        Case{"WindowsServices",
             wine("services.exe", "C:\\windows\\system32\\services.exe", steam_env()),
             {false, "excluded:windows-system:services.exe", "services.exe"}},
        Case{"WindowsExplorer",
             wine("explorer.exe", "C:\\windows\\explorer.exe", steam_env()),
             {false, "excluded:windows-system:explorer.exe", "explorer.exe"}},
        Case{"WineDeviceForwardSlashes",
             wine("winedevice.exe", "c:/windows/system32/winedevice.exe", steam_env()),
             {false, "excluded:windows-system:winedevice.exe", "winedevice.exe"}},
        Case{"ProtonSteamExe",
             wine("steam.exe", "C:\\windows\\system32\\steam.exe", steam_env()),
             {false, "excluded:windows-system:steam.exe", "steam.exe"}},
        Case{"WineStartOutsideSystem32",
             wine("start.exe", "Z:\\tmp\\start.exe", steam_env()),
             {false, "excluded:wine-system:start.exe", "start.exe"}},
        Case{"UnityCrashHandler",
             wine("UnityCrashHand", "Z:\\games\\Foo\\UnityCrashHandler64.exe", steam_env()),
             {false, "excluded:crash-handler:UnityCrashHandler64.exe", "UnityCrashHandler64.exe"}},
        Case{"BattleNetLauncher",
             wine("Battle.net.exe", "C:\\Program Files (x86)\\Battle.net\\Battle.net.exe"),
             {false, "excluded:launcher:Battle.net.exe", "Battle.net.exe"}},
        Case{"ShellWithSteamAppId",
             native("sh", "/usr/bin/dash", {"sh", "-c", "true"}, steam_env()),
             {false, "excluded:shell:dash", "dash"}},
        Case{
            "LaunchScriptInTheGameDirectory",
            native("start_game.sh", "/usr/bin/bash", {"/bin/bash", "./start_game.sh"}, steam_env()),
            {false, "excluded:shell:bash", "bash"}},
        Case{"PythonWithSteamAppId",
             native("python3", "/usr/bin/python3.11", {"python3", "-c", "pass"}, steam_env()),
             {false, "excluded:interpreter:python3.11", "python3.11"}},
        Case{
            "ProtonScript",
            native("python3", "/usr/bin/python3.11",
                   {"python3", kSteam + "/steamapps/common/Proton 9.0/proton", "waitforexitandrun"},
                   steam_env()),
            {false, "excluded:interpreter:python3.11", "python3.11"}},
        Case{"SleepWithSteamAppId",
             native("sleep", "/usr/bin/sleep", {"sleep", "1"}, steam_env()),
             {false, "excluded:system-path:/usr/bin/sleep", "sleep"}},
        Case{"GamescopeWrapper",
             native("gamescope", "/usr/bin/gamescope", {"gamescope", "--", "%command%"},
                    steam_env()),
             {false, "excluded:wrapper:gamescope", "gamescope"}}),
    case_name);

INSTANTIATE_TEST_SUITE_P(
    NotGames, Classifies,
    ::testing::Values(
        Case{"Shell",
             native("sh", "/usr/bin/dash", {"sh", "-c", "true"}),
             {false, "no-signal", "dash"}},
        Case{"Sleep",
             native("sleep", "/usr/bin/sleep", {"sleep", "1"}),
             {false, "no-signal", "sleep"}},
        Case{"Python",
             native("python3", "/usr/bin/python3.11", {"python3", "-c", "pass"}),
             {false, "no-signal", "python3.11"}},
        Case{"SteamClientWithoutAppId",
             native("steam", kSteam + "/ubuntu12_32/steam", {kSteam + "/ubuntu12_32/steam"}),
             {false, "no-signal", "steam"}},
        Case{"KernelThread",
             FakeProcess{"kworker/0:1", std::nullopt, std::vector<std::string>{}, std::nullopt},
             {false, "no-signal", "kworker/0:1"}},
        Case{"ZeroAppId",
             native("game", "/opt/game/game", {"/opt/game/game"}, steam_env("0")),
             {false, "no-signal", "game"}},
        Case{"GarbageAppId",
             native("game", "/opt/game/game", {"/opt/game/game"},
                    {"SteamAppId=12abc", "SteamGameId="}),
             {false, "no-signal", "game"}},
        Case{"UnreadableEnvironment",
             FakeProcess{"game", "/opt/game/game", std::vector<std::string>{"/opt/game/game"},
                         std::nullopt},
             {false, "no-signal", "game"}},
        Case{"UnreadableExeWithAppId",
             FakeProcess{"game", std::nullopt, std::vector<std::string>{"game"}, steam_env()},
             {false, "no-signal", "game"}},
        Case{"WineLoaderWithoutExe",
             native("wine64", "/usr/bin/wine64", {"wine64", "--version"}),
             {false, "no-signal", "wine64"}}),
    case_name);

TEST(Classifier, ReadProcessInfoCarriesTheSteamAppId) {
    FakeProcReader reader;
    reader.add(kPid, native("game", "/opt/game/game", {"/opt/game/game"},
                            {"SteamAppId=0", "SteamGameId=13029441491437150208"}));
    const auto info = read_process_info(reader, kPid);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->steam_app_id, 13029441491437150208ull);
    EXPECT_EQ(info->ppid, 1);
    EXPECT_FALSE(info->is_wine);
}

TEST(Classifier, VanishedProcessHasNoInfo) {
    FakeProcReader reader;
    EXPECT_FALSE(read_process_info(reader, kPid));
}

// ---- Rules ----

Classifier with_rules(std::string_view toml) {
    return Classifier(GameRules::parse(toml, "games.toml"));
}

TEST(ClassifierRules, IncludeByNameMakesAGameWithoutAnySignal) {
    const auto classifier = with_rules("[include]\nnames = [\"supertuxkart\"]\n");
    EXPECT_EQ(
        classify(native("supertuxkart", "/usr/games/supertuxkart", {"supertuxkart"}), classifier),
        (Verdict{true, "rule:name=supertuxkart", "supertuxkart"}));
}

TEST(ClassifierRules, IncludeWinsOverTheSystemPathHeuristic) {
    const auto process =
        native("supertuxkart", "/usr/bin/supertuxkart", {"supertuxkart"}, steam_env());
    EXPECT_FALSE(classify(process).is_game);
    const auto classifier = with_rules("[include]\nnames = [\"SuperTuxKart\"]\n");
    EXPECT_EQ(classify(process, classifier),
              (Verdict{true, "rule:name=SuperTuxKart", "supertuxkart"}));
}

TEST(ClassifierRules, IncludeByAppIdWinsOverTheHelperList) {
    const auto classifier = with_rules("[include]\nsteam_app_ids = [1245620]\n");
    EXPECT_EQ(classify(native("sh", "/usr/bin/dash", {"sh"}, steam_env()), classifier),
              (Verdict{true, "rule:steam_app_id=1245620", "dash"}));
}

TEST(ClassifierRules, ExcludeByNameWinsOverHeuristics) {
    const auto classifier = with_rules("[exclude]\nnames = [\"Launcher.exe\"]\n");
    EXPECT_EQ(
        classify(wine("launcher.exe", "Z:\\games\\Foo\\launcher.exe", steam_env()), classifier),
        (Verdict{false, "excluded:rule:name=Launcher.exe", "launcher.exe"}));
}

TEST(ClassifierRules, ExcludeWinsOverInclude) {
    const auto classifier = with_rules(R"(
[include]
names = ["game.exe"]
[exclude]
paths = ["*/Bad/*"]
)");
    EXPECT_EQ(classify(wine("game.exe", "Z:\\games\\Bad\\game.exe"), classifier),
              (Verdict{false, "excluded:rule:path=*/Bad/*", "game.exe"}));
    EXPECT_EQ(classify(wine("game.exe", "Z:\\games\\Good\\game.exe"), classifier),
              (Verdict{true, "rule:name=game.exe", "game.exe"}));
}

TEST(ClassifierRules, PathGlobMatchesTheUnixPathOfAZDriveProgram) {
    const auto classifier = with_rules("[exclude]\npaths = [\"/home/*/Games/Tools/*\"]\n");
    EXPECT_EQ(classify(wine("editor.exe", "Z:\\home\\gamer\\Games\\Tools\\editor.exe"), classifier),
              (Verdict{false, "excluded:rule:path=/home/*/Games/Tools/*", "editor.exe"}));
}

TEST(ClassifierRules, PathGlobMatchesTheExe) {
    const auto classifier = with_rules("[include]\npaths = [\"/opt/games/*\"]\n");
    EXPECT_EQ(classify(native("foo", "/opt/games/foo/bin/foo", {"foo"}), classifier),
              (Verdict{true, "rule:path=/opt/games/*", "foo"}));
    EXPECT_EQ(classify(native("foo", "/opt/other/foo", {"foo"}), classifier).reason, "no-signal");
}

TEST(ClassifierRules, ExcludeByAppId) {
    const auto classifier = with_rules("[exclude]\nsteam_app_ids = [228980]\n");
    EXPECT_EQ(
        classify(wine("vc_installer.exe", "Z:\\redist\\x.exe", steam_env("228980")), classifier),
        (Verdict{false, "excluded:rule:steam_app_id=228980", "x.exe"}));
}

TEST(ClassifierRules, BrokenRulesFileKeepsTheLastGoodRules) {
    TempDir dir;
    const auto path = dir.write("games.toml", "[include]\nnames = [\"supertuxkart\"]\n");
    Classifier classifier;
    ASSERT_TRUE(classifier.reload_rules(path));
    const auto good_rules = classifier.rules().include();
    ASSERT_EQ(good_rules.names, std::vector<std::string>{"supertuxkart"});

    dir.write("games.toml", "[include]\nnames = [\"a\", 5]\n");
    ::testing::internal::CaptureStderr();
    EXPECT_FALSE(classifier.reload_rules(path));
    const std::string logged = ::testing::internal::GetCapturedStderr();
    EXPECT_THAT(logged, HasSubstr("<3>game rules not loaded, keeping the previous ones: " +
                                  path.string() + ":2:15: names must be a list of strings"));
    EXPECT_EQ(classifier.rules().include(), good_rules);
    EXPECT_TRUE(
        classify(native("supertuxkart", "/usr/games/supertuxkart", {"supertuxkart"}), classifier)
            .is_game);
}

TEST(ClassifierRules, MissingRulesFileMeansNoRules) {
    TempDir dir;
    Classifier classifier = with_rules("[include]\nnames = [\"x\"]\n");
    EXPECT_TRUE(classifier.reload_rules(dir.path() / "games.toml"));
    EXPECT_TRUE(classifier.rules().empty());
}

// ---- Helpers ----

TEST(WinePaths, UnixStylePath) {
    EXPECT_EQ(unix_style_path("Z:\\home\\gamer\\game.exe"), "/home/gamer/game.exe");
    EXPECT_EQ(unix_style_path("z:/home/game.exe"), "/home/game.exe");
    EXPECT_EQ(unix_style_path("C:\\Games\\game.exe"), "C:/Games/game.exe");
    EXPECT_EQ(unix_style_path("game.exe"), "game.exe");
}

TEST(WinePaths, ProgramPath) {
    ProcessInfo info;
    info.comm = "x";
    info.exe = "/usr/bin/wine64-preloader";
    info.cmdline = {"C:\\a\\Game.EXE", "-dx12"};
    EXPECT_EQ(wine_program_path(info), "C:\\a\\Game.EXE");
    info.cmdline = {"/usr/bin/wine64-preloader", "game.exe"};
    EXPECT_EQ(wine_program_path(info), "game.exe");
    info.cmdline = {};
    info.comm = "other.exe";
    EXPECT_EQ(wine_program_path(info), "other.exe");
    info.comm = "wine64-preload";
    EXPECT_EQ(wine_program_path(info), "");
}

} // namespace
} // namespace scx_gamer

namespace scx_gamer {
namespace {

// Game trees: which processes started by a game leave its tree (docs/games.md, "Process trees").
std::optional<std::string> leaves(const FakeProcess& process,
                                  const Classifier& classifier = Classifier{}) {
    FakeProcReader reader;
    reader.add(kPid, process);
    const auto info = read_process_info(reader, kPid);
    if (!info)
        throw std::runtime_error("process vanished");
    return leaves_game_tree(classifier.rules(), *info);
}

TEST(GameTree, CrashHandlersWebHelpersAndShaderCompilersLeave) {
    EXPECT_EQ(leaves(native("crashpad_handle", "/g/crashpad_handler", {"/g/crashpad_handler"},
                            steam_env())),
              "crash-handler:crashpad_handler");
    EXPECT_EQ(leaves(native("steamwebhelper", kSteam + "/ubuntu12_64/steamwebhelper",
                            {"steamwebhelper"})),
              "launcher:steamwebhelper");
    EXPECT_EQ(leaves(native("fossilize_repla", kSteam + "/ubuntu12_64/fossilize_replay",
                            {"fossilize_replay"}, steam_env())),
              "steam-runtime:fossilize_replay");
    EXPECT_EQ(leaves(wine("UnityCrashHandl", "Z:\\g\\UnityCrashHandler64.exe")),
              "crash-handler:UnityCrashHandler64.exe");
    EXPECT_EQ(leaves(wine("explorer.exe", "C:\\windows\\system32\\explorer.exe")),
              "wine-system:explorer.exe");
}

TEST(GameTree, ChainLinksAndTheGameItselfStay) {
    EXPECT_EQ(leaves(native("sh", "/usr/bin/dash", {"/bin/sh", "./start.sh"}, steam_env())),
              std::nullopt);
    EXPECT_EQ(leaves(native("reaper", kSteam + "/ubuntu12_32/reaper", {"reaper"}, steam_env())),
              std::nullopt);
    EXPECT_EQ(leaves(native("bwrap", "/usr/bin/bwrap", {"bwrap"})), std::nullopt);
    EXPECT_EQ(leaves(native("wineserver", kSteam + "/wineserver", {"wineserver"})), std::nullopt);
    EXPECT_EQ(leaves(native("MyGame", "/g/MyGame", {"/g/MyGame"}, steam_env())), std::nullopt);
    EXPECT_EQ(leaves(wine("eldenring.exe", "Z:\\g\\eldenring.exe")), std::nullopt);
    // A Wine loader with no .exe yet: "wine*" is never compared, so it stays.
    EXPECT_EQ(leaves(native("wine64-preloade", kProton, {kProton})), std::nullopt);
}

TEST(GameTree, RulesDecideFirst) {
    const auto excluding = with_rules("[exclude]\nnames = [\"MyLauncher\"]\n");
    EXPECT_EQ(leaves(native("MyLauncher", "/g/MyLauncher", {"/g/MyLauncher"}), excluding),
              "rule:name=MyLauncher");
    const auto including = with_rules("[include]\nnames = [\"crashpad_handler\"]\n");
    EXPECT_EQ(leaves(native("crashpad_handle", "/g/crashpad_handler", {"/g/crashpad_handler"}),
                     including),
              std::nullopt);
}

} // namespace
} // namespace scx_gamer

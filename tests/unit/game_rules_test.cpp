// SPDX-License-Identifier: GPL-2.0-only
#include "games/game_rules.h"
#include "util/error.h"

#include "temp_dir.h"

#include <gtest/gtest.h>

#include <string>

namespace scx_gamer {
namespace {

using testing::TempDir;

std::string parse_error(std::string_view toml) {
    try {
        GameRules::parse(toml, "games.toml");
    } catch (const RulesError& error) {
        return error.what();
    }
    return "<no error>";
}

TEST(GameRules, ParsesEveryKey) {
    const GameRules rules = GameRules::parse(R"(
# Comments are fine.
[include]
names = ["eldenring.exe", "supertuxkart"]
paths = ["/opt/games/*"]
steam_app_ids = [1245620, 220]

[exclude]
names = ["launcher.exe"]
steam_app_ids = [228980]
)",
                                             "games.toml");
    EXPECT_EQ(rules.include(),
              (RuleSet{{"eldenring.exe", "supertuxkart"}, {"/opt/games/*"}, {1245620, 220}}));
    EXPECT_EQ(rules.exclude(), (RuleSet{{"launcher.exe"}, {}, {228980}}));
}

TEST(GameRules, EmptyFileIsNoRules) {
    EXPECT_TRUE(GameRules::parse("", "games.toml").empty());
    EXPECT_TRUE(GameRules::parse("[include]\n[exclude]\n", "games.toml").empty());
}

struct BadRules {
    std::string toml;
    std::string message;
};

class RejectsRules : public ::testing::TestWithParam<BadRules> {};

TEST_P(RejectsRules, WithFileLineAndColumn) {
    EXPECT_EQ(parse_error(GetParam().toml), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Invalid, RejectsRules,
    ::testing::Values(
        BadRules{"[include\nnames = []\n", "games.toml:1:9: invalid table key (expected ])"},
        BadRules{"[include]\nnames = [\"a\"]\nnames = [\"b\"]\n",
                 "games.toml:3:1: failed to insert a value, value already exists (inserting "
                 "this)"},
        BadRules{"[include]\nname = [\"a\"]\n",
                 "games.toml:2:8: unknown key \"name\" in [include] (expected names, paths or "
                 "steam_app_ids)"},
        BadRules{
            "[games]\nnames = []\n",
            "games.toml:1:1: unknown key \"games\" (expected [include], [exclude] or [detection])"},
        BadRules{"include = 5\n", "games.toml:1:11: [include] must be a table"},
        BadRules{"[detection]\nusers = \"all\"\n",
                 "games.toml:2:9: users must be \"active-session\" or \"everyone\""},
        BadRules{"[detection]\nmax_games = 0\n",
                 "games.toml:2:13: max_games must be an integer from 1 to 1024"},
        BadRules{"[detection]\nmax_games_per_user = 5000\n",
                 "games.toml:2:22: max_games_per_user must be an integer from 1 to 1024"},
        BadRules{"[detection]\nallow = []\n",
                 "games.toml:2:9: unknown key \"allow\" in [detection] (expected users, "
                 "allow_users, max_games_per_user or max_games)"},
        BadRules{"[include]\nnames = \"a\"\n",
                 "games.toml:2:9: names must be a list, e.g. names = [...]"},
        BadRules{"[include]\nnames = [\"a\", 5]\n",
                 "games.toml:2:15: names must be a list of strings"},
        BadRules{"[include]\npaths = [\"\"]\n",
                 "games.toml:2:10: paths entries must be non-empty text"},
        BadRules{"[exclude]\nsteam_app_ids = [\"220\"]\n",
                 "games.toml:2:18: steam_app_ids must be a list of positive integers"},
        BadRules{"[exclude]\nsteam_app_ids = [0]\n",
                 "games.toml:2:18: steam_app_ids must be a list of positive integers"},
        BadRules{"[exclude]\nsteam_app_ids = [-5]\n",
                 "games.toml:2:18: steam_app_ids must be a list of positive integers"}));

TEST(GameRules, MatchesNamesWithoutRegardToCase) {
    const GameRules rules({{"EldenRing.exe"}, {}, {}}, {});
    EXPECT_EQ(rules.match({{"eldenring.exe"}, {}, {}}), (RuleMatch{true, "name=EldenRing.exe"}));
    EXPECT_FALSE(rules.match({{"eldenring"}, {}, {}}));
}

TEST(GameRules, PathGlobStarCrossesDirectories) {
    const GameRules rules({{}, {"*/steamapps/common/*"}, {}}, {});
    EXPECT_TRUE(rules.match({{}, {"/home/u/.steam/steamapps/common/Game/bin/game"}, {}}));
    EXPECT_FALSE(rules.match({{}, {"/usr/bin/game"}, {}}));
}

TEST(GameRules, ExcludeIsCheckedFirst) {
    const GameRules rules({{"game"}, {}, {1}}, {{}, {}, {1}});
    EXPECT_EQ(rules.match({{"game"}, {}, 1}), (RuleMatch{false, "steam_app_id=1"}));
    EXPECT_EQ(rules.match({{"game"}, {}, 2}), (RuleMatch{true, "name=game"}));
    EXPECT_FALSE(rules.match({{"other"}, {}, std::nullopt}));
}

TEST(GameRulesFile, MissingFileIsNoRules) {
    TempDir dir;
    EXPECT_TRUE(GameRules::load(dir.path() / "games.toml").empty());
}

TEST(GameRulesFile, ReportsThePathLineAndColumn) {
    TempDir dir;
    const auto path = dir.write("games.toml", "[include]\nnames = [\"ok\"]\npaths = [/opt]\n");
    try {
        GameRules::load(path);
        FAIL() << "accepted a broken file";
    } catch (const RulesError& error) {
        EXPECT_EQ(std::string(error.what()).rfind(path.string() + ":3:10: ", 0), 0u)
            << error.what();
    }
}

TEST(GameRulesFile, LoadsAValidFile) {
    TempDir dir;
    const auto path = dir.write("games.toml", "[exclude]\nnames = [\"launcher.exe\"]\n");
    EXPECT_EQ(GameRules::load(path).exclude().names, std::vector<std::string>{"launcher.exe"});
}

TEST(GameRulesFile, RejectsHugeFiles) {
    TempDir dir;
    const auto path = dir.write("games.toml", std::string(kMaxRulesFileBytes + 1, '#'));
    EXPECT_THROW(GameRules::load(path), RulesError);
}

TEST(GameRulesFile, RejectsADirectory) {
    TempDir dir;
    std::filesystem::create_directory(dir.path() / "games.toml");
    EXPECT_THROW(GameRules::load(dir.path() / "games.toml"), RulesError);
}

TEST(GameRulesFile, TheDocumentedExampleParses) {
    // Keep in sync with the example in docs/games.md.
    const auto rules = GameRules::parse(R"(
[include]
names = ["supertuxkart", "eldenring.exe"]
paths = ["/opt/games/*", "/home/*/Games/*"]
steam_app_ids = [1245620]

[exclude]
names = ["Launcher.exe"]
paths = ["*/compatibilitytools.d/*"]
steam_app_ids = [228980]
)",
                                        "games.toml");
    EXPECT_EQ(rules.include().names.size(), 2u);
    EXPECT_EQ(rules.exclude().steam_app_ids, std::vector<std::uint64_t>{228980});
}

// Found by tests/fuzz/fuzz_loader_toml: toml11 put a raw CR LF into this message, which broke
// the journal line (and the one-line warnings of the profile loader, which share the code).
TEST(GameRules, ErrorsAreOneLineEvenWhenToml11WrapsThem) {
    EXPECT_EQ(parse_error("[exclude][x]\n"), "games.toml:1:10: newline (or EOF) expected (expected "
                                             "0x0a(LINE FEED) or \\r\\n)");
}

// Found by tests/fuzz/fuzz_loader_toml (same TOML parser): toml11 4.4 never returned from its
// error recovery for a bad byte in a comment followed by another comment line. Such bytes are
// now refused before toml11 sees them; before the fix this test hung.
TEST(GameRules, BadBytesInACommentAreRefusedWithoutHanging) {
    EXPECT_EQ(parse_error("#\xff\n#"),
              "games.toml:1:2: invalid UTF-8 \"\\xff\" (TOML files must be UTF-8 text)");
    EXPECT_EQ(parse_error("[include]\n# R\xe9glages\n# x\n"),
              "games.toml:2:4: invalid UTF-8 \"\\xe9\" (TOML files must be UTF-8 text)");
    EXPECT_EQ(parse_error("#\x01\n#"),
              "games.toml:1:2: control character \"\\x01\" (TOML files must be UTF-8 text)");
    EXPECT_EQ(parse_error("# a\rb\n#"),
              "games.toml:1:4: control character \"\\x0d\" (TOML files must be UTF-8 text)");
    EXPECT_EQ(parse_error("# a\r\n# b\r\n"), "<no error>") << "CRLF is a line end";
}

TEST(GameRules, DetectionDefaultsToActiveSessionsAndTheBuiltInLimits) {
    const GameRules rules = GameRules::parse("[include]\nnames = [\"x\"]\n", "games.toml");
    EXPECT_FALSE(rules.detection().everyone);
    EXPECT_TRUE(rules.detection().allow_users.empty());
    EXPECT_EQ(rules.detection().limits, GameLimits{});
}

TEST(GameRules, DetectionSectionSetsWhoAndHowMany) {
    const GameRules rules = GameRules::parse(R"([detection]
users = "everyone"
allow_users = ["kiosk", "1001"]
max_games_per_user = 4
max_games = 20
)",
                                             "games.toml");
    EXPECT_TRUE(rules.detection().everyone);
    EXPECT_EQ(rules.detection().allow_users, (std::vector<std::string>{"kiosk", "1001"}));
    EXPECT_EQ(rules.detection().limits, (GameLimits{.per_user = 4, .total = 20}));
}

} // namespace
} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
// The registry of games and the listeners that keep the BPF maps and D-Bus signals in step.
#include "games/game_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace scx_gamer {
namespace {

using ::testing::ElementsAre;

Game game(uint32_t pid, uint64_t at, std::optional<std::string> owner = std::nullopt) {
    Game g;
    g.pid = pid;
    g.name = "g" + std::to_string(pid);
    g.exe = "/games/g";
    g.reason = "steam-app-id";
    g.detected_at_us = at;
    g.registered_by = std::move(owner);
    return g;
}

TEST(GameRegistry, ListenersHearEachAddAndRemoveOnce) {
    GameRegistry registry;
    std::vector<uint32_t> added, removed;
    registry.on_added([&](const Game& g) { added.push_back(g.pid); });
    registry.on_removed([&](const Game& g) { removed.push_back(g.pid); });
    EXPECT_EQ(registry.add(game(10, 1)), AddResult::added);
    EXPECT_EQ(registry.add(game(10, 2)), AddResult::already_a_game); // nobody is told twice
    EXPECT_TRUE(registry.remove(10));
    EXPECT_FALSE(registry.remove(10));
    EXPECT_THAT(added, ElementsAre(10u));
    EXPECT_THAT(removed, ElementsAre(10u));
}

TEST(GameRegistry, CurrentIsTheNewestGame) {
    GameRegistry registry;
    EXPECT_EQ(registry.current(), nullptr);
    registry.add(game(10, 5));
    registry.add(game(11, 9));
    registry.add(game(12, 7));
    EXPECT_EQ(registry.current()->pid, 11u);
}

TEST(GameRegistry, AClientLeavingDropsOnlyItsRegistrations) {
    GameRegistry registry;
    registry.add(game(10, 1, ":1.5"));
    registry.add(game(11, 2, ":1.6"));
    registry.add(game(12, 3));
    const auto dropped = registry.remove_registered_by(":1.5");
    ASSERT_EQ(dropped.size(), 1u);
    EXPECT_EQ(dropped[0].pid, 10u);
    EXPECT_EQ(registry.size(), 2u);
    EXPECT_NE(registry.find(11), nullptr);
}

Game game_of(uint32_t pid, std::optional<uid_t> uid) {
    Game g = game(pid, pid);
    g.uid = uid;
    return g;
}

TEST(GameRegistry, OneUserCannotHaveMoreThanTheirShare) {
    GameRegistry registry(GameLimits{.per_user = 2, .total = 10});
    int told = 0;
    registry.on_added([&](const Game&) { ++told; });
    EXPECT_EQ(registry.add(game_of(10, 65534)), AddResult::added);
    EXPECT_EQ(registry.add(game_of(11, 65534)), AddResult::added);
    EXPECT_EQ(registry.add(game_of(12, 65534)), AddResult::user_limit);
    EXPECT_EQ(registry.add(game_of(13, 1000)), AddResult::added) << "another user is not held back";
    EXPECT_EQ(told, 3);
    EXPECT_EQ(registry.find(12), nullptr);
    registry.remove(10);
    EXPECT_EQ(registry.add(game_of(12, 65534)), AddResult::added) << "a freed slot is usable";
}

TEST(GameRegistry, EveryoneTogetherStaysUnderTheTotal) {
    GameRegistry registry(GameLimits{.per_user = 5, .total = 3});
    EXPECT_EQ(registry.add(game_of(10, 1)), AddResult::added);
    EXPECT_EQ(registry.add(game_of(11, 2)), AddResult::added);
    EXPECT_EQ(registry.add(game_of(12, 3)), AddResult::added);
    EXPECT_EQ(registry.add(game_of(13, 4)), AddResult::total_limit);
    EXPECT_EQ(registry.add(game_of(10, 1)), AddResult::already_a_game);
    EXPECT_EQ(registry.size(), 3U);
}

// sd-bus refuses a signal whose strings are not UTF-8: the registry is where such text stops.
TEST(GameRegistry, NamesBecomeValidUtf8AndBounded) {
    GameRegistry registry;
    Game hostile = game(10, 1);
    hostile.name = "\xff\xfe.exe";
    hostile.exe = std::string("/tmp/\xc0\xaf\0x", 9);
    hostile.reason = "excluded:helper:" + std::string(10000, 'a');
    ASSERT_EQ(registry.add(hostile), AddResult::added);
    const Game* stored = registry.find(10);
    EXPECT_EQ(stored->name, "\xef\xbf\xbd\xef\xbf\xbd.exe");
    EXPECT_EQ(stored->exe, "/tmp/\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx");
    EXPECT_EQ(stored->reason.size(), kMaxGameReasonBytes);
}

TEST(GameRegistry, AListenerThatThrowsDoesNotStopTheOthers) {
    GameRegistry registry;
    std::vector<uint32_t> heard;
    registry.on_added([](const Game&) { throw std::runtime_error("BPF map full"); });
    registry.on_added([&](const Game& g) { heard.push_back(g.pid); });
    registry.on_removed([](const Game&) { throw std::runtime_error("gone"); });
    registry.on_removed([&](const Game& g) { heard.push_back(g.pid + 100); });
    testing::internal::CaptureStderr();
    EXPECT_EQ(registry.add(game(10, 1)), AddResult::added);
    EXPECT_TRUE(registry.remove(10));
    const std::string log = testing::internal::GetCapturedStderr();
    EXPECT_THAT(heard, ElementsAre(10U, 110U));
    EXPECT_NE(log.find("reacting to game 10 failed (carrying on): BPF map full"), std::string::npos)
        << log;
}

} // namespace
} // namespace scx_gamer

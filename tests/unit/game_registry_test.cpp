// The registry of games and the listeners that keep the BPF maps and D-Bus signals in step.
#include "core/game_registry.h"

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
    EXPECT_TRUE(registry.add(game(10, 1)));
    EXPECT_FALSE(registry.add(game(10, 2))); // already a game: nobody is told twice
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

} // namespace
} // namespace scx_gamer

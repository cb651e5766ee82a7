// SPDX-License-Identifier: GPL-2.0-only
// Staying on the system bus without a bus: the connection is a fake that fails on demand and
// reports its loss when the test says so.
#include "service/bus_presence.h"

#include "fake_timers.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace scx_gamer {
namespace {

using testing::FakeTimers;

class BusPresenceTest : public ::testing::Test {
  protected:
    std::unique_ptr<BusPresence> make(bool retry_after_first_failure) {
        return std::make_unique<BusPresence>(
            timers, "reconnect",
            [this](std::function<void()> lost) {
                ++attempts;
                if (bus_down)
                    throw std::runtime_error("no bus");
                connected = true;
                lose = std::move(lost);
            },
            [this] {
                ++drops;
                connected = false;
            },
            BusPresence::Messages{"test: ", "cannot connect: ", "lost", "back"},
            retry_after_first_failure);
    }

    FakeTimers timers;
    bool bus_down = false;
    bool connected = false;
    int attempts = 0;
    int drops = 0;
    std::function<void()> lose;
};

TEST_F(BusPresenceTest, ConnectsAtStart) {
    auto presence = make(true);
    presence->start();
    EXPECT_TRUE(presence->connected());
    EXPECT_TRUE(connected);
    EXPECT_EQ(attempts, 1);
    EXPECT_FALSE(timers.armed("reconnect"));
}

TEST_F(BusPresenceTest, ALostConnectionIsDroppedFromTheTimerAndMadeAgain) {
    auto presence = make(false);
    presence->start();
    const int drops_before = drops;
    lose(); // inside the dead connection's callback: nothing is dropped here
    EXPECT_EQ(drops, drops_before);
    EXPECT_FALSE(presence->connected());
    EXPECT_EQ(timers.armed("reconnect"), std::chrono::microseconds(0));
    ASSERT_TRUE(timers.fire("reconnect"));
    EXPECT_GT(drops, drops_before);
    EXPECT_TRUE(connected);
    EXPECT_TRUE(presence->connected());
    EXPECT_EQ(attempts, 2);
}

TEST_F(BusPresenceTest, WhileTheBusIsAwayItIsTriedEverySecond) {
    auto presence = make(false);
    presence->start();
    bus_down = true;
    lose();
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(timers.fire("reconnect"));
        EXPECT_EQ(timers.armed("reconnect"), BusPresence::kRetryDelay);
        EXPECT_FALSE(presence->connected());
    }
    bus_down = false;
    ASSERT_TRUE(timers.fire("reconnect"));
    EXPECT_TRUE(presence->connected());
    EXPECT_FALSE(timers.armed("reconnect"));
    EXPECT_EQ(attempts, 5);
}

TEST_F(BusPresenceTest, AFirstFailureIsRetriedOnlyWhenAsked) {
    bus_down = true;
    auto serving = make(false);
    serving->start();
    EXPECT_FALSE(serving->connected());
    EXPECT_FALSE(timers.armed("reconnect"));

    auto companion = make(true);
    companion->start();
    EXPECT_EQ(timers.armed("reconnect"), BusPresence::kRetryDelay);
    bus_down = false;
    ASSERT_TRUE(timers.fire("reconnect"));
    EXPECT_TRUE(companion->connected());
}

TEST_F(BusPresenceTest, ALossReportedTwiceReconnectsOnce) {
    auto presence = make(false);
    presence->start();
    auto lost = lose;
    lost();
    lost();
    ASSERT_TRUE(timers.fire("reconnect"));
    EXPECT_FALSE(timers.fire("reconnect"));
    EXPECT_EQ(attempts, 2);
}

} // namespace
} // namespace scx_gamer

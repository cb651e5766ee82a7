// SPDX-License-Identifier: GPL-2.0-only
// LoaderCompanion, the companion-mode policy, against a mocked scx_loader.
#include "loader/companion.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace scx_gamer {
namespace {

using ::testing::_;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::Return;
using ::testing::StrictMock;
using ::testing::Throw;

constexpr uint32_t kAuto = 0;
constexpr uint32_t kGaming = 1;
constexpr uint32_t kPowerSave = 2;
constexpr uint32_t kLowLatency = 3;

class MockLoader : public LoaderClient {
  public:
    MOCK_METHOD(LoaderState, state, (), (override));
    MOCK_METHOD(void, switch_scheduler, (const std::string&, uint32_t), (override));
    MOCK_METHOD(void, switch_scheduler_with_args,
                (const std::string&, const std::vector<std::string>&), (override));
    MOCK_METHOD(uint32_t, hold_scheduler,
                (const std::string&, uint32_t, const std::string&, const std::string&), (override));
    MOCK_METHOD(void, release_scheduler, (uint32_t), (override));
};

LoaderError unavailable() {
    return LoaderError(LoaderError::Kind::Unavailable, "org.scx.Loader has no owner");
}
LoaderError unsupported() {
    return LoaderError(LoaderError::Kind::Unsupported, "HoldScheduler: UnknownMethod");
}
LoaderError failed() {
    return LoaderError(LoaderError::Kind::Failed, "SwitchScheduler: Failed: not authorized");
}

const LoaderState kLavdAuto{"scx_lavd", kAuto, {}};
const LoaderState kLavdGaming{"scx_lavd", kGaming, {}};

TEST(LoaderCompanion, HoldsGamingModeForTheFirstGameAndReleasesAfterTheLast) {
    StrictMock<MockLoader> loader;
    LoaderCompanion companion(loader);
    {
        InSequence order;
        EXPECT_CALL(loader, state()).WillOnce(Return(kLavdAuto));
        EXPECT_CALL(loader, hold_scheduler("scx_lavd", kGaming, HasSubstr("Game.exe"),
                                           std::string(kLoaderHoldAppId)))
            .WillOnce(Return(7u));
        EXPECT_CALL(loader, release_scheduler(7u));
    }
    companion.game_started(100, "Game.exe");
    EXPECT_TRUE(companion.engaged());
    companion.game_exited(100);
    EXPECT_FALSE(companion.engaged());
    EXPECT_EQ(companion.holds_supported(), true);
}

TEST(LoaderCompanion, NestedGamesChangeTheLoaderOnlyOnce) {
    StrictMock<MockLoader> loader;
    LoaderCompanion companion(loader);
    EXPECT_CALL(loader, state()).WillOnce(Return(kLavdAuto));
    EXPECT_CALL(loader, hold_scheduler(_, kGaming, _, _)).WillOnce(Return(1u));
    companion.game_started(100, "first");
    companion.game_started(200, "second");
    companion.game_started(100, "first"); // repeated: ignored
    ::testing::Mock::VerifyAndClearExpectations(&loader);

    companion.game_exited(100);
    companion.game_exited(999); // never a game: ignored
    EXPECT_TRUE(companion.engaged());
    EXPECT_CALL(loader, release_scheduler(1u));
    companion.game_exited(200);
    EXPECT_FALSE(companion.engaged());
    EXPECT_EQ(companion.games(), 0u);
}

TEST(LoaderCompanion, FallsBackToSwitchSchedulerWithoutHoldsAndRestoresTheMode) {
    StrictMock<MockLoader> loader;
    LoaderCompanion companion(loader);
    {
        InSequence order;
        EXPECT_CALL(loader, state()).WillOnce(Return(LoaderState{"scx_bpfland", kPowerSave, {}}));
        EXPECT_CALL(loader, hold_scheduler(_, _, _, _)).WillOnce(Throw(unsupported()));
        EXPECT_CALL(loader, switch_scheduler("scx_bpfland", kGaming));
        EXPECT_CALL(loader, state()).WillOnce(Return(LoaderState{"scx_bpfland", kGaming, {}}));
        EXPECT_CALL(loader, switch_scheduler("scx_bpfland", kPowerSave));
    }
    companion.game_started(100, "game");
    EXPECT_EQ(companion.holds_supported(), false);
    companion.game_exited(100);
    EXPECT_FALSE(companion.engaged());
}

TEST(LoaderCompanion, RemembersThatHoldsAreMissingAndSwitchesDirectlyNextTime) {
    StrictMock<MockLoader> loader;
    LoaderCompanion companion(loader);
    EXPECT_CALL(loader, state())
        .WillOnce(Return(kLavdAuto))
        .WillOnce(Return(kLavdGaming))
        .WillOnce(Return(kLavdAuto))
        .WillOnce(Return(kLavdGaming));
    EXPECT_CALL(loader, hold_scheduler(_, _, _, _)).Times(1).WillOnce(Throw(unsupported()));
    EXPECT_CALL(loader, switch_scheduler("scx_lavd", kGaming)).Times(2);
    EXPECT_CALL(loader, switch_scheduler("scx_lavd", kAuto)).Times(2);
    companion.game_started(1, "a");
    companion.game_exited(1);
    companion.game_started(2, "b");
    companion.game_exited(2);
}

TEST(LoaderCompanion, RestoresCustomArgumentsWithSwitchSchedulerWithArgs) {
    StrictMock<MockLoader> loader;
    LoaderCompanion companion(loader);
    const std::vector<std::string> args{"-k", "-c", "0"};
    {
        InSequence order;
        EXPECT_CALL(loader, state()).WillOnce(Return(LoaderState{"scx_bpfland", kAuto, args}));
        EXPECT_CALL(loader, hold_scheduler(_, _, _, _)).WillOnce(Throw(unsupported()));
        EXPECT_CALL(loader, switch_scheduler("scx_bpfland", kGaming));
        EXPECT_CALL(loader, state()).WillOnce(Return(LoaderState{"scx_bpfland", kGaming, {}}));
        EXPECT_CALL(loader, switch_scheduler_with_args("scx_bpfland", args));
    }
    companion.game_started(100, "game");
    companion.game_exited(100);
}

TEST(LoaderCompanion, LeavesTheLoaderAloneWhenSomeoneChangedItDuringTheGame) {
    StrictMock<MockLoader> loader;
    LoaderCompanion companion(loader);
    {
        InSequence order;
        EXPECT_CALL(loader, state()).WillOnce(Return(kLavdAuto));
        EXPECT_CALL(loader, hold_scheduler(_, _, _, _)).WillOnce(Throw(unsupported()));
        EXPECT_CALL(loader, switch_scheduler("scx_lavd", kGaming));
        // The user picked LowLatency in a GUI while playing.
        EXPECT_CALL(loader, state()).WillOnce(Return(LoaderState{"scx_lavd", kLowLatency, {}}));
    }
    companion.game_started(100, "game");
    companion.game_exited(100); // StrictMock: any switch here fails the test
    EXPECT_FALSE(companion.engaged());
}

TEST(LoaderCompanion, DoesNothingWhenTheLoaderIsAlreadyInGamingMode) {
    StrictMock<MockLoader> loader;
    LoaderCompanion companion(loader);
    EXPECT_CALL(loader, state()).WillOnce(Return(kLavdGaming));
    companion.game_started(100, "game");
    EXPECT_FALSE(companion.engaged());
    companion.game_exited(100); // nothing to restore
}

TEST(LoaderCompanion, DoesNothingWhenTheLoaderRunsNoScheduler) {
    StrictMock<MockLoader> loader;
    LoaderCompanion companion(loader);
    EXPECT_CALL(loader, state()).WillOnce(Return(LoaderState{"unknown", kAuto, {}}));
    companion.game_started(100, "game");
    EXPECT_FALSE(companion.engaged());
    companion.game_exited(100);
}

TEST(LoaderCompanion, LoaderNotRunningKeepsTrackOfGamesAndEngagesWhenItAppears) {
    StrictMock<MockLoader> loader;
    LoaderCompanion companion(loader);
    companion.loader_vanished(); // not running when the daemon started
    EXPECT_CALL(loader, state()).WillOnce(Throw(unavailable()));
    companion.game_started(100, "game");
    EXPECT_FALSE(companion.engaged());
    EXPECT_EQ(companion.games(), 1u);
    ::testing::Mock::VerifyAndClearExpectations(&loader);

    EXPECT_CALL(loader, state()).WillOnce(Return(kLavdAuto));
    EXPECT_CALL(loader, hold_scheduler("scx_lavd", kGaming, _, _)).WillOnce(Return(3u));
    companion.loader_appeared();
    EXPECT_TRUE(companion.engaged());

    EXPECT_CALL(loader, release_scheduler(3u));
    companion.game_exited(100);
}

TEST(LoaderCompanion, AppearingLoaderWithoutGamesIsLeftAlone) {
    StrictMock<MockLoader> loader;
    LoaderCompanion companion(loader);
    companion.loader_appeared(); // StrictMock: no call allowed
    EXPECT_FALSE(companion.engaged());
}

TEST(LoaderCompanion, LoaderThatLeftTakesTheHoldWithIt) {
    StrictMock<MockLoader> loader;
    LoaderCompanion companion(loader);
    EXPECT_CALL(loader, state()).WillOnce(Return(kLavdAuto));
    EXPECT_CALL(loader, hold_scheduler(_, _, _, _)).WillOnce(Return(5u));
    companion.game_started(100, "game");
    companion.loader_vanished();
    EXPECT_FALSE(companion.engaged());
    companion.game_exited(100); // no ReleaseScheduler to a loader that is gone
}

TEST(LoaderCompanion, RefusedHoldIsNotMistakenForMissingHolds) {
    StrictMock<MockLoader> loader;
    LoaderCompanion companion(loader);
    EXPECT_CALL(loader, state()).WillOnce(Return(kLavdAuto));
    EXPECT_CALL(loader, hold_scheduler(_, _, _, _)).WillOnce(Throw(failed()));
    companion.game_started(100, "game"); // no SwitchScheduler after a refusal
    EXPECT_FALSE(companion.engaged());
    EXPECT_FALSE(companion.holds_supported().has_value());
    companion.game_exited(100);
}

TEST(LoaderCompanion, FailedSwitchLeavesNothingToRestore) {
    StrictMock<MockLoader> loader;
    LoaderCompanion companion(loader);
    EXPECT_CALL(loader, state()).WillOnce(Return(kLavdAuto));
    EXPECT_CALL(loader, hold_scheduler(_, _, _, _)).WillOnce(Throw(unsupported()));
    EXPECT_CALL(loader, switch_scheduler(_, _)).WillOnce(Throw(failed()));
    companion.game_started(100, "game");
    EXPECT_FALSE(companion.engaged());
    companion.game_exited(100);
}

TEST(LoaderCompanion, FailedReleaseIsReportedAndForgotten) {
    StrictMock<MockLoader> loader;
    LoaderCompanion companion(loader);
    EXPECT_CALL(loader, state()).WillOnce(Return(kLavdAuto));
    EXPECT_CALL(loader, hold_scheduler(_, _, _, _)).WillOnce(Return(9u));
    EXPECT_CALL(loader, release_scheduler(9u)).WillOnce(Throw(failed()));
    companion.game_started(100, "game");
    companion.game_exited(100);
    EXPECT_FALSE(companion.engaged());
    // The next game starts afresh.
    EXPECT_CALL(loader, state()).WillOnce(Return(kLavdAuto));
    EXPECT_CALL(loader, hold_scheduler(_, _, _, _)).WillOnce(Return(10u));
    companion.game_started(200, "next");
    EXPECT_TRUE(companion.engaged());
}

TEST(LoaderCompanion, StopGivesTheLoaderBackWhileAGameRuns) {
    StrictMock<MockLoader> loader;
    LoaderCompanion companion(loader);
    EXPECT_CALL(loader, state()).WillOnce(Return(kLavdAuto));
    EXPECT_CALL(loader, hold_scheduler(_, _, _, _)).WillOnce(Return(4u));
    EXPECT_CALL(loader, release_scheduler(4u));
    companion.game_started(100, "game");
    companion.stop();
    EXPECT_FALSE(companion.engaged());
    companion.stop(); // idempotent: StrictMock fails a second release
}

TEST(LoaderCompanion, StopWithSwitchRestoresThePreviousMode) {
    StrictMock<MockLoader> loader;
    LoaderCompanion companion(loader);
    {
        InSequence order;
        EXPECT_CALL(loader, state()).WillOnce(Return(kLavdAuto));
        EXPECT_CALL(loader, hold_scheduler(_, _, _, _)).WillOnce(Throw(unsupported()));
        EXPECT_CALL(loader, switch_scheduler("scx_lavd", kGaming));
        EXPECT_CALL(loader, state()).WillOnce(Return(kLavdGaming));
        EXPECT_CALL(loader, switch_scheduler("scx_lavd", kAuto));
    }
    companion.game_started(100, "game");
    companion.stop();
}

} // namespace
} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
// Who may be a game: root, users at the machine, and whom the rules file names.
#include "games/eligibility.h"

#include <gtest/gtest.h>

#include <set>

namespace scx_gamer {
namespace {

class FakeSessions final : public SessionOracle {
  public:
    explicit FakeSessions(std::set<uid_t> active) : active_(std::move(active)) {}
    bool has_active_local_session(uid_t uid) const override { return active_.contains(uid); }

  private:
    std::set<uid_t> active_;
};

TEST(Eligibility, RootAndTheUserAtTheMachineAreEligibleOthersAreNot) {
    const FakeSessions sessions({1000});
    const EligibilityPolicy policy;
    EXPECT_TRUE(game_eligibility(0, policy, sessions).eligible);
    EXPECT_TRUE(game_eligibility(1000, policy, sessions).eligible);
    const Eligibility nobody = game_eligibility(65534, policy, sessions);
    EXPECT_FALSE(nobody.eligible);
    EXPECT_STREQ(nobody.why, "no active local session");
    EXPECT_FALSE(game_eligibility(std::nullopt, policy, sessions).eligible);
}

TEST(Eligibility, TheRulesFileCanWidenIt) {
    const FakeSessions sessions({});
    EXPECT_TRUE(
        game_eligibility(65534, EligibilityPolicy{.everyone = true, .allowed = {}}, sessions)
            .eligible);
    const EligibilityPolicy listed{.everyone = false, .allowed = {1234}};
    EXPECT_TRUE(game_eligibility(1234, listed, sessions).eligible);
    EXPECT_FALSE(game_eligibility(1235, listed, sessions).eligible);
    EXPECT_FALSE(
        game_eligibility(std::nullopt, EligibilityPolicy{.everyone = true, .allowed = {}}, sessions)
            .eligible)
        << "a process whose owner is unknown (gone) is never a game";
}

TEST(Eligibility, AllowUsersResolvesNamesAndUids) {
    DetectionPolicy policy;
    policy.allow_users = {"root", "4242", "no-such-user-scx-gamer"};
    std::vector<std::string> unknown;
    const EligibilityPolicy resolved = EligibilityPolicy::resolve(policy, &unknown);
    EXPECT_EQ(resolved.allowed, (std::vector<uid_t>{0, 4242}));
    EXPECT_EQ(unknown, std::vector<std::string>{"no-such-user-scx-gamer"});
}

} // namespace
} // namespace scx_gamer

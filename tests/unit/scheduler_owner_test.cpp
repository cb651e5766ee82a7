// SPDX-License-Identifier: GPL-2.0-only
// other_scheduler_service(): when scx.service or scx_loader is in charge of sched_ext, scx_gamer
// refuses to start; unknown facts (no bus, no systemd) never refuse.
#include "system/scheduler_owner.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace scx_gamer {
namespace {

// Answers from tables; a unit or name missing from its table is "cannot be known" (nullopt).
class FakeFacts : public SchedulerServiceFacts {
  public:
    std::optional<std::string> own;
    std::map<std::string, std::string> unit_states;
    std::map<std::string, bool> owners;
    std::vector<std::string> asked; // what was asked, in order

    std::optional<std::string> own_unit() override { return own; }
    std::optional<std::string> unit_active_state(const std::string& unit) override {
        asked.push_back("unit " + unit);
        auto it = unit_states.find(unit);
        if (it == unit_states.end())
            return std::nullopt;
        return it->second;
    }
    std::optional<bool> name_has_owner(const std::string& name) override {
        asked.push_back("name " + name);
        auto it = owners.find(name);
        if (it == owners.end())
            return std::nullopt;
        return it->second;
    }
};

FakeFacts quiet_system() {
    FakeFacts facts;
    facts.own = "scx_gamer.service";
    facts.unit_states = {{"scx.service", "inactive"}, {"scx_loader.service", "inactive"}};
    facts.owners = {{"org.scx.Loader", false}};
    return facts;
}

TEST(SchedulerOwner, NothingInChargeAllowsTheStart) {
    FakeFacts facts = quiet_system();
    EXPECT_FALSE(other_scheduler_service(facts));
    // Every fact was asked for: a check that was skipped would also allow the start.
    EXPECT_EQ(facts.asked, (std::vector<std::string>{"unit scx.service", "unit scx_loader.service",
                                                     "name org.scx.Loader"}));
}

TEST(SchedulerOwner, NoBusAndNoSystemdAllowTheStart) {
    FakeFacts facts; // every answer unknown
    EXPECT_FALSE(other_scheduler_service(facts));
}

TEST(SchedulerOwner, ActiveScxServiceRefusesWithOneClearLine) {
    FakeFacts facts = quiet_system();
    facts.unit_states["scx.service"] = "active";
    const auto refusal = other_scheduler_service(facts);
    ASSERT_TRUE(refusal);
    EXPECT_EQ(*refusal, "not starting: scx.service is active and runs the system's sched_ext "
                        "scheduler; scx_gamer does not replace it (stop it first with systemctl "
                        "stop scx.service, or let scx.service run scx_gamer: scx_gamer config "
                        "install --activate)");
    EXPECT_EQ(refusal->find('\n'), std::string::npos);
}

TEST(SchedulerOwner, ScxServiceStartingOrAboutToRestartCountsAsInCharge) {
    for (const char* state : {"activating", "reloading", "refreshing"}) {
        FakeFacts facts = quiet_system();
        facts.unit_states["scx.service"] = state;
        const auto refusal = other_scheduler_service(facts);
        ASSERT_TRUE(refusal) << state;
        EXPECT_NE(refusal->find(std::string("scx.service is ") + state), std::string::npos);
    }
}

TEST(SchedulerOwner, StoppedOrFailedScxServiceDoesNotRefuse) {
    for (const char* state : {"inactive", "failed", "deactivating", "maintenance"}) {
        FakeFacts facts = quiet_system();
        facts.unit_states["scx.service"] = state;
        EXPECT_FALSE(other_scheduler_service(facts)) << state;
    }
}

TEST(SchedulerOwner, ScxGamerUnderScxServiceIsNotRefusedByItsOwnUnit) {
    FakeFacts facts = quiet_system();
    facts.own = "scx.service"; // SCX_SCHEDULER=scx_gamer
    facts.unit_states["scx.service"] = "activating";
    EXPECT_FALSE(other_scheduler_service(facts));
}

TEST(SchedulerOwner, UnderScxServiceAnActiveScxLoaderStillRefuses) {
    FakeFacts facts = quiet_system();
    facts.own = "scx.service";
    facts.unit_states["scx.service"] = "active";
    facts.owners["org.scx.Loader"] = true;
    const auto refusal = other_scheduler_service(facts);
    ASSERT_TRUE(refusal);
    EXPECT_NE(refusal->find("scx_loader"), std::string::npos);
}

TEST(SchedulerOwner, LoaderOwningItsBusNameRefuses) {
    FakeFacts facts = quiet_system();
    facts.unit_states.erase("scx_loader.service"); // e.g. started by hand, or no systemd
    facts.owners["org.scx.Loader"] = true;
    const auto refusal = other_scheduler_service(facts);
    ASSERT_TRUE(refusal);
    EXPECT_EQ(*refusal, "not starting: scx_loader manages the sched_ext scheduler (org.scx.Loader "
                        "is on the system bus); scx_gamer does not replace it (stop scx_loader "
                        "first, or run scx_gamer-companion.service beside it)");
}

TEST(SchedulerOwner, ActiveLoaderUnitRefusesBeforeItsNameIsOnTheBus) {
    FakeFacts facts = quiet_system();
    facts.unit_states["scx_loader.service"] = "activating";
    const auto refusal = other_scheduler_service(facts);
    ASSERT_TRUE(refusal);
    EXPECT_NE(refusal->find("scx_loader.service is activating"), std::string::npos);
}

TEST(SchedulerOwner, ScxGamerStartedByScxLoaderIsNotRefusedByIt) {
    FakeFacts facts = quiet_system();
    facts.own = "scx_loader.service";
    facts.unit_states["scx_loader.service"] = "active";
    facts.owners["org.scx.Loader"] = true;
    EXPECT_FALSE(other_scheduler_service(facts));
}

TEST(SchedulerOwner, ScxServiceIsNamedFirstWhenBothAreInCharge) {
    FakeFacts facts = quiet_system();
    facts.unit_states["scx.service"] = "active";
    facts.owners["org.scx.Loader"] = true;
    const auto refusal = other_scheduler_service(facts);
    ASSERT_TRUE(refusal);
    EXPECT_EQ(refusal->rfind("not starting: scx.service is active", 0), 0u);
}

} // namespace
} // namespace scx_gamer

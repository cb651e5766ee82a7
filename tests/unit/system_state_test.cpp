// SPDX-License-Identifier: GPL-2.0-only
// Prerequisite checks against fake sysfs/securityfs trees.
#include "system/system_state.h"
#include "temp_dir.h"

#include <gtest/gtest.h>

namespace scx_gamer {
namespace {

using testing::TempDir;

TEST(SystemState, NoSchedExtDirectoryMeansKernelLacksIt) {
    TempDir root;
    root.write("sys/kernel/security/lsm", "lockdown,yama,bpf\n");
    SystemState system(root.path());
    EXPECT_FALSE(system.has_sched_ext());
    ASSERT_TRUE(attach_blocker(system));
    EXPECT_EQ(*attach_blocker(system),
              "kernel lacks CONFIG_SCHED_CLASS_EXT (/sys/kernel/sched_ext is missing)");
}

TEST(SystemState, DisabledSchedExtHasNoBlocker) {
    TempDir root;
    root.write("sys/kernel/sched_ext/state", "disabled\n");
    root.write("sys/kernel/sched_ext/enable_seq", "7\n");
    SystemState system(root.path());
    EXPECT_TRUE(system.has_sched_ext());
    EXPECT_EQ(system.sched_ext_state(), "disabled");
    EXPECT_FALSE(system.active_scheduler());
    EXPECT_EQ(system.enable_seq(), 7u);
    EXPECT_FALSE(attach_blocker(system));
}

TEST(SystemState, AnotherSchedulerIsNamed) {
    TempDir root;
    root.write("sys/kernel/sched_ext/state", "enabled\n");
    root.write("sys/kernel/sched_ext/root/ops", "lavd_1.0.12\n");
    SystemState system(root.path());
    EXPECT_EQ(system.active_scheduler(), "lavd_1.0.12");
    EXPECT_EQ(*attach_blocker(system),
              "another sched_ext scheduler is already active: lavd_1.0.12");
}

TEST(SystemState, BpfLsmIsATokenOfTheList) {
    TempDir root;
    SystemState system(root.path());
    EXPECT_FALSE(system.bpf_lsm_active()); // unreadable: not active
    root.write("sys/kernel/security/lsm", "lockdown,yama,bpfish,apparmor");
    EXPECT_FALSE(system.bpf_lsm_active());
    root.write("sys/kernel/security/lsm", "lockdown,yama,bpf");
    EXPECT_TRUE(system.bpf_lsm_active());
    root.write("sys/kernel/security/lsm", "bpf,landlock");
    EXPECT_TRUE(system.bpf_lsm_active());
}

TEST(SystemState, GarbageEnableSeqIsIgnored) {
    TempDir root;
    root.write("sys/kernel/sched_ext/enable_seq", "many\n");
    EXPECT_FALSE(SystemState(root.path()).enable_seq());
}

} // namespace
} // namespace scx_gamer

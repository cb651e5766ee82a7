// SPDX-License-Identifier: GPL-2.0-only
// The integration decision (system/integration) and `scx_gamer doctor`'s checks (system/doctor),
// fed made-up systems: no sysfs, systemd or bus is read here.
#include "system/doctor.h"
#include "system/integration.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace scx_gamer {
namespace {

using ::testing::HasSubstr;

UnitFacts unit(bool installed, bool enabled, std::optional<std::string> state) {
    UnitFacts facts;
    facts.installed = installed;
    facts.enabled = enabled;
    facts.active_state = std::move(state);
    return facts;
}

ManagerFacts loader_system() {
    ManagerFacts facts;
    facts.scx_loader = unit(true, true, "active");
    facts.loader_on_bus = true;
    facts.scx_service = unit(false, false, "inactive");
    return facts;
}

ManagerFacts scx_service_system() {
    ManagerFacts facts;
    facts.scx_loader = unit(false, false, "inactive");
    facts.loader_on_bus = false;
    facts.scx_service = unit(true, true, "active");
    facts.default_scx = true;
    return facts;
}

ManagerFacts bare_system() {
    ManagerFacts facts;
    facts.scx_loader = unit(false, false, "inactive");
    facts.loader_on_bus = false;
    facts.scx_service = unit(false, false, "inactive");
    return facts;
}

// ---- who manages sched_ext, and the mode that fits ----

TEST(Integration, ScxLoaderActiveEnabledOrOnTheBusManages) {
    EXPECT_EQ(detect_manager(loader_system()), Manager::ScxLoader);
    ManagerFacts only_bus = bare_system();
    only_bus.loader_on_bus = true; // D-Bus activated, unit not enabled
    EXPECT_EQ(detect_manager(only_bus), Manager::ScxLoader);
    ManagerFacts only_enabled = bare_system();
    only_enabled.scx_loader = unit(true, true, "inactive"); // enabled, not started yet
    EXPECT_EQ(detect_manager(only_enabled), Manager::ScxLoader);
    ManagerFacts unknown_state = bare_system();
    unknown_state.scx_loader = unit(true, true, std::nullopt); // --root: files only
    unknown_state.loader_on_bus = std::nullopt;
    EXPECT_EQ(detect_manager(unknown_state), Manager::ScxLoader);
}

TEST(Integration, ScxLoaderWinsOverScxServiceWhenBothRun) {
    ManagerFacts both = loader_system();
    both.scx_service = unit(true, true, "active");
    EXPECT_EQ(detect_manager(both), Manager::ScxLoader);
}

TEST(Integration, InstalledButNeitherEnabledNorRunningManagesNothing) {
    ManagerFacts facts = bare_system();
    facts.scx_loader = unit(true, false, "inactive");
    facts.scx_service = unit(true, false, "failed");
    facts.default_scx = true;
    EXPECT_EQ(detect_manager(facts), Manager::None);
    EXPECT_EQ(detect_manager(scx_service_system()), Manager::ScxService);
}

TEST(Integration, DefaultModes) {
    EXPECT_EQ(default_mode(Manager::ScxLoader), InstallMode::Companion);
    EXPECT_EQ(default_mode(Manager::ScxService), InstallMode::ScxService);
    EXPECT_EQ(default_mode(Manager::None), InstallMode::Own);
}

TEST(Integration, ModeNamesRoundTripAndUnknownNamesAreRefused) {
    for (auto mode : {InstallMode::Companion, InstallMode::ReplaceLoader, InstallMode::ScxService,
                      InstallMode::Own, InstallMode::Manual})
        EXPECT_EQ(parse_install_mode(install_mode_name(mode)), mode);
    EXPECT_EQ(parse_install_mode(""), std::nullopt);
    EXPECT_EQ(parse_install_mode("Companion"), std::nullopt);
    EXPECT_EQ(parse_install_mode(std::string("own\0x", 5)), std::nullopt);
}

TEST(Integration, ModeConflicts) {
    EXPECT_EQ(mode_conflict(InstallMode::Companion, loader_system()), std::nullopt);
    EXPECT_EQ(mode_conflict(InstallMode::ReplaceLoader, loader_system()), std::nullopt);
    EXPECT_THAT(mode_conflict(InstallMode::Own, loader_system()).value_or(""),
                HasSubstr("--mode companion"));
    EXPECT_THAT(mode_conflict(InstallMode::ScxService, loader_system()).value_or(""),
                HasSubstr("scx.service"));
    EXPECT_THAT(mode_conflict(InstallMode::Companion, bare_system()).value_or(""),
                HasSubstr("not installed"));
    EXPECT_THAT(mode_conflict(InstallMode::ReplaceLoader, bare_system()).value_or(""),
                HasSubstr("--mode own"));
    EXPECT_EQ(mode_conflict(InstallMode::ScxService, scx_service_system()), std::nullopt);
    EXPECT_THAT(mode_conflict(InstallMode::Own, scx_service_system()).value_or(""),
                HasSubstr("--mode scx-service"));
    // CachyOS today: no /etc/default/scx.
    EXPECT_THAT(mode_conflict(InstallMode::ScxService, bare_system()).value_or(""),
                HasSubstr("lacks"));
    EXPECT_EQ(mode_conflict(InstallMode::Own, bare_system()), std::nullopt);
    EXPECT_EQ(mode_conflict(InstallMode::Manual, loader_system()), std::nullopt);
}

TEST(Integration, UnitsBeforeRecordsWhatUninstallRestores) {
    const UnitsBefore before = units_before(loader_system());
    EXPECT_TRUE(before.recorded);
    EXPECT_TRUE(before.loader_enabled);
    EXPECT_TRUE(before.loader_active);
    EXPECT_FALSE(before.scx_active);
}

// ---- doctor ----

// A CachyOS desktop set up by INSTALL.sh in companion mode, everything running.
DoctorFacts healthy_companion() {
    DoctorFacts facts;
    facts.sched_ext = true;
    facts.sched_ext_state = "enabled";
    facts.attached = "lavd";
    facts.bpf_lsm = true;
    facts.lsm_list = "capability,landlock,lockdown,yama,bpf";
    facts.manager = loader_system();
    facts.companion_unit = unit(true, true, "active");
    facts.gamer_unit = unit(true, false, "inactive");
    facts.installed_binary = true;
    facts.install_state = true;
    facts.install_mode = "companion";
    facts.daemon_on_bus = true;
    facts.agent_unit_installed = true;
    facts.agent_running = true;
    return facts;
}

const DoctorCheck* find(const DoctorReport& report, const std::string& id) {
    auto it = std::find_if(report.checks.begin(), report.checks.end(),
                           [&](const DoctorCheck& check) { return check.id == id; });
    return it == report.checks.end() ? nullptr : &*it;
}

CheckStatus status_of(const DoctorReport& report, const std::string& id) {
    const DoctorCheck* check = find(report, id);
    EXPECT_NE(check, nullptr) << id;
    return check ? check->status : CheckStatus::Info;
}

TEST(Doctor, AHealthyCompanionSetupHasNothingToFix) {
    const DoctorReport report = diagnose(healthy_companion());
    EXPECT_EQ(report.manager, Manager::ScxLoader);
    EXPECT_EQ(report.recommended, InstallMode::Companion);
    EXPECT_EQ(report.exit_status(), kDoctorOk) << format_doctor_text(report);
    EXPECT_EQ(status_of(report, "mode.active"), CheckStatus::Ok);
    EXPECT_THAT(find(report, "scheduler")->summary, HasSubstr("lavd"));
    for (const auto& check : report.checks)
        EXPECT_TRUE(check.status == CheckStatus::Ok || check.status == CheckStatus::Info)
            << check.id << ": " << check.summary;
}

TEST(Doctor, NoSchedExtIsAFailureWithAKernelToBoot) {
    DoctorFacts facts = healthy_companion();
    facts.sched_ext = false;
    facts.sched_ext_state.clear();
    facts.attached.reset();
    const DoctorReport report = diagnose(facts);
    EXPECT_EQ(status_of(report, "kernel.sched_ext"), CheckStatus::Fail);
    EXPECT_THAT(find(report, "kernel.sched_ext")->next_step, HasSubstr("CONFIG_SCHED_CLASS_EXT"));
    EXPECT_EQ(report.exit_status(), kDoctorFail);
}

TEST(Doctor, NoBpfLsmIsAWarningNamingTheLsmLine) {
    DoctorFacts facts = healthy_companion();
    facts.bpf_lsm = false;
    facts.lsm_list = "capability,landlock,lockdown,yama";
    const DoctorReport report = diagnose(facts);
    EXPECT_EQ(status_of(report, "kernel.bpf_lsm"), CheckStatus::Warn);
    EXPECT_THAT(find(report, "kernel.bpf_lsm")->next_step,
                HasSubstr("lsm=capability,landlock,lockdown,yama,bpf"));
    EXPECT_EQ(report.exit_status(), kDoctorWarn);
}

TEST(Doctor, UnreadableLsmListIsOnlyInformation) {
    DoctorFacts facts = healthy_companion();
    facts.bpf_lsm.reset();
    facts.lsm_list.reset();
    EXPECT_EQ(status_of(diagnose(facts), "kernel.bpf_lsm"), CheckStatus::Info);
}

TEST(Doctor, NotInstalledPointsAtTheModeThatFits) {
    DoctorFacts facts;
    facts.sched_ext = true;
    facts.sched_ext_state = "disabled";
    facts.manager = scx_service_system();
    const DoctorReport report = diagnose(facts);
    EXPECT_EQ(status_of(report, "install"), CheckStatus::Warn);
    EXPECT_THAT(find(report, "install")->next_step,
                HasSubstr("./INSTALL.sh --yes --mode scx-service"));
    EXPECT_EQ(status_of(report, "daemon"), CheckStatus::Info) << "no bus: not guessed";
}

TEST(Doctor, AStoppedCompanionIsAFailureWithTheStartCommand) {
    DoctorFacts facts = healthy_companion();
    facts.companion_unit = unit(true, true, "failed");
    facts.daemon_on_bus = false;
    const DoctorReport report = diagnose(facts);
    EXPECT_EQ(status_of(report, "mode.active"), CheckStatus::Fail);
    EXPECT_THAT(find(report, "mode.active")->next_step,
                HasSubstr("systemctl start scx_gamer-companion.service"));
    EXPECT_EQ(status_of(report, "daemon"), CheckStatus::Warn);
    EXPECT_EQ(report.exit_status(), kDoctorFail);
}

TEST(Doctor, CompanionWithoutScxLoaderRunning) {
    DoctorFacts facts = healthy_companion();
    facts.manager.scx_loader = unit(true, true, "inactive");
    facts.manager.loader_on_bus = false;
    const DoctorReport report = diagnose(facts);
    EXPECT_EQ(status_of(report, "mode.loader"), CheckStatus::Fail);
    EXPECT_THAT(find(report, "mode.loader")->next_step,
                HasSubstr("systemctl enable --now scx_loader.service"));
}

TEST(Doctor, OwnUnitBesideScxLoaderIsRefusedAndSaysSo) {
    DoctorFacts facts = healthy_companion();
    facts.install_mode = "own";
    facts.gamer_unit = unit(true, true, "failed");
    facts.companion_unit = unit(true, false, "inactive");
    const DoctorReport report = diagnose(facts);
    EXPECT_THAT(find(report, "mode.loader")->summary, HasSubstr("exit 69"));
    EXPECT_THAT(find(report, "mode.loader")->next_step, HasSubstr("--mode companion"));
    EXPECT_EQ(status_of(report, "scheduler"), CheckStatus::Fail)
        << "own mode expects scx_gamer's scheduler, lavd is attached";
    EXPECT_EQ(status_of(report, "mode.fit"), CheckStatus::Info);
    EXPECT_EQ(report.exit_status(), kDoctorFail);
}

TEST(Doctor, ScxServiceModeWithAnotherSchedulerSelected) {
    DoctorFacts facts;
    facts.sched_ext = true;
    facts.sched_ext_state = "enabled";
    facts.attached = "bpfland";
    facts.bpf_lsm = true;
    facts.manager = scx_service_system();
    facts.install_state = true;
    facts.install_mode = "scx-service";
    facts.scx_scheduler = "scx_bpfland"; // a GUI switched it back
    facts.daemon_on_bus = false;
    const DoctorReport report = diagnose(facts);
    EXPECT_EQ(status_of(report, "mode.scx_scheduler"), CheckStatus::Fail);
    EXPECT_THAT(find(report, "mode.scx_scheduler")->summary, HasSubstr("scx_bpfland"));
    EXPECT_EQ(status_of(report, "scheduler"), CheckStatus::Fail);
}

TEST(Doctor, BothManagersEnabledIsAWarning) {
    DoctorFacts facts = healthy_companion();
    facts.manager.scx_service = unit(true, true, "inactive");
    const DoctorReport report = diagnose(facts);
    EXPECT_EQ(status_of(report, "manager.both"), CheckStatus::Warn);
    EXPECT_THAT(find(report, "manager.both")->next_step,
                HasSubstr("systemctl disable --now scx.service"));
}

TEST(Doctor, AgentChecks) {
    DoctorFacts facts = healthy_companion();
    facts.agent_running = false;
    DoctorReport report = diagnose(facts);
    EXPECT_EQ(status_of(report, "agent"), CheckStatus::Warn);
    EXPECT_THAT(find(report, "agent")->next_step,
                HasSubstr("systemctl --user enable --now scxgamerctl-agent.service"));
    facts.agent_running.reset(); // root without a session bus: not guessed
    EXPECT_EQ(status_of(diagnose(facts), "agent"), CheckStatus::Info);
    facts.agent_unit_installed = false;
    EXPECT_EQ(status_of(diagnose(facts), "agent"), CheckStatus::Info);
}

TEST(Doctor, InstalledWithoutAModeSaysWhichToChoose) {
    DoctorFacts facts = healthy_companion();
    facts.install_mode = "";
    const DoctorReport report = diagnose(facts);
    EXPECT_THAT(find(report, "install")->next_step, HasSubstr("--mode companion"));
    EXPECT_EQ(find(report, "mode.active"), nullptr);
}

TEST(Doctor, JsonHasEveryCheckAndTheExitStatus) {
    DoctorFacts facts = healthy_companion();
    facts.bpf_lsm = false;
    facts.lsm_list = std::string("yama,\xff\x01lockdown"); // bytes from a file: not UTF-8
    const DoctorReport report = diagnose(facts);
    const auto json = nlohmann::json::parse(format_doctor_json(report));
    EXPECT_EQ(json["manager"], "scx_loader");
    EXPECT_EQ(json["recommended_mode"], "companion");
    EXPECT_EQ(json["installed_mode"], "companion");
    EXPECT_EQ(json["status"], "warn");
    EXPECT_EQ(json["exit_status"], kDoctorWarn);
    ASSERT_EQ(json["checks"].size(), report.checks.size());
    EXPECT_EQ(json["checks"][1]["id"], "kernel.bpf_lsm");
    EXPECT_EQ(json["checks"][1]["status"], "warn");
}

TEST(Doctor, TextShowsEachCheckAndItsNextStep) {
    DoctorFacts facts = healthy_companion();
    facts.agent_running = false;
    const std::string text = format_doctor_text(diagnose(facts));
    EXPECT_THAT(text, HasSubstr("manager: scx_loader, mode that fits: companion, installed mode: "
                                "companion\n"));
    EXPECT_THAT(text, HasSubstr("[warn] the notification agent does not run"));
    EXPECT_THAT(text, HasSubstr("       next: systemctl --user enable --now"));
}

} // namespace
} // namespace scx_gamer

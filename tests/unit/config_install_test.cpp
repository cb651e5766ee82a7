// SPDX-License-Identifier: GPL-2.0-only
#include "config/config_install.h"
#include "config/default_scx.h"
#include "config/loader_toml.h"
#include "temp_dir.h"
#include "util/atomic_file.h"
#include "util/error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

namespace scx_gamer {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::TempDir;

constexpr std::string_view kStockDefaultScx =
    "# List of scx_schedulers: scx_beerland scx_bpfland scx_chaos scx_cosmos scx_flash scx_lavd "
    "scx_p2dq scx_rustland scx_rusty scx_tickless\n"
    "SCX_SCHEDULER=scx_cosmos\n"
    "\n"
    "# Set custom flags for each scheduler, below is an example of how to use\n"
    "#SCX_FLAGS='-s 700 -S'\n";

constexpr std::string_view kAdminToml = "default_sched = \"scx_lavd\"\n"
                                        "default_mode = \"Gaming\" # GUI\n"
                                        "\n"
                                        "[scheds.scx_lavd]\n"
                                        "gaming_mode = [\"--performance\"]";

// Every regular file under root with its content, backups left out.
std::map<std::string, std::string> snapshot(const fs::path& root, bool with_backups = false) {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (!entry.is_regular_file())
            continue;
        const std::string name = entry.path().lexically_relative(root).string();
        if (!with_backups && name.find(".bak.") != std::string::npos)
            continue;
        files[name] = read_config_file(entry.path()).value();
    }
    return files;
}

std::size_t backup_count(const fs::path& root) {
    return snapshot(root, true).size() - snapshot(root).size();
}

void install(const fs::path& root, bool activate = false, FlagValues flags = {}) {
    InstallOptions options;
    options.root = root;
    options.activate = activate;
    options.scx_flags = std::move(flags);
    apply_file_changes(plan_install(options).changes);
}

void uninstall(const fs::path& root) {
    apply_file_changes(plan_uninstall(root).changes);
}

std::string file(const fs::path& root, const std::string& relative) {
    return read_config_file(root / relative).value_or("<missing>");
}

// ---- the round trip, on the layouts a CachyOS system can have ----

struct Layout {
    std::string name;
    std::map<std::string, std::string> files; // relative path -> content
    std::string edited_toml;                  // the TOML file install must edit (or create)
};

void PrintTo(const Layout& c, std::ostream* out) {
    *out << c.name;
}

class InstallUninstall : public ::testing::TestWithParam<Layout> {};

TEST_P(InstallUninstall, InstallIsIdempotentAndUninstallRestoresEveryByte) {
    TempDir root;
    for (const auto& [path, content] : GetParam().files)
        root.write(path, content);
    const auto original = snapshot(root.path());

    install(root.path());
    EXPECT_TRUE(has_our_gamer_section(file(root.path(), GetParam().edited_toml), "t"));
    EXPECT_EQ(read_config_status(root.path()).profiles.source, root.path() / GetParam().edited_toml)
        << "the file install edited is the one scx_loader (and the daemon) reads";
    const auto installed = snapshot(root.path());
    const std::size_t backups = backup_count(root.path());

    InstallOptions again;
    again.root = root.path();
    EXPECT_FALSE(plan_install(again).changes_anything());
    install(root.path());
    EXPECT_EQ(snapshot(root.path()), installed);
    EXPECT_EQ(backup_count(root.path()), backups) << "no change, no backup";

    uninstall(root.path());
    EXPECT_EQ(snapshot(root.path()), original);
    EXPECT_FALSE(plan_uninstall(root.path()).changes_anything());
}

INSTANTIATE_TEST_SUITE_P(
    ConfigInstall, InstallUninstall,
    ::testing::Values(Layout{"NothingButDefaultScx",
                             {{"etc/default/scx", std::string(kStockDefaultScx)}},
                             "etc/scx_loader.toml"},
                      Layout{"NothingAtAll", {}, "etc/scx_loader.toml"},
                      Layout{"AdminToml",
                             {{"etc/default/scx", std::string(kStockDefaultScx)},
                              {"etc/scx_loader.toml", std::string(kAdminToml)}},
                             "etc/scx_loader.toml"},
                      Layout{"ConfigTomlWinsOverEtcToml",
                             {{"etc/scx_loader/config.toml", std::string(kAdminToml)},
                              {"etc/scx_loader.toml", "default_mode = \"Auto\"\n"}},
                             "etc/scx_loader/config.toml"},
                      Layout{"VendorFileIsCopiedToEtc",
                             {{"usr/share/scx_loader/config.toml",
                               "# default_sched = \"scx_bpfland\"\n"}},
                             "etc/scx_loader.toml"},
                      Layout{"CrlfEverywhere",
                             {{"etc/default/scx",
                               "# List of scx_schedulers: scx_lavd\r\nSCX_SCHEDULER=scx_lavd\r\n"},
                              {"etc/scx_loader.toml", "default_mode = \"Auto\"\r\n"}},
                             "etc/scx_loader.toml"}),
    [](const auto& info) { return info.param.name; });

TEST(ConfigInstall, RegistersWithoutSwitchingTheScheduler) {
    TempDir root;
    root.write("etc/default/scx", kStockDefaultScx);
    install(root.path());
    const std::string text = file(root.path(), "etc/default/scx");
    EXPECT_THAT(text, HasSubstr("scx_tickless scx_gamer\nSCX_SCHEDULER=scx_cosmos\n"));
}

TEST(ConfigInstall, VendorCopyKeepsTheVendorSettings) {
    TempDir root;
    const std::string vendor = "default_mode = \"Gaming\"\n[scheds.scx_lavd]\nauto_mode = []\n";
    root.write("usr/share/scx_loader/config.toml", vendor);
    install(root.path());
    const std::string copy = file(root.path(), "etc/scx_loader.toml");
    EXPECT_TRUE(copy.starts_with(vendor)) << copy;
    EXPECT_EQ(file(root.path(), "usr/share/scx_loader/config.toml"), vendor) << "never edited";
}

TEST(ConfigInstall, AnExistingSectionIsTheAdministratorsAndStays) {
    TempDir root;
    const std::string toml = "[scheds.scx_gamer]\ngaming_mode = [\"-s\", \"3000\"]\n";
    root.write("etc/scx_loader.toml", toml);
    install(root.path());
    EXPECT_EQ(file(root.path(), "etc/scx_loader.toml"), toml);
    uninstall(root.path());
    EXPECT_EQ(file(root.path(), "etc/scx_loader.toml"), toml) << "not ours to remove";
}

TEST(ConfigInstall, ActivateThenUninstallRestoresTheSchedulerAndFlags) {
    TempDir root;
    const std::string original = "# List of scx_schedulers: scx_lavd scx_bpfland\n"
                                 "SCX_SCHEDULER=\"scx_lavd\"\n"
                                 "SCX_FLAGS='--performance'\n";
    root.write("etc/default/scx", original);
    install(root.path(), true, parse_flags(std::vector<std::string>{"-s", "3000"}));
    EXPECT_EQ(file(root.path(), "etc/default/scx"),
              "# List of scx_schedulers: scx_lavd scx_bpfland scx_gamer\n"
              "SCX_SCHEDULER=\"scx_gamer\"\n"
              "SCX_FLAGS='--profile gaming --slice-us 3000'\n");
    EXPECT_EQ(read_config_status(root.path()).scx_scheduler, "scx_gamer");

    // Installing again (even with --activate) must not forget what was there before.
    install(root.path(), true, parse_flags(std::vector<std::string>{"-s", "3000"}));
    uninstall(root.path());
    EXPECT_EQ(file(root.path(), "etc/default/scx"), original);
}

TEST(ConfigUninstall, AfterSelectingScxGamerByHandGoesBackToTheSchedulerBeforeInstall) {
    TempDir root;
    root.write("etc/default/scx", kStockDefaultScx);
    install(root.path());
    DefaultScxFile by_hand(file(root.path(), "etc/default/scx"));
    by_hand.set_scheduler("scx_gamer");
    by_hand.set_flags(parse_flags(std::vector<std::string>{"-a"}));
    root.write("etc/default/scx", by_hand.text());

    uninstall(root.path());
    // There were no flags at install time: scx_gamer's go, and the line they came in on with them.
    EXPECT_EQ(file(root.path(), "etc/default/scx"), kStockDefaultScx);
}

// A GUI that switches schedulers by editing only SCX_SCHEDULER leaves the other scheduler's
// flags in SCX_FLAGS: uninstall goes back to that scheduler and keeps them, byte for byte.
TEST(ConfigUninstall, AGuiSwitchThatLeftTheOtherSchedulersFlagsKeepsThem) {
    TempDir root;
    const std::string original = "# List of scx_schedulers: scx_bpfland scx_lavd\n"
                                 "SCX_SCHEDULER=scx_bpfland\n"
                                 "SCX_FLAGS=\"-m performance -s 5000\"\n";
    root.write("etc/default/scx", original);
    install(root.path());
    DefaultScxFile by_gui(file(root.path(), "etc/default/scx"));
    by_gui.set_scheduler("scx_gamer");
    root.write("etc/default/scx", by_gui.text());

    const ConfigPlan plan = plan_uninstall(root.path());
    apply_file_changes(plan.changes);
    EXPECT_EQ(file(root.path(), "etc/default/scx"), original);
    EXPECT_THAT(plan.notes, ::testing::Contains(HasSubstr("SCX_FLAGS kept")));
}

// The GUI also wrote scx_gamer's flags: those go, and the other scheduler's flags from before
// install come back exactly as they were written.
TEST(ConfigUninstall, ScxGamersOwnFlagsGoAndTheRecordedFlagsComeBack) {
    TempDir root;
    const std::string original = "# List of scx_schedulers: scx_bpfland scx_lavd\n"
                                 "SCX_SCHEDULER='scx_bpfland'\n"
                                 "SCX_FLAGS='-m performance -s 5000' # tuned\n"
                                 "# end\n";
    root.write("etc/default/scx", original);
    install(root.path());
    install(root.path()); // a second install must not record the state after the first
    DefaultScxFile by_gui(file(root.path(), "etc/default/scx"));
    by_gui.set_scheduler("scx_gamer");
    by_gui.set_value(ScxVariable::Flags, "--profile lowlatency");
    root.write("etc/default/scx", by_gui.text());
    ASSERT_THAT(file(root.path(), "etc/default/scx"), HasSubstr("--profile lowlatency"));

    const ConfigPlan plan = plan_uninstall(root.path());
    apply_file_changes(plan.changes);
    EXPECT_EQ(file(root.path(), "etc/default/scx"), original);
    EXPECT_THAT(plan.notes, ::testing::Contains(HasSubstr("scx_gamer's SCX_FLAGS dropped")));
}

// With no install record (an install from before records existed), flags that scx_gamer itself
// would refuse belong to another scheduler and stay.
TEST(ConfigUninstall, WithoutARecordFlagsScxGamerRefusesAreSomeoneElsesAndStay) {
    TempDir root;
    root.write("etc/default/scx", "# List of scx_schedulers: scx_bpfland scx_gamer\n"
                                  "SCX_SCHEDULER=scx_gamer\n"
                                  "SCX_FLAGS='--no-such-flag-anywhere 5'\n");
    apply_file_changes(plan_uninstall(root.path()).changes);
    EXPECT_EQ(file(root.path(), "etc/default/scx"), "# List of scx_schedulers: scx_bpfland\n"
                                                    "SCX_SCHEDULER=scx_bpfland\n"
                                                    "SCX_FLAGS='--no-such-flag-anywhere 5'\n");
}

TEST(ConfigInstall, TheModeAndTheUnitsBeforeAreRecordedOnce) {
    TempDir root;
    root.write("etc/default/scx", kStockDefaultScx);
    InstallOptions options;
    options.root = root.path();
    options.mode = InstallMode::ReplaceLoader;
    options.units_before.recorded = true;
    options.units_before.loader_enabled = true;
    options.units_before.loader_active = true;
    apply_file_changes(plan_install(options).changes);
    ConfigStatus status = read_config_status(root.path());
    EXPECT_EQ(status.mode, "replace-loader");
    EXPECT_TRUE(status.units_before.loader_enabled);
    EXPECT_THAT(format_config_status(status),
                HasSubstr("mode=replace-loader\nloader_was_enabled=yes\nloader_was_active=yes\n"));

    // Installing again after scx_loader was stopped keeps what it was before the first install.
    options.units_before.loader_enabled = false;
    options.units_before.loader_active = false;
    apply_file_changes(plan_install(options).changes);
    status = read_config_status(root.path());
    EXPECT_TRUE(status.units_before.loader_enabled);
    EXPECT_TRUE(status.units_before.loader_active);

    uninstall(root.path());
    EXPECT_EQ(file(root.path(), "etc/default/scx"), kStockDefaultScx);
    EXPECT_EQ(read_config_status(root.path()).mode, "");
}

TEST(ConfigUninstall, WithoutARecordFallsBackToTheFirstOtherListedScheduler) {
    TempDir root;
    root.write("etc/default/scx", "# List of scx_schedulers: scx_gamer scx_bpfland scx_lavd\n"
                                  "SCX_SCHEDULER=scx_gamer\n"
                                  "SCX_FLAGS=--slice-us 3000\n");
    const ConfigPlan plan = plan_uninstall(root.path());
    apply_file_changes(plan.changes);
    EXPECT_EQ(file(root.path(), "etc/default/scx"),
              "# List of scx_schedulers: scx_bpfland scx_lavd\n"
              "SCX_SCHEDULER=scx_bpfland\n"
              "SCX_FLAGS=\n");
    EXPECT_THAT(plan.notes, ::testing::Contains(HasSubstr("set to scx_bpfland")));
}

TEST(ConfigInstall, ActivateStartsTheChosenProfile) {
    TempDir root;
    root.write("etc/default/scx", "SCX_SCHEDULER=scx_lavd\n");
    InstallOptions options;
    options.root = root.path();
    options.activate = true;
    options.profile = "lowlatency";
    apply_file_changes(plan_install(options).changes);
    EXPECT_EQ(file(root.path(), "etc/default/scx"),
              "SCX_SCHEDULER=scx_gamer\nSCX_FLAGS='--profile lowlatency'\n");
}

TEST(ConfigInstall, ActivateRefusesAnUnknownProfileAndWritesNothing) {
    TempDir root;
    root.write("etc/default/scx", "SCX_SCHEDULER=scx_lavd\n");
    InstallOptions options;
    options.root = root.path();
    options.activate = true;
    options.profile = "$(reboot)";
    EXPECT_THROW(plan_install(options), Error);
    EXPECT_EQ(file(root.path(), "etc/default/scx"), "SCX_SCHEDULER=scx_lavd\n");
}

TEST(ConfigInstall, ActivateNeedsDefaultScx) {
    TempDir root;
    InstallOptions options;
    options.root = root.path();
    options.activate = true;
    EXPECT_THROW(plan_install(options), Error);
}

TEST(ConfigInstall, ABrokenTomlStopsTheInstallBeforeAnythingIsWritten) {
    TempDir root;
    root.write("etc/default/scx", kStockDefaultScx);
    root.write("etc/scx_loader.toml", "[scheds\n");
    InstallOptions options;
    options.root = root.path();
    try {
        plan_install(options);
        FAIL() << "expected an Error";
    } catch (const Error& e) {
        EXPECT_THAT(e.what(), HasSubstr((root.path() / "etc/scx_loader.toml").string() + ":1:"));
    }
    EXPECT_EQ(file(root.path(), "etc/default/scx"), kStockDefaultScx);
}

TEST(ConfigInstall, AFailedWriteLeavesEveryFileAsItWas) {
    TempDir root;
    root.write("etc/default/scx", kStockDefaultScx);
    root.write("etc/scx_loader.toml", kAdminToml);
    const auto original = snapshot(root.path(), true);
    InstallOptions options;
    options.root = root.path();
    const ConfigPlan plan = plan_install(options);
    for (std::size_t fail_after = 0; fail_after < 3; ++fail_after) {
        EXPECT_THROW(apply_file_changes(plan.changes, fail_after), Error);
        EXPECT_EQ(snapshot(root.path(), true), original) << "fail_after=" << fail_after;
        EXPECT_FALSE(fs::exists(root.path() / "var")) << "fail_after=" << fail_after;
    }
}

TEST(ConfigInstall, DryRunDiffShowsEveryPlannedEdit) {
    TempDir root;
    root.write("etc/default/scx", kStockDefaultScx);
    InstallOptions options;
    options.root = root.path();
    const std::string diff = describe_plan(plan_install(options));
    const std::string scx = (root.path() / "etc/default/scx").string();
    EXPECT_THAT(diff, HasSubstr("--- " + scx + "\n+++ " + scx + "\n@@ -1,4 +1,4 @@\n"));
    EXPECT_THAT(diff, HasSubstr("+# List of scx_schedulers: scx_beerland"));
    EXPECT_THAT(diff, HasSubstr("--- /dev/null\n+++ " +
                                (root.path() / "etc/scx_loader.toml").string() + "\n"));
    EXPECT_EQ(snapshot(root.path()).size(), 1u) << "planning writes nothing";
}

// ---- the state file ----

TEST(InstallState, FormatAndParseRoundTrip) {
    InstallState state;
    state.activated = true;
    state.previous_scheduler_line = "SCX_SCHEDULER=\"scx_lavd\" %\t";
    state.scheduler_before_install = "scx_lavd";
    state.flags_before_install_recorded = true;
    state.flags_line_before_install = "SCX_FLAGS='-m performance' # %";
    state.mode = "companion";
    state.units_before.recorded = true;
    state.units_before.scx_active = true;
    state.loader_toml = "/etc/scx_loader.toml";
    state.loader_section_added = true;
    state.loader_final_newline_added = true;
    state.loader_toml_created = true;
    state.loader_toml_created_hash = content_hash("");
    const std::string text = state.format();
    EXPECT_THAT(text, HasSubstr("previous_scheduler_line=SCX_SCHEDULER=\"scx_lavd\" %25%09\n"));
    EXPECT_THAT(text, HasSubstr("loader_toml_created_hash=cbf29ce484222325\n"));
    EXPECT_EQ(InstallState::parse(text, "s"), state);
}

TEST(InstallState, RejectsUnknownFormats) {
    EXPECT_THROW(InstallState::parse("format=2\n", "s"), Error);
    EXPECT_THROW(InstallState::parse("format=1\nnonsense\n", "s"), Error);
    EXPECT_THROW(InstallState::parse("format=1\nloader_toml=relative\n", "s"), Error);
    EXPECT_THROW(InstallState::parse("format=1\nmode=fastest\n", "s"), Error);
    EXPECT_THROW(InstallState::parse("format=1\nflags_before_install_recorded=yes\n"
                                     "flags_line_before_install=SCX_FLAGS=a%0Ab\n",
                                     "s"),
                 Error);
}

} // namespace
} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
#include "config/persist.h"
#include "temp_dir.h"
#include "tmpfs_mount.h"
#include "tuning/flags.h"
#include "util/atomic_file.h"
#include "util/error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace scx_gamer {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::TempDir;

// /etc/default/scx as scx-scheds ships it, after `scx_gamer config install --activate`.
constexpr std::string_view kActivatedStock =
    "# List of scx_schedulers: scx_beerland scx_bpfland scx_chaos scx_cosmos scx_flash scx_lavd "
    "scx_p2dq scx_rustland scx_rusty scx_tickless scx_gamer\n"
    "SCX_SCHEDULER=scx_gamer\n"
    "\n"
    "# Set custom flags for each scheduler, below is an example of how to use\n"
    "#SCX_FLAGS='-s 700 -S'\n";

const ServiceEnvironment kUnderScxService{"scx_gamer", std::nullopt, std::nullopt};
const ServiceEnvironment kOwnUnit{};

DaemonCommandLine state(std::string profile, const std::vector<std::string>& flags = {}) {
    return DaemonCommandLine{std::move(profile), parse_flags(flags), std::nullopt, std::nullopt};
}

// Every file under root (recursively) with its content: backups and temp files show up too.
std::map<std::string, std::string> files_under(const fs::path& root) {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (entry.is_regular_file())
            files[entry.path().lexically_relative(root).string()] =
                read_config_file(entry.path()).value();
    }
    return files;
}

std::string error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const Error& e) {
        return e.what();
    }
    return "<no error>";
}

mode_t mode_of(const fs::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
}

// ---- where ----

TEST(PersistTarget, ScxServiceIsToldBySchedulerNamingScxGamer) {
    const PersistTarget scx{"etc/default/scx", ScxVariable::Flags};
    const PersistTarget own{"etc/default/scx_gamer", ScxVariable::GamerFlags};
    EXPECT_EQ(persist_target(kUnderScxService), scx);
    EXPECT_EQ(persist_target({"/usr/bin/scx_gamer", std::nullopt, std::nullopt}), scx);
    EXPECT_EQ(persist_target({"scx_gamer", "", ""}), scx) << "empty overrides are unset for bash";
    EXPECT_EQ(persist_target({"scx_gamer", "scx_gamer", std::nullopt}), scx);
    EXPECT_EQ(persist_target(kOwnUnit), own);
    EXPECT_EQ(persist_target({"scx_lavd", std::nullopt, std::nullopt}), own);
    EXPECT_EQ(persist_target({"scx_gamer_v2", std::nullopt, std::nullopt}), own);
    EXPECT_EQ(persist_target({"scx_gamer", "scx_lavd", std::nullopt}), own)
        << "scx.service runs scx_lavd, so it did not start us";
    EXPECT_EQ(persist_target({std::nullopt, "scx_gamer", "-s 100"}), own)
        << "without SCX_SCHEDULER we were not started by scx.service at all";
}

TEST(PersistTarget, RefusesWhenAnOverrideDecidesWhatScxServiceRuns) {
    EXPECT_THAT(error_of([] {
                    persist_target({"scx_lavd", "scx_gamer", std::nullopt});
                }),
                HasSubstr("SCX_SCHEDULER_OVERRIDE"));
    EXPECT_THAT(error_of([] {
                    persist_target({"scx_gamer", std::nullopt, "--slice-us 500"});
                }),
                HasSubstr("systemctl unset-environment SCX_FLAGS_OVERRIDE"));
}

TEST(ServiceEnvironment, ReadsTheThreeVariablesOfThisProcess) {
    ::setenv("SCX_SCHEDULER", "scx_gamer", 1);
    ::setenv("SCX_SCHEDULER_OVERRIDE", "", 1);
    ::unsetenv("SCX_FLAGS_OVERRIDE");
    const ServiceEnvironment environment = ServiceEnvironment::of_this_process();
    ::unsetenv("SCX_SCHEDULER");
    ::unsetenv("SCX_SCHEDULER_OVERRIDE");
    EXPECT_EQ(environment.scx_scheduler, "scx_gamer");
    EXPECT_EQ(environment.scx_scheduler_override, "");
    EXPECT_EQ(environment.scx_flags_override, std::nullopt);
}

// ---- what ----

TEST(DaemonCommandLine, IsTheProfileThenTheCustomFlagsInCanonicalForm) {
    EXPECT_EQ(state("lowlatency").to_command_line(), "--profile lowlatency");
    EXPECT_EQ(state("gaming", {"--primary-domain", "3,0-2", "-s", "05000", "--mm-affinity=false"})
                  .to_command_line(),
              "--profile gaming --slice-us 5000 --mm-affinity=false --primary-domain 0-3");
}

TEST(DaemonCommandLine, RunOptionsOnlyWhenGiven) {
    DaemonCommandLine line = state("auto", {"-v"});
    line.rules_path = "/etc/scx_gamer/other-rules.toml";
    line.stats_socket = "/run/scx/gamer.sock";
    EXPECT_EQ(line.to_command_line(), "--profile auto --verbose --rules "
                                      "/etc/scx_gamer/other-rules.toml --stats-socket "
                                      "/run/scx/gamer.sock");
    // "Serve none" would be an empty word, which cannot be written unquoted.
    line.stats_socket = "";
    EXPECT_THAT(error_of([&] { line.to_args(); }), HasSubstr("--stats-socket with an empty path"));
}

// main() reads "--profile NAME" into the profile and the table flags into the custom flags: what
// follows the profile must parse back through the one flag parser to the same values.
TEST(DaemonCommandLine, CustomFlagsRoundTripThroughTheFlagParser) {
    const std::vector<std::vector<std::string>> cases = {
        {},
        {"-s", "700", "-a", "--wakeup-timer-us", "0"},
        {"--mm-affinity=false", "--avoid-smt", "--exit-dump-len", "4096"},
        {"--primary-domain", "powersave", "--stats", "5", "--no-game-preempt"},
    };
    for (const auto& flags : cases) {
        const DaemonCommandLine line = state("server", flags);
        const std::vector<std::string> args = line.to_args();
        ASSERT_GE(args.size(), 2u);
        EXPECT_EQ(args[0], "--profile");
        EXPECT_EQ(args[1], "server");
        const std::vector<std::string> rest(args.begin() + 2, args.end());
        EXPECT_EQ(parse_flags(rest), line.custom_flags) << line.to_command_line();
    }
}

TEST(DaemonCommandLine, RefusesWordsThatAreNotSafeUnquoted) {
    for (const char* bad : {"$(reboot)", "`id`", "low latency", "it's", "a\"b", "a\nb", "", "-x",
                            "_x", "Gaming", "a;b", "a*", "abcdefghijklmnopqrstuvwxyz0123456"}) {
        EXPECT_THAT(error_of([&] { state(bad).to_args(); }), HasSubstr("profile name"))
            << ::testing::PrintToString(std::string(bad));
    }
    for (const char* bad : {"$(reboot)", "/etc/my rules.toml", "/etc/it's", "-rf", "", "/etc/a\nb",
                            "/etc/*.toml", "~/rules.toml", "/etc/a;b"}) {
        DaemonCommandLine rules = state("auto");
        rules.rules_path = bad;
        EXPECT_THAT(error_of([&] { rules.to_args(); }), HasSubstr("--rules"))
            << ::testing::PrintToString(std::string(bad));
        DaemonCommandLine socket = state("auto");
        socket.stats_socket = bad;
        EXPECT_THAT(error_of([&] { socket.to_args(); }), HasSubstr("--stats-socket"))
            << ::testing::PrintToString(std::string(bad));
    }
}

// ---- saving: scx.service ----

struct ScxFileCase {
    std::string name;
    std::string before;
    std::string after; // with state("lowlatency", {"-s", "5000"})
};

void PrintTo(const ScxFileCase& c, std::ostream* out) {
    *out << c.name;
}

class SavesIntoDefaultScx : public ::testing::TestWithParam<ScxFileCase> {};

TEST_P(SavesIntoDefaultScx, ByteForByteWithABackup) {
    TempDir root;
    const fs::path file = root.write("etc/default/scx", GetParam().before);
    ::chmod(file.c_str(), 0640);

    const PersistOutcome saved =
        persist_state(state("lowlatency", {"-s", "5000"}), kUnderScxService, root.path());
    EXPECT_TRUE(saved.changed);
    EXPECT_EQ(saved.file, file);
    EXPECT_EQ(saved.assignment, "SCX_FLAGS=--profile lowlatency --slice-us 5000");
    EXPECT_EQ(read_config_file(file), GetParam().after);
    EXPECT_EQ(mode_of(file), 0640u) << "the administrator's mode is kept";

    auto files = files_under(root.path());
    ASSERT_EQ(files.size(), 2u) << "the file and one backup, no temp file";
    ASSERT_TRUE(saved.backup);
    EXPECT_THAT(saved.backup->filename().string(), ::testing::StartsWith("scx.bak."));
    EXPECT_EQ(read_config_file(*saved.backup), GetParam().before);

    // Saving the same state again changes nothing and makes no backup.
    const PersistOutcome again =
        persist_state(state("lowlatency", {"-s", "5000"}), kUnderScxService, root.path());
    EXPECT_FALSE(again.changed);
    EXPECT_EQ(again.backup, std::nullopt);
    EXPECT_EQ(files_under(root.path()), files);
}

INSTANTIATE_TEST_SUITE_P(
    Persist, SavesIntoDefaultScx,
    ::testing::Values(
        ScxFileCase{"ActivatedStockFileGetsALineAfterTheScheduler", std::string(kActivatedStock),
                    "# List of scx_schedulers: scx_beerland scx_bpfland scx_chaos scx_cosmos "
                    "scx_flash scx_lavd scx_p2dq scx_rustland scx_rusty scx_tickless scx_gamer\n"
                    "SCX_SCHEDULER=scx_gamer\n"
                    "SCX_FLAGS='--profile lowlatency --slice-us 5000'\n"
                    "\n"
                    "# Set custom flags for each scheduler, below is an example of how to use\n"
                    "#SCX_FLAGS='-s 700 -S'\n"},
        ScxFileCase{"SingleQuotedFlagsKeepTheirQuotesAndBlanks",
                    "SCX_SCHEDULER=scx_gamer\n  SCX_FLAGS = '--profile gaming -a'  \n",
                    "SCX_SCHEDULER=scx_gamer\n"
                    "  SCX_FLAGS = '--profile lowlatency --slice-us 5000'  \n"},
        ScxFileCase{"DoubleQuotedFlagsKeepTheirQuotes",
                    "SCX_SCHEDULER=\"scx_gamer\"\nSCX_FLAGS=\"--slice-us 700\"\n",
                    "SCX_SCHEDULER=\"scx_gamer\"\n"
                    "SCX_FLAGS=\"--profile lowlatency --slice-us 5000\"\n"},
        ScxFileCase{"UnquotedFlagsStayUnquoted",
                    "SCX_SCHEDULER=/usr/bin/scx_gamer\nSCX_FLAGS=--profile gaming\nFOO=1\n",
                    "SCX_SCHEDULER=/usr/bin/scx_gamer\n"
                    "SCX_FLAGS=--profile lowlatency --slice-us 5000\nFOO=1\n"},
        ScxFileCase{"CrlfLineEndingsAreKept",
                    "# List of scx_schedulers: scx_lavd scx_gamer\r\nSCX_SCHEDULER=scx_gamer\r\n"
                    "\r\n#SCX_FLAGS='-s 700 -S'\r\n",
                    "# List of scx_schedulers: scx_lavd scx_gamer\r\nSCX_SCHEDULER=scx_gamer\r\n"
                    "SCX_FLAGS='--profile lowlatency --slice-us 5000'\r\n"
                    "\r\n#SCX_FLAGS='-s 700 -S'\r\n"},
        ScxFileCase{"NoFinalNewlineStaysWithout", "SCX_SCHEDULER=scx_gamer",
                    "SCX_SCHEDULER=scx_gamer\nSCX_FLAGS='--profile lowlatency --slice-us 5000'"},
        ScxFileCase{"TheLastAssignmentIsTheOneSystemdUses",
                    "SCX_SCHEDULER=scx_gamer\nSCX_FLAGS=-s 700\nSCX_FLAGS='-s 800'\n",
                    "SCX_SCHEDULER=scx_gamer\nSCX_FLAGS=-s 700\n"
                    "SCX_FLAGS='--profile lowlatency --slice-us 5000'\n"}),
    [](const auto& info) { return info.param.name; });

TEST(PersistIntoDefaultScx, RefusesWhenTheFileNowSelectsAnotherScheduler) {
    TempDir root;
    const std::string text = "SCX_SCHEDULER=scx_lavd\nSCX_FLAGS='--performance'\n";
    root.write("etc/default/scx", text);
    EXPECT_THAT(error_of([&] { persist_state(state("gaming"), kUnderScxService, root.path()); }),
                HasSubstr("SCX_SCHEDULER there is now \"scx_lavd\""));
    EXPECT_EQ(files_under(root.path()),
              (std::map<std::string, std::string>{{"etc/default/scx", text}}));
}

TEST(PersistIntoDefaultScx, RefusesAMissingFileAndCreatesNothing) {
    TempDir root;
    const std::string message =
        error_of([&] { persist_state(state("gaming"), kUnderScxService, root.path()); });
    EXPECT_THAT(message, HasSubstr((root.path() / "etc/default/scx").string()));
    EXPECT_THAT(message, HasSubstr("does not exist"));
    EXPECT_TRUE(files_under(root.path()).empty());
}

TEST(PersistIntoDefaultScx, RefusesAnAssignmentSpreadOverLines) {
    TempDir root;
    const std::string text = "SCX_SCHEDULER=scx_gamer\nSCX_FLAGS='--slice-us 700\n-a'\n";
    root.write("etc/default/scx", text);
    EXPECT_THAT(error_of([&] { persist_state(state("gaming"), kUnderScxService, root.path()); }),
                HasSubstr("edit it by hand"));
    EXPECT_EQ(files_under(root.path()).size(), 1u);
    EXPECT_EQ(read_config_file(root.path() / "etc/default/scx"), text);
}

TEST(PersistIntoDefaultScx, InjectionAttemptsLeaveTheFileAlone) {
    TempDir root;
    root.write("etc/default/scx", kActivatedStock);
    const auto before = files_under(root.path());
    for (const char* profile : {"gaming$(reboot)", "gaming; rm -rf /", "gaming'", "gaming\"",
                                "gaming\nSCX_SCHEDULER=evil", "gaming `id`", "a b"}) {
        EXPECT_THAT(error_of([&] { persist_state(state(profile), kUnderScxService, root.path()); }),
                    HasSubstr("profile name"))
            << ::testing::PrintToString(std::string(profile));
    }
    DaemonCommandLine rules = state("gaming");
    rules.rules_path = "/etc/x.toml$(reboot)";
    EXPECT_THAT(error_of([&] { persist_state(rules, kUnderScxService, root.path()); }),
                HasSubstr("--rules"));
    // Flags cannot carry text: the flag table rejects it before a FlagValues exists.
    EXPECT_THROW(parse_flags(std::vector<std::string>{"--primary-domain", "0-3$(reboot)"}),
                 FlagError);
    EXPECT_THROW(parse_flags(std::vector<std::string>{"--slice-us", "5000 --x"}), FlagError);
    EXPECT_EQ(files_under(root.path()), before);
}

// ---- saving: scx_gamer.service ----

TEST(PersistIntoDefaultScxGamer, CreatesTheFileWhenMissing) {
    TempDir root;
    const PersistOutcome saved =
        persist_state(state("lowlatency", {"--mm-affinity"}), kOwnUnit, root.path());
    const fs::path file = root.path() / "etc/default/scx_gamer";
    EXPECT_TRUE(saved.changed);
    EXPECT_EQ(saved.file, file);
    EXPECT_EQ(saved.backup, std::nullopt) << "nothing to back up";
    EXPECT_EQ(saved.assignment, "SCX_GAMER_FLAGS=--profile lowlatency --mm-affinity");
    EXPECT_EQ(read_config_file(file),
              "# Flags of scx_gamer.service (ExecStart=/usr/bin/scx_gamer $SCX_GAMER_FLAGS), see "
              "scx_gamer(8).\n"
              "# scxgamerctl set-profile/apply-flags --persist rewrite SCX_GAMER_FLAGS.\n"
              "SCX_GAMER_FLAGS='--profile lowlatency --mm-affinity'\n");
    EXPECT_EQ(mode_of(file), 0644u);
    EXPECT_EQ(files_under(root.path()).size(), 1u);

    // The next save edits that line and keeps the first version as a backup.
    const PersistOutcome next = persist_state(state("gaming"), kOwnUnit, root.path());
    EXPECT_TRUE(next.changed);
    ASSERT_TRUE(next.backup);
    EXPECT_EQ(next.backup->parent_path(), file.parent_path());
    EXPECT_THAT(read_config_file(file).value(),
                ::testing::EndsWith("\nSCX_GAMER_FLAGS='--profile gaming'\n"));
    EXPECT_THAT(read_config_file(*next.backup).value(),
                ::testing::EndsWith("\nSCX_GAMER_FLAGS='--profile lowlatency --mm-affinity'\n"));
    const auto files = files_under(root.path());
    EXPECT_EQ(persist_state(state("gaming"), kOwnUnit, root.path()).changed, false);
    EXPECT_EQ(files_under(root.path()), files);
}

TEST(PersistIntoDefaultScxGamer, EditsAnExistingFileInPlace) {
    TempDir root;
    root.write("etc/default/scx_gamer",
               "# mine\r\nSCX_GAMER_FLAGS=--profile auto\r\nOTHER='x y'\r\n");
    persist_state(state("powersave", {"-s", "20000"}), kOwnUnit, root.path());
    EXPECT_EQ(read_config_file(root.path() / "etc/default/scx_gamer"),
              "# mine\r\nSCX_GAMER_FLAGS=--profile powersave --slice-us 20000\r\nOTHER='x y'\r\n");
}

TEST(PersistIntoDefaultScxGamer, AFileWithoutTheVariableGetsItAtTheEnd) {
    TempDir root;
    root.write("etc/default/scx_gamer", "# nothing yet\n");
    persist_state(state("server"), kOwnUnit, root.path());
    EXPECT_EQ(read_config_file(root.path() / "etc/default/scx_gamer"),
              "# nothing yet\nSCX_GAMER_FLAGS='--profile server'\n");
}

TEST(PersistIntoDefaultScxGamer, RefusesToReplaceASymlink) {
    TempDir root;
    const fs::path target = root.write("elsewhere", "SCX_GAMER_FLAGS=--profile auto\n");
    fs::create_directories(root.path() / "etc/default");
    fs::create_symlink(target, root.path() / "etc/default/scx_gamer");
    const auto before = files_under(root.path()); // the target, and the link read through
    EXPECT_THAT(error_of([&] { persist_state(state("gaming"), kOwnUnit, root.path()); }),
                HasSubstr("symbolic link"));
    EXPECT_EQ(read_config_file(target), "SCX_GAMER_FLAGS=--profile auto\n");
    EXPECT_TRUE(fs::is_symlink(root.path() / "etc/default/scx_gamer"));
    EXPECT_EQ(files_under(root.path()), before) << "no backup, no temp file";
}

// ---- a read-only /etc ----

// A tmpfs mounted on ROOT/etc/default and remounted read-only; mounting needs root.
class ReadOnlyEtc : public ::testing::Test {
  protected:
    void SetUp() override {
        default_dir_ = root_.path() / "etc/default";
        fs::create_directories(default_dir_);
        tmpfs_.emplace(default_dir_, "64k");
        if (!tmpfs_->mounted())
            GTEST_SKIP() << "cannot mount a tmpfs (not root?)";
    }
    void make_read_only() { ASSERT_TRUE(tmpfs_->make_read_only()); }

    TempDir root_;
    fs::path default_dir_;
    std::optional<testing::TmpfsMount> tmpfs_;
};

TEST_F(ReadOnlyEtc, SavingIntoDefaultScxFailsNamingTheFileAndChangesNothing) {
    write_file_atomically(default_dir_ / "scx", kActivatedStock);
    make_read_only();
    const std::string message =
        error_of([&] { persist_state(state("lowlatency"), kUnderScxService, root_.path()); });
    EXPECT_THAT(message, HasSubstr((default_dir_ / "scx").string()));
    EXPECT_THAT(message, HasSubstr("Read-only file system"));
    EXPECT_EQ(files_under(root_.path()), (std::map<std::string, std::string>{
                                             {"etc/default/scx", std::string(kActivatedStock)}}));
}

TEST_F(ReadOnlyEtc, CreatingDefaultScxGamerFailsNamingTheFile) {
    make_read_only();
    const std::string message =
        error_of([&] { persist_state(state("lowlatency"), kOwnUnit, root_.path()); });
    EXPECT_THAT(message, HasSubstr((default_dir_ / "scx_gamer").string()));
    EXPECT_THAT(message, HasSubstr("Read-only file system"));
    EXPECT_TRUE(files_under(root_.path()).empty());
}

// Without root, a directory without write permission does the same.
TEST(PersistWithoutPermission, FailsNamingTheFileAndChangesNothing) {
    if (::geteuid() == 0)
        GTEST_SKIP() << "root writes into read-only directories (see ReadOnlyEtc)";
    TempDir root;
    const fs::path file = root.write("etc/default/scx", kActivatedStock);
    ::chmod(file.parent_path().c_str(), 0555);
    const std::string message =
        error_of([&] { persist_state(state("lowlatency"), kUnderScxService, root.path()); });
    ::chmod(file.parent_path().c_str(), 0755);
    EXPECT_THAT(message, HasSubstr(file.string()));
    EXPECT_THAT(message, HasSubstr("Permission denied"));
    EXPECT_EQ(files_under(root.path()), (std::map<std::string, std::string>{
                                            {"etc/default/scx", std::string(kActivatedStock)}}));
}

} // namespace
} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
#include "games/proc_reader.h"

#include "fake_proc_reader.h"
#include "temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

namespace scx_gamer {
namespace {

using ::testing::ElementsAre;
using testing::MockProcReader;
using ::testing::Return;
using ::testing::StrictMock;
using testing::TempDir;

using Strings = std::vector<std::string>;

constexpr pid_t kPid = 1234;

std::string nul_joined(const Strings& items) {
    std::string text;
    for (const auto& item : items)
        text += item + '\0';
    return text;
}

// A /proc-like tree in a temporary directory.
class FakeProc {
  public:
    void file(pid_t pid, std::string_view name, std::string_view content) const {
        dir_.write(std::to_string(pid) + "/" + std::string(name), content);
    }
    void exe(pid_t pid, const std::string& target) const {
        std::filesystem::create_directories(dir_.path() / std::to_string(pid));
        std::filesystem::create_symlink(target, dir_.path() / std::to_string(pid) / "exe");
    }
    void full_process(pid_t pid) const {
        file(pid, "comm", "game\n");
        exe(pid, "/opt/game/bin/game");
        file(pid, "cmdline", nul_joined({"/opt/game/bin/game", "-fullscreen"}));
        file(pid, "environ", nul_joined({"HOME=/home/gamer", "SteamAppId=42"}));
        file(pid, "status",
             "Name:\tgame\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t1234\n"
             "Ngid:\t0\nPid:\t1234\nPPid:\t77\nTracerPid:\t0\n");
    }
    LinuxProcReader reader() const { return LinuxProcReader(dir_.path()); }
    const std::filesystem::path& root() const { return dir_.path(); }

  private:
    TempDir dir_;
};

TEST(LinuxProcReader, ReadsACompleteProcess) {
    FakeProc proc;
    proc.full_process(kPid);
    const auto info = read_process_info(proc.reader(), kPid);
    ASSERT_TRUE(info);
    ProcessInfo expected;
    expected.pid = kPid;
    expected.ppid = 77;
    expected.comm = "game";
    expected.exe = "/opt/game/bin/game";
    expected.cmdline = {"/opt/game/bin/game", "-fullscreen"};
    expected.steam_app_id = 42;
    expected.is_wine = false;
    EXPECT_EQ(*info, expected);
}

TEST(LinuxProcReader, MissingProcessIsNullopt) {
    FakeProc proc;
    const auto reader = proc.reader();
    EXPECT_FALSE(read_process_info(reader, kPid));
    EXPECT_FALSE(reader.comm(kPid));
    EXPECT_FALSE(reader.exe(kPid));
    EXPECT_FALSE(reader.cmdline(kPid));
    EXPECT_FALSE(reader.environment(kPid));
    EXPECT_FALSE(reader.parent(kPid));
}

TEST(LinuxProcReader, InvalidPidsAreNullopt) {
    FakeProc proc;
    proc.full_process(kPid);
    const auto reader = proc.reader();
    for (const pid_t pid : {0, -1, -kPid}) {
        EXPECT_FALSE(reader.comm(pid));
        EXPECT_FALSE(read_process_info(reader, pid));
    }
}

TEST(LinuxProcReader, MissingFilesLeaveFieldsEmpty) {
    FakeProc proc;
    proc.file(kPid, "comm", "kworker/0:1\n");
    const auto info = read_process_info(proc.reader(), kPid);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->comm, "kworker/0:1");
    EXPECT_EQ(info->exe, "");
    EXPECT_TRUE(info->cmdline.empty());
    EXPECT_EQ(info->ppid, 0);
    EXPECT_FALSE(info->steam_app_id);
}

TEST(LinuxProcReader, UnreadableFileIsNullopt) {
    if (::geteuid() == 0)
        GTEST_SKIP() << "root reads mode 000 files";
    FakeProc proc;
    proc.full_process(kPid);
    std::filesystem::permissions(proc.root() / std::to_string(kPid) / "environ",
                                 std::filesystem::perms::none);
    EXPECT_FALSE(proc.reader().environment(kPid));
    EXPECT_FALSE(read_process_info(proc.reader(), kPid)->steam_app_id);
}

TEST(LinuxProcReader, PidEntryThatIsAFileIsNullopt) {
    FakeProc proc;
    std::ofstream(proc.root() / std::to_string(kPid)) << "not a directory";
    const auto reader = proc.reader();
    EXPECT_FALSE(read_process_info(reader, kPid)); // ENOTDIR
    EXPECT_FALSE(reader.exe(kPid));
    EXPECT_FALSE(reader.environment(kPid));
}

TEST(LinuxProcReader, DirectoryInPlaceOfAFileIsNullopt) {
    FakeProc proc;
    std::filesystem::create_directories(proc.root() / std::to_string(kPid) / "environ");
    EXPECT_FALSE(proc.reader().environment(kPid));
}

TEST(LinuxProcReader, FifoInPlaceOfAFileDoesNotBlock) {
    FakeProc proc;
    std::filesystem::create_directories(proc.root() / std::to_string(kPid));
    ASSERT_EQ(::mkfifo((proc.root() / std::to_string(kPid) / "environ").c_str(), 0600), 0);
    const auto start = std::chrono::steady_clock::now();
    const auto environment = proc.reader().environment(kPid);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
    if (environment) {
        EXPECT_TRUE(environment->empty());
    }
}

TEST(LinuxProcReader, CmdlineWithoutNulsIsOneItem) {
    FakeProc proc;
    proc.file(kPid, "cmdline", "game --rewritten-by-setproctitle");
    EXPECT_THAT(*proc.reader().cmdline(kPid), ElementsAre("game --rewritten-by-setproctitle"));
}

TEST(LinuxProcReader, EmptyCmdlineIsEmpty) {
    FakeProc proc;
    proc.file(kPid, "cmdline", "");
    EXPECT_TRUE(proc.reader().cmdline(kPid)->empty());
}

TEST(LinuxProcReader, CmdlineKeepsEmptyArguments) {
    FakeProc proc;
    proc.file(kPid, "cmdline", std::string("a\0\0b\0", 5));
    EXPECT_THAT(*proc.reader().cmdline(kPid), ElementsAre("a", "", "b"));
}

TEST(LinuxProcReader, HugeEnvironIsCapped) {
    FakeProc proc;
    std::string environ = nul_joined({"SteamAppId=7"});
    while (environ.size() < 4 * kMaxEnvironBytes)
        environ += "FILLER=" + std::string(1000, 'x') + '\0';
    environ += nul_joined({"SteamGameId=8"});
    proc.file(kPid, "environ", environ);

    const auto environment = proc.reader().environment(kPid);
    ASSERT_TRUE(environment);
    std::size_t bytes = 0;
    for (const auto& entry : *environment) {
        bytes += entry.size() + 1;
        EXPECT_TRUE(entry == "SteamAppId=7" || entry == "FILLER=" + std::string(1000, 'x'))
            << "a cut entry was kept: " << entry.substr(0, 20);
    }
    EXPECT_LE(bytes, kMaxEnvironBytes);
    EXPECT_EQ(steam_app_id_from_environment(*environment), 7u);
}

TEST(LinuxProcReader, AppIdBeyondTheCapIsNotSeen) {
    FakeProc proc;
    std::string environ;
    while (environ.size() < kMaxEnvironBytes + 10)
        environ += "FILLER=" + std::string(1000, 'x') + '\0';
    environ += nul_joined({"SteamAppId=7"});
    proc.file(kPid, "environ", environ);
    const auto environment = proc.reader().environment(kPid);
    ASSERT_TRUE(environment);
    EXPECT_FALSE(steam_app_id_from_environment(*environment));
}

TEST(LinuxProcReader, GarbageEnvironDoesNotConfuse) {
    FakeProc proc;
    proc.file(kPid, "comm", "x\n");
    static constexpr char kGarbage[] =
        "\xff\xfe=\0SteamAppId\0=5\0SteamAppId==6\0SteamAppIdX=7\0steamappid=9";
    proc.file(kPid, "environ", std::string(kGarbage, sizeof(kGarbage) - 1));
    const auto info = read_process_info(proc.reader(), kPid);
    ASSERT_TRUE(info);
    EXPECT_FALSE(info->steam_app_id);
}

TEST(LinuxProcReader, StatusWithoutPpidOrWithGarbage) {
    FakeProc proc;
    proc.file(kPid, "status", "Name:\tx\nPid:\t1234\n");
    EXPECT_FALSE(proc.reader().parent(kPid));
    proc.file(kPid, "status", "Name:\tx\nPPid:\tabc\n");
    EXPECT_FALSE(proc.reader().parent(kPid));
    proc.file(kPid, "status", "Name:\tx\nPPid:\t-4\n");
    EXPECT_FALSE(proc.reader().parent(kPid));
    proc.file(kPid, "status", "Name:\tx\nPPid:\t12x\n");
    EXPECT_FALSE(proc.reader().parent(kPid));
    proc.file(kPid, "status", "Name:\tx\nPPid:\t0\n");
    EXPECT_EQ(proc.reader().parent(kPid), 0);
    proc.file(kPid, "status", "Name:\tx\nPPid:\t99999999999999\n");
    EXPECT_FALSE(proc.reader().parent(kPid));
}

// Found by the reference parser of tests/fuzz/fuzz_proc: from_chars read "-0" as 0.
TEST(ParseStatusPpid, TakesOnlyTheDigitsAfterPPid) {
    EXPECT_EQ(parse_status_ppid("Name:\tx\nPPid:\t77\nTracerPid:\t0\n"), 77);
    EXPECT_EQ(parse_status_ppid("Name:\tx\nPPid: \t 0"), 0);
    EXPECT_EQ(parse_status_ppid("Name:\tx\nPPid:\t-0\n"), std::nullopt);
    EXPECT_EQ(parse_status_ppid("Name:\tx\nPPid:\t+5\n"), std::nullopt);
    EXPECT_EQ(parse_status_ppid("Name:\tx\nPPid:\t\n"), std::nullopt);
}

TEST(StatThreadCount, ReadsField20AfterTheComm) {
    const std::string stat = "430 (a) b) c) S 1 430 430 0 -1 4194560 120 0 0 0 5 6 0 0 20 0 "
                             "37 0 123 4096 100\n";
    EXPECT_EQ(stat_thread_count(stat), 37U);
    EXPECT_EQ(stat_thread_count("430 (x) S 1 430"), std::nullopt);
    EXPECT_EQ(stat_thread_count("430 x S 1 430"), std::nullopt);
}

TEST(StatParent, ReadsField4AfterTheComm) {
    EXPECT_EQ(stat_parent("430 (a) b) c) S 17 430 430 0 -1\n"), 17U);
    EXPECT_EQ(stat_parent("430 (x) S"), std::nullopt);
    EXPECT_EQ(stat_parent("430 (x) S -1 2"), std::nullopt);
    EXPECT_EQ(stat_parent("430 x S 1 430"), std::nullopt);
}

// Eligibility for game treatment is decided on the real uid (the first of the four).
TEST(ParseStatusUid, TakesTheRealUid) {
    EXPECT_EQ(parse_status_uid("Name:\tx\nUid:\t1000\t0\t0\t0\nGid:\t100\n"), 1000U);
    EXPECT_EQ(parse_status_uid("Name:\tx\nUid:\t65534\t65534\t65534\t65534"), 65534U);
    EXPECT_EQ(parse_status_uid("Name:\tx\nUid:\t-1\t0\n"), std::nullopt);
    EXPECT_EQ(parse_status_uid("Name:\tx\nUid:\t99999999999\t0\n"), std::nullopt);
    EXPECT_EQ(parse_status_uid("Name:\tUid:\t5\n"), std::nullopt) << "not at a line start";
    EXPECT_EQ(parse_status_uid("Name:\tx\n"), std::nullopt);
}

// vm.game_storm found a game whose exit went unreported: it exited between the exit tracepoint
// and the daemon's watch, and its zombie still had a /proc entry.
TEST(StatSaysExiting, ZombiesDeadAndExitingProcessesAreExiting) {
    // Fields after the comm: state ppid pgrp session tty_nr tpgid flags ...
    EXPECT_FALSE(stat_says_exiting("430 (StormGame) S 1 430 430 0 -1 4194560 120 0 0 0"));
    EXPECT_FALSE(stat_says_exiting("430 (StormGame) R 1 430 430 0 -1 4194368 120"));
    EXPECT_TRUE(stat_says_exiting("430 (StormGame) Z 1 430 430 0 -1 4227332 120"));
    EXPECT_TRUE(stat_says_exiting("430 (StormGame) X 1 430 430 0 -1 4194304 120"));
    EXPECT_TRUE(stat_says_exiting("430 (StormGame) R 1 430 430 0 -1 4194308 120")) << "PF_EXITING";
}

TEST(StatSaysExiting, CommWithSpacesAndParenthesesIsSkipped) {
    EXPECT_FALSE(stat_says_exiting("7 (a) Z (b) S 1 7 7 0 -1 4194560 0"));
    EXPECT_TRUE(stat_says_exiting("7 (a) S (b) Z 1 7 7 0 -1 4194560 0"));
}

TEST(StatSaysExiting, MalformedTextCountsAsExiting) {
    EXPECT_TRUE(stat_says_exiting(""));
    EXPECT_TRUE(stat_says_exiting("430 StormGame S 1"));
    EXPECT_TRUE(stat_says_exiting("430 (StormGame) S 1 430"));
    EXPECT_TRUE(stat_says_exiting("430 (StormGame) SS 1 430 430 0 -1 4194560 120"));
    EXPECT_TRUE(stat_says_exiting("430 (StormGame) S 1 430 430 0 -1 -5 120"));
}

TEST(LinuxProcReader, DeletedExeKeepsItsPath) {
    FakeProc proc;
    proc.exe(kPid, "/opt/game/game (deleted)");
    EXPECT_EQ(proc.reader().exe(kPid), "/opt/game/game");
}

TEST(LinuxProcReader, CommIsCapped) {
    FakeProc proc;
    proc.file(kPid, "comm", std::string(10000, 'c'));
    EXPECT_LE(proc.reader().comm(kPid)->size(), 64u);
}

TEST(LinuxProcReader, WineProcess) {
    FakeProc proc;
    proc.file(kPid, "comm", "eldenring.exe\n");
    proc.exe(kPid, "/home/u/Proton/files/bin/wine64-preloader");
    proc.file(kPid, "cmdline", nul_joined({"Z:\\games\\eldenring.exe"}));
    const auto info = read_process_info(proc.reader(), kPid);
    ASSERT_TRUE(info);
    EXPECT_TRUE(info->is_wine);
}

// ---- The real /proc: this test's own process ----

TEST(RealProc, OwnProcess) {
    const LinuxProcReader reader;
    const pid_t self = ::getpid();
    const auto info = read_process_info(reader, self);
    ASSERT_TRUE(info);

    std::string comm;
    std::getline(std::ifstream("/proc/self/comm"), comm);
    EXPECT_EQ(info->comm, comm);
    EXPECT_EQ(info->exe, std::filesystem::read_symlink("/proc/self/exe").string());
    ASSERT_FALSE(info->cmdline.empty());
    EXPECT_EQ(std::filesystem::path(info->cmdline.front()).filename(),
              std::filesystem::path(info->exe).filename());
    EXPECT_EQ(info->ppid, ::getppid());
    EXPECT_FALSE(info->is_wine);
    const auto environment = reader.environment(self);
    ASSERT_TRUE(environment);
    EXPECT_FALSE(environment->empty());
}

TEST(RealProc, ProcessThatDoesNotExist) {
    const LinuxProcReader reader;
    // Above PID_MAX_LIMIT (4194304), so it can never exist.
    EXPECT_FALSE(read_process_info(reader, 4'194'305));
}

TEST(RealProc, KernelThreadHasNoExe) {
    const LinuxProcReader reader;
    const auto kthreadd = read_process_info(reader, 2);
    if (!kthreadd || kthreadd->comm != "kthreadd")
        GTEST_SKIP() << "no kthreadd visible (pid namespace)";
    EXPECT_EQ(kthreadd->exe, "");
    EXPECT_TRUE(kthreadd->cmdline.empty());
}

// ---- How read_process_info uses a reader ----

TEST(ReadProcessInfo, StopsAtTheFirstSignOfAGoneProcess) {
    StrictMock<MockProcReader> reader;
    EXPECT_CALL(reader, comm(kPid)).WillOnce(Return(std::nullopt));
    EXPECT_FALSE(read_process_info(reader, kPid));
}

TEST(ReadProcessInfo, ToleratesEveryOtherFailure) {
    StrictMock<MockProcReader> reader;
    EXPECT_CALL(reader, comm(kPid)).WillOnce(Return("game"));
    EXPECT_CALL(reader, parent(kPid)).WillOnce(Return(std::nullopt));
    EXPECT_CALL(reader, exe(kPid)).WillOnce(Return(std::nullopt));
    EXPECT_CALL(reader, cmdline(kPid)).WillOnce(Return(std::nullopt));
    EXPECT_CALL(reader, environment(kPid)).WillOnce(Return(std::nullopt));
    const auto info = read_process_info(reader, kPid);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->comm, "game");
    EXPECT_EQ(info->pid, kPid);
    EXPECT_FALSE(info->steam_app_id);
}

// ---- Parsing helpers ----

TEST(SplitNulSeparated, Cases) {
    EXPECT_THAT(split_nul_separated(std::string("a\0b\0", 4), false), ElementsAre("a", "b"));
    EXPECT_THAT(split_nul_separated(std::string("a\0b", 3), false), ElementsAre("a", "b"));
    EXPECT_THAT(split_nul_separated(std::string("a\0b", 3), true), ElementsAre("a"));
    EXPECT_THAT(split_nul_separated("", false), ElementsAre());
    EXPECT_THAT(split_nul_separated(std::string("\0", 1), false), ElementsAre(""));
}

TEST(SteamAppId, FromEnvironment) {
    EXPECT_EQ(steam_app_id_from_environment({"SteamAppId=220"}), 220u);
    EXPECT_EQ(steam_app_id_from_environment({"SteamGameId=220"}), 220u);
    EXPECT_EQ(steam_app_id_from_environment({"SteamAppId=0", "SteamGameId=99"}), 99u);
    EXPECT_EQ(steam_app_id_from_environment({"SteamAppId=5", "SteamGameId=99"}), 5u);
    EXPECT_FALSE(steam_app_id_from_environment({"SteamAppId=0"}));
    EXPECT_FALSE(steam_app_id_from_environment({"SteamAppId="}));
    EXPECT_FALSE(steam_app_id_from_environment({"SteamAppId=-1"}));
    EXPECT_FALSE(steam_app_id_from_environment({"SteamAppId=1 "}));
    EXPECT_FALSE(steam_app_id_from_environment({"SteamAppId=99999999999999999999999"}));
    EXPECT_FALSE(steam_app_id_from_environment({"STEAMAPPID=5"}));
    EXPECT_FALSE(steam_app_id_from_environment({}));
}

TEST(Wine, Detection) {
    EXPECT_TRUE(is_wine_loader("/usr/bin/wine64-preloader"));
    EXPECT_TRUE(is_wine_loader("/opt/proton/files/bin/wine"));
    EXPECT_FALSE(is_wine_loader("/usr/bin/wineserver"));
    EXPECT_TRUE(looks_like_wine("/x/wine-preloader", {}));
    EXPECT_TRUE(looks_like_wine("", {"C:\\x\\Game.EXE"}));
    EXPECT_FALSE(looks_like_wine("/usr/bin/mono", {"mono", "Terraria.exe"}));
    EXPECT_FALSE(looks_like_wine("", {}));
}

} // namespace
} // namespace scx_gamer

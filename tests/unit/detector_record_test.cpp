// SPDX-License-Identifier: GPL-2.0-only
// Decoding the detector's ring-buffer records (games/detector_record.h), and what the daemon
// makes of an exec record (process_info_at_exec): the exec path classifies from the record
// alone, plus the exe link.
#include "fake_proc_reader.h"
#include "games/detector_record.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace scx_gamer {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Return;
using ::testing::StrictMock;

constexpr uint32_t kPid = 4242;

// Bytes as the BPF side submits them: a gamer_exec_event, then `strings`, padded to a chunk.
std::vector<std::byte> exec_record(const std::string& strings, uint32_t argc,
                                   uint32_t total = UINT32_MAX) {
    gamer_exec_event head{};
    head.ev.kind = GAMER_EV_EXEC;
    head.ev.tgid = kPid;
    std::strcpy(head.ev.comm, "game");
    head.argc = argc;
    head.strings_len = static_cast<uint32_t>(strings.size());
    head.strings_total = total == UINT32_MAX ? head.strings_len : total;
    const size_t padded =
        (strings.size() + GAMER_STRINGS_CHUNK - 1) / GAMER_STRINGS_CHUNK * GAMER_STRINGS_CHUNK;
    std::vector<std::byte> bytes(sizeof(head) + padded);
    std::memcpy(bytes.data(), &head, sizeof(head));
    std::memcpy(bytes.data() + sizeof(head), strings.data(), strings.size());
    return bytes;
}

std::vector<std::byte> plain_record(uint32_t kind) {
    gamer_event event{};
    event.kind = kind;
    event.tgid = kPid;
    std::vector<std::byte> bytes(sizeof(event));
    std::memcpy(bytes.data(), &event, sizeof(event));
    return bytes;
}

TEST(DetectorRecord, ExecCarriesItsArgumentsAndEnvironment) {
    const std::string strings("./game\0--fullscreen\0\0SteamAppId=4000\0HOME=/home/p\0", 50);
    const auto record = decode_detector_record(exec_record(strings, 3));
    ASSERT_TRUE(record && record->exec);
    EXPECT_EQ(record->event.tgid, kPid);
    EXPECT_STREQ(record->event.comm, "game");
    EXPECT_THAT(record->exec->argv, ElementsAre("./game", "--fullscreen", ""));
    EXPECT_THAT(record->exec->environment, ElementsAre("SteamAppId=4000", "HOME=/home/p"));
    EXPECT_TRUE(record->exec->complete);
}

TEST(DetectorRecord, CutStringsLoseTheirIncompleteLastOneAndSaySo) {
    const std::string strings("game\0A=1\0B=tr", 13);
    const auto record = decode_detector_record(exec_record(strings, 1, 40000));
    ASSERT_TRUE(record && record->exec);
    EXPECT_THAT(record->exec->argv, ElementsAre("game"));
    EXPECT_THAT(record->exec->environment, ElementsAre("A=1"));
    EXPECT_FALSE(record->exec->complete);
}

TEST(DetectorRecord, AnArgcBeyondTheStringsLeavesNoEnvironment) {
    const std::string strings("a\0b\0", 4);
    const auto record = decode_detector_record(exec_record(strings, 9));
    ASSERT_TRUE(record && record->exec);
    EXPECT_THAT(record->exec->argv, ElementsAre("a", "b"));
    EXPECT_THAT(record->exec->environment, IsEmpty());
}

TEST(DetectorRecord, RenamesExitsAndJoinsHaveNoStrings) {
    for (const uint32_t kind : {GAMER_EV_RENAME, GAMER_EV_EXIT, GAMER_EV_JOIN}) {
        const auto record = decode_detector_record(plain_record(kind));
        ASSERT_TRUE(record);
        EXPECT_EQ(record->event.kind, kind);
        EXPECT_FALSE(record->exec);
    }
}

TEST(DetectorRecord, RecordsTooShortOrOverrunAreRefused) {
    auto rename = plain_record(GAMER_EV_RENAME);
    rename.pop_back();
    EXPECT_FALSE(decode_detector_record(rename));

    // An exec record without its exec fields.
    auto exec = plain_record(GAMER_EV_EXEC);
    EXPECT_FALSE(decode_detector_record(exec));

    // strings_len beyond the record, or beyond strings_total.
    auto overrun = exec_record(std::string("a\0", 2), 1);
    overrun.resize(sizeof(gamer_exec_event) + 1);
    EXPECT_FALSE(decode_detector_record(overrun));
    EXPECT_FALSE(decode_detector_record(exec_record(std::string("abc\0", 4), 1, 2)));
}

TEST(ProcessInfoAtExec, ComesFromTheRecordAndTheExeLinkOnly) {
    StrictMock<testing::MockProcReader> reader; // any other read fails the test
    EXPECT_CALL(reader, exe(static_cast<pid_t>(kPid)))
        .WillOnce(Return(std::string("/usr/bin/wine64-preloader")));
    ExecStrings strings;
    strings.argv = {"Z:\\games\\Game.exe"};
    strings.environment = {"SteamGameId=9000000000", "SteamAppId=0"};
    strings.complete = true;

    const auto info = process_info_at_exec(reader, kPid, 77, 1000, "Game.exe", strings);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->pid, static_cast<pid_t>(kPid));
    EXPECT_EQ(info->ppid, 77);
    EXPECT_EQ(info->uid, 1000U); // from the record: no /proc read (the reader is strict)
    EXPECT_EQ(info->comm, "Game.exe");
    EXPECT_EQ(info->exe, "/usr/bin/wine64-preloader");
    EXPECT_THAT(info->cmdline, ElementsAre("Z:\\games\\Game.exe"));
    EXPECT_EQ(info->steam_app_id, 9000000000ULL);
    EXPECT_TRUE(info->is_wine);
}

TEST(ProcessInfoAtExec, AProcessGoneBeforeItsExeIsReadIsGone) {
    StrictMock<testing::MockProcReader> reader;
    EXPECT_CALL(reader, exe(static_cast<pid_t>(kPid))).WillOnce(Return(std::nullopt));
    EXPECT_FALSE(process_info_at_exec(reader, kPid, 1, 0, "game", ExecStrings{}));
}

} // namespace
} // namespace scx_gamer

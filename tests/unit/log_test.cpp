// SPDX-License-Identifier: GPL-2.0-only
#include "util/log.h"

#include <gtest/gtest.h>

#include <string>

namespace scx_gamer {
namespace {

// Restores the process-wide level after each test.
class Log : public ::testing::Test {
  protected:
    void SetUp() override { saved_ = log_level(); }
    void TearDown() override { set_log_level(saved_); }

    static std::string captured(void (*emit)()) {
        ::testing::internal::CaptureStderr();
        emit();
        return ::testing::internal::GetCapturedStderr();
    }

  private:
    LogLevel saved_ = LogLevel::info;
};

TEST_F(Log, PrefixesAreJournaldPriorities) {
    EXPECT_EQ(format_log_line(LogLevel::err, "x"), "<3>x\n");
    EXPECT_EQ(format_log_line(LogLevel::warning, "x"), "<4>x\n");
    EXPECT_EQ(format_log_line(LogLevel::notice, "x"), "<5>x\n");
    EXPECT_EQ(format_log_line(LogLevel::info, "x"), "<6>x\n");
    EXPECT_EQ(format_log_line(LogLevel::debug, "x"), "<7>x\n");
}

// A message is one journal record, whatever text it carries: a process named "x\n<3>forged" must
// not start a record of its own (it would show as an error the daemon never logged).
TEST_F(Log, AMessageIsOneRecordWhateverItHolds) {
    EXPECT_EQ(format_log_line(LogLevel::err, "a\nb"), "<3>a\\nb\n");
    EXPECT_EQ(format_log_line(LogLevel::info, "game x\n<3>forged"), "<6>game x\\n<3>forged\n");
    EXPECT_EQ(format_log_line(LogLevel::err, "a\n"), "<3>a\n");
    EXPECT_EQ(format_log_line(LogLevel::err, ""), "<3>\n");
}

TEST_F(Log, ControlCharactersAndNonUtf8BytesAreEscaped) {
    EXPECT_EQ(format_log_line(LogLevel::info, "a\rb\x1b[31mc"), "<6>a\\x0db\\x1b[31mc\n");
    EXPECT_EQ(format_log_line(LogLevel::info, "\xff\xfe.exe"), "<6>\\xff\\xfe.exe\n");
    EXPECT_EQ(format_log_line(LogLevel::info, std::string("a\0b", 3)), "<6>a\\x00b\n");
    // Valid UTF-8 and tabs are kept as they are.
    EXPECT_EQ(format_log_line(LogLevel::info, "caf\xc3\xa9\tok"), "<6>caf\xc3\xa9\tok\n");
}

TEST_F(Log, StreamsAnyPrintableArguments) {
    set_log_level(LogLevel::info);
    const std::string out = captured([] { log_info("game ", std::string("x.exe"), " pid ", 42); });
    EXPECT_EQ(out, "<6>game x.exe pid 42\n");
}

TEST_F(Log, DebugOnlyWhenVerbose) {
    set_log_verbose(false);
    EXPECT_FALSE(log_enabled(LogLevel::debug));
    EXPECT_TRUE(log_enabled(LogLevel::info));
    EXPECT_EQ(captured([] { log_debug("hidden"); }), "");

    set_log_verbose(true);
    EXPECT_EQ(captured([] { log_debug("shown"); }), "<7>shown\n");
}

TEST_F(Log, LevelFiltersLessImportantMessages) {
    set_log_level(LogLevel::warning);
    const std::string out = captured([] {
        log_err("e");
        log_warning("w");
        log_notice("n");
        log_info("i");
    });
    EXPECT_EQ(out, "<3>e\n<4>w\n");
}

} // namespace
} // namespace scx_gamer

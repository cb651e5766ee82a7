// SPDX-License-Identifier: GPL-2.0-only
#include "util/text.h"

#include <gtest/gtest.h>

namespace scx_gamer {
namespace {

TEST(QuoteForMessage, EscapesAndTruncates) {
    EXPECT_EQ(quote_for_message("abc"), "\"abc\"");
    EXPECT_EQ(quote_for_message("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(quote_for_message("a\nb\x1b"), "\"a\\x0ab\\x1b\"");
    EXPECT_EQ(quote_for_message(std::string("\0\xff", 2)), "\"\\x00\\xff\"");
    EXPECT_EQ(quote_for_message("abcdef", 3), "\"abc...\"");
    EXPECT_EQ(quote_for_message(""), "\"\"");
}

TEST(Basename, UnixAndWindows) {
    EXPECT_EQ(unix_basename("/usr/bin/bash"), "bash");
    EXPECT_EQ(unix_basename("bash"), "bash");
    EXPECT_EQ(unix_basename("/usr/bin/"), "");
    EXPECT_EQ(windows_basename("Z:\\games\\Game.exe"), "Game.exe");
    EXPECT_EQ(windows_basename("C:/games/Game.exe"), "Game.exe");
    EXPECT_EQ(windows_basename("Game.exe"), "Game.exe");
}

TEST(Case, LowerAndSuffix) {
    EXPECT_EQ(to_lower_ascii("ExPlOrEr.EXE"), "explorer.exe");
    EXPECT_TRUE(ends_with_ignoring_case("Game.EXE", ".exe"));
    EXPECT_FALSE(ends_with_ignoring_case("exe", ".exe"));
}

TEST(GlobMatch, Patterns) {
    EXPECT_TRUE(glob_match("python*", "python3.11"));
    EXPECT_FALSE(glob_match("python*", "Python3"));
    EXPECT_TRUE(glob_match("python*", "Python3", true));
    EXPECT_TRUE(glob_match("/opt/*", "/opt/a/b/c"));
    EXPECT_TRUE(glob_match("*crash*", "UnityCrashHandler64.exe", true));
    EXPECT_FALSE(glob_match("a", std::string("a\0b", 3)));
}

TEST(FindNonTextByte, AcceptsUtf8TextWithTabsAndLineEnds) {
    for (const std::string text :
         {"", "plain\tascii\r\n", "R\xc3\xa9glages \xe2\x82\xac \xf0\x9f\x8e\xae",
          "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf"})
        EXPECT_EQ(find_non_text_byte(text), std::nullopt) << ::testing::PrintToString(text);
}

TEST(FindNonTextByte, FindsTheFirstByteThatIsNot) {
    struct Case {
        std::string text;
        std::size_t offset;
        const char* why;
    };
    for (const auto& [text, offset, why] : {
             Case{std::string("a\0b", 3), 1, "NUL"},
             Case{"ab\x01", 2, "control character"},
             Case{"\x7f", 0, "DEL"},
             Case{"\x1b[31m", 0, "escape sequence"},
             Case{"a\r\nb\rc", 4, "a CR that is not part of CRLF"},
             Case{"# R\xe9glages\n", 3, "Latin-1"},
             Case{"\xc3", 0, "cut short"},
             Case{"\xc3\x28", 0, "bad continuation byte"},
             Case{"\xc0\xaf", 0, "overlong '/'"},
             Case{"\xe0\x80\xaf", 0, "overlong, 3 bytes"},
             Case{"ok\xed\xa0\x80", 2, "surrogate U+D800"},
             Case{"\xf4\x90\x80\x80", 0, "beyond U+10FFFF"},
             Case{"\xf5\x80\x80\x80", 0, "no such lead byte"},
             Case{"\xe2\x82\xac\x80", 3, "stray continuation after a euro sign"},
         })
        EXPECT_EQ(find_non_text_byte(text), offset) << why;
}

TEST(ToValidUtf8, KeepsValidTextAndReplacesEachBadByte) {
    EXPECT_EQ(to_valid_utf8("game.exe"), "game.exe");
    EXPECT_EQ(to_valid_utf8("caf\xc3\xa9"), "caf\xc3\xa9");
    EXPECT_EQ(to_valid_utf8("\xff\xfe.exe"), "\xef\xbf\xbd\xef\xbf\xbd.exe");
    // Overlong, surrogate, cut short, NUL: none may reach D-Bus.
    EXPECT_EQ(to_valid_utf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");
    EXPECT_EQ(to_valid_utf8("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    EXPECT_EQ(to_valid_utf8("a\xe2\x82"), "a\xef\xbf\xbd\xef\xbf\xbd");
    EXPECT_EQ(to_valid_utf8(std::string("a\0b", 3)), "a\xef\xbf\xbd"
                                                     "b");
    // Control characters are D-Bus-valid: they stay, and logs escape them.
    EXPECT_EQ(to_valid_utf8("a\nb"), "a\nb");
}

TEST(ToValidUtf8, CutsOnACharacterBoundary) {
    EXPECT_EQ(to_valid_utf8("abcdef", 4), "abcd");
    EXPECT_EQ(to_valid_utf8("ab\xc3\xa9", 3), "ab");
    EXPECT_EQ(to_valid_utf8("a\xff", 3), "a");
    EXPECT_EQ(to_valid_utf8(std::string(100000, 'x'), 255).size(), 255U);
}

TEST(EscapeForLog, EscapesWhatCouldEndOrForgeARecord) {
    EXPECT_EQ(escape_for_log("plain caf\xc3\xa9"), "plain caf\xc3\xa9");
    EXPECT_EQ(escape_for_log("a\nb"), "a\\nb");
    EXPECT_EQ(escape_for_log("\r\x7f\x1b"), "\\x0d\\x7f\\x1b");
    EXPECT_EQ(escape_for_log("\xff"), "\\xff");
    EXPECT_EQ(escape_for_log("tab\there"), "tab\there");
}

} // namespace
} // namespace scx_gamer

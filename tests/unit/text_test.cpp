#include "core/text.h"

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

} // namespace
} // namespace scx_gamer

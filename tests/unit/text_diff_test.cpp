// SPDX-License-Identifier: GPL-2.0-only
#include "config/text_diff.h"

#include <gtest/gtest.h>

#include <string>

namespace scx_gamer {
namespace {

struct DiffCase {
    std::string name;
    std::string before;
    std::string after;
    std::string diff; // what `diff -u` prints (without its timestamps)
};

void PrintTo(const DiffCase& c, std::ostream* out) {
    *out << c.name;
}

class UnifiedDiff : public ::testing::TestWithParam<DiffCase> {};

TEST_P(UnifiedDiff, MatchesGnuDiff) {
    EXPECT_EQ(unified_diff(GetParam().before, GetParam().after, "a", "b"), GetParam().diff);
}

std::string numbered(int from, int to) {
    std::string text;
    for (int i = from; i <= to; ++i)
        text += std::to_string(i) + "\n";
    return text;
}

INSTANTIATE_TEST_SUITE_P(
    TextDiff, UnifiedDiff,
    ::testing::Values(
        DiffCase{"Equal", "x\n", "x\n", ""},
        DiffCase{"OneLine", "x\n", "y\n", "--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n"},
        DiffCase{"Created", "", "a\nb\n", "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+a\n+b\n"},
        DiffCase{"Removed", "a\nb\n", "", "--- a\n+++ b\n@@ -1,2 +0,0 @@\n-a\n-b\n"},
        DiffCase{"NoNewlineAtEnd", "a\nb\nc\n", "a\nB\nc",
                 "--- a\n+++ b\n@@ -1,3 +1,3 @@\n a\n-b\n-c\n+B\n+c\n"
                 "\\ No newline at end of file\n"},
        DiffCase{"ContextOfThree", numbered(1, 10), numbered(1, 4) + "five\n" + numbered(6, 10),
                 "--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"},
        DiffCase{"TwoHunks", numbered(1, 20), "one\n" + numbered(2, 19) + "twenty\n",
                 "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n"
                 "@@ -17,4 +17,4 @@\n 17\n 18\n 19\n-20\n+twenty\n"},
        DiffCase{"NearbyChangesShareAHunk", numbered(1, 9), "1\n2\nthree\n4\n5\n6\n7\nseven\n9\n",
                 "--- a\n+++ b\n@@ -1,9 +1,9 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n 7\n-8\n+seven\n"
                 " 9\n"},
        DiffCase{"Insertion", "a\nc\n", "a\nb\nc\n",
                 "--- a\n+++ b\n@@ -1,2 +1,3 @@\n a\n+b\n c\n"}),
    [](const auto& info) { return info.param.name; });

TEST(UnifiedDiffLabels, AreUsedAsGiven) {
    EXPECT_EQ(unified_diff("", "x\n", "/dev/null", "/etc/scx_loader.toml"),
              "--- /dev/null\n+++ /etc/scx_loader.toml\n@@ -0,0 +1 @@\n+x\n");
}

} // namespace
} // namespace scx_gamer

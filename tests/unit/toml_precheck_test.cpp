// SPDX-License-Identifier: GPL-2.0-only
#include "util/toml_location.h"
#include "util/toml_precheck.h"

#include <toml.hpp>

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace scx_gamer {
namespace {

bool toml11_accepts(const std::string& text) {
    std::istringstream input(text);
    return toml::try_parse<toml::ordered_type_config>(input, "t.toml").is_ok();
}

// The precheck may only refuse what TOML refuses: every one of these is valid (toml11 agrees),
// and each puts a '[', '=' or quote where a careless scan would see a key inside an array.
TEST(TomlPrecheck, AcceptsValidDocumentsThatLookLikeTraps) {
    for (const std::string text : {
             "a = [1, 2]\nb = 3\n",
             "a = [\n  1,\n  2,\n]\nb = 3\n",
             "a = [{ b = 1 }, { c = [2, { d = 3 }], e = 4 }]\n",
             "a = [\n  { b = 1 },\n  { c = 2 },\n]\n",
             "a = [\"x = [\", 'y = [', \"\"\"\n[z = 1\n\"\"\", '''\n[w = 2]\n''']\n",
             "a = [\"quote \\\" [=\", \"back\\\\\"] # [=\n",
             "[t] # a [comment = x\n[\"s=[\".'k[=']\nv = 1\n",
             "[[arr]]\nx = 1\n[[arr]]\nx = [[1], [2]]\n",
             "a = \"\"\"one\"\"\"\"\nb = [1]\n",
             "a = '''it''''\nb = [2]\n",
             "a = \"\"\"ends with \\\n  [c = 1]\"\"\"\n",
             "a = [ # comment = here\n  1, # [x = y\n]\n",
             "a = { b = [1, 2], c = \"[=\" }\n",
             "a = [\r\n  1,\r\n]\r\nb = 2\r\n",
         }) {
        EXPECT_TRUE(toml11_accepts(text)) << "not a valid example: " << text;
        const auto refusal = find_toml_parser_trap(text);
        EXPECT_FALSE(refusal) << text << " refused at " << refusal->offset << ": "
                              << refusal->reason;
    }
}

// Found by tests/fuzz/fuzz_loader_toml (tests/fuzz/corpus/loader_toml/hang-skip-array-like): on
// these toml11 4.4 went back to the start of the line for ever, collecting an error each time,
// until it ran out of memory. Before the precheck this test hung.
TEST(TomlPrecheck, RefusesAKeyInsideAnArrayOpenedOnItsLine) {
    struct Case {
        std::string text;
        std::size_t offset;
    };
    for (const Case& c : {
             Case{"\njes = [[\nue^[exude][exud[= ]", 26},
             Case{"x = [[\nb[c[= ]", 11},
             Case{"a = [1, [2 = 3]]\n", 11},
             Case{"a = [{b = 1}, c = 2]\n", 16},
             Case{"a = [\"\"\"x\"\"\" = 1\n", 13},
         }) {
        const auto refusal = find_toml_parser_trap(c.text);
        ASSERT_TRUE(refusal) << c.text;
        EXPECT_EQ(refusal->offset, c.offset) << c.text;
        EXPECT_EQ(refusal->reason, "'=' inside an array (a missing ']' or ',' before it?)");
    }
}

TEST(TomlPrecheck, BlankCommentsKeepsStringsAndPositions) {
    EXPECT_EQ(blank_comments("a = 1 # one\n# two\nb = \"#x\" # '#'\nc = '''#\n#'''\n"),
              "a = 1      \n     \nb = \"#x\"      \nc = '''#\n#'''\n");
    EXPECT_EQ(blank_comments("no comment"), "no comment");
}

// Found by tests/fuzz/fuzz_loader_toml (corpus file hang-skip-comment-block): toml11 4.4's
// array recovery met a '#' and its skip_comment_block never advanced. With the comments blanked
// toml11 returns an error; before the fix this test hung.
TEST(TomlPrecheck, AFileWhoseRecoveryMetACommentIsAnErrorNotAHang) {
    const std::string text = "s = [[\nue^[x][y#= ]\n";
    EXPECT_FALSE(find_toml_parser_trap(text));
    std::istringstream input(blank_comments(text));
    EXPECT_FALSE(toml::try_parse<toml::ordered_type_config>(input, "t.toml").is_ok());
}

TEST(TomlPrecheck, SyntaxCopyKeepsTheStructureAndEmptiesStringsOfIt) {
    EXPECT_EQ(syntax_copy("a = [\"#=,[]{}\", '#='] # c\n\"k=\" = \"\"\"x\\\"\n\\\\\"\"\"\n"),
              "a = [\"_______\", '__']    \n\"k_\" = \"\"\"x\\\\\n\\\\\"\"\"\n");
    EXPECT_EQ(syntax_copy("a = \"\\u0023\\t\"\n"), "a = \"\\u0023\\t\"\n");
}

// Found by building on the case above: a '#' that we read as inside a string (after an escaped
// quote) but that toml11's recovery, which ignores escapes, reads as after it; so is the '='.
// Only syntax_copy() of a text meets toml11's recovery. Before the fix this test hung.
TEST(TomlPrecheck, AHashThatRecoveryMisreadsAsAfterAStringIsAnErrorNotAHang) {
    const std::string text = "s = [[\nue^[x][y\"\\\"#= ]\n";
    EXPECT_FALSE(find_toml_parser_trap(text));
    const auto parsed = toml_text::parse(text, "t.toml");
    ASSERT_TRUE(parsed.is_err());
    EXPECT_TRUE(parsed.unwrap_err().starts_with("t.toml:")) << parsed.unwrap_err();
}

TEST(TomlPrecheck, HashesInStringsSurviveTheParse) {
    const auto parsed = toml_text::parse("a = \"x#y\" # c\n'k#' = '#'\nm = \"\"\"#\n#\"\"\"\n"
                                         "[t] # x\nb = [\"\\\"#\", '#']\n",
                                         "t.toml");
    ASSERT_TRUE(parsed.is_ok()) << parsed.unwrap_err();
    const auto& doc = parsed.unwrap();
    EXPECT_EQ(toml::find<std::string>(doc, "a"), "x#y");
    EXPECT_EQ(toml::find<std::string>(doc, "k#"), "#");
    EXPECT_EQ(toml::find<std::string>(doc, "m"), "#\n#");
    EXPECT_EQ(toml::find<std::vector<std::string>>(doc, "t", "b"),
              (std::vector<std::string>{"\"#", "#"}));
}

TEST(TomlPrecheck, AnErrorInATextWithHashesKeepsItsPosition) {
    const auto parsed = toml_text::parse("a = \"#\"\nb = \"##\" x\n", "t.toml");
    ASSERT_TRUE(parsed.is_err());
    EXPECT_TRUE(parsed.unwrap_err().starts_with("t.toml:2:10: ")) << parsed.unwrap_err();
}

// TOML lets a multi-line string end in one or two of its quotes, right before the delimiter; the
// comment after it is a comment, not the start of another string (which syntax_copy() would have
// emptied of its '#', making the copy invalid and the document refused).
TEST(TomlPrecheck, AMultiLineStringEndingInQuotesIsFollowedByCode) {
    const std::string text = "a = \"\"\"x\"\"\"\" # c = [\nb = '''y''''' # d, ]\nc = 1 # e\n";
    EXPECT_TRUE(toml11_accepts(text)) << "not a valid example";
    EXPECT_EQ(blank_comments(text), "a = \"\"\"x\"\"\"\"        \nb = '''y'''''       \n"
                                    "c = 1    \n");
    const auto parsed = toml_text::parse(text, "t.toml");
    ASSERT_TRUE(parsed.is_ok()) << parsed.unwrap_err();
    EXPECT_EQ(toml::find<std::string>(parsed.unwrap(), "a"), "x\"");
    EXPECT_EQ(toml::find<std::string>(parsed.unwrap(), "b"), "y''");
}

TEST(TomlPrecheck, RefusesBytesThatAreNotText) {
    const auto refusal = find_toml_parser_trap("a = 1\n#\xff\n#");
    ASSERT_TRUE(refusal);
    EXPECT_EQ(refusal->offset, 7u);
    EXPECT_EQ(refusal->reason, "invalid UTF-8 \"\\xff\" (TOML files must be UTF-8 text)");
}

// toml11 reports these itself, at the place of the error.
TEST(TomlPrecheck, LeavesAnArrayOpenedOnAnEarlierLineToToml11) {
    for (const std::string text :
         {"a = [\"x\"\nb = 1\n", "a = [\"\"\"\n]\"\"\" = 1\n", "[include\nnames = []\n"})
        EXPECT_FALSE(find_toml_parser_trap(text)) << text;
}

TEST(TomlPrecheck, UnclosedStringsEndTheScanSafely) {
    for (const std::string text : {"a = \"", "a = \"\\", "a = '''", "a = \"\"\"x\\", "a = [\"\\"})
        EXPECT_FALSE(find_toml_parser_trap(text)) << text;
}

} // namespace
} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
// The flag table (flag_table() in daemon/tuning/flags.cpp) is the source; the man page
// docs/man/scx_gamer.8.scd and the daemon's --help describe it. These tests keep them in step:
// every flag, with its short form where it has one, must appear in both, and with the same
// description (range, unit, default) as describe_flag() gives.
#include "tuning/flags.h"
#include "tuning/original_flags.h"

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <sstream>
#include <string>

namespace scx_gamer {
namespace {

const std::string kManPage = std::string(SCX_GAMER_SOURCE_DIR) + "/docs/man/scx_gamer.8.scd";

std::string read_man_page() {
    std::ifstream in(kManPage);
    EXPECT_TRUE(in) << kManPage << " not found";
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// --help as main builds it for the table's flags: add_flags() on a CLI::App.
std::string help_text() {
    CLI::App app{"scx_gamer", "scx_gamer"};
    add_flags(app);
    return app.help();
}

// Runs of blanks become one space: scdoc sources wrap and indent with tabs, CLI11 pads columns.
std::string squeeze_blanks(const std::string& text) {
    std::string out;
    for (char c : text) {
        const bool blank = std::isspace(static_cast<unsigned char>(c)) != 0;
        if (!blank)
            out += c;
        else if (!out.empty() && out.back() != ' ')
            out += ' ';
    }
    return out;
}

bool is_option_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
}

// True if `option` ("--slice-us", "-s") occurs as a whole option, not inside a longer one:
// "-s" does not count inside "--slice-us", nor "--stats" inside "--stats-socket".
bool mentions_option(const std::string& text, const std::string& option) {
    for (auto at = text.find(option); at != std::string::npos; at = text.find(option, at + 1)) {
        const auto end = at + option.size();
        const bool starts = at == 0 || !is_option_char(text[at - 1]);
        const bool ends = end == text.size() || !is_option_char(text[end]);
        if (starts && ends)
            return true;
    }
    return false;
}

std::string short_flag(const FlagSpec& spec) {
    return std::string("-") + spec.short_name;
}

// The man page's entry for a flag begins "*-s*, *--slice-us* _N_" (scdoc: bold names,
// underlined placeholder), like scxgamerctl(1)'s options.
std::string man_heading(const FlagSpec& spec) {
    std::string heading;
    if (spec.short_name != '\0')
        heading = "*" + short_flag(spec) + "*, ";
    heading += "*" + spec.long_flag() + "*";
    if (spec.type() != FlagType::Switch)
        heading += " _" + std::string(spec.value_name) + "_";
    return heading;
}

TEST(DocsFlags, TableIsNotEmpty) {
    EXPECT_FALSE(flag_table().empty());
}

TEST(DocsFlags, ManPageNamesEveryFlag) {
    const std::string man = read_man_page();
    for (const FlagSpec& spec : flag_table()) {
        EXPECT_TRUE(mentions_option(man, spec.long_flag()))
            << spec.long_flag() << " is missing from " << kManPage;
        if (spec.short_name != '\0') {
            EXPECT_TRUE(mentions_option(man, short_flag(spec)))
                << short_flag(spec) << " (" << spec.long_flag() << ") is missing from " << kManPage;
        }
    }
}

TEST(DocsFlags, ManPageHasAnEntryForEveryFlag) {
    const std::string man = read_man_page();
    for (const FlagSpec& spec : flag_table())
        EXPECT_NE(man.find("\n" + man_heading(spec) + "\n"), std::string::npos)
            << kManPage << " has no entry line \"" << man_heading(spec) << "\" for "
            << spec.long_flag();
}

TEST(DocsFlags, ManPageDescribesEveryFlagAsTheTableDoes) {
    const std::string man = squeeze_blanks(read_man_page());
    for (const FlagSpec& spec : flag_table())
        EXPECT_NE(man.find(describe_flag(spec)), std::string::npos)
            << kManPage << " does not describe " << spec.long_flag()
            << " as the flag table does: \"" << describe_flag(spec) << "\"";
}

TEST(DocsFlags, HelpNamesEveryFlag) {
    const std::string help = help_text();
    for (const FlagSpec& spec : flag_table()) {
        EXPECT_TRUE(mentions_option(help, spec.long_flag()))
            << spec.long_flag() << " is missing from --help:\n"
            << help;
        if (spec.short_name != '\0') {
            EXPECT_TRUE(mentions_option(help, short_flag(spec)))
                << short_flag(spec) << " (" << spec.long_flag() << ") is missing from --help:\n"
                << help;
        }
    }
}

TEST(DocsFlags, HelpDescribesEveryFlagAsTheTableDoes) {
    const std::string help = squeeze_blanks(help_text());
    for (const FlagSpec& spec : flag_table())
        EXPECT_NE(help.find(describe_flag(spec)), std::string::npos)
            << "--help does not describe " << spec.long_flag() << " as \"" << describe_flag(spec)
            << "\":\n"
            << help;
}

// The man page's COMPATIBILITY section lists the original scx_gamer's flags that are accepted and
// ignored (original_flag_table() in daemon/tuning/original_flags.cpp), one "- *--name*" line each.
std::string man_section(const std::string& man, const std::string& heading) {
    const auto begin = man.find("\n" + heading + "\n");
    if (begin == std::string::npos)
        return {};
    const auto end = man.find("\n#", begin + heading.size() + 1);
    return man.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

std::string ignored_list_line(const OriginalFlag& flag) {
    std::string line = "- ";
    if (flag.short_name != '\0')
        line += std::string("*-") + flag.short_name + "*, ";
    line += "*--" + std::string(flag.name) + "*";
    if (flag.takes_value)
        line += " _VALUE_";
    return line;
}

TEST(DocsFlags, ManPageListsEveryIgnoredOriginalFlag) {
    const std::string ignored = man_section(read_man_page(), "## Accepted and ignored");
    ASSERT_FALSE(ignored.empty()) << kManPage << " has no \"## Accepted and ignored\" section";
    for (const OriginalFlag& flag : original_flag_table())
        EXPECT_NE(ignored.find("\n" + ignored_list_line(flag) + "\n"), std::string::npos)
            << kManPage << " does not list \"" << ignored_list_line(flag)
            << "\" under COMPATIBILITY, Accepted and ignored";
}

TEST(DocsFlags, ManPageListsNoIgnoredFlagThatTheTableLacks) {
    const std::string ignored = man_section(read_man_page(), "## Accepted and ignored");
    std::size_t listed = 0;
    for (auto at = ignored.find("\n- "); at != std::string::npos; at = ignored.find("\n- ", at + 1))
        ++listed;
    EXPECT_EQ(listed, original_flag_table().size())
        << "the man page's list of ignored original flags and original_flag_table() differ";
}

// The checks above must be able to fail: a near miss is not a mention.
TEST(DocsFlags, MentionsOnlyWholeOptions) {
    EXPECT_TRUE(mentions_option("*-s*, *--slice-us* _N_", "-s"));
    EXPECT_TRUE(mentions_option("-s,--slice-us N", "--slice-us"));
    EXPECT_TRUE(mentions_option("*--mm-affinity=false*", "--mm-affinity"));
    EXPECT_FALSE(mentions_option("--slice-us", "-s"));
    EXPECT_FALSE(mentions_option("--stats-socket", "--stats"));
    EXPECT_FALSE(mentions_option("--slice-us", "--slice"));
    EXPECT_FALSE(mentions_option("-S", "-s"));
}

} // namespace
} // namespace scx_gamer

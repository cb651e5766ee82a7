// SPDX-License-Identifier: GPL-2.0-only
#include "util/toml_precheck.h"

#include "util/text.h"

#include <algorithm>
#include <vector>

namespace scx_gamer {

namespace {

// Walks text by TOML 1.0's lexical rules: strings (escapes in basic strings; multi-line strings
// span lines) and comments are skipped. on_code(i) sees every other byte, on_comment(begin, end)
// every comment, on_string(begin, end, escapes) every string's content (without its quotes;
// escapes: a basic string's), on_newline() every line end, inside strings too.
template <typename OnCode, typename OnComment, typename OnString, typename OnNewline>
void scan_toml(std::string_view text, OnCode on_code, OnComment on_comment, OnString on_string,
               OnNewline on_newline) {
    std::size_t i = 0;
    const auto starts = [&](std::string_view token) {
        return i < text.size() && text.substr(i).starts_with(token);
    };
    // Past the closing delimiter, or to the end of an unclosed single-line string's line.
    const auto skip_string = [&](std::string_view quote, bool escapes, bool multi_line) {
        i += quote.size();
        const std::size_t content = i;
        while (i < text.size() && !starts(quote) && (multi_line || text[i] != '\n')) {
            if (text[i] == '\n')
                on_newline();
            i += escapes && text[i] == '\\' ? 2 : 1;
        }
        i = std::min(i, text.size()); // a '\\' as the last byte
        std::size_t end = i;
        if (starts(quote)) {
            i += quote.size();
            // Up to two quotes right after a multi-line string's closing delimiter are its last
            // characters: in '''it''''' the string is it'' (TOML 1.0).
            for (int more = 0; multi_line && more < 2 && i < text.size() && text[i] == quote[0];
                 ++more) {
                ++i;
                ++end;
            }
        }
        on_string(content, end, escapes);
    };
    while (i < text.size()) {
        const char c = text[i];
        if (starts(R"(""")") || starts("'''")) {
            skip_string(text.substr(i, 3), c == '"', true);
        } else if (c == '"' || c == '\'') {
            skip_string(text.substr(i, 1), c == '"', false);
        } else if (c == '#') {
            const std::size_t begin = i;
            while (i < text.size() && text[i] != '\n')
                ++i;
            on_comment(begin, i);
        } else {
            if (c == '\n')
                on_newline();
            else
                on_code(i);
            ++i;
        }
    }
}

// Where a '=' sits directly inside an array opened on its line. Only the line counts because
// toml11 goes back to the line's start: an array opened on an earlier line is left behind, and
// toml11 gives a better message for it than we could.
std::optional<std::size_t> find_key_inside_array(std::string_view text) {
    std::vector<char> open; // '[' and '{' opened on this line and still open, innermost last
    std::optional<std::size_t> found;
    scan_toml(
        text,
        [&](std::size_t i) {
            const char c = text[i];
            if (c == '[' || c == '{')
                open.push_back(c);
            else if ((c == ']' || c == '}') && !open.empty())
                open.pop_back();
            else if (c == '=' && !open.empty() && open.back() == '[' && !found)
                found = i;
        },
        [](std::size_t, std::size_t) {}, [](std::size_t, std::size_t, bool) {},
        [&] { open.clear(); });
    return found;
}

// scan_toml's on_comment for a copy of the text: the comment's bytes become spaces, so that
// offsets, lines and columns in the copy stay those of the text.
auto blank_comment_in(std::string& copy) {
    return [&copy](std::size_t begin, std::size_t end) {
        copy.replace(begin, end - begin, end - begin, ' ');
    };
}

} // namespace

std::optional<TomlRefusal> find_toml_parser_trap(std::string_view text) {
    if (const auto bad = find_non_text_byte(text)) {
        const bool ascii = static_cast<unsigned char>(text[*bad]) < 0x80;
        return TomlRefusal{*bad, std::string(ascii ? "control character " : "invalid UTF-8 ") +
                                     quote_for_message(text.substr(*bad, 1)) +
                                     " (TOML files must be UTF-8 text)"};
    }
    if (const auto key = find_key_inside_array(text))
        return TomlRefusal{*key, "'=' inside an array (a missing ']' or ',' before it?)"};
    return std::nullopt;
}

std::string blank_comments(std::string_view text) {
    std::string out(text);
    scan_toml(
        text, [](std::size_t) {}, blank_comment_in(out), [](std::size_t, std::size_t, bool) {},
        [] {});
    return out;
}

std::string syntax_copy(std::string_view text) {
    std::string out(text);
    const auto neutralize = [&](std::size_t begin, std::size_t end, bool escapes) {
        for (std::size_t i = begin; i < end; ++i) {
            if (escapes && out[i] == '\\') {
                if (i + 1 < end && out[i + 1] == '"')
                    out[i + 1] = '\\';
                ++i; // the escaped character is the escape's, whatever it is
            } else if (std::string_view("#=[]{},").find(out[i]) != std::string_view::npos) {
                out[i] = '_';
            }
        }
    };
    scan_toml(
        text, [](std::size_t) {}, blank_comment_in(out), neutralize, [] {});
    return out;
}

} // namespace scx_gamer

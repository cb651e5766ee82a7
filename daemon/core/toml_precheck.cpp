#include "core/toml_precheck.h"

#include "core/text.h"

#include <vector>

namespace scx_gamer {

namespace {

// Where a '=' sits directly inside an array opened on its line. Strings and comments are skipped
// as TOML 1.0 defines them (escapes in basic strings; multi-line strings span lines). Only the
// line counts because toml11 goes back to the line's start: an array opened on an earlier line
// is left behind, and toml11 gives a better message for it than we could.
std::optional<std::size_t> find_key_inside_array(std::string_view text) {
    std::vector<char> open; // '[' and '{' opened on this line and still open, innermost last
    std::size_t i = 0;
    const auto starts = [&](std::string_view token) {
        return i < text.size() && text.substr(i).starts_with(token);
    };
    // Past the closing delimiter, or to the end of an unclosed single-line string's line.
    const auto skip_string = [&](std::string_view quote, bool escapes, bool multi_line) {
        i += quote.size();
        while (i < text.size() && !starts(quote) && (multi_line || text[i] != '\n')) {
            if (text[i] == '\n')
                open.clear();
            i += escapes && text[i] == '\\' ? 2 : 1;
        }
        if (starts(quote))
            i += quote.size();
    };
    while (i < text.size()) {
        const char c = text[i];
        if (starts(R"(""")") || starts("'''")) {
            skip_string(text.substr(i, 3), c == '"', true);
        } else if (c == '"' || c == '\'') {
            skip_string(text.substr(i, 1), c == '"', false);
        } else if (c == '#') {
            while (i < text.size() && text[i] != '\n')
                ++i;
        } else {
            if (c == '\n')
                open.clear();
            else if (c == '[' || c == '{')
                open.push_back(c);
            else if ((c == ']' || c == '}') && !open.empty())
                open.pop_back();
            else if (c == '=' && !open.empty() && open.back() == '[')
                return i;
            ++i;
        }
    }
    return std::nullopt;
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

} // namespace scx_gamer

#include "core/text.h"

#include <fnmatch.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace scx_gamer {

std::string quote_for_message(std::string_view text, std::size_t max_chars) {
    static constexpr std::string_view kEllipsis = "...";
    const bool truncated = text.size() > max_chars;
    if (truncated)
        text = text.substr(0, max_chars);

    std::string quoted = "\"";
    for (const unsigned char c : text) {
        if (c == '"' || c == '\\') {
            quoted += '\\';
            quoted += static_cast<char>(c);
        } else if (c >= 0x20 && c < 0x7f) {
            quoted += static_cast<char>(c);
        } else {
            static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                          '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
            quoted += "\\x";
            quoted += kHex[c >> 4];
            quoted += kHex[c & 0xf];
        }
    }
    if (truncated)
        quoted += kEllipsis;
    quoted += '"';
    return quoted;
}

std::string to_lower_ascii(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower;
}

bool ends_with_ignoring_case(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() &&
           to_lower_ascii(text.substr(text.size() - suffix.size())) == to_lower_ascii(suffix);
}

std::string_view unix_basename(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view windows_basename(std::string_view path) {
    const auto separator = path.find_last_of("/\\");
    return separator == std::string_view::npos ? path : path.substr(separator + 1);
}

bool glob_match(std::string_view pattern, std::string_view text, bool ignore_case) {
    // fnmatch needs NUL-terminated strings; an embedded NUL can never match a rule.
    if (text.find('\0') != std::string_view::npos)
        return false;
    const std::string pattern_z(pattern);
    const std::string text_z(text);
    return ::fnmatch(pattern_z.c_str(), text_z.c_str(), ignore_case ? FNM_CASEFOLD : 0) == 0;
}

} // namespace scx_gamer

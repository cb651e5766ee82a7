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

std::optional<std::size_t> find_non_text_byte(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        if (lead < 0x80) {
            const bool crlf = lead == '\r' && i + 1 < text.size() && text[i + 1] == '\n';
            const bool control =
                (lead < 0x20 && lead != '\t' && lead != '\n' && !crlf) || lead == 0x7f;
            if (control)
                return i;
            ++i;
            continue;
        }
        // RFC 3629's table: the lead byte gives the length, and for E0, ED, F0 and F4 a narrower
        // range of the second byte rules out overlong forms, surrogates and > U+10FFFF.
        std::size_t length = 0;
        unsigned char second_min = 0x80;
        unsigned char second_max = 0xbf;
        if (lead >= 0xc2 && lead <= 0xdf) {
            length = 2;
        } else if (lead >= 0xe0 && lead <= 0xef) {
            length = 3;
            second_min = lead == 0xe0 ? 0xa0 : 0x80;
            second_max = lead == 0xed ? 0x9f : 0xbf;
        } else if (lead >= 0xf0 && lead <= 0xf4) {
            length = 4;
            second_min = lead == 0xf0 ? 0x90 : 0x80;
            second_max = lead == 0xf4 ? 0x8f : 0xbf;
        } else {
            return i;
        }
        if (text.size() - i < length)
            return i;
        for (std::size_t k = 1; k < length; ++k) {
            const auto byte = static_cast<unsigned char>(text[i + k]);
            const unsigned char min = k == 1 ? second_min : 0x80;
            const unsigned char max = k == 1 ? second_max : 0xbf;
            if (byte < min || byte > max)
                return i;
        }
        i += length;
    }
    return std::nullopt;
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

// SPDX-License-Identifier: GPL-2.0-only
#include "util/text.h"

#include <fnmatch.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace scx_gamer {

namespace {
constexpr std::string_view kHexDigits = "0123456789abcdef";
} // namespace

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
            quoted += "\\x";
            quoted += kHexDigits[c >> 4];
            quoted += kHexDigits[c & 0xf];
        }
    }
    if (truncated)
        quoted += kEllipsis;
    quoted += '"';
    return quoted;
}

std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80)
        return 1;
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
        return 0;
    }
    if (text.size() - i < length)
        return 0;
    for (std::size_t k = 1; k < length; ++k) {
        const auto byte = static_cast<unsigned char>(text[i + k]);
        const unsigned char min = k == 1 ? second_min : 0x80;
        const unsigned char max = k == 1 ? second_max : 0xbf;
        if (byte < min || byte > max)
            return 0;
    }
    return length;
}

std::size_t dbus_sequence_length(std::string_view text, std::size_t i) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length < 3) // noncharacters take three or four bytes
        return length;
    char32_t code_point = static_cast<unsigned char>(text[i]) & (0x7f >> length);
    for (std::size_t k = 1; k < length; ++k)
        code_point = (code_point << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3f);
    const bool noncharacter =
        (code_point >= 0xfdd0 && code_point <= 0xfdef) || (code_point & 0xfffe) == 0xfffe;
    return noncharacter ? 0 : length;
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
        }
        const std::size_t length = utf8_sequence_length(text, i);
        if (length == 0)
            return i;
        i += length;
    }
    return std::nullopt;
}

std::string to_valid_utf8(std::string_view text, std::size_t max_bytes) {
    static constexpr std::string_view kReplacement = "\xef\xbf\xbd"; // U+FFFD
    std::string out;
    out.reserve(std::min(text.size(), max_bytes));
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t length = dbus_sequence_length(text, i);
        const bool valid = length > 0 && text[i] != '\0'; // D-Bus strings hold no NUL
        const std::string_view piece = valid ? text.substr(i, length) : kReplacement;
        if (out.size() + piece.size() > max_bytes)
            break;
        out += piece;
        i += valid ? length : 1;
    }
    return out;
}

std::string escape_for_log(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const auto byte = static_cast<unsigned char>(text[i]);
        const std::size_t length = dbus_sequence_length(text, i);
        if (byte == '\n') {
            out += "\\n";
        } else if (length == 0 || (byte < 0x20 && byte != '\t') || byte == 0x7f) {
            out += "\\x";
            out += kHexDigits[byte >> 4];
            out += kHexDigits[byte & 0xf];
        } else {
            out.append(text.substr(i, length));
            i += length;
            continue;
        }
        ++i;
    }
    return out;
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

// SPDX-License-Identifier: GPL-2.0-only
// Parsing TOML text, and "file:line:col: reason" texts from toml11 locations and errors. Include
// from .cpp files only: it pulls in toml.hpp, which the rooms keep out of their public
// headers.
#pragma once

#include "util/toml_precheck.h"

#include <toml.hpp>

#include <algorithm>
#include <sstream>
#include <string>
#include <string_view>

namespace scx_gamer::toml_text {

// "config.toml:3:9"
inline std::string where(const toml::source_location& location) {
    return location.file_name() + ":" + std::to_string(location.first_line_number()) + ":" +
           std::to_string(location.first_column_number());
}

// toml11 titles read "toml::parse_file: invalid table key"; the function name helps nobody.
inline std::string without_function_name(std::string title) {
    if (title.starts_with("toml::")) {
        const auto colon = title.find(": ");
        if (colon != std::string::npos)
            title.erase(0, colon + 2);
    }
    return title;
}

// Our errors and warnings are one line each, but some toml11 explanations hold a raw line break
// ("expected 0x0a(LINE FEED) or \r\n"): show it escaped, as written here.
inline std::string escape_line_breaks(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else
            out += c;
    }
    return out;
}

// "config.toml:2:3: invalid table key (expected ])"
inline std::string describe_error(const toml::error_info& error, const std::string& source_name) {
    std::string text = without_function_name(error.title());
    if (error.locations().empty())
        return source_name + ": " + escape_line_breaks(text);
    const auto& [location, detail] = error.locations().front();
    if (!detail.empty())
        text += " (" + detail + ")";
    return where(location) + ": " + escape_line_breaks(text);
}

// One toml11 parse of text as it is; see parse().
inline toml::result<toml::ordered_value, std::string> parse_once(const std::string& text,
                                                                 const std::string& source_name) {
    std::istringstream input{text};
    auto parsed = toml::try_parse<toml::ordered_type_config>(input, source_name);
    if (parsed.is_err())
        return toml::err(describe_error(parsed.unwrap_err().front(), source_name));
    return toml::ok(std::move(parsed.unwrap()));
}

// Parses TOML text; the error is "file:line:col: reason". What would send toml11 4.4's error
// recovery into an endless loop is refused before toml11 sees it, and toml11 only ever recovers
// from errors in syntax_copy() of the text (util/toml_precheck.h): the text itself, with its
// comments blanked, is parsed once that copy parsed, which proves it valid.
inline toml::result<toml::ordered_value, std::string> parse(std::string_view text,
                                                            const std::string& source_name) {
    if (const auto refusal = find_toml_parser_trap(text)) {
        const std::string_view before = text.substr(0, refusal->offset);
        const auto line = std::count(before.begin(), before.end(), '\n') + 1;
        const std::size_t column = refusal->offset - (before.rfind('\n') + 1) + 1; // npos + 1 == 0
        return toml::err(source_name + ":" + std::to_string(line) + ":" + std::to_string(column) +
                         ": " + refusal->reason);
    }
    const std::string document = blank_comments(text);
    const std::string syntax = syntax_copy(text);
    auto checked = parse_once(syntax, source_name);
    if (checked.is_err() || syntax == document)
        return checked;
    return parse_once(document, source_name);
}

} // namespace scx_gamer::toml_text

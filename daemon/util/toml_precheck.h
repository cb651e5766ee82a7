// SPDX-License-Identifier: GPL-2.0-only
// Checks run on a TOML file's text before toml11 parses it. toml11 4.4 recovers from syntax errors
// to report more than one, and two of its recovery paths never end on some invalid inputs; a
// configuration file must not hang the daemon, so what leads there is refused first, with a
// "line:col" position and reason of our own. Each check accepts every valid TOML 1.0 document.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace scx_gamer {

struct TomlRefusal {
    std::size_t offset; // byte offset of the offending character
    std::string reason;
};

// Bytes TOML forbids everywhere: invalid UTF-8, control characters other than tab, LF and CRLF.
// toml11 loops forever recovering from one in a comment followed by another comment line.
//
// A '=' directly inside an array opened on the same line (outside strings and comments): an
// array never holds a key, and no key or table header is followed by a '=' on its line, so valid
// TOML never has one. On such a '=' toml11's array recovery (skip_array_like) goes back to the
// start of the line and, the array having opened after that start, begins again there for ever,
// collecting an error each time ("x = [[\nb[c[= ]", found by tests/fuzz/fuzz_loader_toml).
std::optional<TomlRefusal> find_toml_parser_trap(std::string_view text);

// text with every comment replaced by as many spaces: the same document to TOML, with the same
// line and column of everything else. toml11's error recovery (skip_comment_block) never
// advances past a '#' it meets, and loops for ever ("x = [[\nb[c#= ]", found by
// tests/fuzz/fuzz_loader_toml); comments carry nothing we read.
std::string blank_comments(std::string_view text);

// A copy of text for toml11 to check, in which its error recovery cannot misread a string:
// comments blanked, and in strings each '#', '=', ',', bracket and brace made '_' and each
// escaped quote an escaped backslash. It is valid TOML exactly when text is. The recovery's
// own string skipping (skip_string_like) ignores escapes: in "\"#= ]" it sees a string end
// before the '#', and the '=' and '#' beyond it send it into the loops above. Once the copy
// parsed, text is known valid and toml11 parses it without recovering from anything.
std::string syntax_copy(std::string_view text);

} // namespace scx_gamer

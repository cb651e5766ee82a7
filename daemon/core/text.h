// Small string helpers shared by the core modules.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace scx_gamer {

// Renders untrusted text for a one-line message: double-quoted, control and non-ASCII bytes as
// \xNN, cut to max_chars with "..." so a hostile value cannot forge lines in the journal.
std::string quote_for_message(std::string_view text, std::size_t max_chars = 40);

std::string to_lower_ascii(std::string_view text);
bool ends_with_ignoring_case(std::string_view text, std::string_view suffix);

// Last component of a Unix path ("/usr/bin/bash" -> "bash").
std::string_view unix_basename(std::string_view path);
// Last component of a path that may use '\' (Wine: "Z:\\games\\Game.exe" -> "Game.exe").
std::string_view windows_basename(std::string_view path);

// The offset of the first byte that keeps text from being UTF-8 text: invalid UTF-8 (overlong,
// surrogate, beyond U+10FFFF, cut short) or a control character other than tab, LF and the CR
// of a CRLF (a lone CR ends no line in TOML).
std::optional<std::size_t> find_non_text_byte(std::string_view text);

// Shell-style glob match (fnmatch(3)); '*' also matches '/' so "*/steamapps/*" works anywhere.
bool glob_match(std::string_view pattern, std::string_view text, bool ignore_case = false);

} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
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

// The length of the valid UTF-8 sequence at text[i] (1 for ASCII), or 0 when the bytes there are
// not UTF-8 (RFC 3629: overlong, surrogate, beyond U+10FFFF, cut short). i < text.size().
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);
// The same, and 0 for a noncharacter (U+FDD0..U+FDEF, U+xFFFE, U+xFFFF): valid UTF-8 that sd-bus
// refuses in a string (systemd's unichar_is_valid()), so not fit for D-Bus or the journal.
std::size_t dbus_sequence_length(std::string_view text, std::size_t i);

// Text from a process or a client made fit for D-Bus, JSON and stored files: valid UTF-8 with
// each byte that starts no valid sequence (and each NUL) replaced by U+FFFD, cut on a character
// boundary to at most max_bytes. Control characters stay: logs escape them (format_log_line).
std::string to_valid_utf8(std::string_view text, std::size_t max_bytes = std::string_view::npos);

// Text for one log record: valid UTF-8 stays as it is; every control character but tab, and
// every byte that is not UTF-8, becomes \xNN (a newline \n), so no text can end the record.
std::string escape_for_log(std::string_view text);

// The offset of the first byte that keeps text from being UTF-8 text: invalid UTF-8 (overlong,
// surrogate, beyond U+10FFFF, cut short) or a control character other than tab, LF and the CR
// of a CRLF (a lone CR ends no line in TOML).
std::optional<std::size_t> find_non_text_byte(std::string_view text);

// Shell-style glob match (fnmatch(3)); '*' also matches '/' so "*/steamapps/*" works anywhere.
bool glob_match(std::string_view pattern, std::string_view text, bool ignore_case = false);

} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
// Logging to stderr with journald priority prefixes ("<3>" ... "<7>").
//
// scx_gamer runs under systemd (scx.service, scx_loader or its own unit) with stderr connected to
// the journal, which turns the "<N>" prefix into the entry's priority. The prefix is kept on a
// terminal too: it is what users see in `journalctl`, and one format is easier to grep.
//
//   log_info("game detected: ", name, " (pid ", pid, ")");
//   if (log_enabled(LogLevel::debug)) log_debug("expensive ", dump());
//
// Arguments are streamed with operator<<, so anything printable works. Each call writes whole
// lines with one write(2), so lines from concurrent threads do not interleave.
#pragma once

#include <sstream>
#include <string_view>

namespace scx_gamer {

// Values are the syslog/journald priorities.
enum class LogLevel : int { err = 3, warning = 4, notice = 5, info = 6, debug = 7 };

// The most verbose level printed: info by default, debug with --verbose.
// This is the daemon's only global mutable state. It is process-wide for the same reason
// stderr is: every module logs and threading a logger object through all of them buys nothing.
void set_log_level(LogLevel level);
LogLevel log_level();
void set_log_verbose(bool verbose); // debug if true, info if false
bool log_enabled(LogLevel level);

// Writes message as one record with the level's prefix. Messages carry text that local users
// control (process names, arguments, bus strings): control characters and bytes that are not
// UTF-8 are escaped (escape_for_log), so a name holding "\n<3>..." cannot forge a record.
void log_write(LogLevel level, std::string_view message);

// Formats a log line without writing it (what log_write would print); used by the tests.
std::string format_log_line(LogLevel level, std::string_view message);

template <typename... Parts> void log_at(LogLevel level, const Parts&... parts) {
    if (!log_enabled(level))
        return;
    std::ostringstream message;
    (message << ... << parts);
    log_write(level, message.view());
}

template <typename... Parts> void log_err(const Parts&... parts) {
    log_at(LogLevel::err, parts...);
}
template <typename... Parts> void log_warning(const Parts&... parts) {
    log_at(LogLevel::warning, parts...);
}
template <typename... Parts> void log_notice(const Parts&... parts) {
    log_at(LogLevel::notice, parts...);
}
template <typename... Parts> void log_info(const Parts&... parts) {
    log_at(LogLevel::info, parts...);
}
template <typename... Parts> void log_debug(const Parts&... parts) {
    log_at(LogLevel::debug, parts...);
}

} // namespace scx_gamer

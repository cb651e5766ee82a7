// SPDX-License-Identifier: GPL-2.0-only
#include "util/log.h"

#include "util/text.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>

namespace scx_gamer {
namespace {

std::atomic<LogLevel> g_max_level{LogLevel::info};

void write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t written = ::write(fd, bytes.data(), bytes.size());
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return; // Nowhere left to report a failing stderr.
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
}

} // namespace

void set_log_level(LogLevel level) {
    g_max_level.store(level, std::memory_order_relaxed);
}

LogLevel log_level() {
    return g_max_level.load(std::memory_order_relaxed);
}

void set_log_verbose(bool verbose) {
    set_log_level(verbose ? LogLevel::debug : LogLevel::info);
}

bool log_enabled(LogLevel level) {
    return static_cast<int>(level) <= static_cast<int>(log_level());
}

std::string format_log_line(LogLevel level, std::string_view message) {
    while (!message.empty() && message.back() == '\n')
        message.remove_suffix(1);
    return "<" + std::to_string(static_cast<int>(level)) + ">" + escape_for_log(message) + "\n";
}

void log_write(LogLevel level, std::string_view message) {
    write_all(STDERR_FILENO, format_log_line(level, message));
}

} // namespace scx_gamer

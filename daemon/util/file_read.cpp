// SPDX-License-Identifier: GPL-2.0-only
#include "util/file_read.h"

#include "util/unique_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace scx_gamer {
namespace {

constexpr std::size_t kSysfsLineMax = 4096;
constexpr std::size_t kReadChunk = std::size_t{16} * 1024;

} // namespace

std::optional<std::string> read_file_prefix(const std::filesystem::path& path,
                                            std::size_t max_bytes) {
    // O_NONBLOCK: a FIFO planted where a /proc or /sys file should be must not hang the daemon.
    const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (fd.get() < 0)
        return std::nullopt;

    // /proc files report size 0, so read until EOF or the cap.
    std::string content;
    std::size_t filled = 0;
    while (filled < max_bytes) {
        const std::size_t chunk = std::min(max_bytes - filled, kReadChunk);
        content.resize(filled + chunk);
        const ssize_t got = ::read(fd.get(), content.data() + filled, chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return std::nullopt;
        if (got == 0)
            break;
        filled += static_cast<std::size_t>(got);
    }
    content.resize(filled);
    return content;
}

std::optional<std::string> read_sysfs_line(const std::filesystem::path& path) {
    auto content = read_file_prefix(path, kSysfsLineMax);
    if (!content)
        return std::nullopt;
    content->resize(std::min(content->find('\n'), content->size()));
    return content;
}

} // namespace scx_gamer

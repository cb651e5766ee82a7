// SPDX-License-Identifier: GPL-2.0-only
// Reading small kernel files (/proc, /sys) that may vanish or be huge at any moment.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace scx_gamer {

// Reads at most max_bytes from the start of path. nullopt on any failure (ENOENT, ESRCH, EACCES,
// EIO...): in /proc a process may exit between two reads, and that is not an error.
std::optional<std::string> read_file_prefix(const std::filesystem::path& path,
                                            std::size_t max_bytes);

// The first line of a small sysfs file, without its newline.
std::optional<std::string> read_sysfs_line(const std::filesystem::path& path);

} // namespace scx_gamer

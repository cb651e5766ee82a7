// SPDX-License-Identifier: GPL-2.0-only
// Crash-safe edits of system configuration files (/etc/default/scx, scx_loader's TOML).
//
// A file is never written in place: the new content goes to a temp file in the same directory,
// which is fsynced and renamed over the original (rename is atomic within a file system), and the
// directory is fsynced so the rename itself survives a crash. Before a file changes, a
// timestamped copy is left beside it so an administrator can always go back by hand.
//
// Every failure throws Error naming the path and the reason (strerror), and leaves the original
// file as it was.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scx_gamer {

// The whole content of path, or nullopt if it does not exist. Throws Error for anything else
// (EACCES, EIO, a directory, a symlink: a config file we may rewrite must be a regular file).
std::optional<std::string> read_config_file(const std::filesystem::path& path);

// Replaces path's content atomically (temp file + fsync + rename + fsync of the directory). The
// new file keeps the mode and owner of the one it replaces; a new file gets new_file_mode and the
// caller's owner. Refuses to replace a symlink (rename would turn it into a regular file).
void write_file_atomically(const std::filesystem::path& path, std::string_view content,
                           mode_t new_file_mode = 0644);

// Removes path and fsyncs its directory. A missing file is not an error.
void remove_file_durably(const std::filesystem::path& path);

// "<name>.bak.YYYYMMDD-HHMMSS" for `now` in local time, the name an administrator expects.
std::string backup_name(const std::string& file_name, std::chrono::system_clock::time_point now);

// Copies path to backup_name() beside it, with the same mode and owner. An existing backup is
// never overwritten: "-1", "-2"... is appended until the name is free. Returns the backup's path.
std::filesystem::path
make_backup(const std::filesystem::path& path,
            std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// One planned change of one file. nullopt content means "the file does not exist".
struct FileChange {
    std::filesystem::path path;
    std::optional<std::string> before; // what the file holds now
    std::optional<std::string> after;  // what it must hold; nullopt removes it
    bool backup = true;                // keep a timestamped copy of `before` beside the file
    mode_t new_file_mode = 0644;       // when the file is created

    bool changes_anything() const { return before != after; }
};

struct AppliedChanges {
    std::vector<std::filesystem::path> changed; // files written or removed, in order
    std::vector<std::filesystem::path> backups; // backups made
};

// Applies the changes in order; changes that change nothing are skipped (no write, no backup).
// All or nothing: if one change fails, the ones already applied are reverted (old content
// written back, created files and directories removed, their backups deleted) and the error is
// rethrown. Each file is checked to still hold `before` first, so a concurrent edit is not lost.
//
// fail_after is a test hook (set by the install tests only): after that many changes were
// applied, a simulated write error is thrown, exercising the rollback.
AppliedChanges apply_file_changes(const std::vector<FileChange>& changes,
                                  std::optional<std::size_t> fail_after = std::nullopt);

} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
#include "util/atomic_file.h"

#include "util/unique_fd.h"

#include "util/error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace scx_gamer {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void throw_errno(const std::string& what, const fs::path& path, int error) {
    throw Error(what + " " + path.string() + ": " + std::strerror(error));
}

fs::path directory_of(const fs::path& path) {
    return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

struct FileIdentity {
    mode_t mode;
    uid_t uid;
    gid_t gid;
};

// The mode and owner of an existing regular file, nullopt if it does not exist.
std::optional<FileIdentity> identity_of_replaceable(const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT)
            return std::nullopt;
        throw_errno("cannot inspect", path, errno);
    }
    if (S_ISLNK(st.st_mode))
        throw Error("refusing to replace " + path.string() +
                    ": it is a symbolic link (edit the file it points to)");
    if (!S_ISREG(st.st_mode))
        throw Error("refusing to replace " + path.string() + ": not a regular file");
    return FileIdentity{static_cast<mode_t>(st.st_mode & 07777), st.st_uid, st.st_gid};
}

void write_all(int fd, std::string_view content, const fs::path& path) {
    while (!content.empty()) {
        ssize_t n = ::write(fd, content.data(), content.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_errno("cannot write", path, errno);
        }
        content.remove_prefix(static_cast<std::size_t>(n));
    }
}

void fsync_directory(const fs::path& directory) {
    UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0)
        throw_errno("cannot open directory", directory, errno);
    // Some file systems cannot fsync a directory (EINVAL); the rename is then as durable as the
    // file system makes it, which is all we can do.
    if (::fsync(fd.get()) != 0 && errno != EINVAL)
        throw_errno("cannot sync directory", directory, errno);
}

// Writes content to a new temp file beside `target`, with the given identity, synced to disk.
// Returns its path; the caller renames or links it into place and removes it on failure.
fs::path write_temp_file(const fs::path& target, std::string_view content,
                         const FileIdentity& identity) {
    std::string pattern =
        (directory_of(target) / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
    UniqueFd fd(::mkostemp(pattern.data(), O_CLOEXEC));
    if (fd.get() < 0)
        throw_errno("cannot create a temporary file for", target, errno);
    const fs::path temp = pattern;
    // Errors name the target: the temp file is ours, the file being saved is what the user knows.
    try {
        write_all(fd.get(), content, target);
        if (::fchmod(fd.get(), identity.mode) != 0)
            throw_errno("cannot set the mode of", target, errno);
        if ((identity.uid != ::geteuid() || identity.gid != ::getegid()) &&
            ::fchown(fd.get(), identity.uid, identity.gid) != 0)
            throw_errno("cannot keep the owner of", target, errno);
        if (::fsync(fd.get()) != 0)
            throw_errno("cannot write", target, errno);
        if (int error = fd.close_checked(); error != 0)
            throw_errno("cannot write", target, error);
    } catch (...) {
        ::unlink(temp.c_str());
        throw;
    }
    return temp;
}

FileIdentity caller_identity(mode_t mode) {
    return FileIdentity{mode, ::geteuid(), ::getegid()};
}

// The directories create_directories() would create for path's parent, outermost first.
std::vector<fs::path> missing_parents(const fs::path& path) {
    std::vector<fs::path> missing;
    for (fs::path dir = directory_of(path); !dir.empty() && !fs::exists(dir);
         dir = dir.parent_path()) {
        missing.insert(missing.begin(), dir);
        if (dir == dir.parent_path())
            break;
    }
    return missing;
}

void make_directory(const fs::path& dir) {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        throw_errno("cannot create directory", dir, errno);
}

// What was done to one file, so that it can be undone.
struct UndoRecord {
    const FileChange* change;
    std::optional<fs::path> backup;
    std::vector<fs::path> created_directories;
};

void undo(const UndoRecord& record) {
    const FileChange& change = *record.change;
    if (change.before)
        write_file_atomically(change.path, *change.before, change.new_file_mode);
    else
        remove_file_durably(change.path);
    if (record.backup)
        remove_file_durably(*record.backup);
    for (auto dir = record.created_directories.rbegin(); dir != record.created_directories.rend();
         ++dir)
        ::rmdir(dir->c_str()); // only if empty; a leftover empty directory is harmless
}

// Reverts what was applied, newest first. Returns the errors met (empty if all went back).
std::string undo_all(const std::vector<UndoRecord>& applied) {
    std::string errors;
    for (auto record = applied.rbegin(); record != applied.rend(); ++record) {
        try {
            undo(*record);
        } catch (const std::exception& e) {
            errors += errors.empty() ? "" : "; ";
            errors += e.what();
        }
    }
    return errors;
}

UndoRecord apply_one(const FileChange& change) {
    UndoRecord record{&change, std::nullopt, {}};
    if (read_config_file(change.path) != change.before)
        throw Error(change.path.string() +
                    " changed while scx_gamer was editing it; run the command again");
    if (change.before && change.backup)
        record.backup = make_backup(change.path);
    try {
        if (change.after) {
            record.created_directories = missing_parents(change.path);
            for (const auto& dir : record.created_directories)
                make_directory(dir);
            write_file_atomically(change.path, *change.after, change.new_file_mode);
        } else {
            remove_file_durably(change.path);
        }
    } catch (...) {
        if (record.backup)
            ::unlink(record.backup->c_str()); // the file did not change: its backup is noise
        for (auto dir = record.created_directories.rbegin();
             dir != record.created_directories.rend(); ++dir)
            ::rmdir(dir->c_str());
        throw;
    }
    return record;
}

} // namespace

std::optional<std::string> read_config_file(const fs::path& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT)
            return std::nullopt;
        throw_errno("cannot read", path, errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        throw_errno("cannot inspect", path, errno);
    if (!S_ISREG(st.st_mode))
        throw Error("cannot read " + path.string() + ": not a regular file");
    std::string content;
    char buffer[8192];
    for (;;) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_errno("cannot read", path, errno);
        }
        if (n == 0)
            return content;
        content.append(buffer, static_cast<std::size_t>(n));
    }
}

void write_file_atomically(const fs::path& path, std::string_view content, mode_t new_file_mode) {
    const auto existing = identity_of_replaceable(path);
    const fs::path temp =
        write_temp_file(path, content, existing ? *existing : caller_identity(new_file_mode));
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        int error = errno;
        ::unlink(temp.c_str());
        throw_errno("cannot replace", path, error);
    }
    fsync_directory(directory_of(path));
}

void remove_file_durably(const fs::path& path) {
    if (::unlink(path.c_str()) != 0) {
        if (errno == ENOENT)
            return;
        throw_errno("cannot remove", path, errno);
    }
    fsync_directory(directory_of(path));
}

std::string backup_name(const std::string& file_name, std::chrono::system_clock::time_point now) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    std::tm local{};
    ::localtime_r(&seconds, &local);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &local);
    return file_name + ".bak." + stamp;
}

fs::path make_backup(const fs::path& path, std::chrono::system_clock::time_point now) {
    const auto identity = identity_of_replaceable(path);
    const auto content = read_config_file(path);
    if (!identity || !content)
        throw Error("cannot back up " + path.string() + ": " + std::strerror(ENOENT));

    const fs::path temp = write_temp_file(path, *content, *identity);
    const std::string base =
        (directory_of(path) / backup_name(path.filename().string(), now)).string();
    // link() fails with EEXIST instead of replacing, so an older backup can never be lost, even
    // to a concurrent run.
    for (int suffix = 0;; ++suffix) {
        const fs::path candidate = suffix == 0 ? base : base + "-" + std::to_string(suffix);
        if (::link(temp.c_str(), candidate.c_str()) == 0) {
            ::unlink(temp.c_str());
            fsync_directory(directory_of(path));
            return candidate;
        }
        if (errno != EEXIST) {
            int error = errno;
            ::unlink(temp.c_str());
            throw_errno("cannot create backup", candidate, error);
        }
    }
}

AppliedChanges apply_file_changes(const std::vector<FileChange>& changes,
                                  std::optional<std::size_t> fail_after) {
    std::vector<UndoRecord> applied;
    AppliedChanges result;
    try {
        for (const auto& change : changes) {
            if (!change.changes_anything())
                continue;
            if (fail_after && applied.size() >= *fail_after)
                throw Error("cannot write " + change.path.string() +
                            ": simulated failure (SCX_GAMER_INSTALL_FAIL_AFTER)");
            applied.push_back(apply_one(change));
            result.changed.push_back(change.path);
            if (applied.back().backup)
                result.backups.push_back(*applied.back().backup);
        }
    } catch (const std::exception& e) {
        const std::string undo_errors = undo_all(applied);
        if (undo_errors.empty())
            throw;
        throw Error(std::string(e.what()) +
                    "; undoing the earlier changes also failed: " + undo_errors);
    }
    return result;
}

} // namespace scx_gamer

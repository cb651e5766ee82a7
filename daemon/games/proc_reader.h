// SPDX-License-Identifier: GPL-2.0-only
// What the classifier needs to know about a process, read from /proc.
//
// Processes exit at any moment and /proc content is controlled by the process itself (cmdline,
// environ), so every read may fail or return garbage: readers return std::nullopt on failure and
// never throw for ENOENT/ESRCH/EACCES; contents are capped and parsed defensively.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scx_gamer {

// Upper bounds on what is read from /proc/PID files (a hostile process can make them huge).
inline constexpr std::size_t kMaxEnvironBytes = std::size_t{256} * 1024;
inline constexpr std::size_t kMaxCmdlineBytes = std::size_t{64} * 1024;
inline constexpr std::size_t kMaxStatusBytes = std::size_t{16} * 1024;

// Raw access to one process's /proc entries. Virtual so the classifier is tested with a fake.
class ProcReader {
  public:
    virtual ~ProcReader() = default;

    // /proc/PID/comm without the newline (at most 15 bytes, Wine sets it to the .exe name).
    virtual std::optional<std::string> comm(pid_t pid) const = 0;
    // readlink(/proc/PID/exe) without a " (deleted)" suffix.
    virtual std::optional<std::string> exe(pid_t pid) const = 0;
    // /proc/PID/cmdline split at NULs.
    virtual std::optional<std::vector<std::string>> cmdline(pid_t pid) const = 0;
    // /proc/PID/environ as "NAME=value" strings. (Not named environ: that is a libc global.)
    virtual std::optional<std::vector<std::string>> environment(pid_t pid) const = 0;
    // PPid from /proc/PID/status.
    virtual std::optional<pid_t> parent(pid_t pid) const = 0;
    // The real uid from /proc/PID/status (who started it: what game eligibility is about).
    virtual std::optional<uid_t> owner(pid_t pid) const = 0;
};

// ProcReader over a real /proc (or a copy of its layout at proc_root, for tests).
class LinuxProcReader final : public ProcReader {
  public:
    explicit LinuxProcReader(std::filesystem::path proc_root = "/proc");

    std::optional<std::string> comm(pid_t pid) const override;
    std::optional<std::string> exe(pid_t pid) const override;
    std::optional<std::vector<std::string>> cmdline(pid_t pid) const override;
    std::optional<std::vector<std::string>> environment(pid_t pid) const override;
    std::optional<pid_t> parent(pid_t pid) const override;
    std::optional<uid_t> owner(pid_t pid) const override;

  private:
    std::filesystem::path file(pid_t pid, const char* name) const;
    std::optional<std::string> status(pid_t pid) const; // capped at kMaxStatusBytes

    std::filesystem::path proc_root_;
};

struct ProcessInfo {
    pid_t pid = 0;
    pid_t ppid = 0;
    std::string comm;
    std::string exe;                  // empty if unreadable (kernel thread, permission, gone)
    std::vector<std::string> cmdline; // empty for kernel threads
    // From SteamAppId, else SteamGameId (non-Steam shortcuts have a 64-bit game id); never 0.
    std::optional<std::uint64_t> steam_app_id;
    bool is_wine = false; // a Wine loader, or cmdline[0] names a .exe
    // The real uid, when the exec record carried it; otherwise nullopt (ProcReader::owner asks).
    std::optional<uid_t> uid;

    bool operator==(const ProcessInfo&) const = default;
};

// Everything known about pid, or nullopt if the process is gone (its comm cannot be read).
// Other unreadable entries are left empty: an unreadable environ only means "no Steam app id".
std::optional<ProcessInfo> read_process_info(const ProcReader& reader, pid_t pid);

// The argument and environment strings of a process image just exec'd, as the detector's exec
// record carries them: in hand before /proc shows them.
struct ExecStrings {
    std::vector<std::string> argv;
    std::vector<std::string> environment;
    bool complete = false; // every string made it into the record (it holds at most 32 KiB)
};

// What a process that has just exec'd is, from its exec record (parent, uid, comm, strings) and
// its exe link; nothing else in /proc is read. nullopt if the process is gone already.
std::optional<ProcessInfo> process_info_at_exec(const ProcReader& reader, pid_t pid, pid_t ppid,
                                                uid_t uid, std::string comm,
                                                const ExecStrings& strings);

// Splits NUL-separated /proc content ("a\0b\0" -> {"a", "b"}). Text without NULs is one item.
// If the content was cut at a read cap, the incomplete last item is dropped.
std::vector<std::string> split_nul_separated(const std::string& content, bool truncated);

// The PPid of /proc/PID/status text; nullopt if the line is missing or its value malformed.
std::optional<pid_t> parse_status_ppid(std::string_view status);
// The real uid (first number of the Uid: line) of /proc/PID/status text; nullopt if malformed.
std::optional<uid_t> parse_status_uid(std::string_view status);

// Whether /proc/PID/stat text describes a process that is exiting or has exited: a zombie or
// dead state (Z, X, x), or PF_EXITING in its flags. Such a process may already be past the point
// where the kernel reports its exit. Malformed text counts as exiting (nothing to watch).
bool stat_says_exiting(std::string_view stat);

// The number of threads (field 20) of /proc/PID/stat text; nullopt if malformed.
std::optional<std::uint64_t> stat_thread_count(std::string_view stat);
// The parent's pid (field 4) of /proc/PID/stat text; nullopt if malformed.
std::optional<std::uint32_t> stat_parent(std::string_view stat);

// The Steam app id in an environment, per ProcessInfo::steam_app_id.
std::optional<std::uint64_t>
steam_app_id_from_environment(const std::vector<std::string>& environment);

// Whether exe_path is one of Wine's loaders (wine, wine64, wine-preloader, wine64-preloader).
bool is_wine_loader(std::string_view exe_path);
// Whether exe/cmdline describe a Wine process: a Wine loader, or argv[0] names a .exe.
bool looks_like_wine(const std::string& exe, const std::vector<std::string>& cmdline);

} // namespace scx_gamer

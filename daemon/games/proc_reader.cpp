// SPDX-License-Identifier: GPL-2.0-only
#include "games/proc_reader.h"

#include "util/file_read.h"
#include "util/text.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <string_view>
#include <unistd.h>

namespace scx_gamer {
namespace {

constexpr std::size_t kMaxCommBytes = 64;
constexpr std::string_view kDeletedSuffix = " (deleted)";
// Names of Wine's loader binaries (Proton ships the same ones).
constexpr std::array<std::string_view, 4> kWineLoaders = {"wine", "wine64", "wine-preloader",
                                                          "wine64-preloader"};

// Reads up to `cap` bytes and reports whether the file was longer.
std::optional<std::vector<std::string>> read_nul_separated(const std::filesystem::path& path,
                                                           std::size_t cap) {
    auto content = read_file_prefix(path, cap + 1);
    if (!content)
        return std::nullopt;
    const bool truncated = content->size() > cap;
    content->resize(std::min(content->size(), cap));
    return split_nul_separated(*content, truncated);
}

std::optional<std::uint64_t> parse_app_id(std::string_view text) {
    std::uint64_t id = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size() || id == 0)
        return std::nullopt;
    return id;
}

std::optional<std::string_view> variable(const std::vector<std::string>& environment,
                                         std::string_view name) {
    for (const auto& entry : environment) {
        const std::string_view view(entry);
        if (view.size() > name.size() && view.starts_with(name) && view[name.size()] == '=')
            return view.substr(name.size() + 1);
    }
    return std::nullopt;
}

} // namespace

LinuxProcReader::LinuxProcReader(std::filesystem::path proc_root)
    : proc_root_(std::move(proc_root)) {}

std::filesystem::path LinuxProcReader::file(pid_t pid, const char* name) const {
    return proc_root_ / std::to_string(pid) / name;
}

std::optional<std::string> LinuxProcReader::comm(pid_t pid) const {
    if (pid <= 0)
        return std::nullopt;
    auto comm = read_file_prefix(file(pid, "comm"), kMaxCommBytes);
    if (comm && !comm->empty() && comm->back() == '\n')
        comm->pop_back();
    return comm;
}

std::optional<std::string> LinuxProcReader::exe(pid_t pid) const {
    if (pid <= 0)
        return std::nullopt;
    // readlink(2) alone: std::filesystem::read_symlink lstat()s the link first, and this runs
    // for every exec on the system. A link's target is shorter than PATH_MAX.
    std::array<char, PATH_MAX> target_bytes; // readlink fills what it returns; no zeroing
    const ssize_t length =
        ::readlink(file(pid, "exe").c_str(), target_bytes.data(), target_bytes.size());
    if (length < 0 || static_cast<std::size_t>(length) == target_bytes.size())
        return std::nullopt;
    std::string target(target_bytes.data(), static_cast<std::size_t>(length));
    // A game updated while it runs still is the same game.
    if (target.ends_with(kDeletedSuffix))
        target.resize(target.size() - kDeletedSuffix.size());
    return target;
}

std::optional<std::vector<std::string>> LinuxProcReader::cmdline(pid_t pid) const {
    if (pid <= 0)
        return std::nullopt;
    return read_nul_separated(file(pid, "cmdline"), kMaxCmdlineBytes);
}

std::optional<std::vector<std::string>> LinuxProcReader::environment(pid_t pid) const {
    if (pid <= 0)
        return std::nullopt;
    return read_nul_separated(file(pid, "environ"), kMaxEnvironBytes);
}

std::optional<std::string> LinuxProcReader::status(pid_t pid) const {
    if (pid <= 0)
        return std::nullopt;
    return read_file_prefix(file(pid, "status"), kMaxStatusBytes);
}

std::optional<pid_t> LinuxProcReader::parent(pid_t pid) const {
    const auto text = status(pid);
    return text ? parse_status_ppid(*text) : std::nullopt;
}

std::optional<uid_t> LinuxProcReader::owner(pid_t pid) const {
    const auto text = status(pid);
    return text ? parse_status_uid(*text) : std::nullopt;
}

namespace {

// The first number after "\nKEY:" in /proc/PID/status text, ended by a tab, a space or the line's
// end; nullopt when the line is missing or the number malformed.
template <typename Number>
std::optional<Number> status_number(std::string_view status, std::string_view key) {
    const auto at = status.find(key);
    if (at == std::string_view::npos)
        return std::nullopt;
    std::string_view value = status.substr(at + key.size());
    value.remove_prefix(std::min(value.find_first_not_of(" \t"), value.size()));
    // Digits only: from_chars would take "-0" as 0.
    if (value.empty() || value.front() < '0' || value.front() > '9')
        return std::nullopt;
    Number number = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    const bool ended =
        end == value.data() + value.size() || *end == '\n' || *end == '\t' || *end == ' ';
    if (error != std::errc{} || number < 0 || !ended)
        return std::nullopt;
    return number;
}

} // namespace

std::optional<pid_t> parse_status_ppid(std::string_view status) {
    return status_number<pid_t>(status, "\nPPid:");
}

std::optional<uid_t> parse_status_uid(std::string_view status) {
    return status_number<uid_t>(status, "\nUid:");
}

namespace {

// The first `count` space-separated fields after the comm of /proc/PID/stat text (field 3, the
// state, first); nullopt without the ')' that ends the comm. COMM may hold spaces and
// parentheses, so the fields are counted from the last ')'.
template <std::size_t count>
std::optional<std::array<std::string_view, count>> stat_fields(std::string_view stat) {
    const auto paren = stat.rfind(')');
    if (paren == std::string_view::npos)
        return std::nullopt;
    std::string_view rest = stat.substr(paren + 1);
    std::array<std::string_view, count> fields{};
    for (auto& field : fields) {
        rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
        const auto end = std::min(rest.find_first_of(" \n"), rest.size());
        field = rest.substr(0, end);
        rest.remove_prefix(end);
    }
    return fields;
}

template <typename Number> std::optional<Number> whole_number(std::string_view text) {
    Number number = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return number;
}

} // namespace

bool stat_says_exiting(std::string_view stat) {
    // "PID (COMM) STATE PPID PGRP SESSION TTY_NR TPGID FLAGS ..."
    constexpr unsigned kPfExiting = 0x4;
    const auto fields = stat_fields<7>(stat); // state .. flags
    if (!fields)
        return true;
    const std::string_view state = (*fields)[0];
    const auto flags = whole_number<unsigned>((*fields)[6]);
    if (state.size() != 1 || !flags)
        return true;
    return state == "Z" || state == "X" || state == "x" || (*flags & kPfExiting) != 0;
}

std::optional<std::uint64_t> stat_thread_count(std::string_view stat) {
    const auto fields = stat_fields<18>(stat); // state (3) .. num_threads (20)
    return fields ? whole_number<std::uint64_t>((*fields)[17]) : std::nullopt;
}

std::optional<std::uint32_t> stat_parent(std::string_view stat) {
    const auto fields = stat_fields<2>(stat); // state (3), ppid (4)
    return fields ? whole_number<std::uint32_t>((*fields)[1]) : std::nullopt;
}

std::vector<std::string> split_nul_separated(const std::string& content, bool truncated) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start < content.size()) {
        const auto nul = content.find('\0', start);
        if (nul == std::string::npos) {
            if (!truncated)
                items.push_back(content.substr(start));
            break;
        }
        items.push_back(content.substr(start, nul - start));
        start = nul + 1;
    }
    return items;
}

std::optional<std::uint64_t>
steam_app_id_from_environment(const std::vector<std::string>& environment) {
    // Steam sets both to the app id; for a non-Steam shortcut SteamAppId is 0 and SteamGameId is
    // the shortcut's 64-bit id.
    for (const auto name : {"SteamAppId", "SteamGameId"}) {
        if (const auto value = variable(environment, name)) {
            if (const auto id = parse_app_id(*value))
                return id;
        }
    }
    return std::nullopt;
}

bool is_wine_loader(std::string_view exe_path) {
    const auto name = unix_basename(exe_path);
    return std::find(kWineLoaders.begin(), kWineLoaders.end(), name) != kWineLoaders.end();
}

bool looks_like_wine(const std::string& exe, const std::vector<std::string>& cmdline) {
    return is_wine_loader(exe) ||
           (!cmdline.empty() && ends_with_ignoring_case(cmdline.front(), ".exe"));
}

std::optional<ProcessInfo> read_process_info(const ProcReader& reader, pid_t pid) {
    auto comm = reader.comm(pid);
    if (!comm)
        return std::nullopt;

    ProcessInfo info;
    info.pid = pid;
    info.comm = std::move(*comm);
    info.ppid = reader.parent(pid).value_or(0);
    info.exe = reader.exe(pid).value_or("");
    info.cmdline = reader.cmdline(pid).value_or(std::vector<std::string>{});
    if (const auto environment = reader.environment(pid))
        info.steam_app_id = steam_app_id_from_environment(*environment);
    info.is_wine = looks_like_wine(info.exe, info.cmdline);
    return info;
}

std::optional<ProcessInfo> process_info_at_exec(const ProcReader& reader, pid_t pid, pid_t ppid,
                                                uid_t uid, std::string comm,
                                                const ExecStrings& strings) {
    auto exe = reader.exe(pid);
    if (!exe)
        return std::nullopt; // an exec'd process always has one, unless it is gone

    ProcessInfo info;
    info.pid = pid;
    info.ppid = ppid;
    info.uid = uid;
    info.comm = std::move(comm);
    info.exe = std::move(*exe);
    info.cmdline = strings.argv;
    info.steam_app_id = steam_app_id_from_environment(strings.environment);
    info.is_wine = looks_like_wine(info.exe, info.cmdline);
    return info;
}

} // namespace scx_gamer

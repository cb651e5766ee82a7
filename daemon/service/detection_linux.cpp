// SPDX-License-Identifier: GPL-2.0-only
#include "detection_linux.h"

#include "games/proc_reader.h"
#include "util/file_read.h"
#include "util/log.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <sys/syscall.h>
#include <unistd.h>

namespace scx_gamer {

namespace {

std::optional<std::string> read_stat(uint32_t pid) {
    return read_file_prefix("/proc/" + std::to_string(pid) + "/stat", 4096);
}

// Entries of /proc that are processes: a pid's decimal digits (a 32-bit pid has at most 10).
template <typename Fn> void for_each_pid(Fn&& fn) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename();
        if (name.empty() || name.size() > 10 ||
            name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        const unsigned long pid = std::stoul(name);
        if (pid <= UINT32_MAX)
            fn(static_cast<uint32_t>(pid));
    }
}

} // namespace

std::optional<DetectorPort::Released> BpfDetectorPort::release(uint32_t tgid) {
    const auto released = detector_.release(tgid);
    if (!released)
        return std::nullopt;
    return Released{released->root, released->tree_emptied};
}

bool LinuxProcessTable::alive(uint32_t pid) const {
    const auto stat = read_stat(pid);
    return stat && !stat_says_exiting(*stat);
}

std::vector<uint32_t> LinuxProcessTable::pids() const {
    std::vector<uint32_t> out;
    for_each_pid([&](uint32_t pid) { out.push_back(pid); });
    return out;
}

std::vector<std::pair<uint32_t, uint32_t>> LinuxProcessTable::parents() const {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    for_each_pid([&](uint32_t pid) {
        const auto stat = read_stat(pid);
        if (const auto ppid = stat ? stat_parent(*stat) : std::nullopt)
            out.emplace_back(pid, *ppid);
    });
    return out;
}

std::optional<uint64_t> LinuxProcessTable::threads(uint32_t pid) const {
    const auto stat = read_stat(pid);
    return stat ? stat_thread_count(*stat) : std::nullopt;
}

bool PidfdExitWatches::watch(uint32_t pid, std::function<void()> on_exit) {
    UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0)));
    if (!pidfd) {
        // ESRCH: gone already, which the check after registration sees. Otherwise (EMFILE...)
        // the detector's exit report is all there is.
        if (errno != ESRCH)
            log_warning("cannot watch the exit of game ", pid, ": ", std::strerror(errno));
        return false;
    }
    const int fd = pidfd.get();
    Watch& watch = watches_[pid];
    watch.readable = {};
    watch.pidfd = std::move(pidfd);
    watch.readable = loop_.watch_readable(
        "exit of game " + std::to_string(pid), fd, [this, pid, on_exit = std::move(on_exit)] {
            watches_.at(pid).readable.disable(); // once: a pidfd stays readable
            on_exit();
        });
    return true;
}

uint64_t monotonic_ns() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now); // the clock of bpf_ktime_get_ns()
    return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(now.tv_nsec);
}

uint64_t realtime_us() {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<uint64_t>(now.tv_sec) * 1'000'000 +
           static_cast<uint64_t>(now.tv_nsec) / 1000;
}

} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
// Serves the scx_stats protocol on a UNIX socket (default /var/run/scx/root/stats), the path
// scx tools (scxtop, scxstats_to_openmetrics, `scx_gamer --monitor`) read. Connections are
// served from the daemon's event loop; the socket is removed when the server goes away.
#pragma once

#include "event_loop.h"
#include "stats/stats_fields.h"
#include "util/unique_fd.h"

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace scx_gamer {

inline constexpr const char* kDefaultStatsSocket = "/var/run/scx/root/stats";

class StatsServer {
  public:
    // Binds `path` (creating its directory). Throws Error when another live process serves it
    // ("another scheduler serves stats at ..."); a stale socket file is replaced.
    StatsServer(EventLoop& loop, std::filesystem::path path, std::function<StatsMap()> stats);
    ~StatsServer();
    StatsServer(const StatsServer&) = delete;
    StatsServer& operator=(const StatsServer&) = delete;

    const std::filesystem::path& path() const { return path_; }

  private:
    struct Connection;
    void accept_clients();
    void serve(int fd);
    void close_connection(int fd);

    EventLoop& loop_;
    std::filesystem::path path_;
    std::function<StatsMap()> stats_;
    UniqueFd listen_fd_;
    ino_t socket_inode_ = 0; // unlink on exit only if the file is still ours
    std::map<int, std::unique_ptr<Connection>> connections_;
    std::vector<std::unique_ptr<Connection>> closed_; // freed on the next event

    EventSource listening_;
};

// Client side of `scx_gamer --monitor SECS`: prints the stats every `interval` seconds until
// interrupted. Returns the process exit code (1 when nothing serves `path`).
int monitor_stats(const std::filesystem::path& path, unsigned interval_secs);

} // namespace scx_gamer

// SPDX-License-Identifier: GPL-2.0-only
#include "stats_server.h"

#include "stats/scx_stats_protocol.h"
#include "util/error.h"
#include "util/log.h"
#include "util/unique_fd.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace scx_gamer {

namespace {

sockaddr_un socket_address(const std::filesystem::path& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string text = path.string();
    if (text.size() >= sizeof(addr.sun_path))
        throw Error("stats socket path too long: " + text);
    std::memcpy(addr.sun_path, text.c_str(), text.size() + 1);
    return addr;
}

UniqueFd connect_to(const std::filesystem::path& path) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0)
        return UniqueFd();
    const sockaddr_un addr = socket_address(path);
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) < 0)
        return UniqueFd();
    return fd;
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
}

} // namespace

struct StatsServer::Connection {
    UniqueFd fd;
    std::string pending;     // bytes received after the last complete line
    bool discarding = false; // inside an over-long line: drop until its newline
    EventSource source;
};

StatsServer::StatsServer(EventLoop& loop, std::filesystem::path path,
                         std::function<StatsMap()> stats)
    : loop_(loop), path_(std::move(path)), stats_(std::move(stats)) {
    std::error_code ec;
    std::filesystem::create_directories(path_.parent_path(), ec);
    if (connect_to(path_).get() >= 0)
        throw Error("another scheduler serves stats at " + path_.string() +
                    " (only one sched_ext scheduler can own it)");
    std::filesystem::remove(path_, ec); // a stale socket left by a killed process

    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd.get() < 0)
        throw Error(std::string("stats socket: ") + std::strerror(errno));
    const sockaddr_un addr = socket_address(path_);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) < 0 ||
        ::listen(fd.get(), 16) < 0)
        throw Error("binding the stats socket " + path_.string() + ": " + std::strerror(errno));
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0)
        socket_inode_ = st.st_ino;
    listen_fd_ = std::move(fd);
    listening_ =
        loop_.watch_readable("scx_stats listener", listen_fd_.get(), [this] { accept_clients(); });
}

StatsServer::~StatsServer() {
    listening_ = {};
    connections_.clear();
    closed_.clear();
    listen_fd_ = UniqueFd();
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0 && st.st_ino == socket_inode_)
        ::unlink(path_.c_str());
}

void StatsServer::accept_clients() {
    closed_.clear();
    for (;;) {
        const int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return; // EAGAIN: all accepted (or a transient error; the next event retries)
        auto connection = std::make_unique<Connection>();
        connection->fd = UniqueFd(fd);
        connection->source =
            loop_.watch_readable("scx_stats client", fd, [this, fd] { serve(fd); });
        connections_[fd] = std::move(connection);
    }
}

// Reads what arrived and answers every complete line. A client that sends garbage gets errno 22
// for that line and may keep using the connection.
void StatsServer::serve(int fd) {
    closed_.clear();
    Connection& connection = *connections_.at(fd);
    char buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        close_connection(fd);
        return;
    }
    std::string replies;
    for (char c : std::string_view(buffer, static_cast<size_t>(n))) {
        if (c != '\n') {
            if (!connection.discarding)
                connection.pending.push_back(c);
            if (connection.pending.size() > kMaxScxStatsRequest) {
                connection.pending.clear();
                connection.discarding = true;
            }
            continue;
        }
        replies += connection.discarding ? scx_stats_error(EINVAL, "request too long")
                                         : answer_scx_stats_request(connection.pending, stats_);
        replies += '\n';
        connection.pending.clear();
        connection.discarding = false;
    }
    if (!replies.empty() && !write_all(fd, replies))
        close_connection(fd);
}

void StatsServer::close_connection(int fd) {
    // Called from the connection's own callback, so it cannot be destroyed here: park it and
    // let the next event (or the destructor) free it.
    auto node = connections_.extract(fd);
    if (node.empty())
        return;
    node.mapped()->source.disable();
    closed_.push_back(std::move(node.mapped()));
}

int monitor_stats(const std::filesystem::path& path, unsigned interval_secs) {
    UniqueFd fd = connect_to(path);
    if (fd.get() < 0) {
        log_err("nothing serves stats at ", path.string(), " (is scx_gamer running?)");
        return 1;
    }
    std::string received;
    for (;;) {
        if (!write_all(fd.get(), "{\"req\":\"stats\",\"args\":{\"target\":\"top\"}}\n"))
            break;
        std::string::size_type newline;
        while ((newline = received.find('\n')) == std::string::npos) {
            char buffer[4096];
            const ssize_t n = ::recv(fd.get(), buffer, sizeof(buffer), 0);
            if (n <= 0) {
                log_err("scx_gamer closed the stats connection");
                return 1;
            }
            received.append(buffer, static_cast<size_t>(n));
        }
        const auto reply = nlohmann::json::parse(received.substr(0, newline), nullptr, false);
        received.erase(0, newline + 1);
        if (reply.is_discarded() || reply.value("errno", -1) != 0) {
            log_err("bad stats reply");
            return 1;
        }
        std::cout << reply["args"]["resp"].dump() << '\n' << std::flush; // one reading per line
        std::this_thread::sleep_for(std::chrono::seconds(interval_secs));
    }
    return 1;
}

} // namespace scx_gamer

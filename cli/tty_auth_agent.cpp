// SPDX-License-Identifier: GPL-2.0-only
#include "tty_auth_agent.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

extern char** environ;

namespace scxgamerctl {

std::unique_ptr<TtyAuthAgent> TtyAuthAgent::start_if_useful() {
    if (!isatty(STDIN_FILENO))
        return nullptr;

    // pkttyagent closes the write end once it is registered with polkit; the read end is ours
    // only. O_CLOEXEC on the read end keeps it out of the agent.
    int notify[2];
    if (pipe2(notify, O_CLOEXEC) < 0)
        return nullptr;
    // The write end must survive exec into the agent.
    fcntl(notify[1], F_SETFD, 0);

    const std::string notify_fd = std::to_string(notify[1]);
    const char* argv[] = {"pkttyagent", "--notify-fd", notify_fd.c_str(), "--fallback", nullptr};
    pid_t pid = -1;
    const int spawned =
        posix_spawnp(&pid, "pkttyagent", nullptr, nullptr, const_cast<char* const*>(argv), environ);
    close(notify[1]);
    if (spawned != 0) {
        close(notify[0]);
        return nullptr; // polkit's tools are not installed: go on without an agent
    }

    // Wait for registration (or for the agent to die, which closes the pipe too).
    pollfd ready{notify[0], POLLIN, 0};
    while (poll(&ready, 1, -1) < 0 && errno == EINTR) {
    }
    close(notify[0]);
    return std::unique_ptr<TtyAuthAgent>(new TtyAuthAgent(pid));
}

TtyAuthAgent::~TtyAuthAgent() {
    kill(pid_, SIGTERM);
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
}

} // namespace scxgamerctl

// SPDX-License-Identifier: GPL-2.0-only
// scxgamerctl launch: runs a command and registers it with scx_gamer as a game for as long as it
// runs, like `powerprofilesctl launch` or `gamemoderun`. The registration belongs to this
// process's bus connection, so it ends when we exit, even if we are killed.
#include "commands.h"

#include "daemon_client.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>

namespace scxgamerctl {
namespace {

constexpr int kExitCannotExecute = 126; // shell conventions for a command that did not start
constexpr int kExitNotFound = 127;

volatile sig_atomic_t child_pid_for_signals = 0;

// Termination requests for us are meant for the game; we exit when it does.
void forward_to_child(int signal) {
    if (child_pid_for_signals > 0)
        kill(child_pid_for_signals, signal);
}

// Runs `command` and returns its pid once exec succeeded, or the errno of the failed exec.
struct Started {
    pid_t pid = -1;
    int exec_errno = 0;
};

Started start_command(const std::vector<std::string>& command) {
    std::vector<char*> argv;
    argv.reserve(command.size() + 1);
    for (const auto& word : command)
        argv.push_back(const_cast<char*>(word.c_str()));
    argv.push_back(nullptr);

    // The child reports a failed exec through this pipe; a successful exec closes it (CLOEXEC),
    // so reading EOF means the game is running its own code, and its pid shows its own exe in
    // /proc when the daemon looks.
    int report[2];
    if (pipe2(report, O_CLOEXEC) < 0)
        return {-1, errno};
    const pid_t pid = fork();
    if (pid < 0) {
        const int error = errno;
        close(report[0]);
        close(report[1]);
        return {-1, error};
    }
    if (pid == 0) {
        close(report[0]);
        // Ignored signals stay ignored across exec; the game must get Ctrl-C like any program.
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        execvp(argv[0], argv.data());
        const int error = errno;
        (void)!write(report[1], &error, sizeof error);
        _exit(kExitNotFound);
    }
    close(report[1]);
    int exec_errno = 0;
    ssize_t got;
    while ((got = read(report[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
    }
    close(report[0]);
    if (got > 0) {
        waitpid(pid, nullptr, 0);
        return {-1, exec_errno};
    }
    return {pid, 0};
}

int exit_code_of(int status) {
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}

} // namespace

int cmd_launch(const GlobalOptions& options, const std::vector<std::string>& command) {
    // Connect before starting the game so a broken bus costs no time once it runs. The game is
    // run even when scx_gamer cannot be told about it: launching it is what the user asked for.
    std::unique_ptr<sdbus::IConnection> bus;
    std::optional<DaemonClient> daemon;
    try {
        bus = connect_system_bus(options.ask_password);
        daemon.emplace(*bus);
    } catch (const sdbus::Error& e) {
        std::fprintf(stderr, "scxgamerctl: %s; running %s without scx_gamer\n",
                     e.getMessage().c_str(), command.front().c_str());
    }

    // Like system(3): Ctrl-C and Ctrl-\ reach the game through the terminal; we keep waiting.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    struct sigaction forward {};
    forward.sa_handler = forward_to_child;
    sigaction(SIGINT, &ignore, nullptr);
    sigaction(SIGQUIT, &ignore, nullptr);
    sigaction(SIGTERM, &forward, nullptr);
    sigaction(SIGHUP, &forward, nullptr);

    const Started started = start_command(command);
    if (started.pid < 0) {
        std::fprintf(stderr, "scxgamerctl: cannot run %s: %s\n", command.front().c_str(),
                     std::strerror(started.exec_errno));
        return started.exec_errno == ENOENT ? kExitNotFound : kExitCannotExecute;
    }
    child_pid_for_signals = started.pid;

    if (daemon) {
        try {
            daemon->register_game(static_cast<uint32_t>(started.pid));
        } catch (const sdbus::Error& e) {
            std::fprintf(stderr, "scxgamerctl: not registered with scx_gamer: %s\n",
                         means_not_running(e) ? kNotRunningHint : e.getMessage().c_str());
        }
    }

    int status = 0;
    while (waitpid(started.pid, &status, 0) < 0) {
        if (errno != EINTR) {
            std::fprintf(stderr, "scxgamerctl: waiting for %s: %s\n", command.front().c_str(),
                         std::strerror(errno));
            return kExitFailed;
        }
    }
    // Leaving drops the registration (the daemon watches our connection); no call needed.
    return exit_code_of(status);
}

} // namespace scxgamerctl

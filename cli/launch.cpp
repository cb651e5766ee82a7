// SPDX-License-Identifier: GPL-2.0-only
// scxgamerctl launch: runs a command and registers it with scx_gamer as a game for as long as it
// runs, like `powerprofilesctl launch` or `gamemoderun`. The command's process is registered
// before it execs, so it and every process it starts (a launch script, Steam's reaper and the
// game under it) are one game from their first instruction on. The registration belongs to
// this process's bus connection, so it ends when we exit, even if we are killed; we stay while
// a process of the game runs, and exit with the command's own status.
#include "commands.h"

#include "daemon_client.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <thread>

namespace scxgamerctl {
namespace {

constexpr int kExitCannotExecute = 126; // shell conventions for a command that did not start
constexpr int kExitNotFound = 127;
// How often to ask whether the game's tree still runs once the command itself exited.
constexpr auto kTreePollInterval = std::chrono::milliseconds(500);

volatile sig_atomic_t child_pid_for_signals = 0;

// Termination requests for us are meant for the game; we exit when it does.
void forward_to_child(int signal) {
    if (child_pid_for_signals > 0)
        kill(child_pid_for_signals, signal);
}

// Runs `command` and returns its pid once exec succeeded, or the errno of the failed exec.
// `before_exec(pid)` runs while the child waits to exec (it registers the child).
struct Started {
    pid_t pid = -1;
    int exec_errno = 0;
};

Started start_command(const std::vector<std::string>& command,
                      const std::function<void(pid_t)>& before_exec) {
    std::vector<char*> argv;
    argv.reserve(command.size() + 1);
    for (const auto& word : command)
        argv.push_back(const_cast<char*>(word.c_str()));
    argv.push_back(nullptr);

    // The child reports a failed exec through this pipe; a successful exec closes it (CLOEXEC),
    // so reading EOF means the game is running its own code, and its pid shows its own exe in
    // /proc when the daemon looks.
    int report[2], go[2];
    if (pipe2(report, O_CLOEXEC) < 0)
        return {-1, errno};
    if (pipe2(go, O_CLOEXEC) < 0) {
        const int error = errno;
        close(report[0]);
        close(report[1]);
        return {-1, error};
    }
    const pid_t pid = fork();
    if (pid < 0) {
        const int error = errno;
        for (int fd : {report[0], report[1], go[0], go[1]})
            close(fd);
        return {-1, error};
    }
    if (pid == 0) {
        close(report[0]);
        close(go[1]);
        // Wait for the registration (or its failure): EOF when the parent is done with it.
        char ignored;
        while (read(go[0], &ignored, 1) < 0 && errno == EINTR) {
        }
        // Ignored signals stay ignored across exec; the game must get Ctrl-C like any program.
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        execvp(argv[0], argv.data());
        const int error = errno;
        (void)!write(report[1], &error, sizeof error);
        _exit(kExitNotFound);
    }
    close(report[1]);
    close(go[0]);
    before_exec(pid);
    close(go[1]); // the child may exec now
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

std::string base_name(const std::string& path) {
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Whether the daemon still tracks `pid` as a game (a process of its tree runs). Unknown (the
// daemon went away) counts as no.
bool still_a_game(DaemonClient& daemon, uint32_t pid) {
    try {
        const auto games = daemon.games();
        return std::any_of(games.begin(), games.end(),
                           [&](const GameInfo& game) { return game.pid == pid; });
    } catch (const sdbus::Error&) {
        return false;
    }
}

} // namespace

int cmd_launch(const GlobalOptions& options, const std::vector<std::string>& command,
               const std::string& name) {
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

    bool registered = false;
    const Started started = start_command(command, [&](pid_t pid) {
        if (!daemon)
            return;
        try {
            daemon->register_game(static_cast<uint32_t>(pid),
                                  name.empty() ? base_name(command.front()) : name, "launch");
            registered = true;
        } catch (const sdbus::Error& e) {
            std::fprintf(stderr, "scxgamerctl: not registered with scx_gamer: %s\n",
                         means_not_running(e) ? kNotRunningHint : e.getMessage().c_str());
        }
    });
    if (started.pid < 0) {
        std::fprintf(stderr, "scxgamerctl: cannot run %s: %s\n", command.front().c_str(),
                     std::strerror(started.exec_errno));
        return started.exec_errno == ENOENT ? kExitNotFound : kExitCannotExecute;
    }
    child_pid_for_signals = started.pid;

    int status = 0;
    while (waitpid(started.pid, &status, 0) < 0) {
        if (errno != EINTR) {
            std::fprintf(stderr, "scxgamerctl: waiting for %s: %s\n", command.front().c_str(),
                         std::strerror(errno));
            return kExitFailed;
        }
    }
    // A launcher that starts the game and exits (or a script that leaves it running) leaves the
    // game in the tree: the registration, which is our connection's, stays until its last
    // process ends. Then leaving drops it (the daemon watches our connection).
    child_pid_for_signals = 0;
    while (registered && still_a_game(*daemon, static_cast<uint32_t>(started.pid)))
        std::this_thread::sleep_for(kTreePollInterval);
    return exit_code_of(status);
}

} // namespace scxgamerctl

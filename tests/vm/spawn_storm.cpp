// SPDX-License-Identifier: GPL-2.0-only
// Load for the detector: short-lived processes at a target rate, some of them short-lived games.
// Every child is an exec (what the detector hooks) of a static binary, so an exec costs as little
// as one can under TCG. The rate is a target: when the machine cannot keep up, children are
// spawned back to back and the summary says what was achieved.
//
//   spawn_storm --rate 1000 --seconds 30 --game-every 50 --game-ms 100
//               --game-exe DIR/StormGame --game-pids FILE
//   spawn_storm --rate 1000000 --seconds 60 --count 3000 --linger-ms 600000 --exit-at-exec 2
//               --then-exec --game-ms 600000 --game-exe DIR/AdoptGame
//   spawn_storm --child [--linger-ms N] [--until-eof]      (what the children run)
//
// Every --game-every'th child execs --game-exe (a copy of this binary under a game's name) with
// SteamAppId=480 in its environment and lives --game-ms; the others exec this binary and exit at
// once, or live --linger-ms. --game-pids gets the pid of every game child, one a line. The
// summary on stdout:
//   spawned=N games=G failed=F seconds=S.SS rate=R.R
//
// --then-exec: once the children are started, this process does not wait for them but becomes a
// game itself: it execs --game-exe as a game child would (SteamAppId=480, lives --game-ms), so
// the game has children it started before it was one. Every --exit-at-exec'th child instead
// ends at that exec (it reads a pipe whose only writer closes on exec), racing whoever looks at
// the new game's children. The summary goes to stdout before the exec.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace {

struct Options {
    unsigned rate = 1000;
    unsigned seconds = 30;
    unsigned game_every = 0; // 0: no games
    unsigned game_ms = 100;
    unsigned count = 0;        // stop after this many children; 0: when --seconds are up
    unsigned linger_ms = 0;    // how long the children that are no games live
    unsigned exit_at_exec = 0; // every Nth of those ends when this process execs; 0: none
    bool then_exec = false;
    std::string game_exe;
    std::string game_pids;
};

[[noreturn]] void usage() {
    std::fprintf(stderr, "usage: spawn_storm --rate N --seconds N [--count N] [--game-every N "
                         "--game-ms N --game-exe PATH [--game-pids FILE]] [--linger-ms N]\n"
                         "                   [--then-exec [--exit-at-exec N]]\n"
                         "       spawn_storm --child [--linger-ms N] [--until-eof]\n");
    std::exit(2);
}

unsigned parse_number(const char* value, const char* name, unsigned max) {
    char* end = nullptr;
    errno = 0;
    const unsigned long parsed = std::strtoul(value, &end, 10);
    if (*value == '\0' || *end != '\0' || errno != 0 || parsed > max) {
        std::fprintf(stderr, "spawn_storm: %s: invalid value '%s'\n", name, value);
        std::exit(2);
    }
    return static_cast<unsigned>(parsed);
}

double now_s() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void sleep_until(double when) {
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(when);
    ts.tv_nsec = static_cast<long>((when - static_cast<double>(ts.tv_sec)) * 1e9);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

int child(int argc, char** argv) {
    unsigned linger_ms = 0;
    bool until_eof = false;
    for (int i = 2; i < argc; i++) {
        if (i + 1 < argc && std::strcmp(argv[i], "--linger-ms") == 0)
            linger_ms = parse_number(argv[++i], "--linger-ms", 600'000);
        else if (std::strcmp(argv[i], "--until-eof") == 0)
            until_eof = true;
        else
            usage();
    }
    if (until_eof) { // standard input is the pipe the parent's exec closes
        char byte = 0;
        for (;;) {
            const ssize_t got = read(STDIN_FILENO, &byte, 1);
            if (got == 0 || (got < 0 && errno != EINTR))
                return 0;
        }
    }
    if (linger_ms > 0) {
        const timespec ts{static_cast<time_t>(linger_ms / 1000),
                          static_cast<long>(linger_ms % 1000) * 1'000'000};
        nanosleep(&ts, nullptr);
    }
    return 0;
}

void reap_finished(unsigned& running) {
    while (running > 0 && waitpid(-1, nullptr, WNOHANG) > 0)
        running--;
}

} // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], "--child") == 0)
        return child(argc, argv);

    Options options;
    for (int i = 1; i < argc; i++) {
        auto value = [&](const char* name) {
            if (i + 1 >= argc || std::strcmp(argv[i], name) != 0)
                return static_cast<const char*>(nullptr);
            return static_cast<const char*>(argv[++i]);
        };
        if (const char* v = value("--rate"))
            options.rate = parse_number(v, "--rate", 1'000'000);
        else if (const char* v = value("--seconds"))
            options.seconds = parse_number(v, "--seconds", 3600);
        else if (const char* v = value("--game-every"))
            options.game_every = parse_number(v, "--game-every", 1'000'000);
        else if (const char* v = value("--game-ms"))
            options.game_ms = parse_number(v, "--game-ms", 600'000);
        else if (const char* v = value("--count"))
            options.count = parse_number(v, "--count", 1'000'000);
        else if (const char* v = value("--game-exe"))
            options.game_exe = v;
        else if (const char* v = value("--game-pids"))
            options.game_pids = v;
        else if (const char* v = value("--linger-ms"))
            options.linger_ms = parse_number(v, "--linger-ms", 600'000);
        else if (const char* v = value("--exit-at-exec"))
            options.exit_at_exec = parse_number(v, "--exit-at-exec", 1'000'000);
        else if (std::strcmp(argv[i], "--then-exec") == 0)
            options.then_exec = true;
        else
            usage();
    }
    if (options.rate == 0 || options.seconds == 0 ||
        ((options.game_every || options.then_exec) && options.game_exe.empty()) ||
        (options.exit_at_exec && !options.then_exec))
        usage();

    // The children's argv and environments, built once.
    char self_exe[4096];
    const ssize_t len = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
    if (len < 0) {
        std::perror("spawn_storm: /proc/self/exe");
        return 1;
    }
    self_exe[len] = '\0';
    const std::string linger = std::to_string(options.game_ms);
    std::string plain_linger = std::to_string(options.linger_ms);
    std::string child_flag = "--child", linger_flag = "--linger-ms", eof_flag = "--until-eof";
    std::vector<char*> plain_argv{self_exe, child_flag.data(), linger_flag.data(),
                                  plain_linger.data(), nullptr};
    std::vector<char*> eof_argv{self_exe, child_flag.data(), eof_flag.data(), nullptr};
    std::vector<char*> game_argv{options.game_exe.data(), child_flag.data(), linger_flag.data(),
                                 const_cast<char*>(linger.c_str()), nullptr};
    std::string steam = "SteamAppId=480";
    std::vector<char*> game_env;
    for (char** e = environ; *e; e++)
        if (std::strncmp(*e, "SteamAppId=", 11) != 0)
            game_env.push_back(*e);
    game_env.push_back(steam.data());
    game_env.push_back(nullptr);

    std::ofstream pids;
    if (!options.game_pids.empty()) {
        pids.open(options.game_pids);
        if (!pids) {
            std::fprintf(stderr, "spawn_storm: %s: %s\n", options.game_pids.c_str(),
                         std::strerror(errno));
            return 1;
        }
    }

    // The pipe the --exit-at-exec children read: its write end is this process's alone (it is
    // closed in every child's exec) and goes with this process's exec.
    int exec_pipe[2] = {-1, -1};
    posix_spawn_file_actions_t eof_actions;
    posix_spawn_file_actions_init(&eof_actions);
    if (options.exit_at_exec) {
        if (pipe2(exec_pipe, O_CLOEXEC) != 0) {
            std::perror("spawn_storm: pipe");
            return 1;
        }
        posix_spawn_file_actions_adddup2(&eof_actions, exec_pipe[0], STDIN_FILENO);
    }

    const double interval = 1.0 / options.rate;
    const double start = now_s();
    const double end = start + options.seconds;
    double next = start;
    unsigned long spawned = 0, games = 0, failed = 0;
    unsigned running = 0;
    for (;;) {
        const double now = now_s();
        if (now >= end || (options.count && spawned + failed >= options.count))
            break;
        if (now < next)
            sleep_until(next < end ? next : end);
        if (now_s() >= end)
            break;
        const bool game = options.game_every && (spawned + 1) % options.game_every == 0;
        const bool ends_at_exec =
            !game && options.exit_at_exec && (spawned + 1) % options.exit_at_exec == 0;
        pid_t pid = 0;
        const int err =
            game ? posix_spawn(&pid, game_argv[0], nullptr, nullptr, game_argv.data(),
                               game_env.data())
            : ends_at_exec
                ? posix_spawn(&pid, eof_argv[0], &eof_actions, nullptr, eof_argv.data(), environ)
                : posix_spawn(&pid, plain_argv[0], nullptr, nullptr, plain_argv.data(), environ);
        if (err != 0) {
            failed++;
            if (failed == 1)
                std::fprintf(stderr, "spawn_storm: spawning: %s\n", std::strerror(err));
        } else {
            spawned++;
            running++;
            if (game) {
                games++;
                if (pids.is_open())
                    pids << pid << '\n';
            }
        }
        next += interval;
        reap_finished(running);
    }
    const double elapsed = now_s() - start;
    if (!options.then_exec)
        while (running > 0 && wait(nullptr) > 0)
            running--;
    pids.close(); // before an exec, which would not flush it
    std::printf("spawned=%lu games=%lu failed=%lu seconds=%.2f rate=%.1f\n", spawned, games, failed,
                elapsed, static_cast<double>(spawned) / elapsed);
    if (options.then_exec) {
        if (failed != 0)
            return 1;
        std::fflush(stdout);
        execve(game_argv[0], game_argv.data(), game_env.data());
        std::perror("spawn_storm: exec");
        return 1;
    }
    return failed == 0 ? 0 : 1;
}

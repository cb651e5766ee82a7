// SPDX-License-Identifier: GPL-2.0-only
// Load for the detector: short-lived processes at a target rate, some of them short-lived games.
// Every child is an exec (what the detector hooks) of a static binary, so an exec costs as little
// as one can under TCG. The rate is a target: when the machine cannot keep up, children are
// spawned back to back and the summary says what was achieved.
//
//   spawn_storm --rate 1000 --seconds 30 --game-every 50 --game-ms 100
//               --game-exe DIR/StormGame --game-pids FILE
//   spawn_storm --child [--linger-ms N]      (what the children run)
//
// Every --game-every'th child execs --game-exe (a copy of this binary under a game's name) with
// SteamAppId=480 in its environment and lives --game-ms; the others exec this binary and exit at
// once. --game-pids gets the pid of every game child, one a line. The summary on stdout:
//   spawned=N games=G failed=F seconds=S.SS rate=R.R
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
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
    unsigned count = 0; // stop after this many children; 0: when --seconds are up
    std::string game_exe;
    std::string game_pids;
};

[[noreturn]] void usage() {
    std::fprintf(stderr, "usage: spawn_storm --rate N --seconds N [--count N] [--game-every N "
                         "--game-ms N --game-exe PATH [--game-pids FILE]]\n"
                         "       spawn_storm --child [--linger-ms N]\n");
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
    for (int i = 2; i < argc; i++) {
        if (i + 1 < argc && std::strcmp(argv[i], "--linger-ms") == 0)
            linger_ms = parse_number(argv[++i], "--linger-ms", 600'000);
        else
            usage();
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
        else
            usage();
    }
    if (options.rate == 0 || options.seconds == 0 ||
        (options.game_every && options.game_exe.empty()))
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
    std::string child_flag = "--child", linger_flag = "--linger-ms";
    std::vector<char*> plain_argv{self_exe, child_flag.data(), nullptr};
    std::vector<char*> game_argv{options.game_exe.data(), child_flag.data(), linger_flag.data(),
                                 const_cast<char*>(linger.c_str()), nullptr};
    std::string steam = "SteamAppId=480";
    std::vector<char*> game_env;
    for (char** e = environ; *e; e++)
        if (std::strncmp(*e, "SteamAppId=", 11) != 0)
            game_env.push_back(*e);
    game_env.push_back(steam.data());
    game_env.push_back(nullptr);

    FILE* pids = nullptr;
    if (!options.game_pids.empty()) {
        pids = std::fopen(options.game_pids.c_str(), "w");
        if (!pids) {
            std::fprintf(stderr, "spawn_storm: %s: %s\n", options.game_pids.c_str(),
                         std::strerror(errno));
            return 1;
        }
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
        pid_t pid = 0;
        const int err =
            game ? posix_spawn(&pid, game_argv[0], nullptr, nullptr, game_argv.data(),
                               game_env.data())
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
                if (pids)
                    std::fprintf(pids, "%d\n", static_cast<int>(pid));
            }
        }
        next += interval;
        reap_finished(running);
    }
    const double elapsed = now_s() - start;
    while (running > 0 && wait(nullptr) > 0)
        running--;
    if (pids)
        std::fclose(pids);
    std::printf("spawned=%lu games=%lu failed=%lu seconds=%.2f rate=%.1f\n", spawned, games, failed,
                elapsed, static_cast<double>(spawned) / elapsed);
    return failed == 0 ? 0 : 1;
}

// SPDX-License-Identifier: GPL-2.0-only
// A stand-in game for the detection tests: a few threads that each do a little CPU work and then
// sleep, like a frame loop, for a fixed time. Started with SteamAppId set it must be detected.
// Like many games it may start other processes: --worker-seconds N forks a worker process that
// runs N seconds (and may outlive the game), --spawn PROGRAM forks and runs PROGRAM (a crash
// handler, say) with "--seconds" and the game's time. Neither is waited for. --children N forks
// N idle processes that exec nothing (a fork storm at the cost of forks alone) and end with the
// game; they are not reaped while it runs, so one that is killed stays a zombie until it ends.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/prctl.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

void frame_loop(std::chrono::steady_clock::time_point until) {
    using namespace std::chrono;
    volatile uint64_t sink = 0;
    while (steady_clock::now() < until) {
        const auto busy_until = steady_clock::now() + milliseconds(1);
        while (steady_clock::now() < busy_until)
            sink = sink + 1;
        std::this_thread::sleep_for(milliseconds(4));
    }
}

unsigned parse_arg(const char* value, const char* name, unsigned long max = 3600) {
    char* end = nullptr;
    const unsigned long parsed = std::strtoul(value, &end, 10);
    if (*value == '\0' || *end != '\0' || parsed == 0 || parsed > max) {
        std::fprintf(stderr, "synthetic_game: %s: invalid value '%s'\n", name, value);
        std::exit(2);
    }
    return static_cast<unsigned>(parsed);
}

} // namespace

int main(int argc, char** argv) {
    unsigned seconds = 10, threads = 2, worker_seconds = 0, children = 0;
    const char* spawn = nullptr;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && std::strcmp(argv[i], "--seconds") == 0)
            seconds = parse_arg(argv[++i], "--seconds");
        else if (i + 1 < argc && std::strcmp(argv[i], "--threads") == 0)
            threads = parse_arg(argv[++i], "--threads");
        else if (i + 1 < argc && std::strcmp(argv[i], "--worker-seconds") == 0)
            worker_seconds = parse_arg(argv[++i], "--worker-seconds");
        else if (i + 1 < argc && std::strcmp(argv[i], "--spawn") == 0)
            spawn = argv[++i];
        else if (i + 1 < argc && std::strcmp(argv[i], "--children") == 0)
            children = parse_arg(argv[++i], "--children", 100000);
        else {
            std::fprintf(stderr, "usage: synthetic_game [--seconds N] [--threads N] "
                                 "[--worker-seconds N] [--spawn PROGRAM] [--children N]\n");
            return 2;
        }
    }
    if (worker_seconds > 0 && fork() == 0) {
        frame_loop(std::chrono::steady_clock::now() + std::chrono::seconds(worker_seconds));
        _exit(0);
    }
    if (spawn && fork() == 0) {
        const std::string time = std::to_string(seconds);
        execl(spawn, spawn, "--seconds", time.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    const pid_t game = getpid();
    for (unsigned i = 0; i < children; i++) {
        const pid_t child = fork();
        if (child < 0) {
            std::perror("synthetic_game: fork");
            break;
        }
        if (child == 0) {
            // Ends with the game; the check after prctl covers a game that ended before it.
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != game)
                _exit(0);
            for (;;)
                pause();
        }
    }
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    std::vector<std::thread> workers;
    workers.reserve(threads);
    for (unsigned i = 0; i < threads; i++)
        workers.emplace_back(frame_loop, until);
    for (auto& worker : workers)
        worker.join();
    return 0;
}

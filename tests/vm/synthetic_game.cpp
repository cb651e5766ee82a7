// SPDX-License-Identifier: GPL-2.0-only
// A stand-in game for the detection tests: a few threads that each do a little CPU work and then
// sleep, like a frame loop, for a fixed time. Started with SteamAppId set it must be detected.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
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

unsigned parse_arg(const char* value, const char* name) {
    char* end = nullptr;
    const unsigned long parsed = std::strtoul(value, &end, 10);
    if (*value == '\0' || *end != '\0' || parsed == 0 || parsed > 3600) {
        std::fprintf(stderr, "synthetic_game: %s: invalid value '%s'\n", name, value);
        std::exit(2);
    }
    return static_cast<unsigned>(parsed);
}

} // namespace

int main(int argc, char** argv) {
    unsigned seconds = 10, threads = 2;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && std::strcmp(argv[i], "--seconds") == 0)
            seconds = parse_arg(argv[++i], "--seconds");
        else if (i + 1 < argc && std::strcmp(argv[i], "--threads") == 0)
            threads = parse_arg(argv[++i], "--threads");
        else {
            std::fprintf(stderr, "usage: synthetic_game [--seconds N] [--threads N]\n");
            return 2;
        }
    }
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    std::vector<std::thread> workers;
    for (unsigned i = 0; i < threads; i++)
        workers.emplace_back(frame_loop, until);
    for (auto& worker : workers)
        worker.join();
    return 0;
}

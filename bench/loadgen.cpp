// SPDX-License-Identifier: GPL-2.0-only
// loadgen — background load for the scheduler benchmarks, with exact throughput counters.
//
//   CPU hogs      processes that spin on fixed-size chunks of work and count the chunks ("loops"),
//   fork churners processes that fork, exec a tiny program (/bin/true) and reap it, in a loop,
//                 counting completed fork+exec+exit cycles ("forks"),
// like a parallel build running beside a game. Counters live in shared memory and are sampled at
// the start and end of the measured window, so throughput (loops/s, forks/s) and fairness among
// the hogs (min/max per hog, Jain's index) are measured too: a scheduler that favours the game
// must not starve the background. Exits 1 if any worker made no progress in the window — a load
// that silently did not run must never pass for a good result.
#include "common/cli.h"
#include "common/work.h"

#include <nlohmann/json.hpp>

#include <csignal>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using json = nlohmann::json;
constexpr const char* kSchema = "scx_gamer.loadgen/1";
constexpr uint64_t kChunkUnits = 20'000; // one "loop" of a CPU hog

struct alignas(64) Counter {
    std::atomic<uint64_t> ok{0};
    std::atomic<uint64_t> failed{0};
};

struct Options {
    long cpu = -1;  // -1: 2 x online CPUs
    long fork = -1; // -1: online CPUs
    double duration_s = 10;
    double warmup_s = 0;
    std::string exec_path = "/bin/true";
    std::string json_path;
    bool quiet = false;
};

volatile sig_atomic_t g_stop = 0;
void on_signal(int) {
    g_stop = 1;
}

// Declares the command line's options; parsing writes them into o.
void add_options(CLI::App& app, Options& o) {
    app.description("Background load with exact counters: CPU hogs (loops/s) and fork+exec "
                    "churn (forks/s). SIGINT/SIGTERM end the window early (the results cover the "
                    "time run).");
    app.footer("Exit status: 0 when every worker made progress in the window, 1 if one did not "
               "or on errors, 2 on bad options.");
    app.add_option("--cpu", o.cpu, "CPU hog processes (default 2 x online CPUs; 0 for none)")
        ->check(CLI::Range(0L, 4096L));
    app.add_option("--fork", o.fork, "fork+exec churn processes (default online CPUs; 0 for none)")
        ->check(CLI::Range(0L, 4096L));
    app.add_option("--duration", o.duration_s, "Measured window (seconds)")
        ->check(bench::finite_range(0.1, 86400))
        ->capture_default_str();
    app.add_option("--warmup", o.warmup_s, "Run this long before the window opens (seconds)")
        ->check(bench::finite_range(0, 3600))
        ->capture_default_str();
    app.add_option("--exec", o.exec_path, "Program the churners exec")->capture_default_str();
    app.add_option("--json", o.json_path, "Write the results as JSON to FILE ('-': stdout)")
        ->type_name("FILE");
    app.add_flag("--quiet", o.quiet, "No human summary");
    app.final_callback([&o] {
        const long ncpu = std::max(1L, sysconf(_SC_NPROCESSORS_ONLN));
        if (o.cpu < 0)
            o.cpu = 2 * ncpu;
        if (o.fork < 0)
            o.fork = ncpu;
        if (o.cpu + o.fork == 0)
            throw CLI::ValidationError("no load: both --cpu and --fork are 0");
        if (o.fork > 0 && access(o.exec_path.c_str(), X_OK) != 0)
            throw CLI::ValidationError("--exec", o.exec_path + ": not executable");
    });
}

[[noreturn]] void hog(Counter& c) {
    uint64_t x = static_cast<uint64_t>(getpid());
    for (;;) {
        x = bench::spin_units(kChunkUnits, x);
        c.ok.fetch_add(1, std::memory_order_relaxed);
    }
}

[[noreturn]] void churner(Counter& c, const char* path) {
    for (;;) {
        const pid_t pid = fork();
        if (pid == 0) {
            execl(path, path, static_cast<char*>(nullptr));
            _exit(127);
        }
        if (pid < 0) {
            c.failed.fetch_add(1, std::memory_order_relaxed);
            usleep(1000);
            continue;
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            c.ok.fetch_add(1, std::memory_order_relaxed);
        else
            c.failed.fetch_add(1, std::memory_order_relaxed);
    }
}

// Sleeps until t or a stop signal; true if the signal came first.
bool wait_until(uint64_t t) {
    while (!g_stop) {
        const uint64_t now = bench::now_ns();
        if (now >= t)
            return false;
        bench::sleep_until_ns(std::min(t, now + 50'000'000));
    }
    return true;
}

struct Snapshot {
    uint64_t t;
    std::vector<uint64_t> ok, failed;
};

Snapshot snap(const Counter* c, size_t n) {
    Snapshot s{bench::now_ns(), {}, {}};
    for (size_t i = 0; i < n; i++) {
        s.ok.push_back(c[i].ok.load(std::memory_order_relaxed));
        s.failed.push_back(c[i].failed.load(std::memory_order_relaxed));
    }
    return s;
}

} // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{"", "loadgen"};
    add_options(app, o);
    if (const auto status = bench::parse_command_line(app, argc, argv))
        return *status;
    const size_t n = static_cast<size_t>(o.cpu + o.fork);

    void* mem = mmap(nullptr, sizeof(Counter) * n, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        std::perror("loadgen: mmap");
        return 1;
    }
    auto* counters = new (mem) Counter[n];

    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    std::vector<pid_t> pids;
    const pid_t parent = getpid();
    for (size_t i = 0; i < n; i++) {
        const pid_t pid = fork();
        if (pid < 0) {
            std::perror("loadgen: fork");
            for (pid_t p : pids)
                kill(p, SIGKILL);
            return 1;
        }
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent)
                _exit(0);
            signal(SIGINT, SIG_DFL);
            signal(SIGTERM, SIG_DFL);
            if (i < static_cast<size_t>(o.cpu)) {
                prctl(PR_SET_NAME, "loadgen-cpu");
                hog(counters[i]);
            }
            prctl(PR_SET_NAME, "loadgen-fork");
            churner(counters[i], o.exec_path.c_str());
        }
        pids.push_back(pid);
    }

    const uint64_t t_start = bench::now_ns();
    const uint64_t t_open = t_start + static_cast<uint64_t>(o.warmup_s * 1e9);
    const uint64_t t_close = t_open + static_cast<uint64_t>(o.duration_s * 1e9);
    bool interrupted = wait_until(t_open);
    const Snapshot s0 = snap(counters, n);
    if (!interrupted)
        interrupted = wait_until(t_close);
    const Snapshot s1 = snap(counters, n);

    for (pid_t p : pids)
        kill(p, SIGKILL);
    for (pid_t p : pids)
        while (waitpid(p, nullptr, 0) < 0 && errno == EINTR) {
        }

    const double window_s = static_cast<double>(s1.t - s0.t) / 1e9;
    std::vector<double> hog_rates;
    uint64_t loops = 0, forks = 0, fork_failures = 0;
    size_t idle_workers = 0, idle_hogs = 0;
    for (size_t i = 0; i < n; i++) {
        const uint64_t d = s1.ok[i] - s0.ok[i];
        if (d == 0) {
            idle_workers++;
            if (i < static_cast<size_t>(o.cpu))
                idle_hogs++;
        }
        if (i < static_cast<size_t>(o.cpu)) {
            loops += d;
            hog_rates.push_back(window_s > 0 ? static_cast<double>(d) / window_s : 0);
        } else {
            forks += d;
            fork_failures += s1.failed[i] - s0.failed[i];
        }
    }
    // Jain's fairness index over the hogs: 1 = all equal, 1/n = one hog got everything.
    double sum = 0, sumsq = 0;
    for (double r : hog_rates) {
        sum += r;
        sumsq += r * r;
    }
    const double jain =
        hog_rates.empty() || sumsq == 0 ? 0 : sum * sum / (hog_rates.size() * sumsq);
    const auto [mn, mx] = hog_rates.empty()
                              ? std::pair{0.0, 0.0}
                              : std::pair{*std::min_element(hog_rates.begin(), hog_rates.end()),
                                          *std::max_element(hog_rates.begin(), hog_rates.end())};
    const bool ok = idle_workers == 0 && window_s > 0;

    json j = {{"schema", kSchema},
              {"config",
               {{"cpu_workers", o.cpu},
                {"fork_workers", o.fork},
                {"duration_s", o.duration_s},
                {"warmup_s", o.warmup_s},
                {"exec", o.exec_path},
                {"chunk_units", kChunkUnits},
                {"online_cpus", sysconf(_SC_NPROCESSORS_ONLN)}}},
              {"window_s", window_s},
              {"interrupted", interrupted},
              {"cpu",
               {{"loops", loops},
                {"loops_per_s", window_s > 0 ? loops / window_s : 0},
                {"per_worker_min", mn},
                {"per_worker_max", mx},
                {"jain_fairness", jain},
                {"idle_workers", idle_hogs}}},
              {"fork",
               {{"forks", forks},
                {"forks_per_s", window_s > 0 ? forks / window_s : 0},
                {"failures", fork_failures},
                {"idle_workers", idle_workers - idle_hogs}}},
              {"idle_workers", idle_workers},
              {"ok", ok}};

    if (o.json_path == "-") {
        std::printf("%s\n", j.dump().c_str());
    } else if (!o.json_path.empty()) {
        std::ofstream f(o.json_path);
        f << j.dump() << "\n";
        if (!f) {
            std::fprintf(stderr, "loadgen: cannot write %s\n", o.json_path.c_str());
            return 1;
        }
    }
    FILE* human = o.json_path == "-" ? stderr : stdout;
    if (!o.quiet)
        std::fprintf(
            human,
            "loadgen: %.2f s window: %ld hogs %.0f loops/s (per hog %.0f..%.0f, Jain %.3f), "
            "%ld churners %.1f forks/s (%llu failed)%s\n",
            window_s, o.cpu, window_s > 0 ? loops / window_s : 0, mn, mx, jain, o.fork,
            window_s > 0 ? forks / window_s : 0, static_cast<unsigned long long>(fork_failures),
            interrupted ? " [interrupted]" : "");
    if (!ok)
        std::fprintf(
            stderr, "loadgen: %zu worker(s) made no progress in the window: the load did not run\n",
            idle_workers);
    return ok ? 0 : 1;
}

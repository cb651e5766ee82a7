// SPDX-License-Identifier: GPL-2.0-only
// gamebench — a synthetic game that measures how well the CPU scheduler serves it.
//
// Its threads, each modelled on a part of a real game, all timed with CLOCK_MONOTONIC:
//   gb-render  wakes at every vsync (default 120 Hz), hands a job to each gb-job worker (fan-out),
//              does its own CPU work (default 30 % of the frame budget, converted from time to
//              work units by a calibration run at start-up), then waits for every job (fan-in).
//              A frame not finished by the next vsync is a deadline miss; the next frame then
//              starts at the first vsync after it finished (vsync'd presentation). With --present
//              it then hands the finished frame to a separate compositor process (below).
//   gb-job-N   worker threads (--jobs, default 2): each frame's job (--job-work-pct of the budget)
//              runs there; the delay from hand-off to each job starting and to the last one
//              finishing is recorded.
//   gb-device  a stand-in for an input device: every 1 ms it stamps the time and writes an eventfd.
//              By default a plain SCHED_OTHER thread of the game, as a real input path (a USB or
//              evdev reader thread) is: the headline input figure.
//   gb-input   blocks on that eventfd; input latency = device write -> input thread running.
//              It then does a little work per wake-up (event processing).
//   gb-rtdev / gb-rtinput  the same pair with the device thread at SCHED_FIFO 50 (--rt-input-hz,
//              default 250 Hz; 0: off): outside the scheduler under test (sched_ext only
//              schedules SCHED_OTHER/BATCH/IDLE tasks), its events arrive on time whichever
//              scheduler runs, like an interrupt. Its own wake-up latency is the noise floor of the
//              machine; its input figure shows the RT-woken path on its own.
//   gb-audio   wakes every 5.333 ms (256 frames at 48 kHz) and does short work; a period whose work
//              ends after the next period began is an overrun (an audible glitch in a real game).
// `gamebench --compositor SOCKET` is the other end of --present: a separate SCHED_OTHER process,
// like a desktop compositor, which is not part of the game: it receives each finished frame
// (a datagram with its finish time) and records frame finished -> compositor running (present
// latency); each time it wakes it composes once (--compose-work-us) whatever number of frames
// arrived, and records the newest frame's finish -> composed.
// Per-thread wake-up latency (timer expiry -> thread running) is recorded for the timer threads.
//
// Started with SteamAppId set, scx_gamer detects it as a game. Results: a one-screen summary on
// stdout and, with --json, the full record (schema in docs/benchmarks.md, "gamebench JSON").
// Memory is bounded: fixed-size histograms, no allocation after the threads start.
#include "common/cli.h"
#include "common/histogram.h"
#include "common/work.h"

#include <nlohmann/json.hpp>

#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

namespace {

using bench::Histogram;
using bench::now_ns;
using bench::sleep_until_ns;
using bench::spin_units;
using json = nlohmann::json;

constexpr const char* kSchema = "scx_gamer.gamebench/1";

struct Options {
    double duration_s = 10;
    double warmup_s = 2;
    double fps = 120;
    double work_pct = 30;
    double input_hz = 1000;
    double input_work_us = 20;
    double audio_period_us = 5333.333;
    double audio_work_us = 250;
    double units_per_us = 0; // 0: calibrate at start-up
    std::string json_path;
    std::string ready_file;
    std::string device_policy = "other"; // or "fifo"
    double rt_input_hz = 250;            // the SCHED_FIFO device pair; 0: off
    unsigned jobs = 2;                   // gb-job workers
    double job_work_pct = 8;             // each job's work, % of the frame budget
    std::string present_path;            // --present: the compositor's socket
    std::string compositor_path;         // --compositor: be the compositor on this socket
    double compose_work_us = 300;
    bool calibrate_only = false;
    double idle_s = -1; // --idle: exist for this long, measure nothing
    bool quiet = false;
};

// Declares the command line's options; parsing writes them into o.
void add_options(CLI::App& app, Options& o) {
    app.description("A synthetic game (render, input, input-device and audio threads) that "
                    "measures its own scheduling latency: input latency, frame times and deadline "
                    "misses, audio overruns, wake-up latency. Start it with SteamAppId set to "
                    "have scx_gamer detect it as a game.");
    app.footer("Exit status: 0 on success, 1 on a runtime error, 2 on bad options.");
    const auto number = [&app](const char* name, double& value, double lo, double hi,
                               const char* what) {
        app.add_option(name, value, what)
            ->check(bench::finite_range(lo, hi))
            ->capture_default_str();
    };
    number("--duration", o.duration_s, 0.1, 86400, "Measured time (seconds)");
    number("--warmup", o.warmup_s, 0, 3600, "Run this long before measuring (seconds)");
    number("--fps", o.fps, 1, 1000, "Render rate / vsync frequency");
    number("--work-pct", o.work_pct, 0, 100, "Render CPU work per frame, % of the frame budget");
    number("--input-hz", o.input_hz, 1, 10000, "Input device event rate");
    number("--input-work-us", o.input_work_us, 0, 100000, "CPU work per input wake-up (us)");
    number("--audio-period-us", o.audio_period_us, 100, 1e6,
           "Audio period (us; the default is 256 frames at 48 kHz)");
    number("--audio-work-us", o.audio_work_us, 0, 1e6, "CPU work per audio period (us)");
    app.add_option("--device-policy", o.device_policy,
                   "other: the device thread is a plain SCHED_OTHER thread of the game, as a real "
                   "input reader is; fifo: it runs SCHED_FIFO 50, like an interrupt, untouched by "
                   "the scheduler under test (falls back to SCHED_OTHER when not permitted)")
        ->check(CLI::IsMember({"fifo", "other"}))
        ->capture_default_str();
    number("--rt-input-hz", o.rt_input_hz, 0, 10000,
           "Event rate of a second device/input pair whose device thread runs SCHED_FIFO 50 "
           "(the noise floor; 0: none)");
    app.add_option("--jobs", o.jobs, "Worker threads that each run one job per frame")
        ->check(CLI::Range(0u, 64u))
        ->capture_default_str();
    number("--job-work-pct", o.job_work_pct, 0, 100,
           "CPU work of each frame's job on each worker, % of the frame budget");
    app.add_option("--present", o.present_path,
                   "Hand every finished frame to `gamebench --compositor SOCKET` (present latency)")
        ->type_name("SOCKET");
    app.add_option("--compositor", o.compositor_path,
                   "Be the compositor: receive frames on this Unix datagram socket until the game "
                   "ends, then write the results (--json); no game threads")
        ->type_name("SOCKET");
    number("--compose-work-us", o.compose_work_us, 0, 1e6,
           "--compositor: CPU work per received frame (us)");
    app.add_option("--units-per-us", o.units_per_us,
                   "Use this CPU speed instead of calibrating (the calibration still runs once "
                   "and is reported as a check)")
        ->check(bench::finite_range(1e-3, 1e9));
    app.add_flag("--calibrate-only", o.calibrate_only,
                 "Calibrate, print the calibration as JSON, exit");
    app.add_option("--idle", o.idle_s,
                   "Do nothing but exist for SECS, then exit 0 (a cheap game process for "
                   "detection-latency tests: no calibration, no threads)")
        ->check(bench::finite_range(0, 86400))
        ->type_name("SECS");
    app.add_option("--ready-file", o.ready_file,
                   "Write the calibration there (JSON) once calibrated, before the threads "
                   "start: a runner waits for it before it starts the background load")
        ->type_name("FILE");
    app.add_option("--json", o.json_path,
                   "Write the full results as JSON to FILE ('-': stdout, summary to stderr)")
        ->type_name("FILE");
    app.add_flag("--quiet", o.quiet, "No human summary");
    app.final_callback([&o] {
        if (o.audio_work_us >= o.audio_period_us)
            throw CLI::ValidationError("--audio-work-us must be shorter than --audio-period-us");
        if (!o.present_path.empty() && !o.compositor_path.empty())
            throw CLI::ValidationError("--present and --compositor exclude each other");
        for (const std::string* path : {&o.present_path, &o.compositor_path})
            if (path->size() >= sizeof(sockaddr_un{}.sun_path))
                throw CLI::ValidationError("socket path too long: " + *path);
    });
}

// ---------------------------------------------------------------------------------------------

struct ThreadUsage {
    double cpu_s = 0;
    long nvcsw = 0;  // voluntary context switches (sleeps)
    long nivcsw = 0; // involuntary ones (preempted)
};

ThreadUsage thread_usage() {
    rusage ru{};
    getrusage(RUSAGE_THREAD, &ru);
    ThreadUsage u;
    u.cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
              static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    u.nvcsw = ru.ru_nvcsw;
    u.nivcsw = ru.ru_nivcsw;
    return u;
}

constexpr uint64_t kEndMarker = 1ull << 40; // eventfd value that tells gb-input to stop
constexpr unsigned kRing = 4096; // device -> input timestamps; 4 s at 1 kHz before events are lost

// One device -> input path: an eventfd and the device's write times by sequence number. The
// eventfd write/read orders them in practice; the atomics make that ordering explicit to the
// compiler (and to ThreadSanitizer).
struct InputPath {
    int efd = -1;
    std::array<std::atomic<uint64_t>, kRing> ring{};
};

struct Shared {
    uint64_t t0 = 0;            // first tick of every periodic thread
    uint64_t measure_start = 0; // t0 + warmup
    uint64_t measure_end = 0;   // measure_start + duration
    int present_fd = -1;        // connected to the compositor's socket, or -1

    bool in_window(uint64_t t) const { return t >= measure_start && t < measure_end; }
};

// What the game sends the compositor per finished frame.
struct PresentMsg {
    uint64_t done_ns;   // CLOCK_MONOTONIC, shared by every process of the machine
    uint32_t in_window; // the frame belongs to the measured window
    uint32_t end;       // the game is ending: the compositor writes its results and exits
};

// The render thread's workers: one job per worker per frame, handed out by releasing the
// worker's semaphore and collected by acquiring `finished` once per worker.
struct JobWorker {
    std::binary_semaphore go{0};
    uint64_t dispatched = 0; // written by render before go.release()
    uint64_t started = 0;    // written by the worker before finished.release()
    uint64_t done = 0;
};

struct JobPool {
    std::vector<std::unique_ptr<JobWorker>> workers;
    std::counting_semaphore<64> finished{0};
    std::atomic<bool> stop{false};
    uint64_t units = 0;
};

struct RenderStats {
    Histogram wake, frame_time, frame_interval, work;
    Histogram job_start; // hand-off -> the latest of the frame's jobs starting (fan-out)
    Histogram fan_in;    // hand-off -> the last job done
    uint64_t frames = 0, deadline_misses = 0, missed_vsyncs = 0, vsyncs = 0;
    uint64_t presents_dropped = 0; // the compositor's socket was full
    ThreadUsage usage;
};

struct AudioStats {
    Histogram wake, completion;
    uint64_t periods = 0, overruns = 0, skipped_periods = 0;
    ThreadUsage usage;
};

struct DeviceStats {
    std::string policy = "SCHED_OTHER";
    Histogram wake;
    uint64_t events = 0, skipped_ticks = 0;
    ThreadUsage usage;
};

struct InputStats {
    Histogram latency;
    uint64_t events = 0, wakeups = 0, lost = 0;
    ThreadUsage usage;
};

void name_thread(const char* name) {
    pthread_setname_np(pthread_self(), name);
}

// The first vsync index whose time is at or after t.
uint64_t first_tick_at_or_after(uint64_t t0, uint64_t period, uint64_t t) {
    if (t <= t0)
        return 0;
    return (t - t0 + period - 1) / period;
}

// Hands one job to every worker, does the render thread's own work, waits for the jobs.
uint64_t render_frame(JobPool& pool, uint64_t units, uint64_t sink, bool measured,
                      RenderStats& st) {
    const uint64_t dispatched = now_ns();
    for (auto& w : pool.workers) {
        w->dispatched = dispatched;
        w->go.release();
    }
    sink = spin_units(units, sink);
    uint64_t latest_start = 0, last_done = 0;
    for (size_t i = 0; i < pool.workers.size(); i++)
        pool.finished.acquire();
    for (const auto& w : pool.workers) {
        latest_start = std::max(latest_start, w->started);
        last_done = std::max(last_done, w->done);
    }
    if (measured && !pool.workers.empty()) {
        st.job_start.record(latest_start - dispatched);
        st.fan_in.record(last_done - dispatched);
    }
    return sink;
}

void job_thread(JobPool& pool, JobWorker& w, unsigned index) {
    const std::string name = "gb-job-" + std::to_string(index);
    name_thread(name.c_str());
    uint64_t sink = 0x452821e638d01377ull + index;
    for (;;) {
        w.go.acquire();
        if (pool.stop.load(std::memory_order_acquire))
            break;
        w.started = now_ns();
        sink = spin_units(pool.units, sink);
        w.done = now_ns();
        pool.finished.release();
    }
    asm volatile("" : : "r"(sink));
}

// Sends a finished frame to the compositor without ever blocking the render thread: a full
// socket drops the frame (counted), as a compositor that falls behind would skip it.
void present(const Shared& sh, const PresentMsg& msg, RenderStats& st) {
    if (sh.present_fd < 0)
        return;
    if (send(sh.present_fd, &msg, sizeof msg, MSG_DONTWAIT) != sizeof msg && msg.in_window)
        st.presents_dropped++;
}

void render_thread(const Shared& sh, JobPool& pool, uint64_t period, uint64_t units,
                   RenderStats& st) {
    name_thread("gb-render");
    uint64_t sink = 0x9e3779b97f4a7c15ull, prev_done = 0;
    uint64_t k = 1;
    for (;;) {
        const uint64_t target = sh.t0 + k * period;
        if (target >= sh.measure_end)
            break;
        sleep_until_ns(target);
        const uint64_t wake = now_ns();
        sink = render_frame(pool, units, sink, sh.in_window(target), st);
        const uint64_t done = now_ns();
        present(sh, {.done_ns = done, .in_window = sh.in_window(target), .end = 0}, st);
        const uint64_t deadline = target + period;
        uint64_t next = k + 1;
        if (done > deadline)
            next = first_tick_at_or_after(sh.t0, period, done);
        if (sh.in_window(target)) {
            st.frames++;
            st.wake.record(wake - target);
            st.work.record(done - wake);
            st.frame_time.record(done - target);
            if (prev_done)
                st.frame_interval.record(done - prev_done);
            if (done > deadline)
                st.deadline_misses++;
            st.missed_vsyncs += next - (k + 1);
        }
        prev_done = sh.in_window(target) ? done : 0;
        k = next;
    }
    st.vsyncs = (sh.measure_end - sh.measure_start) / period;
    st.usage = thread_usage();
    pool.stop.store(true, std::memory_order_release);
    for (auto& w : pool.workers)
        w->go.release();
    if (sh.present_fd >= 0) { // the end marker may wait for room: the compositor must see it
        const PresentMsg end{.done_ns = now_ns(), .in_window = 0, .end = 1};
        [[maybe_unused]] auto r = send(sh.present_fd, &end, sizeof end, 0);
    }
    asm volatile("" : : "r"(sink));
}

void audio_thread(const Shared& sh, uint64_t period, uint64_t units, AudioStats& st) {
    name_thread("gb-audio");
    uint64_t sink = 0x243f6a8885a308d3ull;
    uint64_t k = 1;
    for (;;) {
        const uint64_t target = sh.t0 + k * period;
        if (target >= sh.measure_end)
            break;
        sleep_until_ns(target);
        const uint64_t wake = now_ns();
        sink = spin_units(units, sink);
        const uint64_t done = now_ns();
        uint64_t next = k + 1;
        // More than a whole period behind: the periods in between are lost (counted), resync.
        if (done > sh.t0 + (k + 2) * period)
            next = first_tick_at_or_after(sh.t0, period, done);
        if (sh.in_window(target)) {
            st.periods++;
            st.wake.record(wake - target);
            st.completion.record(done - target);
            if (done > target + period)
                st.overruns++;
            st.skipped_periods += next - (k + 1);
        }
        k = next;
    }
    st.usage = thread_usage();
    asm volatile("" : : "r"(sink));
}

void device_thread(const Shared& sh, InputPath& path, uint64_t period, bool rt, DeviceStats& st,
                   const char* name) {
    name_thread(name);
    if (rt) {
        const sched_param sp{.sched_priority = 50};
        const int err = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
        st.policy =
            err == 0 ? "SCHED_FIFO 50"
                     : std::string("SCHED_OTHER (SCHED_FIFO refused: ") + std::strerror(err) + ")";
    }
    uint64_t seq = 0, k = 1;
    for (;;) {
        const uint64_t target = sh.t0 + k * period;
        if (target >= sh.measure_end)
            break;
        sleep_until_ns(target);
        const uint64_t wake = now_ns();
        if (sh.in_window(target))
            st.wake.record(wake - target);
        // A real device does not queue up the ticks it missed: skip to the current one.
        uint64_t next = k + 1;
        if (wake >= sh.t0 + next * period) {
            next = first_tick_at_or_after(sh.t0, period, wake + 1);
            if (sh.in_window(target))
                st.skipped_ticks += next - (k + 1);
        }
        const uint64_t t_write = now_ns();
        path.ring[seq % kRing].store(t_write, std::memory_order_release);
        seq++;
        // The eventfd write orders the ring store before the input thread's read of it.
        const uint64_t one = 1;
        if (write(path.efd, &one, sizeof one) != sizeof one) {
            std::perror("gamebench: eventfd write");
            std::abort();
        }
        if (sh.in_window(t_write))
            st.events++;
        k = next;
    }
    // The end marker: a count no run of events can reach, added to whatever is still pending.
    [[maybe_unused]] auto r = write(path.efd, &kEndMarker, sizeof kEndMarker);
    st.usage = thread_usage();
}

void input_thread(const Shared& sh, InputPath& path, uint64_t units, InputStats& st,
                  const char* name) {
    name_thread(name);
    uint64_t sink = 0x13198a2e03707344ull, seq = 0;
    for (;;) {
        uint64_t n = 0;
        const ssize_t r = read(path.efd, &n, sizeof n);
        const uint64_t now = now_ns();
        if (r != sizeof n) {
            if (r < 0 && errno == EINTR)
                continue;
            std::perror("gamebench: eventfd read");
            std::abort();
        }
        const bool done = n >= kEndMarker;
        if (done)
            n -= kEndMarker;
        if (n > kRing) { // more than the ring holds arrived in one go: the oldest are lost
            st.lost += n - kRing;
            seq += n - kRing;
            n = kRing;
        }
        bool any = false;
        for (uint64_t i = 0; i < n; i++, seq++) {
            const uint64_t t_write = path.ring[seq % kRing].load(std::memory_order_acquire);
            if (sh.in_window(t_write)) {
                st.events++;
                st.latency.record(now - t_write);
                any = true;
            }
        }
        if (any)
            st.wakeups++;
        if (done)
            break;
        sink = spin_units(units, sink);
    }
    st.usage = thread_usage();
    asm volatile("" : : "r"(sink));
}

// ---------------------------------------------------------------------------------------------
// Output

double us(uint64_t ns) {
    return std::round(static_cast<double>(ns) / 10.0) / 100.0;
} // 0.01 us

json dist_json(const Histogram& h) {
    json hist = json::array();
    for (const auto& [upper, n] : h.buckets())
        hist.push_back({us(upper), n});
    return {{"count", h.count()},
            {"min", us(h.min())},
            {"mean", std::round(h.mean() / 10.0) / 100.0},
            {"p50", us(h.quantile(0.50))},
            {"p90", us(h.quantile(0.90))},
            {"p99", us(h.quantile(0.99))},
            {"p99_9", us(h.quantile(0.999))},
            {"max", us(h.max())},
            {"hist", hist}};
}

json usage_json(const ThreadUsage& u) {
    return {{"cpu_s", std::round(u.cpu_s * 1e4) / 1e4}, {"nvcsw", u.nvcsw}, {"nivcsw", u.nivcsw}};
}

json calibration_json(const bench::Calibration& c) {
    return {{"units_per_us", c.units_per_us},
            {"min_units_per_us", c.min_units_per_us},
            {"max_units_per_us", c.max_units_per_us},
            {"spread_pct", c.spread_pct},
            {"trials", c.trials},
            {"trial_units", c.trial_units},
            {"trial_us", c.trial_us},
            {"total_ms", c.total_ms}};
}

double pct(uint64_t part, uint64_t whole) {
    return whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

void print_dist(FILE* out, const char* name, const Histogram& h, double scale, const char* unit) {
    auto v = [&](uint64_t ns) { return static_cast<double>(ns) / scale; };
    std::fprintf(out, "  %-22s %8.3f %8.3f %8.3f %8.3f %9.3f  %s  (n=%" PRIu64 ")\n", name,
                 v(h.quantile(0.5)), v(h.quantile(0.9)), v(h.quantile(0.99)), v(h.quantile(0.999)),
                 v(h.max()), unit, h.count());
}

sockaddr_un unix_address(const std::string& path) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, path.c_str(), path.size()); // length checked with the options
    return a;
}

// Connects the game to the compositor's socket; -1 (and a message) when it cannot.
int connect_present(const std::string& path) {
    const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const sockaddr_un a = unix_address(path);
    if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
        std::fprintf(stderr, "gamebench: --present %s: %s\n", path.c_str(), std::strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

bool write_json_file(const std::string& path, const json& j) {
    const std::string tmp = path + ".tmp";
    std::ofstream(tmp) << j.dump() << "\n";
    return std::rename(tmp.c_str(), path.c_str()) == 0;
}

// `--compositor SOCKET`: receives frames until the game's end marker (or the time the game's
// options allow, plus a margin), composing each, and writes present latency as JSON.
int run_compositor(const Options& o, uint64_t compose_units) {
    const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const sockaddr_un a = unix_address(o.compositor_path);
    unlink(o.compositor_path.c_str());
    if (fd < 0 || bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
        std::fprintf(stderr, "gamebench: --compositor %s: %s\n", o.compositor_path.c_str(),
                     std::strerror(errno));
        return 1;
    }
    const timeval poll_every{.tv_sec = 0, .tv_usec = 200'000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &poll_every, sizeof poll_every);
    if (!o.ready_file.empty() && !write_json_file(o.ready_file, json{{"compositor", true}})) {
        std::perror("gamebench: --ready-file");
        return 1;
    }
    name_thread("gb-compositor");
    const uint64_t give_up =
        now_ns() + static_cast<uint64_t>((o.warmup_s + o.duration_s + 120) * 1e9);
    Histogram wake, composed;
    uint64_t frames = 0, compositions = 0, sink = 0xa4093822299f31d0ull;
    bool ended = false;
    while (!ended && now_ns() < give_up) {
        PresentMsg m{};
        if (recv(fd, &m, sizeof m, 0) != sizeof m)
            continue; // timeout (checks give_up) or a stray datagram
        // Like a real compositor, one composition takes every frame that arrived meanwhile: a
        // compositor that fell behind catches up instead of working through a backlog.
        const uint64_t woke = now_ns();
        uint64_t newest = 0;
        do {
            ended = ended || m.end != 0;
            if (m.end || !m.in_window || m.done_ns > woke)
                continue;
            wake.record(woke - m.done_ns);
            newest = std::max(newest, m.done_ns);
            frames++;
        } while (recv(fd, &m, sizeof m, MSG_DONTWAIT) == sizeof m);
        if (!newest)
            continue;
        sink = spin_units(compose_units, sink);
        composed.record(now_ns() - newest);
        compositions++;
    }
    close(fd);
    unlink(o.compositor_path.c_str());
    asm volatile("" : : "r"(sink));
    const json j = {{"schema", "scx_gamer.gamebench-compositor/1"},
                    {"ended", ended},
                    {"frames", frames},
                    {"compositions", compositions},
                    {"compose_work_us", o.compose_work_us},
                    {"present_wake_us", dist_json(wake)},
                    {"present_done_us", dist_json(composed)},
                    {"usage", usage_json(thread_usage())}};
    if (!o.json_path.empty() && !write_json_file(o.json_path, j)) {
        std::fprintf(stderr, "gamebench: cannot write %s\n", o.json_path.c_str());
        return 1;
    }
    if (!o.quiet) {
        std::printf("gamebench compositor: %" PRIu64 " frames, game %s\n", frames,
                    ended ? "ended" : "never ended");
        print_dist(stdout, "present wake-up", wake, 1e6, "ms");
        print_dist(stdout, "composed", composed, 1e6, "ms");
    }
    return ended ? 0 : 1;
}

int run(int argc, char** argv) {
    Options o;
    CLI::App app{"", "gamebench"};
    add_options(app, o);
    if (const auto status = bench::parse_command_line(app, argc, argv))
        return *status;
    if (o.idle_s >= 0) {
        sleep_until_ns(now_ns() + static_cast<uint64_t>(o.idle_s * 1e9));
        return 0;
    }

    // Calibrate before any other thread exists and before the runner starts the background load.
    const bench::Calibration cal = bench::calibrate();
    if (o.calibrate_only) {
        std::printf("%s\n", calibration_json(cal).dump().c_str());
        return 0;
    }
    const double units_per_us = o.units_per_us > 0 ? o.units_per_us : cal.units_per_us;
    if (!o.compositor_path.empty())
        return run_compositor(
            o, static_cast<uint64_t>(std::llround(o.compose_work_us * units_per_us)));
    const uint64_t frame_period = static_cast<uint64_t>(std::llround(1e9 / o.fps));
    const uint64_t audio_period = static_cast<uint64_t>(std::llround(o.audio_period_us * 1e3));
    const uint64_t input_period = static_cast<uint64_t>(std::llround(1e9 / o.input_hz));
    const uint64_t rt_input_period =
        o.rt_input_hz > 0 ? static_cast<uint64_t>(std::llround(1e9 / o.rt_input_hz)) : 0;
    const uint64_t job_units = static_cast<uint64_t>(std::llround(
        static_cast<double>(frame_period) / 1e3 * o.job_work_pct / 100.0 * units_per_us));
    const double frame_work_us = static_cast<double>(frame_period) / 1e3 * o.work_pct / 100.0;
    const uint64_t frame_units = static_cast<uint64_t>(std::llround(frame_work_us * units_per_us));
    const uint64_t audio_units =
        static_cast<uint64_t>(std::llround(o.audio_work_us * units_per_us));
    const uint64_t input_units =
        static_cast<uint64_t>(std::llround(o.input_work_us * units_per_us));

    json calib = calibration_json(cal);
    calib["used_units_per_us"] = units_per_us;
    calib["source"] = o.units_per_us > 0 ? "given" : "measured";
    calib["frame_units"] = frame_units;
    calib["frame_work_us"] = frame_work_us;
    auto sh = std::make_unique<Shared>();
    auto path = std::make_unique<InputPath>();
    auto rt_path = std::make_unique<InputPath>();
    path->efd = eventfd(0, EFD_CLOEXEC);
    rt_path->efd = eventfd(0, EFD_CLOEXEC);
    if (path->efd < 0 || rt_path->efd < 0) {
        std::perror("gamebench: eventfd");
        return 1;
    }
    if (!o.present_path.empty()) {
        sh->present_fd = connect_present(o.present_path);
        if (sh->present_fd < 0)
            return 1;
    }
    auto pool = std::make_unique<JobPool>();
    pool->units = job_units;
    for (unsigned i = 0; i < o.jobs; i++)
        pool->workers.push_back(std::make_unique<JobWorker>());
    if (!o.ready_file.empty() && !write_json_file(o.ready_file, calib)) {
        std::perror("gamebench: --ready-file");
        return 1;
    }

    sh->t0 = now_ns() + 20'000'000; // 20 ms: every thread is up before the first tick
    sh->measure_start = sh->t0 + static_cast<uint64_t>(o.warmup_s * 1e9);
    sh->measure_end = sh->measure_start + static_cast<uint64_t>(o.duration_s * 1e9);

    auto render = std::make_unique<RenderStats>();
    auto audio = std::make_unique<AudioStats>();
    auto device = std::make_unique<DeviceStats>();
    auto input = std::make_unique<InputStats>();
    auto rt_device = std::make_unique<DeviceStats>();
    auto rt_input = std::make_unique<InputStats>();
    const rusage ru0 = [] {
        rusage r{};
        getrusage(RUSAGE_SELF, &r);
        return r;
    }();
    const uint64_t wall0 = now_ns();
    {
        std::vector<std::jthread> threads;
        threads.reserve(o.jobs + 6);
        for (unsigned i = 0; i < o.jobs; i++)
            threads.emplace_back(job_thread, std::ref(*pool), std::ref(*pool->workers[i]), i);
        threads.emplace_back(input_thread, std::cref(*sh), std::ref(*path), input_units,
                             std::ref(*input), "gb-input");
        threads.emplace_back(device_thread, std::cref(*sh), std::ref(*path), input_period,
                             o.device_policy == "fifo", std::ref(*device), "gb-device");
        if (rt_input_period) {
            threads.emplace_back(input_thread, std::cref(*sh), std::ref(*rt_path), input_units,
                                 std::ref(*rt_input), "gb-rtinput");
            threads.emplace_back(device_thread, std::cref(*sh), std::ref(*rt_path), rt_input_period,
                                 true, std::ref(*rt_device), "gb-rtdev");
        }
        threads.emplace_back(audio_thread, std::cref(*sh), audio_period, audio_units,
                             std::ref(*audio));
        threads.emplace_back(render_thread, std::cref(*sh), std::ref(*pool), frame_period,
                             frame_units, std::ref(*render));
    }
    const double wall_s = static_cast<double>(now_ns() - wall0) / 1e9;
    rusage ru1{};
    getrusage(RUSAGE_SELF, &ru1);
    close(path->efd);
    close(rt_path->efd);
    if (sh->present_fd >= 0)
        close(sh->present_fd);

    const double window_s = o.duration_s;
    json j;
    j["schema"] = kSchema;
    j["config"] = {{"duration_s", o.duration_s},
                   {"warmup_s", o.warmup_s},
                   {"fps", o.fps},
                   {"work_pct", o.work_pct},
                   {"frame_period_us", static_cast<double>(frame_period) / 1e3},
                   {"input_hz", o.input_hz},
                   {"input_work_us", o.input_work_us},
                   {"audio_period_us", static_cast<double>(audio_period) / 1e3},
                   {"audio_work_us", o.audio_work_us},
                   {"device_policy", device->policy},
                   {"rt_input_hz", o.rt_input_hz},
                   {"jobs", o.jobs},
                   {"job_work_pct", o.job_work_pct},
                   {"present", !o.present_path.empty()},
                   {"pid", getpid()},
                   {"steam_app_id", std::getenv("SteamAppId") ? std::getenv("SteamAppId") : ""}};
    j["calibration"] = calib;
    j["wall_s"] = wall_s;
    j["input"] = {{"latency_us", dist_json(input->latency)},
                  {"events_sent", device->events},
                  {"events_received", input->events},
                  {"wakeups", input->wakeups},
                  {"events_per_wakeup", input->wakeups ? static_cast<double>(input->events) /
                                                             static_cast<double>(input->wakeups)
                                                       : 0.0},
                  {"lost", input->lost},
                  {"device_policy", device->policy},
                  {"device_skipped_ticks", device->skipped_ticks}};
    if (rt_input_period)
        j["input_rt"] = {{"latency_us", dist_json(rt_input->latency)},
                         {"events_sent", rt_device->events},
                         {"events_received", rt_input->events},
                         {"lost", rt_input->lost},
                         {"device_policy", rt_device->policy},
                         {"device_skipped_ticks", rt_device->skipped_ticks}};
    j["frames"] = {{"frames", render->frames},
                   {"vsyncs", render->vsyncs},
                   {"fps_achieved", static_cast<double>(render->frames) / window_s},
                   {"deadline_misses", render->deadline_misses},
                   {"deadline_miss_pct", pct(render->deadline_misses, render->frames)},
                   {"missed_vsyncs", render->missed_vsyncs},
                   {"frame_time_us", dist_json(render->frame_time)},
                   {"frame_interval_us", dist_json(render->frame_interval)},
                   {"work_us", dist_json(render->work)},
                   {"presents_dropped", render->presents_dropped}};
    if (o.jobs)
        j["jobs"] = {
            {"workers", o.jobs},
            {"job_work_us", static_cast<double>(frame_period) / 1e3 * o.job_work_pct / 100.0},
            {"start_us", dist_json(render->job_start)},
            {"fan_in_us", dist_json(render->fan_in)}};
    j["audio"] = {{"periods", audio->periods},
                  {"overruns", audio->overruns},
                  {"overrun_pct", pct(audio->overruns, audio->periods)},
                  {"skipped_periods", audio->skipped_periods},
                  {"completion_us", dist_json(audio->completion)}};
    j["wakeup_latency_us"] = {{"render", dist_json(render->wake)},
                              {"audio", dist_json(audio->wake)},
                              {"device", dist_json(device->wake)},
                              {"input", dist_json(input->latency)}};
    if (rt_input_period)
        j["wakeup_latency_us"]["rt_device"] = dist_json(rt_device->wake);
    j["threads"] = {{"render", usage_json(render->usage)},
                    {"audio", usage_json(audio->usage)},
                    {"device", usage_json(device->usage)},
                    {"input", usage_json(input->usage)}};
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    j["process"] = {{"cpu_s", seconds(ru1.ru_utime) - seconds(ru0.ru_utime) +
                                  seconds(ru1.ru_stime) - seconds(ru0.ru_stime)},
                    {"nivcsw", ru1.ru_nivcsw - ru0.ru_nivcsw}};

    FILE* human = stdout;
    if (o.json_path == "-") {
        std::printf("%s\n", j.dump().c_str());
        human = stderr;
    } else if (!o.json_path.empty()) {
        std::ofstream f(o.json_path);
        f << j.dump() << "\n";
        if (!f) {
            std::fprintf(stderr, "gamebench: cannot write %s\n", o.json_path.c_str());
            return 1;
        }
    }
    if (!o.quiet) {
        std::fprintf(human,
                     "gamebench: %.0f fps, %.0f%% work (%.0f us = %" PRIu64
                     " units at %.2f units/us, %s; calibration spread %.1f%%), %.1f s measured\n",
                     o.fps, o.work_pct, frame_work_us, frame_units, units_per_us,
                     o.units_per_us > 0 ? "given" : "measured", cal.spread_pct, o.duration_s);
        std::fprintf(human, "  %-22s %8s %8s %8s %8s %9s\n", "", "p50", "p90", "p99", "p99.9",
                     "max");
        print_dist(human, "input latency", input->latency, 1e6, "ms");
        print_dist(human, "frame time", render->frame_time, 1e6, "ms");
        print_dist(human, "frame interval", render->frame_interval, 1e6, "ms");
        print_dist(human, "render work", render->work, 1e6, "ms");
        print_dist(human, "audio completion", audio->completion, 1e6, "ms");
        print_dist(human, "wake: render", render->wake, 1e6, "ms");
        print_dist(human, "wake: audio", audio->wake, 1e6, "ms");
        print_dist(human, "wake: device", device->wake, 1e6, "ms");
        if (rt_input_period) {
            print_dist(human, "input latency (RT dev)", rt_input->latency, 1e6, "ms");
            print_dist(human, "wake: RT device", rt_device->wake, 1e6, "ms");
        }
        if (o.jobs) {
            print_dist(human, "jobs: last start", render->job_start, 1e6, "ms");
            print_dist(human, "jobs: fan-in", render->fan_in, 1e6, "ms");
        }
        std::fprintf(human,
                     "  frames %" PRIu64 " (%.1f fps), deadline misses %" PRIu64
                     " (%.2f%%), missed vsyncs %" PRIu64 "\n",
                     render->frames, static_cast<double>(render->frames) / window_s,
                     render->deadline_misses, pct(render->deadline_misses, render->frames),
                     render->missed_vsyncs);
        std::fprintf(human,
                     "  audio periods %" PRIu64 ", overruns %" PRIu64 " (%.2f%%), skipped %" PRIu64
                     "\n",
                     audio->periods, audio->overruns, pct(audio->overruns, audio->periods),
                     audio->skipped_periods);
        std::fprintf(human,
                     "  input events %" PRIu64 "/%" PRIu64 " (%.2f per wake-up), lost %" PRIu64
                     ", device skipped ticks %" PRIu64 " (device %s)\n",
                     input->events, device->events,
                     input->wakeups
                         ? static_cast<double>(input->events) / static_cast<double>(input->wakeups)
                         : 0.0,
                     input->lost, device->skipped_ticks, device->policy.c_str());
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) { // out of memory, a thread that cannot start: one line
        std::fprintf(stderr, "gamebench: %s\n", e.what());
        return 1;
    }
}

// SPDX-License-Identifier: GPL-2.0-only
// Smoke test of the BPF objects through their owners, for the sched_ext VM (root, a kernel with
// sched_ext, BTF and a writable /tmp). Prints TAP-style lines; exits 0 only if every check
// passed.
//
//   bpf_smoke                  scheduler lifecycle, game registration, live tunables, stats,
//                              and the detector's exec/rename/exit events with each exec hook
//   bpf_smoke hold SECONDS [CPU...]
//                              stay attached (run a load beside it), with CPU... as the primary
//                              domain if given; fails if the kernel unloads the scheduler
//   bpf_smoke hold-hog SECONDS the same while this "game" keeps every CPU busy too: background
//                              load then only runs thanks to the starvation guard
//   bpf_smoke fault error      (test-hook builds) an injected scx_bpf_error() must unload it
//   bpf_smoke fault stall      (test-hook builds) a stalled task must trip the watchdog
#include "bpf/detector_bpf.h"
#include "bpf/scheduler_bpf.h"
#include "util/error.h"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace scx_gamer;
using namespace std::chrono_literals;

namespace {

int checks = 0;
int failures = 0;

bool check(bool ok, const std::string& what) {
    checks++;
    if (!ok)
        failures++;
    std::printf("%s %d - %s\n", ok ? "ok" : "not ok", checks, what.c_str());
    std::fflush(stdout);
    return ok;
}

void note(const std::string& line) {
    std::printf("# %s\n", line.c_str());
    std::fflush(stdout);
}

std::string read_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

std::string sched_state() {
    return read_line("/sys/kernel/sched_ext/state");
}

bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!cond()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

bool readable(int fd, std::chrono::milliseconds timeout) {
    pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
    return poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

bool bpf_lsm_active() {
    std::istringstream lsms(read_line("/sys/kernel/security/lsm"));
    std::string name;
    while (std::getline(lsms, name, ','))
        if (name == "bpf")
            return true;
    return false;
}

const char* stat_name(int idx) {
    static const char* const names[] = {
#define STAT_KEY(name, key, desc) key,
        GAMER_STATS(STAT_KEY)
#undef STAT_KEY
    };
    return names[idx];
}

void print_stats(const SchedulerBpf& sched) {
    const auto stats = sched.stats();
    std::string line = "stats:";
    for (int i = 0; i < GAMER_NR_STATS; i++)
        line += std::string(" ") + stat_name(i) + "=" + std::to_string(stats[i]);
    note(line);
}

uint64_t histogram_total(const SchedulerBpf& sched) {
    uint64_t total = 0;
    for (uint64_t n : sched.latency_histogram())
        total += n;
    return total;
}

// Lower edge of the histogram bucket holding quantile q of the samples (layout in intf.h).
uint64_t latency_quantile_floor_ns(const std::vector<uint64_t>& hist, double q) {
    uint64_t total = 0, seen = 0;
    for (uint64_t n : hist)
        total += n;
    for (size_t i = 0; i < hist.size(); i++) {
        seen += hist[i];
        if (total && static_cast<double>(seen) >= q * static_cast<double>(total))
            return i <= GAMER_LAT_LINEAR
                       ? i * GAMER_LAT_BUCKET_NS
                       : (GAMER_LAT_LINEAR * GAMER_LAT_BUCKET_NS) << (i - GAMER_LAT_LINEAR);
    }
    return 0;
}

// Runs child() in a forked process that exits with its return value; returns its pid.
pid_t spawn(const std::function<int()>& child) {
    const pid_t pid = fork();
    if (pid < 0) {
        std::perror("fork");
        std::exit(2);
    }
    if (pid == 0)
        _exit(child());
    return pid;
}

int reap(pid_t pid) {
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

SchedulerConfig smoke_config() {
    SchedulerConfig config{gamer_tunables{
        .slice_ns = 1'000'000,
        .game_slice_ns = 500'000,
        .slice_lag_ns = 20'000'000,
        .wakeup_timer_ns = 1'000'000,
        .bg_starve_ns = 20'000'000,
        .mm_affinity = 1,
        .avoid_smt = 1,
        .game_preempt = 1,
        .wake_boost = 1,
        .verbose = 0,
        .bg_min_share_pct = 5,
        .bg_starve_count = 0,
    }};
    config.exit_dump_len = 4096;
    return config;
}

bool attach_and_wait(SchedulerBpf& sched) {
    sched.attach();
    return wait_until([] { return sched_state() == "enabled"; }, 2s);
}

// ---- Detector ----------------------------------------------------------------------------

// Everything the detector reported until `quiet` passes without a new record.
std::vector<DetectorRecord> drain(DetectorBpf& det, std::chrono::milliseconds quiet = 300ms) {
    std::vector<DetectorRecord> records;
    const auto keep = [&](const DetectorRecord& r) { records.push_back(r); };
    while (readable(det.event_fd(), quiet))
        det.consume(keep);
    det.consume(keep);
    return records;
}

const DetectorRecord* find_record(const std::vector<DetectorRecord>& records, uint32_t kind,
                                  uint32_t tgid) {
    for (const auto& r : records)
        if (r.event.kind == kind && r.event.tgid == tgid)
            return &r;
    return nullptr;
}

const gamer_event* find(const std::vector<DetectorRecord>& records, uint32_t kind, uint32_t tgid) {
    const DetectorRecord* r = find_record(records, kind, tgid);
    return r ? &r->event : nullptr;
}

size_t count(const std::vector<DetectorRecord>& records, uint32_t kind, uint32_t tgid) {
    size_t n = 0;
    for (const auto& r : records)
        n += r.event.kind == kind && r.event.tgid == tgid;
    return n;
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items)
        out += (out.empty() ? "[" : ", [") + item + "]";
    return out;
}

// The exec record of pid carries exactly these arguments and environment, complete.
void check_exec_strings(const std::vector<DetectorRecord>& records, pid_t pid,
                        const std::vector<std::string>& argv,
                        const std::vector<std::string>& environment, const std::string& tag) {
    const DetectorRecord* r = find_record(records, GAMER_EV_EXEC, static_cast<uint32_t>(pid));
    const bool ok = r && r->exec && r->exec->complete && r->exec->argv == argv &&
                    r->exec->environment == environment;
    check(ok, tag + "exec record of " + std::to_string(pid) + " carries its argv and environment");
    if (!ok && r && r->exec)
        std::printf("# argv %s; environment %s; complete %d\n", joined(r->exec->argv).c_str(),
                    joined(r->exec->environment).c_str(), r->exec->complete);
}

void detector_checks(DetectorHook hook, const std::filesystem::path& scratch) {
    const std::string tag = hook == DetectorHook::Lsm ? "[lsm] " : "[tracepoint] ";
    auto det = DetectorBpf::open_and_load(hook, static_cast<uint32_t>(getpid()));
    det.attach();
    check(det.hook() == hook, tag + "hook() reports the hook loaded");
    drain(det, 50ms); // whatever the system did meanwhile

    // The kernel may skip a tracing program (never an LSM one) and count a miss: an event that
    // is not there must then be one of those.
    uint64_t missed_before = det.missed();

    // Execs: three children exec /bin/true, one a path ending in ".exe".
    const auto exe = scratch / "Game.EXE";
    std::filesystem::create_symlink("/bin/true", exe);
    std::vector<pid_t> children;
    children.reserve(3);
    for (int i = 0; i < 3; i++)
        children.push_back(spawn([] {
            execl("/bin/true", "true", static_cast<char*>(nullptr));
            return 127;
        }));
    const pid_t exe_child = spawn([&] {
        execl(exe.c_str(), "Game.EXE", static_cast<char*>(nullptr));
        return 127;
    });
    // The strings the daemon classifies by, empty ones included; and an environment too big for
    // the record (it keeps what fits and says it is incomplete).
    const std::vector<std::string> argv = {"true", "two words", "", "last"};
    const std::vector<std::string> environment = {"SteamAppId=4242", "EMPTY=", "PATH=/bin"};
    const pid_t strings_child = spawn([&] {
        std::vector<char*> args, env;
        for (const auto& a : argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        for (const auto& v : environment)
            env.push_back(const_cast<char*>(v.c_str()));
        env.push_back(nullptr);
        execve("/bin/true", args.data(), env.data());
        return 127;
    });
    const std::string huge =
        "HUGE=" + std::string(static_cast<std::size_t>(GAMER_STRINGS_MAX), 'x');
    const pid_t huge_child = spawn([&] {
        char* const args[] = {const_cast<char*>("true"), nullptr};
        char* const env[] = {const_cast<char*>("SteamAppId=1"), const_cast<char*>(huge.c_str()),
                             nullptr};
        execve("/bin/true", args, env);
        return 127;
    });
    std::map<pid_t, int> statuses;
    for (pid_t pid : children)
        statuses[pid] = reap(pid);
    reap(exe_child);
    reap(strings_child);
    reap(huge_child);
    std::filesystem::remove(exe);

    auto events = drain(det);
    std::vector<pid_t> execs = children;
    execs.insert(execs.end(), {exe_child, strings_child, huge_child});
    const auto unreported =
        static_cast<uint64_t>(std::count_if(execs.begin(), execs.end(), [&](pid_t pid) {
            return !find(events, GAMER_EV_EXEC, static_cast<uint32_t>(pid));
        }));
    const uint64_t missed = det.missed() - missed_before;
    if (hook == DetectorHook::Lsm)
        check(unreported == 0, tag + "every exec reported (an LSM program is never skipped)");
    else
        check(unreported <= missed, tag + "every exec reported, or skipped by the kernel (" +
                                        std::to_string(unreported) + " not reported, " +
                                        std::to_string(missed) + " runs skipped)");
    // What follows checks the records there are; a skipped exec has none.
    const auto reported = [&](pid_t pid) {
        return hook == DetectorHook::Lsm || find(events, GAMER_EV_EXEC, static_cast<uint32_t>(pid));
    };
    if (reported(strings_child))
        check_exec_strings(events, strings_child, argv, environment, tag);
    const DetectorRecord* cut = find_record(events, GAMER_EV_EXEC, huge_child);
    check(!reported(huge_child) ||
              (cut && cut->exec && !cut->exec->complete &&
               cut->exec->argv == std::vector<std::string>{"true"} &&
               cut->exec->environment == std::vector<std::string>{"SteamAppId=1"}),
          tag + "an environment over " + std::to_string(GAMER_STRINGS_MAX) +
              " bytes is cut after its last whole string and marked incomplete");
    for (pid_t pid : children) {
        if (!reported(pid))
            continue;
        const gamer_event* e = find(events, GAMER_EV_EXEC, pid);
        const bool ok = e && std::strcmp(e->filename, "/bin/true") == 0 &&
                        std::strcmp(e->comm, "true") == 0 && e->pid == static_cast<uint32_t>(pid) &&
                        e->ppid == static_cast<uint32_t>(getpid()) &&
                        !(e->flags & GAMER_EVF_EXE_SUFFIX);
        check(ok, tag + "exec of /bin/true by " + std::to_string(pid) + " reported");
        if (!ok) // what there was to see, for a failure that does not repeat
            std::printf("# child %d: wait status %d; %zu events in all; its exec event: %s\n", pid,
                        statuses[pid], events.size(),
                        e ? (std::string(e->comm) + " " + e->filename + " pid " +
                             std::to_string(e->pid) + " ppid " + std::to_string(e->ppid) +
                             " flags " + std::to_string(e->flags))
                                .c_str()
                          : "none");
    }
    const gamer_event* e = find(events, GAMER_EV_EXEC, exe_child);
    check(!reported(exe_child) ||
              (e && (e->flags & GAMER_EVF_EXE_SUFFIX) && std::string(e->filename) == exe.string()),
          tag + "exec of " + exe.string() + " carries the .exe hint");

    // Renames: a leader's is reported (new name, hint), another thread's and our own are not.
    missed_before = det.missed();
    const pid_t renamer = spawn([&] {
        std::thread([] { prctl(PR_SET_NAME, "worker-thread"); }).join();
        prctl(PR_SET_NAME, "renamed.exe");
        return 0;
    });
    reap(renamer);
    prctl(PR_SET_NAME, "bpf_smoke_self");
    events = drain(det);
    e = find(events, GAMER_EV_RENAME, renamer);
    const bool rename_skipped = !e && det.missed() > missed_before;
    check(rename_skipped || (e && std::strcmp(e->comm, "renamed.exe") == 0 && e->pid == e->tgid &&
                             (e->flags & GAMER_EVF_EXE_SUFFIX)),
          tag + "rename of a thread group leader reported with its new name" +
              (rename_skipped ? " (skipped by the kernel, counted)" : ""));
    check(count(events, GAMER_EV_RENAME, renamer) == (rename_skipped ? 0u : 1u),
          tag + "a non-leader's rename is not");
    check(!find(events, GAMER_EV_RENAME, getpid()), tag + "our own rename is not");

    // Exits: a watched two-thread process is reported once, with its status; an unwatched not.
    // The child waits for the watch to be in place before it exits.
    int gate[2];
    if (pipe(gate) != 0)
        std::exit(2);
    const pid_t watched = spawn([&] {
        char go;
        std::thread([] {}).join();
        close(gate[1]);
        return read(gate[0], &go, 1) == 1 ? 7 : 1;
    });
    det.watch(watched);
    missed_before = det.missed();
    if (write(gate[1], "x", 1) != 1)
        std::exit(2);
    reap(watched);
    const pid_t unwatched = spawn([] { return 0; });
    reap(unwatched);
    close(gate[0]);
    close(gate[1]);
    events = drain(det);
    e = find(events, GAMER_EV_EXIT, watched);
    const bool exit_skipped = !e && det.missed() > missed_before;
    check(exit_skipped || (e && (e->flags & GAMER_EVF_WATCHED) && (e->exit_code >> 8) == 7),
          tag + "exit of a watched process reported with status 7" +
              (exit_skipped ? " (skipped by the kernel, counted)" : ""));
    check(count(events, GAMER_EV_EXIT, watched) == (exit_skipped ? 0u : 1u), tag + "exactly once");
    check(!find(events, GAMER_EV_EXIT, unwatched), tag + "exit of an unwatched process is not");
    det.unwatch(12345678); // never watched: a no-op
    check(det.dropped() == 0, tag + "no events dropped");
}

// ---- Scheduler ---------------------------------------------------------------------------

void scheduler_checks() {
    check(sched_state() == "disabled", "sched_ext disabled before the test");

    auto sched = SchedulerBpf::open_and_load(smoke_config());
    check(!sched.attached(), "loaded, not attached");
    check(attach_and_wait(sched), "attach: state becomes enabled");
    check(read_line("/sys/kernel/sched_ext/root/ops").rfind(GAMER_OPS_NAME, 0) == 0,
          "root/ops starts with \"" GAMER_OPS_NAME "\" (" +
              read_line("/sys/kernel/sched_ext/root/ops") + ")");
    check(sched.attached(), "attached() while running");
    check(!sched.consume_exit(), "no exit while running");

    // Game threads: our own wakeups are measured while we are a game, and only then.
    sched.add_game(static_cast<uint32_t>(getpid()));
    for (int i = 0; i < 200; i++)
        std::this_thread::sleep_for(1ms);
    const auto as_game = sched.stats();
    check(as_game[GAMER_STAT_GAME_WAKEUPS] >= 100,
          "game wakeups measured (" + std::to_string(as_game[GAMER_STAT_GAME_WAKEUPS]) + ")");
    check(histogram_total(sched) == as_game[GAMER_STAT_GAME_WAKEUPS],
          "histogram holds every measured wakeup");
    sched.remove_game(static_cast<uint32_t>(getpid()));
    sched.remove_game(static_cast<uint32_t>(getpid())); // no longer a game: a no-op
    for (int i = 0; i < 100; i++)
        std::this_thread::sleep_for(1ms);
    const auto as_background = sched.stats();
    check(as_background[GAMER_STAT_GAME_WAKEUPS] - as_game[GAMER_STAT_GAME_WAKEUPS] <= 1,
          "after remove_game our wakeups are background ones");

    // Live tunables.
    gamer_tunables t = sched.tunables();
    t.slice_ns = 3'000'000;
    t.wakeup_timer_ns = 0;
    t.game_preempt = 0;
    sched.set_tunables(t);
    const gamer_tunables back = sched.tunables();
    check(back.slice_ns == 3'000'000 && back.wakeup_timer_ns == 0 && back.game_preempt == 0,
          "tunables changed live and read back");
    std::this_thread::sleep_for(200ms);
    check(sched_state() == "enabled" && sched.attached(), "still enabled with the new tunables");

    // Detection runs beside the scheduler, with each exec hook this kernel offers.
    const auto scratch =
        std::filesystem::temp_directory_path() / ("bpf_smoke." + std::to_string(getpid()));
    std::filesystem::create_directories(scratch);
    detector_checks(DetectorHook::Tracepoint, scratch);
    if (bpf_lsm_active())
        detector_checks(DetectorHook::Lsm, scratch);
    else
        note("BPF-LSM not active: LSM exec hook not tested");
    std::filesystem::remove_all(scratch);

    print_stats(sched);
    const auto stats = sched.stats();
    check(stats[GAMER_STAT_DISPATCHED] + stats[GAMER_STAT_DIRECT_DISPATCHED] > 0,
          "the scheduler scheduled");

    // Detach: the kernel takes over again and ops.exit() reports an unregistration.
    sched.detach();
    check(wait_until([] { return sched_state() == "disabled"; }, 2s),
          "detach: state becomes disabled");
    check(readable(sched.exit_fd(), 1000ms), "exit_fd readable after detach");
    const auto exit = sched.consume_exit();
    check(exit && exit->kind == 64 && !exit->error() && !exit->restart_requested(),
          "consume_exit: SCX_EXIT_UNREG (" +
              (exit ? std::to_string(exit->kind) + " " + exit->reason : std::string("none")) + ")");

    // The same loaded object attaches again.
    check(attach_and_wait(sched) && sched.attached() && !sched.consume_exit(),
          "re-attach after detach");
    sched.detach();
    check(wait_until([] { return sched_state() == "disabled"; }, 2s), "detached again");

    // A primary domain: background tasks try CPU 0 first.
    SchedulerConfig config = smoke_config();
    config.primary_cpus = {0};
    auto primary = SchedulerBpf::open_and_load(config);
    check(attach_and_wait(primary), "attach with a primary domain");
    const pid_t worker = spawn([] {
        for (int i = 0; i < 100; i++)
            usleep(1000);
        return 0;
    });
    reap(worker);
    const auto primary_stats = primary.stats();
    check(primary.attached() &&
              primary_stats[GAMER_STAT_DIRECT_DISPATCHED] + primary_stats[GAMER_STAT_DISPATCHED] >
                  0,
          "and schedules");
    primary.detach();
    check(wait_until([] { return sched_state() == "disabled"; }, 2s), "detached");

    config.primary_cpus = {GAMER_MAX_CPUS};
    bool refused = false;
    try {
        SchedulerBpf::open_and_load(config);
    } catch (const Error& e) {
        refused = std::string(e.what()).find("no CPU") != std::string::npos;
    }
    check(refused, "a primary domain naming a CPU that does not exist is refused");
}

int hold(int seconds, const std::vector<int>& primary_cpus, bool hog) {
    SchedulerConfig config = smoke_config();
    config.primary_cpus = primary_cpus;
    auto sched = SchedulerBpf::open_and_load(config);
    if (!check(attach_and_wait(sched), "attach"))
        return 1;
    // We are the game: our wakeups (every 100 ms below) are game wakeups under the load.
    sched.add_game(static_cast<uint32_t>(getpid()));
    std::atomic<bool> stop = false;
    std::vector<std::thread> hogs;
    if (hog)
        for (unsigned i = 0; i < std::thread::hardware_concurrency(); i++)
            hogs.emplace_back([&] {
                while (!stop.load(std::memory_order_relaxed)) {
                }
            });
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < end) {
        if (!readable(sched.exit_fd(), 100ms))
            continue;
        if (auto exit = sched.consume_exit()) {
            check(false, "unloaded by the kernel: kind " + std::to_string(exit->kind) + " " +
                             exit->reason + ": " + exit->msg);
            break;
        }
    }
    stop = true;
    for (auto& t : hogs)
        t.join();
    if (failures)
        return 1;
    print_stats(sched);
    const auto hist = sched.latency_histogram();
    note("game wakeup latency under load: " + std::to_string(histogram_total(sched)) +
         " wakeups, p50 >= " + std::to_string(latency_quantile_floor_ns(hist, 0.5) / 1000) +
         " us, p90 >= " + std::to_string(latency_quantile_floor_ns(hist, 0.9) / 1000) +
         " us, p99 >= " + std::to_string(latency_quantile_floor_ns(hist, 0.99) / 1000) + " us");
    check(sched_state() == "enabled" && sched.attached() && !sched.consume_exit(),
          "still enabled after " + std::to_string(seconds) + " s, no exit recorded");
    sched.detach();
    check(wait_until([] { return sched_state() == "disabled"; }, 2s), "detached");
    return failures ? 1 : 0;
}

#ifdef SCX_GAMER_TEST_HOOKS
int fault(const std::string& kind) {
    auto sched = SchedulerBpf::open_and_load(smoke_config());
    if (!check(attach_and_wait(sched), "attach"))
        return 1;

    pid_t victim = -1;
    int32_t expected;
    if (kind == "error") {
        sched.inject_error();
        expected = 1025; // SCX_EXIT_ERROR_BPF
    } else {
        // A task that keeps waking up: every wakeup takes it through the scheduler.
        victim = spawn([]() -> int {
            for (;;)
                usleep(1000);
        });
        sched.stall_task(static_cast<uint32_t>(victim));
        expected = 1026; // SCX_EXIT_ERROR_STALL
    }
    const bool fired = readable(sched.exit_fd(), 20s);
    const auto exit = sched.consume_exit();
    check(fired && exit, "exit_fd fired");
    if (exit)
        note("exit: kind " + std::to_string(exit->kind) + " reason \"" + exit->reason +
             "\" msg \"" + exit->msg + "\"");
    check(exit && exit->kind == expected && exit->error(), "exit kind " + std::to_string(expected));
    if (kind == "error")
        check(exit && exit->msg.find("injected") != std::string::npos, "msg names the injection");
    check(!sched.attached(), "attached() is false after the kernel's unload");
    check(wait_until([] { return sched_state() == "disabled"; }, 5s), "state becomes disabled");
    if (victim > 0) {
        kill(victim, SIGKILL);
        reap(victim);
    }
    // What the daemon does after an ejection: attach the same object again.
    check(attach_and_wait(sched) && sched.attached() && !sched.consume_exit(),
          "re-attach after the kernel's unload");
    sched.detach();
    check(wait_until([] { return sched_state() == "disabled"; }, 2s), "detached");
    return failures ? 1 : 0;
}
#endif

} // namespace

int main(int argc, char** argv) {
    try {
        const std::string mode = argc > 1 ? argv[1] : "";
        if (mode == "hold" && argc >= 3) {
            std::vector<int> primary_cpus;
            for (int i = 3; i < argc; i++)
                primary_cpus.push_back(std::atoi(argv[i]));
            return hold(std::atoi(argv[2]), primary_cpus, false);
        }
        if (mode == "hold-hog" && argc == 3)
            return hold(std::atoi(argv[2]), {}, true);
#ifdef SCX_GAMER_TEST_HOOKS
        if (mode == "fault" && argc == 3 &&
            (std::string(argv[2]) == "error" || std::string(argv[2]) == "stall"))
            return fault(argv[2]);
#endif
        if (argc != 1) {
            std::fprintf(
                stderr,
                "usage: %s [hold SECONDS [CPU...] | hold-hog SECONDS | fault error|stall]\n",
                argv[0]);
            return 2;
        }
        scheduler_checks();
    } catch (const std::exception& e) {
        check(false, std::string("exception: ") + e.what());
    }
    std::printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}

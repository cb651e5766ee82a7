#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Measurements of bench/run-dbus-bench, shared by its two settings.

As a module (imported by bench/run-dbus-bench on the host): GetStats latency through dbusbench,
`scxgamerctl --json stats` end to end, memory and idle wake-ups of a process, with or without
tracing.

As a script (the guest side, run inside the sched_ext VM by tests/vm/vm-run, as root): records
the system's timers without the daemon (baseline), starts the real daemon (scx_gamer --profile
PROFILE) on the VM's system bus and measures it, then, as a control for the timer attribution,
turns on the daemon's only periodic timer (--stats 1, the log line) through ApplyFlags and
measures a short second window. Reads the plan from
$DBUSBENCH_PLAN (JSON); prints "@@RESULT {...}" on stdout, everything else on stderr. Exit status
0 when every number was produced.

Idle wake-ups are the daemon's context switches (voluntary + involuntary, all threads, from
/proc/PID/task/*/status) over a window in which nothing calls it, per second. Tracing (tracefs)
over the same window says where each wake-up came from: which timers the daemon armed
(hrtimer_start from its threads: timerfd_tmrproc is an sd-event timerfd, hrtimer_wakeup a
sleep/poll timeout), which wake-ups followed a timer expiry on that CPU, which followed another
task (dbus-daemon, an exec the detector reported), and what every timer in the system fired
during the window (bpf_timer_cb is a BPF program's timer, e.g. the scheduler's wakeup timer).
"""
import json
import math
import os
import re
import signal
import subprocess
import sys
import time

SCHED_EXT = "/sys/kernel/sched_ext"
TIMER_FUNCTIONS = ("timerfd_tmrproc", "hrtimer_wakeup")  # wake a task when they expire


def log(*a):
    print("dbus-bench:", *a, file=sys.stderr, flush=True)


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def wait_for(pred, timeout, step=0.02):
    deadline = time.monotonic() + timeout
    while True:
        if pred():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)


def quantile(sorted_values, q):
    """Nearest rank, as dbusbench computes it."""
    if not sorted_values:
        return None
    rank = min(max(int(math.ceil(q * len(sorted_values))), 1), len(sorted_values))
    return sorted_values[rank - 1]


def summary(values):
    v = sorted(values)
    if not v:
        return {"count": 0}
    return {"count": len(v), "min": v[0], "mean": sum(v) / len(v), "p50": quantile(v, 0.5),
            "p90": quantile(v, 0.9), "p99": quantile(v, 0.99), "max": v[-1]}


# ---------------------------------------------------------------------------------------------
# Latency


def run_dbusbench(dbusbench, calls, warmup, env=None, prefix=()):
    """prefix: a command to run dbusbench under (chrt)."""
    r = subprocess.run([*prefix, dbusbench, "--calls", str(calls), "--warmup", str(warmup),
                        "--json", "-"], capture_output=True, text=True, env=env, timeout=600)
    if r.returncode != 0:
        return {"error": "dbusbench exit %d: %s" % (r.returncode, r.stderr.strip())}
    return json.loads(r.stdout)


def run_ctl_stats(scxgamerctl, runs, env=None):
    """Times `scxgamerctl --json stats` from spawn to exit; every run must succeed with JSON."""
    times_us, problems, keys = [], [], 0
    for i in range(runs):
        t0 = time.perf_counter_ns()
        r = subprocess.run([scxgamerctl, "--json", "stats"], capture_output=True, text=True, env=env,
                           timeout=120)
        t1 = time.perf_counter_ns()
        if r.returncode != 0:
            problems.append("run %d: exit %d: %s" % (i, r.returncode, r.stderr.strip()))
            continue
        try:
            keys = len(json.loads(r.stdout))
        except ValueError:
            problems.append("run %d: output is not JSON: %r" % (i, r.stdout[:200]))
            continue
        times_us.append((t1 - t0) / 1000.0)
    out = {"runs": runs, "ok": len(times_us), "latency_us": summary(times_us), "keys": keys,
           "first_us": times_us[0] if times_us else None}
    if problems:
        out["problems"] = problems[:5]
    return out


# ---------------------------------------------------------------------------------------------
# Memory and wake-ups of a process


def tids(pid):
    try:
        return sorted(int(t) for t in os.listdir("/proc/%d/task" % pid))
    except OSError:
        return []


def status_fields(path):
    out = {}
    for line in read(path).splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def memory(pid):
    s = status_fields("/proc/%d/status" % pid)
    kib = lambda k: int(s[k].split()[0]) if k in s else None
    return {"VmRSS_kib": kib("VmRSS"), "VmHWM_kib": kib("VmHWM"), "RssAnon_kib": kib("RssAnon"),
            "RssFile_kib": kib("RssFile"), "VmSize_kib": kib("VmSize"), "threads": len(tids(pid))}


def switch_counts(pid):
    """Per thread: (voluntary, involuntary, timeslices from schedstat)."""
    out = {}
    for tid in tids(pid):
        s = status_fields("/proc/%d/task/%d/status" % (pid, tid))
        sched = read("/proc/%d/task/%d/schedstat" % (pid, tid)).split()
        out[tid] = (int(s.get("voluntary_ctxt_switches", 0)),
                    int(s.get("nonvoluntary_ctxt_switches", 0)),
                    int(sched[2]) if len(sched) >= 3 else 0)
    return out


def timerfds(pid):
    """The process's timerfds as their fdinfo shows them (armed: it_value != (0, 0))."""
    out = []
    fd_dir = "/proc/%d/fd" % pid
    try:
        fds = sorted(os.listdir(fd_dir), key=int)
    except OSError:
        return out
    for fd in fds:
        try:
            if os.readlink(os.path.join(fd_dir, fd)) != "anon_inode:[timerfd]":
                continue
        except OSError:
            continue
        info = status_fields("/proc/%d/fdinfo/%s" % (pid, fd))
        out.append({"fd": int(fd), "clockid": info.get("clockid"), "it_value": info.get("it_value"),
                    "it_interval": info.get("it_interval"), "ticks": info.get("ticks"),
                    "armed": info.get("it_value", "(0, 0)") != "(0, 0)"})
    return out


class Tracer:
    """tracefs events over one window; None-safe when tracefs or an event is missing. Without a
    pid, only the system's timer expiries and execs (the baseline before the daemon starts)."""

    def __init__(self, pid=None):
        self.pid = pid
        self.root = next((d for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")
                          if os.path.exists(d + "/trace")), None)
        self.enabled = []
        self.problems = []

    def write(self, rel, value):
        with open(os.path.join(self.root, rel), "w") as f:
            f.write(value)

    def event(self, name, filt=None):
        path = "events/" + name
        if not os.path.exists(os.path.join(self.root, path, "enable")):
            self.problems.append("no trace event " + name)
            return
        try:
            self.write(path + "/filter", filt if filt else "0")
            self.write(path + "/enable", "1")
            self.enabled.append(path)
        except OSError as e:
            self.problems.append("%s: %s" % (name, e))

    def start(self):
        if not self.root:
            self.problems.append("no tracefs")
            return False
        ts = tids(self.pid) if self.pid else []
        by_pid = " || ".join("pid == %d" % t for t in ts)
        by_common = " || ".join("common_pid == %d" % t for t in ts)
        try:
            self.write("tracing_on", "0")
            self.write("trace", "")
            self.write("buffer_size_kb", "8192")
            # CLOCK_MONOTONIC timestamps: hrtimer expiry times are on the same clock.
            self.write("trace_clock", "mono")
        except OSError as e:
            self.problems.append("tracefs setup: %s" % e)
            return False
        # sched_waking fires in the waker's context (the timer's expiry on its CPU); sched_wakeup
        # may fire later on the target CPU when the wake-up is queued there.
        if ts:
            waking = os.path.exists(os.path.join(self.root, "events/sched/sched_waking"))
            self.event("sched/sched_waking" if waking else "sched/sched_wakeup", by_pid)
            self.event("timer/hrtimer_start", by_common)
            self.event("timer/hrtimer_cancel", by_common)
            for sc in ("epoll_wait", "epoll_pwait", "epoll_pwait2"):
                if os.path.exists(os.path.join(self.root, "events/syscalls/sys_enter_" + sc)):
                    self.event("syscalls/sys_enter_" + sc, by_common)
        self.event("timer/hrtimer_expire_entry")
        self.event("sched/sched_process_exec")
        self.write("tracing_on", "1")
        return True

    def stop(self):
        if not self.root:
            return ""
        try:
            self.write("tracing_on", "0")
            with open(os.path.join(self.root, "trace")) as f:
                text = f.read()
        except OSError as e:
            self.problems.append("reading the trace: %s" % e)
            text = ""
        for path in self.enabled:
            try:
                self.write(path + "/enable", "0")
                self.write(path + "/filter", "0")
            except OSError:
                pass
        try:
            self.write("trace", "")
            self.write("trace_clock", "local")
        except OSError:
            pass
        return text


# "comm-pid [cpu] flags ts: event: fields", or for syscalls "...ts: sys_NAME(arg: hex, ...)".
LINE = re.compile(r"^\s*(?P<comm>.+?)-(?P<pid>\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(?P<cpu>\d+)\]\s+"
                  r"(?:\S+\s+)?(?P<ts>\d+\.\d+):\s+(?P<event>\w+)(?::\s+|\()(?P<body>.*)$")


def fields(body):
    return dict(re.findall(r"(\w+)[=:]\s*(\S+)", body))


def function_name(raw):
    return (raw or "?").split("+")[0].split("/")[0]


def analyse_trace(text, daemon_tids, window_s):
    """Where the daemon's wake-ups came from, and every timer that fired in the window."""
    events = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = LINE.match(line)
        if m:
            events.append(m.groupdict())
    events.sort(key=lambda e: float(e["ts"]))
    last_expiry = {}  # cpu -> (ts, function) of the latest timer expiry there
    wakeups, armed, epoll_timeouts, execs, expiries = [], [], {}, [], {}
    for e in events:
        ts, cpu, f = float(e["ts"]), e["cpu"], fields(e["body"])
        if e["event"] == "hrtimer_expire_entry":
            fn = function_name(f.get("function"))
            expiries[fn] = expiries.get(fn, 0) + 1
            last_expiry[cpu] = (ts, fn)
        elif e["event"] in ("sched_waking", "sched_wakeup") and int(f.get("pid", -1)) in daemon_tids:
            cause = "task %s" % e["comm"].strip()
            exp = last_expiry.get(cpu)
            # A timer that wakes a task does it from its own expiry, on the same CPU, at once
            # (1 ms: TCG is slow).
            if exp and exp[1] in TIMER_FUNCTIONS and ts - exp[0] < 0.001:
                cause = "timer %s" % exp[1]
            wakeups.append({"ts": ts, "cpu": int(cpu), "cause": cause})
        elif e["event"] == "hrtimer_start" and int(e["pid"]) in daemon_tids:
            fn = function_name(f.get("function"))
            expires = int(f.get("expires", "0")) / 1e9
            armed.append({"ts": ts, "function": fn, "in_s": round(expires - ts, 6),
                          "mode": f.get("mode")})
        elif e["event"].startswith("sys_epoll") and int(e["pid"]) in daemon_tids:
            # Syscall arguments are printed in hex. epoll_wait/epoll_pwait: an int of ms (-1:
            # none); epoll_pwait2: a timespec pointer (0: none).
            raw = f.get("timeout", "?").rstrip(",)")
            try:
                value = int(raw, 16)
            except ValueError:
                value = None
            if value is None:
                key = raw
            elif e["event"] == "sys_epoll_pwait2":
                key = "none" if value == 0 else "timespec"
            else:
                key = "none" if value in (0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF) else str(value)
            epoll_timeouts[key] = epoll_timeouts.get(key, 0) + 1
        elif e["event"] == "sched_process_exec":
            execs.append(f.get("filename", "?"))
    causes = {}
    for w in wakeups:
        causes[w["cause"]] = causes.get(w["cause"], 0) + 1
    periods = {}
    for a in armed:
        # Only the timers that wake a task say when the daemon wanted to run again; the others
        # (the tick, restarted when its CPU leaves idle for the daemon) are counted by name.
        if a["function"] in TIMER_FUNCTIONS:
            key = "%s in %.3f s" % (a["function"], a["in_s"])
        else:
            key = a["function"]
        periods[key] = periods.get(key, 0) + 1
    return {
        "events": len(events),
        "daemon_wakeups": len(wakeups),
        "wakeup_causes": causes,
        "daemon_timers_armed": len(armed),
        "daemon_timers_armed_by_delay": periods,
        "daemon_epoll_wait_timeouts_ms": epoll_timeouts,
        "execs_in_window": execs[:20],
        "nr_execs_in_window": len(execs),
        "system_timer_expiries_per_s": {fn: round(n / window_s, 1) for fn, n in
                                        sorted(expiries.items(), key=lambda kv: -kv[1])[:12]},
    }


def baseline_window(seconds):
    """The system's timers with no daemon running: what the daemon's window is compared with."""
    tracer = Tracer()
    if not tracer.start():
        return {"seconds": seconds, "trace": None, "trace_problems": tracer.problems}
    t0 = time.monotonic()
    time.sleep(seconds)
    elapsed = time.monotonic() - t0
    out = {"seconds": round(elapsed, 3), "trace": analyse_trace(tracer.stop(), set(), elapsed)}
    if tracer.problems:
        out["trace_problems"] = tracer.problems
    return out


def idle_window(pid, seconds, trace=True):
    """Wake-ups of pid over `seconds` in which the caller does nothing but sleep."""
    tracer = Tracer(pid) if trace else None
    traced = tracer.start() if tracer else False
    ts = set(tids(pid))
    timerfds_before = timerfds(pid)
    before = switch_counts(pid)
    t0 = time.monotonic()
    time.sleep(seconds)
    after = switch_counts(pid)
    elapsed = time.monotonic() - t0
    text = tracer.stop() if tracer else ""
    vol = sum(after[t][0] - before.get(t, (0, 0, 0))[0] for t in after)
    invol = sum(after[t][1] - before.get(t, (0, 0, 0))[1] for t in after)
    slices = sum(after[t][2] - before.get(t, (0, 0, 0))[2] for t in after)
    out = {"seconds": round(elapsed, 3), "voluntary": vol, "involuntary": invol,
           "wakeups_per_s": round((vol + invol) / elapsed, 3),
           "schedstat_timeslices": slices, "threads": len(after),
           "timerfds_before": timerfds_before, "timerfds_after": timerfds(pid)}
    if tracer:
        out["trace"] = analyse_trace(text, ts | set(after), elapsed) if traced else None
        if tracer.problems:
            out["trace_problems"] = tracer.problems
    return out


# ---------------------------------------------------------------------------------------------
# The guest side


def emit(tag, obj):
    sys.stdout.write("@@%s %s\n" % (tag, json.dumps(obj, separators=(",", ":"))))
    sys.stdout.flush()


def vm_info():
    info = {"kernel": os.uname().release, "nproc": os.cpu_count()}
    try:
        info["cpu_model"] = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                                 if l.startswith("model name"))
    except (OSError, StopIteration):
        info["cpu_model"] = "?"
    try:
        info["mem_mb"] = int(next(l.split()[1] for l in open("/proc/meminfo")
                                  if l.startswith("MemTotal"))) // 1024
    except (OSError, StopIteration):
        info["mem_mb"] = 0
    return info


def on_bus(name):
    return subprocess.run(["busctl", "--system", "status", name], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def guest_main():
    plan = json.loads(os.environ["DBUSBENCH_PLAN"])
    result = {"setting": "vm", "vm": vm_info(), "problems": []}
    problems = result["problems"]
    logf = open("/tmp/scx_gamer-dbus-bench.log", "w+")
    if plan["trace"] and plan["baseline_s"] > 0:
        log("baseline window without the daemon, %g s" % plan["baseline_s"])
        result["baseline_no_daemon"] = baseline_window(plan["baseline_s"])
    daemon = subprocess.Popen([plan["scx_gamer"], "--profile", plan["profile"]], stdout=logf,
                              stderr=subprocess.STDOUT)
    result["daemon_pid"] = daemon.pid
    try:
        ready = wait_for(lambda: read(SCHED_EXT + "/state") == "enabled" and
                         "ready" in read(logf.name), 60) and wait_for(
                             lambda: on_bus("org.cachyos.ScxGamer"), 20, 0.2)
        if not ready or daemon.poll() is not None:
            problems.append("the daemon did not start: " + read(logf.name)[-2000:])
            return result
        result["ops"] = read(SCHED_EXT + "/root/ops")
        result["memory_at_start"] = memory(daemon.pid)
        time.sleep(plan["settle_s"])
        log("GetStats x%d in a tight loop" % plan["calls"])
        result["tight_loop"] = run_dbusbench(plan["dbusbench"], plan["calls"], plan["warmup"])
        log("scxgamerctl --json stats x%d" % plan["ctl_runs"])
        result["scxgamerctl"] = run_ctl_stats(plan["scxgamerctl"], plan["ctl_runs"])
        result["memory_after_calls"] = memory(daemon.pid)
        time.sleep(plan["settle_s"])
        log("idle window, %g s" % plan["idle_s"])
        result["idle"] = idle_window(daemon.pid, plan["idle_s"], plan["trace"])
        if plan["control_s"] > 0:
            # The positive control: the daemon's one periodic timer on, so the window must show
            # it (a 1 s timerfd) if the method sees timers at all.
            r = subprocess.run([plan["scxgamerctl"], "apply-flags", "--", "--stats", "1"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                problems.append("apply-flags --stats 1: " + r.stderr.strip())
            else:
                time.sleep(plan["settle_s"])
                log("control window (--stats 1), %g s" % plan["control_s"])
                result["control_stats_1s"] = idle_window(daemon.pid, plan["control_s"], plan["trace"])
                subprocess.run([plan["scxgamerctl"], "apply-flags", "--", "--stats", "0"],
                               capture_output=True, text=True)
        result["memory_at_end"] = memory(daemon.pid)
        result["state_at_end"] = read(SCHED_EXT + "/state")
    finally:
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGINT)
            try:
                daemon.wait(timeout=60)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
        result["daemon_exit"] = daemon.returncode
        result["daemon_log_tail"] = read(logf.name).splitlines()[-15:]
        emit("RESULT", result)
    return result


if __name__ == "__main__":
    res = guest_main()
    sys.exit(0 if not res.get("problems") and res.get("daemon_exit") == 0 else 1)

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Guest side of bench/run-vm-bench: runs inside the sched_ext VM (tests/vm/vm-run), as root.

Reads the plan (a JSON file written by the host runner, visible read-only over 9p), then for each
planned run: attaches the scheduler (none for EEVDF, scx_gamer as a real daemon, or scx_simple),
starts gamebench as a detected game, starts loadgen once gamebench is calibrated (and, under
scx_gamer, detected), records the BPF programs' run time over the measured window, detaches the
scheduler and checks that it stayed attached throughout.

Protocol on stdout, one line each, everything else goes to stderr:
  @@INFO {...}      the environment (kernel, CPUs, calibration)
  @@PROGRESS {...}  a run is starting
  @@RESULT {...}    one run's complete record
  @@IDLE {...}      interrupts per second of the idle VM, EEVDF and scx_gamer
  @@DETECT {...}    the detection pass
  @@DONE {...}      all runs finished
Exit status: 0 when every run produced its numbers, 1 otherwise (results are still printed).
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import detect_trace

# The /proc/interrupts parser vm.idle_interrupts uses too.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "scripts", "lib"))
import irq_rates  # noqa: E402

SCHED_EXT = "/sys/kernel/sched_ext"
BPF_STATS = "/proc/sys/kernel/bpf_stats_enabled"


def log(*a):
    print("guest:", *a, file=sys.stderr, flush=True)


def emit(tag, obj):
    sys.stdout.write("@@%s %s\n" % (tag, json.dumps(obj, separators=(",", ":"))))
    sys.stdout.flush()


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def sched_state():
    return read(SCHED_EXT + "/state", "missing")


def sched_ops():
    return read(SCHED_EXT + "/root/ops")


def wait_for(pred, timeout, step=0.01):
    deadline = time.monotonic() + timeout
    while True:
        if pred():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(step)


# The driver's own snapshot tools run SCHED_FIFO like the driver (see run_on_time): started at
# SCHED_OTHER they would wait behind the background load and take their snapshot late.
ON_TIME = ["chrt", "-f", "1"]


def bpf_progs(bpftool):
    """{id: prog} from bpftool, or {} if it fails."""
    try:
        out = subprocess.run(ON_TIME + [bpftool, "prog", "show", "--json"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
        return {p["id"]: p for p in json.loads(out)}
    except (OSError, subprocess.SubprocessError, ValueError) as e:
        log("bpftool prog show failed:", e)
        return {}


def bpf_delta(before_ids, snap0, snap1, window_s):
    """Per-program run time and call rate between two snapshots, for the scheduler's programs."""
    progs = []
    for pid, p1 in sorted(snap1.items()):
        if pid in before_ids or pid not in snap0:
            continue
        p0 = snap0[pid]
        cnt = p1.get("run_cnt", 0) - p0.get("run_cnt", 0)
        ns = p1.get("run_time_ns", 0) - p0.get("run_time_ns", 0)
        progs.append({
            "id": pid, "name": p1.get("name", "?"), "type": p1.get("type", "?"),
            "run_cnt": cnt, "run_time_ns": ns,
            "avg_ns": ns / cnt if cnt else 0.0,
            "calls_per_s": cnt / window_s if window_s > 0 else 0.0,
            "cpu_pct": 100.0 * ns / (window_s * 1e9) if window_s > 0 else 0.0,
        })
    tot_cnt = sum(p["run_cnt"] for p in progs)
    tot_ns = sum(p["run_time_ns"] for p in progs)
    return {
        "window_s": window_s, "programs": progs,
        "total": {"run_cnt": tot_cnt, "run_time_ns": tot_ns,
                  "avg_ns": tot_ns / tot_cnt if tot_cnt else 0.0,
                  "calls_per_s": tot_cnt / window_s if window_s > 0 else 0.0,
                  "cpu_pct": 100.0 * tot_ns / (window_s * 1e9) if window_s > 0 else 0.0},
    }


def dmesg_lines():
    try:
        out = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=10).stdout
        return out.splitlines()
    except (OSError, subprocess.SubprocessError):
        return []


def tail(path, n=40):
    try:
        with open(path, errors="replace") as f:
            return f.read().splitlines()[-n:]
    except OSError:
        return []


# The baselines with no sched_ext scheduler: EEVDF as it comes, EEVDF with the background load
# reniced to 19 or put in SCHED_IDLE (what a careful user does without scx_gamer), and EEVDF
# without the load (the floor of the VM and of gamebench itself).
NO_BPF = ("eevdf", "eevdf-nice19", "eevdf-idle", "noload")
LOAD_PREFIX = {"eevdf-nice19": ["nice", "-n", "19"], "eevdf-idle": ["chrt", "--idle", "0"]}


def idle_rates(seconds):
    """Interrupts per second over `seconds` of an idle VM: {"total": x, "LOC": y}."""
    per_line = irq_rates.rates(seconds)
    return {"total": round(sum(per_line.values()), 1), "LOC": round(per_line.get("LOC", 0), 1),
            "seconds": seconds}


def daemon_stats(problems):
    """The daemon's GetStats as {name: value}, or {} (the failure goes to `problems`)."""
    try:
        out = subprocess.run(
            ON_TIME + ["busctl", "--system", "--json=short", "call", "org.cachyos.ScxGamer",
             "/org/cachyos/ScxGamer", "org.cachyos.ScxGamer", "GetStats"],
            capture_output=True, text=True, timeout=20, check=True).stdout
        return {k: v["data"] for k, v in json.loads(out)["data"][0].items()}
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, IndexError, TypeError,
            AttributeError) as e:
        problems.append("GetStats failed: %s" % e)
        return {}


def daemon_detection_stats(problems):
    """detection_p50_us/detection_p99_us from the daemon's GetStats, or {}."""
    stats = daemon_stats(problems)
    return {k: stats[k] for k in ("detection_p50_us", "detection_p99_us") if k in stats}


# GetStats values that are levels, not counts (daemon/stats/stats_fields.cpp).
GAUGES = ("nr_games", "nr_game_threads")


def timed(fn):
    """(fn()'s result, the moment it stands for: the middle of the call, the call's length): under
    a busy host a bpftool or busctl call can take seconds, and a window measured from before it
    would count them."""
    start = time.monotonic()
    result = fn()
    end = time.monotonic()
    return result, (start + end) / 2, end - start


class InThreads:
    """Each of `calls` ({name: fn}) in a thread of its own, so that a slow one does not delay the
    others. done: {name: timed()'s triple} of the calls that have returned (not those that
    raised)."""

    def __init__(self, calls):
        self.done = {}
        self.threads = [threading.Thread(target=lambda k=k, fn=fn: self.done.update({k: timed(fn)}))
                        for k, fn in calls.items()]
        for t in self.threads:
            t.start()

    def longest_half(self):
        """Half the longest call that has returned: how far ahead a call must start for its
        middle to fall on a given moment."""
        # list(): one step under the GIL, where a generator over the view could meet a thread's
        # insertion ("dictionary changed size during iteration")
        return max((d for _, _, d in list(self.done.values())), default=0.0) / 2

    def join(self):
        for t in self.threads:
            t.join()
        return self.done


def share_inside(t0, t1, start, end):
    """How much of [t0, t1] lies inside [start, end], from 0 to 1."""
    if t1 <= t0:
        return 0.0
    return max(0.0, min(t1, end) - max(t0, start)) / (t1 - t0)


def counter_delta(before, after):
    """The scheduler's nr_* counters over a window: {name: after - before}."""
    return {k: after[k] - before[k] for k in sorted(after)
            if k.startswith("nr_") and k not in GAUGES and isinstance(after[k], int)
            and isinstance(before.get(k), int)}


CPU_FIELDS = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")


def cpu_times():
    """The machine's CPU time by kind from /proc/stat's "cpu" line, in clock ticks."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:1 + len(CPU_FIELDS)]
    return dict(zip(CPU_FIELDS, (int(x) for x in fields)))


def process_parents():
    """{pid: parent pid} of every process, from /proc/PID/stat (the VM's kernel has no
    /proc/PID/task/TID/children)."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                out[int(entry)] = int(f.read().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # the process ended while it was read
    return out


def task_times(groups):
    """({group: [run ns, wait ns, timeslices]}, [groups whose process was gone], {group: thread
    ids read}): summed over the
    threads of the processes in `groups` ({pid: group}) and their descendants, from each thread's
    /proc schedstat: time on a CPU, time runnable but waiting, and times it got a CPU. One pass
    over /proc/*/stat finds the descendants; only their threads' schedstat is read after it (a
    walk of every thread's takes over a second under TCG without MTTCG)."""
    parents = process_parents()
    children = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    out, gone, tids = {}, [], {}
    for root, group in groups.items():
        total = out.setdefault(group, [0, 0, 0])
        seen_tids = tids.setdefault(group, set())
        if root not in parents:
            gone.append(group)
            continue
        todo, seen = [root], set()
        while todo:
            pid = todo.pop()
            if pid in seen:
                continue
            seen.add(pid)
            todo += children.get(pid, [])
            try:
                for tid in os.listdir("/proc/%d/task" % pid):
                    with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                        for i, v in enumerate(f.read().split()[:3]):
                            total[i] += int(v)
                    seen_tids.add(int(tid))
            except (OSError, ValueError):
                continue  # the process ended while it was read
    return out, gone, tids


def task_split(before, after, seconds):
    """Per group over a window: CPUs' worth of run time, and of waiting (runnable, not running),
    and timeslices per second. Threads that ended in the window are missing (fork churners)."""
    out = {}
    for group, (run, wait, slices) in sorted(after.items()):
        r0, w0, s0 = before.get(group, (0, 0, 0))
        out[group] = {"cpus": round((run - r0) / 1e9 / seconds, 3),
                      "waiting_cpus": round((wait - w0) / 1e9 / seconds, 3),
                      "slices_per_s": round((slices - s0) / seconds, 1)}
    return out


def cpu_split(before, after):
    """Where the CPUs' time went between two cpu_times(): {kind: % of all CPU time}. Tells
    background work that did not run apart from CPUs that were idle (the policy not keeping
    them busy) and from time in interrupts or the kernel."""
    delta = {k: after[k] - before[k] for k in CPU_FIELDS}
    total = sum(delta.values()) or 1
    return {k: round(100.0 * v / total, 2) for k, v in delta.items()}


def base_scheduler(name):
    """"scx_gamer+slice-us=4000" -> "scx_gamer": a variant runs the same scheduler."""
    return name.split("+", 1)[0]


def variant_parts(name):
    """"scx_gamer+slice-us=4000+no-game-preempt+bin=/x/scx_gamer+profile=auto" -> ("/x/scx_gamer",
    "auto", ["--slice-us", "4000", "--no-game-preempt"]); the binary and the profile are None
    unless bin= and profile= name them (a profile's boolean flags cannot be turned off one by
    one: another profile is the way to compare without one)."""
    binary, profile, flags = None, None, []
    for part in name.split("+")[1:]:
        key, eq, value = part.partition("=")
        if key == "bin":
            binary = value
        elif key == "profile":
            profile = value
        else:
            flags += ["--" + key] + ([value] if eq else [])
    return binary, profile, flags


def stop(proc, sig=signal.SIGTERM, timeout=15):
    """Signals a process and reaps it; returns its exit status (None if it had to be killed)."""
    if proc is None:
        return None
    if proc.poll() is None:
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None
    return proc.returncode


class Runner:
    def __init__(self, plan):
        self.plan = plan
        self.tools = plan["tools"]
        self.work = tempfile.mkdtemp(prefix="gamebench.", dir="/tmp")
        self.bpftool = self.tools.get("bpftool")
        self.units_per_us = None

    # -- scheduler control ------------------------------------------------------------------
    def attach(self, name, tag, problems):
        """Starts the scheduler `name`; returns (proc, logpath) or (None, None) for EEVDF."""
        base = base_scheduler(name)
        if base in NO_BPF:
            return None, None
        logpath = os.path.join(self.work, "%s.log" % tag)
        if base == "scx_gamer":
            binary, profile, flags = variant_parts(name)
            argv = [binary or self.tools["scx_gamer"], "--profile",
                    profile or self.plan["gamer_profile"]]
            argv += flags
            if self.plan.get("gamer_stats_secs"):
                argv += ["--stats", str(self.plan["gamer_stats_secs"])]
            want_ops = "gamer"
        elif base == "scx_simple":
            argv = [self.tools["scx_simple"]]
            want_ops = "simple"
        else:
            raise ValueError("unknown scheduler " + name)
        logf = open(logpath, "w")
        proc = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        logf.close()
        if not wait_for(lambda: sched_state() == "enabled" or proc.poll() is not None, 60):
            problems.append("%s did not attach within 60 s" % name)
        elif proc.poll() is not None:
            problems.append("%s exited with %s before attaching" % (name, proc.returncode))
        else:
            ops = sched_ops()
            if not ops.startswith(want_ops):
                problems.append("sched_ext ops is %r, expected %r" % (ops, want_ops))
            if base == "scx_gamer":
                # The daemon logs "ready" once the detector runs too.
                if not wait_for(lambda: "ready" in read(logpath), 30, 0.05):
                    problems.append("scx_gamer attached but never logged 'ready'")
        return proc, logpath

    # -- one run -------------------------------------------------------------------------------
    def run_one(self, idx, sched, rep):
        p = self.plan
        tag = "%02d-%s-%d" % (idx, re.sub(r"[^A-Za-z0-9_.-]", "_", sched), rep)
        base = base_scheduler(sched)
        problems = []
        res = {"index": idx, "scheduler": sched, "rep": rep, "problems": problems}
        if sched_state() not in ("disabled",):
            problems.append("sched_ext state before the run: %s" % sched_state())
        dmesg0 = len(dmesg_lines())
        before_ids = set(bpf_progs(self.bpftool)) if self.bpftool else set()
        t_attach = time.monotonic()
        try:
            sproc, slog = self.attach(sched, tag, problems)
        except OSError as e:
            problems.append("cannot start %s: %s" % (sched, e))
            res["valid"] = False
            return res
        res["attach_s"] = round(time.monotonic() - t_attach, 3)
        res["sched_ops"] = sched_ops() if base not in NO_BPF else ""

        gjson = os.path.join(self.work, tag + ".gamebench.json")
        ljson = os.path.join(self.work, tag + ".loadgen.json")
        ready = os.path.join(self.work, tag + ".ready")
        glog = os.path.join(self.work, tag + ".gamebench.log")
        llog = os.path.join(self.work, tag + ".loadgen.log")
        cjson = os.path.join(self.work, tag + ".compositor.json")
        csock = os.path.join(self.work, tag + ".present")
        env = dict(os.environ, SteamAppId=str(p["steam_app_id"]))
        gargv = [self.tools["gamebench"], "--duration", str(p["duration"]), "--warmup",
                 str(p["warmup"]), "--fps", str(p["fps"]), "--work-pct", str(p["work_pct"]),
                 "--input-hz", str(p.get("input_hz", 1000)), "--json", gjson, "--ready-file", ready]
        gargv += p.get("gamebench_args", [])
        units = ["--units-per-us", "%.6f" % self.units_per_us] if self.units_per_us else []
        gargv += units
        gproc = lproc = cproc = None
        try:
            if p.get("compositor"):
                # The compositor is not part of the game: started here, not by gamebench, so
                # scx_gamer sees it as the desktop process it stands for.
                cproc = self.start_compositor(csock, cjson, units, tag)
                gargv += ["--present", csock]
            # Under scx_gamer the game must be detected before the load starts. A launch that the
            # daemon missed is retried (at most 3 launches); the run records how many it took.
            attempts = 0
            while True:
                attempts += 1
                if os.path.exists(ready):
                    os.unlink(ready)
                with open(glog, "w") as gl:
                    t_spawn = time.monotonic()
                    gproc = subprocess.Popen(gargv, env=env, stdout=gl, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL)
                if base != "scx_gamer":
                    break
                pat = re.compile(r"game detected: .*\(pid %d\b" % gproc.pid)
                seen = wait_for(lambda: pat.search(read(slog)) is not None, 5, 0.005)
                if seen:
                    res["detect_s_upper_bound"] = round(time.monotonic() - t_spawn, 3)
                    break
                stop(gproc, signal.SIGKILL)
                if attempts >= 3:
                    break
            if base == "scx_gamer":
                res["detected"] = seen
                res["launch_attempts"] = attempts
                if not seen:
                    raise RuntimeError("scx_gamer did not detect gamebench in %d launches (no "
                                       "'game detected: ... (pid N' line)" % attempts)
                if attempts > 1:
                    res.setdefault("notes", []).append(
                        "gamebench was detected on launch %d (earlier launches were missed)" % attempts)
            if not wait_for(lambda: os.path.exists(ready) or gproc.poll() is not None, 60):
                raise RuntimeError("gamebench did not calibrate within 60 s")
            if gproc.poll() is not None:
                raise RuntimeError("gamebench exited with %s: %s" % (gproc.returncode, tail(glog, 5)))
            # When gamebench wrote the ready file, not when this driver saw it: under scx_gamer
            # it waited for the detection meanwhile, and the windows of the load and of the
            # snapshots below would have ended after gamebench's.
            t_ready = time.monotonic() - max(0.0, time.time() - os.stat(ready).st_mtime)
            # gamebench's clock: its periodic threads start 20 ms after it wrote the ready file.
            t_window = t_ready + 0.02 + p["warmup"]
            warm = max(0.0, t_window - time.monotonic())
            if p["load_cpu"] + p["load_fork"] > 0 and base != "noload":
                if warm < 0.5:
                    problems.append("load started only %.2f s before the window opened" % warm)
                with open(llog, "w") as ll:
                    lproc = subprocess.Popen(
                        LOAD_PREFIX.get(base, []) +
                        [self.tools["loadgen"], "--cpu", str(p["load_cpu"]), "--fork",
                         str(p["load_fork"]), "--warmup", "%.3f" % warm, "--duration",
                         str(p["duration"]), "--json", ljson],
                        stdout=ll, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.work)
            # BPF run time over the window (as close to it as the guest's own timing allows).
            # Taken under EEVDF too (finding no programs), so that every scheduler gets the same
            # two bpftool runs in the middle of its measurement.
            # Also over the window: the CPU time split, each process tree's run and wait time and
            # (under scx_gamer) the scheduler's counters, so that a low background figure can be
            # traced to idle CPUs, interrupts, the game's own time or the policy's choices. Read a
            # little inside the window: gamebench and loadgen exit at its end, and with them their
            # threads' schedstat.
            use_bpf = bool(self.bpftool and p["bpf_stats"])
            margin = min(0.5, p["duration"] / 10)
            wait_for(lambda: time.monotonic() >= t_window + margin, p["warmup"] + 5, 0.02)
            groups = {proc.pid: name for proc, name in ((gproc, "game"), (cproc, "compositor"),
                                                        (lproc, "background"), (sproc, "scx_gamer"))
                      if proc is not None}
            # A counter snapshot that fails is noted, not a failed run: the figures stand alone.
            stat_errors = []
            # bpftool and busctl take a while under TCG (seconds on a busy host): the /proc reads
            # come first at both ends, where the processes are sure to be running; then each
            # snapshot runs in a thread of its own, timed at the middle of its call, and one whose
            # two calls fell mostly outside the window (the game may have exited) is left out.
            snapshot_calls = {}
            if use_bpf:
                snapshot_calls["bpf"] = lambda: bpf_progs(self.bpftool)
            if base == "scx_gamer":
                snapshot_calls["stats"] = lambda: daemon_stats(stat_errors)
            t_tasks = time.monotonic()
            cpu0, (tasks0, gone0, tids0) = cpu_times(), task_times(groups)
            first = InThreads(snapshot_calls)
            t_end = t_window + p["duration"] - margin
            smoke = p.get("keep_late_snapshots")
            if not smoke:
                # The last snapshots start early enough for their middle to fall at the end, if
                # they take as long as the first.
                wait_for(lambda: time.monotonic() >= t_end - first.longest_half(),
                         p["duration"] + 5, 0.05)
                last = InThreads(snapshot_calls)
            wait_for(lambda: time.monotonic() >= t_end, p["duration"] + 5, 0.05)
            cpu1, (tasks1, gone1, tids1) = cpu_times(), task_times(groups)
            tasks_window = time.monotonic() - t_tasks
            if smoke:  # after the /proc reads, which the calls would slow past the window's end
                last = InThreads(snapshot_calls)
            # A group whose process or one of whose threads ended took its time along (the
            # background's fork churners end all the time: theirs is "none of these").
            lost = [g for g in tids0 if g != "background" and tids0[g] - tids1.get(g, set())]
            ended = sorted(set(gone0 + gone1 + lost) - {"scx_gamer"})
            first, last = first.join(), last.join()
            window_at = (t_window, t_window + p["duration"])
            for name in snapshot_calls:
                if name not in first or name not in last:
                    continue  # the call failed (noted by it): no figures
                t0, t1 = first[name][1], last[name][1]
                # Mostly inside the window (the game may have exited after it), and most of it.
                if share_inside(t0, t1, *window_at) < 0.8 or t1 - t0 < p["duration"] / 2:
                    keep = smoke
                    res.setdefault("notes", []).append(
                        "the %s snapshots came %.2f and %.2f s into the %g s window: %s" % (
                            name, t0 - t_window, t1 - t_window, p["duration"],
                            "kept (smoke)" if keep else "left out"))
                    if not keep:
                        del first[name]
            (snap0, t_snap0, _), (stats0, t_stats0, _) = (first.get(k, ({}, 0.0, 0.0))
                                                          for k in ("bpf", "stats"))
            (snap1, t_snap1, _), (stats1, t_stats1, _) = (last.get(k, ({}, 0.0, 0.0))
                                                          for k in ("bpf", "stats"))
            if ended:
                # their threads' time went with them: the split would be missing it
                res.setdefault("notes", []).append(
                    "the CPU split was read after the %s (or a thread of it) had exited (%.2f-%.2f "
                    "s into the %g s window): left out" % (" and the ".join(ended), t_tasks - t_window,
                                           t_tasks + tasks_window - t_window, p["duration"]))
            else:
                res["cpu_split_pct"] = cpu_split(cpu0, cpu1)
                res["task_split"] = task_split(tasks0, tasks1, tasks_window)
                res["cpus_online"] = os.cpu_count()
            bpf_window = t_snap1 - t_snap0
            if stats0 and stats1:
                # over the time between the two calls, which a busy host can make much shorter
                # than the window: counts are comparable between runs only per second
                res["sched_counters"] = counter_delta(stats0, stats1)
                res["sched_counters_s"] = round(t_stats1 - t_stats0, 3)
            if stat_errors:
                res.setdefault("notes", []).extend(stat_errors[:1])
            limit = p["warmup"] + p["duration"] + 120
            try:
                grc = gproc.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                problems.append("gamebench did not finish in time")
                grc = stop(gproc, signal.SIGKILL)
            lrc = 0
            if lproc is not None:
                try:
                    lrc = lproc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    problems.append("loadgen did not finish in time")
                    lrc = stop(lproc, signal.SIGKILL)
            if grc != 0:
                problems.append("gamebench exit status %s" % grc)
            # loadgen exits 1 when a worker made no progress: with some progress elsewhere that is
            # a measured result (a starved background worker), not a failed run.
            if cproc is not None:
                try:
                    crc = cproc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    crc = stop(cproc, signal.SIGKILL)
                res["compositor"] = json.load(open(cjson)) if os.path.exists(cjson) else None
                if crc != 0 or res["compositor"] is None:
                    problems.append("compositor exit status %s, %s" % (
                        crc, "no results" if res["compositor"] is None else "results written"))
            state_after = sched_state()
            if base not in NO_BPF:
                if state_after != "enabled" or (sproc and sproc.poll() is not None):
                    problems.append("%s was no longer attached at the end (state %s)" % (sched, state_after))
            if snap0 and snap1 and base not in NO_BPF:
                res["bpf"] = bpf_delta(before_ids, snap0, snap1, bpf_window)
            res["gamebench"] = json.load(open(gjson)) if os.path.exists(gjson) else None
            res["loadgen"] = json.load(open(ljson)) if os.path.exists(ljson) else None
            if res["gamebench"] is None:
                problems.append("no gamebench results")
            if res["loadgen"] is None and lproc is not None:
                problems.append("no loadgen results")
            elif lproc is not None:
                lg = res["loadgen"]
                if lg["cpu"]["loops"] + lg["fork"]["forks"] == 0 or lrc not in (0, 1):
                    problems.append("loadgen (exit %s): the background load did not run" % lrc)
                elif lg.get("idle_workers"):
                    res.setdefault("notes", []).append(
                        "background workers with no progress in the window: %s hog(s), %s "
                        "fork churner(s)" % (lg["cpu"].get("idle_workers", "?"),
                                             lg["fork"].get("idle_workers", "?")))
        except (RuntimeError, OSError, ValueError) as e:
            problems.append(str(e))
            stop(gproc, signal.SIGKILL)
            stop(lproc, signal.SIGTERM)
            stop(cproc, signal.SIGKILL)
        finally:
            res["scheduler_exit"] = stop(sproc)
            if sproc is not None:
                if not wait_for(lambda: sched_state() == "disabled", 20):
                    problems.append("sched_ext still %s after stopping %s" % (sched_state(), sched))
                res["scheduler_log_tail"] = tail(slog, 30)
                if base == "scx_gamer" and res["scheduler_exit"] != 0:
                    problems.append("scx_gamer exit status %s after SIGTERM" % res["scheduler_exit"])
            new_dmesg = [l for l in dmesg_lines()[dmesg0:] if "sched_ext" in l or "BUG" in l]
            res["dmesg"] = new_dmesg[-20:]
            if any("disabled" in l and "error" in l.lower() for l in new_dmesg):
                problems.append("the kernel disabled the scheduler: " + new_dmesg[-1])
        res["valid"] = not problems
        return res

    def start_compositor(self, sock, cjson, units, tag):
        """Starts `gamebench --compositor` and waits until its socket is bound."""
        p = self.plan
        ready = os.path.join(self.work, tag + ".compositor.ready")
        with open(os.path.join(self.work, tag + ".compositor.log"), "w") as cl:
            cproc = subprocess.Popen(
                [self.tools["gamebench"], "--compositor", sock, "--duration", str(p["duration"]),
                 "--warmup", str(p["warmup"]), "--json", cjson, "--ready-file", ready, "--quiet",
                 "--compose-work-us", str(p.get("compose_work_us", 300))] + units,
                stdout=cl, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if not wait_for(lambda: os.path.exists(ready) or cproc.poll() is not None, 60):
            stop(cproc, signal.SIGKILL)
            raise RuntimeError("the compositor did not bind its socket within 60 s")
        if cproc.poll() is not None:
            raise RuntimeError("the compositor exited with %s" % cproc.returncode)
        return cproc

    def idle_pass(self, seconds):
        """Interrupts per second of the idle VM: EEVDF, then scx_gamer attached with no game,
        then EEVDF again (the two EEVDF windows bracket any drift). A periodic timer in the
        scheduler would show here as hundreds of interrupts a second more."""
        res = {"problems": []}
        settle = 2
        time.sleep(settle)
        res["eevdf"] = idle_rates(seconds)
        proc, _ = self.attach("scx_gamer", "idle", res["problems"])
        try:
            if not res["problems"]:
                time.sleep(settle)
                res["scx_gamer"] = idle_rates(seconds)
        finally:
            stop(proc)
            wait_for(lambda: sched_state() == "disabled", 20)
        time.sleep(settle)
        res["eevdf_after"] = idle_rates(seconds)
        return res

    def detect_pass(self, launches):
        """Detection latency: bench/detectbench launches `gamebench --idle` with SteamAppId set,
        one launch after the other, and times exec -> GameDetected arriving on the system bus.
        The daemon's own figure (kernel exec timestamp -> classified) comes from its log. No
        background load; the VM is otherwise idle."""
        res = {"launches": launches, "problems": []}
        traced = self.plan.get("detect_trace", 0)
        if traced:
            res["exec_baseline"] = self.exec_baseline(traced, res["problems"])
        # attach() waits for the daemon's "ready": the detector runs and the bus name is owned.
        not_attached = []
        proc, logpath = self.attach("scx_gamer", "detection", not_attached)
        res["problems"] += not_attached
        try:
            if not_attached:
                return res
            out = self.detectbench(launches, res["problems"])
            if out is None:
                return res
            res.update({k: out[k] for k in ("detected", "missed", "exits_missed", "latency_ms",
                                            "samples_ms")})
            # The daemon's own part, timed by itself: exec record read -> GameDetected sent.
            res["daemon_stats"] = daemon_detection_stats(res["problems"])
            if traced:
                res["breakdown"] = self.detect_breakdown(proc.pid, traced, res["problems"])
        finally:
            rc = stop(proc)
            res["scheduler_exit"] = rc
            wait_for(lambda: sched_state() == "disabled", 20)
        own = sorted(float(m) for m in
                     re.findall(r"detected pid \d+ (\d+\.\d+) ms after its exec", read(logpath)))
        # exec event (kernel timestamp) -> classified, as the daemon logs it
        res["daemon_latency_ms"] = (dict(min=own[0], **detect_trace.quantiles(own)) if own else
                                    dict.fromkeys(("min", "p50", "p90", "p99", "max")))
        return res

    def detectbench(self, launches, problems, timeout_ms=2000, must_detect=True):
        """Runs detectbench over `launches` launches of `gamebench --idle`; its JSON, or None."""
        bench = subprocess.run(
            [self.tools["detectbench"], "--launches", str(launches), "--timeout-ms",
             str(timeout_ms), "--app-id", str(self.plan["steam_app_id"]), "--json", "-", "--",
             self.tools["gamebench"], "--idle", "0.2"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60 + launches * 5)
        try:
            out = json.loads(bench.stdout)
        except ValueError:
            problems.append("detectbench failed (status %d): %s" % (
                bench.returncode, bench.stderr.strip()[-300:]))
            return None
        if bench.returncode != 0 and must_detect:
            problems.append("detectbench: " + (bench.stderr.strip()[-300:] or
                                               "status %d" % bench.returncode))
        return out

    def exec_baseline(self, launches, problems):
        """The kernel's exec of the game with no scx_gamer (EEVDF, no detector): the same
        launcher (detectbench, whose wait for a GameDetected that cannot come is cut to 10 ms),
        traced. The part of the detection path that precedes anything of ours."""
        try:
            with detect_trace.Recording() as rec:
                self.detectbench(launches, problems, timeout_ms=10, must_detect=False)
        except OSError as e:
            problems.append("cannot trace the exec baseline: %s" % e)
            return None
        return detect_trace.kernel_exec(rec.lines, self.tools["gamebench"])

    def detect_breakdown(self, daemon_pid, launches, problems):
        """A second detectbench pass with the scheduler's trace recorded: where each launch's
        time went (bench/lib/detect_trace.py). Tracing costs time of its own, so this pass has
        its own total and the untraced pass keeps the headline figure."""
        bus_tids = set()
        for pid in detect_trace.pids_named("dbus-daemon"):
            bus_tids |= detect_trace.thread_ids(pid)
        try:
            with detect_trace.Recording() as rec:
                out = self.detectbench(launches, problems)
        except OSError as e:
            problems.append("cannot trace the detection pass: %s" % e)
            return None
        found = detect_trace.breakdown(rec.lines, self.tools["gamebench"],
                                       detect_trace.thread_ids(daemon_pid), bus_tids)
        found["events_lost"] = rec.lost
        found["traced_latency_ms"] = (out or {}).get("latency_ms")
        return found

    def calibrate(self):
        """One calibration for the whole boot, on the idle VM under EEVDF: every run then does
        exactly the same work per frame, whatever the scheduler. Each run still reports its own
        calibration check."""
        cals = []
        for _ in range(3):
            out = subprocess.run([self.tools["gamebench"], "--calibrate-only"], capture_output=True,
                                 text=True, timeout=120, check=True).stdout
            cals.append(json.loads(out))
        cals.sort(key=lambda c: c["units_per_us"])
        self.units_per_us = cals[1]["units_per_us"]
        return {"units_per_us": self.units_per_us,
                "runs": [round(c["units_per_us"], 3) for c in cals],
                "spread_pct": [round(c["spread_pct"], 2) for c in cals]}

    def main(self):
        info = {
            "kernel": os.uname().release,
            "nproc": os.cpu_count(),
            "cpu_model": next((l.split(":", 1)[1].strip() for l in read("/proc/cpuinfo").splitlines()
                               if l.startswith("model name")), "?"),
            "mem_mb": int(next((l.split()[1] for l in read("/proc/meminfo").splitlines()
                                if l.startswith("MemTotal")), "0")) // 1024,
            "sched_ext_state": sched_state(),
            "in_vm": os.environ.get("SCX_GAMER_IN_VM", ""),
        }
        if info["sched_ext_state"] == "missing":
            log("this kernel has no sched_ext")
            emit("INFO", info)
            return 1
        if self.plan["bpf_stats"]:
            try:
                with open(BPF_STATS, "w") as f:
                    f.write("1\n")
            except OSError as e:
                log("cannot enable BPF stats:", e)
            info["bpf_stats_enabled"] = read(BPF_STATS)
        if self.plan.get("units_per_us"):
            # A later boot of the same benchmark (the VM died): keep the first boot's figure.
            self.units_per_us = self.plan["units_per_us"]
            info["calibration"] = {"units_per_us": self.units_per_us, "source": "previous boot"}
        else:
            info["calibration"] = self.calibrate()
        emit("INFO", info)
        log("calibrated: %.2f units/us" % self.units_per_us)
        ok = True
        runs = self.plan["runs"]
        t_begin = time.monotonic()
        for i, r in enumerate(runs):
            idx = r.get("id", i)
            emit("PROGRESS", {"index": idx, "total": len(runs), "scheduler": r["scheduler"],
                              "rep": r["rep"], "elapsed_s": round(time.monotonic() - t_begin, 1)})
            res = self.run_one(idx, r["scheduler"], r["rep"])
            if not res["valid"]:
                ok = False
                log("run %d (%s #%d): %s" % (i, r["scheduler"], r["rep"], "; ".join(res["problems"])))
            emit("RESULT", res)
        idle_s = self.plan.get("idle_secs", 0)
        if idle_s and "scx_gamer" in self.tools and not self.plan.get("idle_done"):
            emit("PROGRESS", {"index": len(runs), "total": len(runs), "scheduler": "scx_gamer",
                              "rep": 0, "phase": "idle", "elapsed_s": round(time.monotonic() - t_begin, 1)})
            idle = self.idle_pass(idle_s)
            if idle["problems"]:
                ok = False
                log("idle pass: " + "; ".join(idle["problems"]))
            emit("IDLE", idle)
        n = self.plan.get("detect_launches", 0)
        if n and "scx_gamer" in self.tools:
            emit("PROGRESS", {"index": len(runs), "total": len(runs), "scheduler": "scx_gamer",
                              "rep": 0, "phase": "detection", "elapsed_s": round(time.monotonic() - t_begin, 1)})
            det = self.detect_pass(n)
            # Launches the daemon missed are a measured result, not a failure of the benchmark;
            # only a pass that could not run at all is.
            if det.get("detected") is None:
                ok = False
            if det["problems"]:
                log("detection: " + "; ".join(det["problems"]))
            emit("DETECT", det)
        emit("DONE", {"elapsed_s": round(time.monotonic() - t_begin, 1), "ok": ok})
        return 0 if ok else 1


def main():
    # The plan comes in the environment (vm-run --env) or as a file.
    if len(sys.argv) == 2:
        with open(sys.argv[1]) as f:
            plan = json.load(f)
    elif os.environ.get("GAMEBENCH_PLAN"):
        plan = json.loads(os.environ["GAMEBENCH_PLAN"])
    else:
        print("usage: guest-bench.py [PLAN.json]  (or GAMEBENCH_PLAN='{...}' in the environment)",
              file=sys.stderr)
        return 2
    run_on_time()
    return Runner(plan).main()


def run_on_time():
    """Makes this driver SCHED_FIFO 1, its children reset to SCHED_OTHER on fork. Under the
    background load a nice-0 driver is itself starved (under EEVDF and scx_gamer alike, not under
    the reniced baselines), and starts the load and takes the window's snapshots late by up to
    seconds; it only polls, so its own CPU time is negligible."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO | os.SCHED_RESET_ON_FORK, os.sched_param(1))
    except OSError as e:
        log("cannot make the driver SCHED_FIFO (%s): its snapshots may come late" % e)


if __name__ == "__main__":
    sys.exit(main())

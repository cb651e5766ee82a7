# SPDX-License-Identifier: GPL-2.0-only
"""Where a game's detection time goes, launch by launch, from the kernel's scheduler trace.

bench/detectbench times exec -> GameDetected received as one figure. This module splits that
figure into the hops it is made of, from tracefs events recorded during a second, traced pass
of detectbench (guest-bench.py runs it; tracing adds its own cost, so the untraced pass keeps
the headline figure):

  execve of the game          syscalls:sys_enter_execve, filename = the game's path
  the exec event              sched_waking of a daemon thread: the LSM hook's ring-buffer wake-up
  the daemon runs             sched_switch to that thread
  GameDetected sent           sched_waking of dbus-daemon by a daemon thread
  dbus-daemon runs            sched_switch to it
  the signal forwarded        sched_waking of the client (detectbench) by dbus-daemon
  the client runs             sched_switch to it

Each launch is cut at its execve; a launch missing a step is counted, not measured. Apart from
the chain, `kernel_exec` times the kernel's whole exec of the game (execve ->
sched_process_exec), which guest-bench.py also records with no scx_gamer running, as the
baseline of that part. Used in the guest (recording) and on the host (its test parses a
recorded trace)."""
import os
import re
import subprocess

TRACEFS = "/sys/kernel/tracing"
EVENTS = ("sched/sched_waking", "sched/sched_switch", "syscalls/sys_enter_execve",
          "sched/sched_process_exec")

# (key, label): consecutive segments of one launch, in order.
SEGMENTS = (
    ("exec_to_hook", "`execve` → the exec event (the kernel's exec work up to the LSM hook)"),
    ("daemon_wakeup", "the daemon woken → running"),
    ("daemon_work", "the daemon running → GameDetected sent (wakes dbus-daemon)"),
    ("bus_wakeup", "dbus-daemon woken → running"),
    ("bus_work", "dbus-daemon running → the signal forwarded (wakes the client)"),
    ("client_wakeup", "the client woken → running"),
)
# The step each segment ends at; a segment starts where the previous one ended.
_STEPS = ("execve",) + tuple(key for key, _ in SEGMENTS)

_LINE = re.compile(r"^\s*(.*)-(\d+)\s+\[(\d+)\]\s+\S+\s+([\d.]+):\s+(\w+)[:(]\s?(.*)$")
_WAKEE = re.compile(r"comm=(.*) pid=(\d+) prio=")
_NEXT = re.compile(r"next_comm=(.*) next_pid=(\d+) next_prio=")


def parse(lines):
    """Events of a tracefs `trace` text: (ms, tid, event, arguments), in time order."""
    events = []
    for line in lines:
        m = _LINE.match(line)
        if m:
            events.append((float(m.group(4)) * 1e3, int(m.group(2)), m.group(5), m.group(6)))
    events.sort(key=lambda e: e[0])
    return events


def _launches(events, game_path, daemon_tids, bus_tids, client_comm):
    """One dict per launch: step -> time (ms); steps not seen are missing.

    A task is not woken twice without running in between, and a woken daemon or dbus-daemon that
    sleeps again has passed on what woke it. So a new wake-up of the task whose step is awaited
    means that step happened unseen (a task already awake is not "woken"; an event was lost):
    the launch stops there rather than take a later, unrelated event for its step."""
    launches, cur = [], None
    for ms, tid, event, args in events:
        if _is_exec_of(event, args, game_path):
            cur = {"execve": ms}
            launches.append(cur)
            continue
        if cur is None or cur.get("broken"):
            continue
        woken = _WAKEE.match(args) if event == "sched_waking" else None
        woken_tid = int(woken.group(2)) if woken else None
        switched = _NEXT.search(args) if event == "sched_switch" else None
        switched_tid = int(switched.group(2)) if switched else None
        if "exec_to_hook" not in cur:
            if woken_tid in daemon_tids:
                cur["exec_to_hook"], cur["actor"] = ms, woken_tid
            continue
        if woken_tid == cur["actor"]:
            cur["broken"] = True
        elif "daemon_wakeup" not in cur:
            if switched_tid == cur["actor"]:
                cur["daemon_wakeup"] = ms
        elif "daemon_work" not in cur:
            if tid == cur["actor"] and woken_tid in bus_tids:
                cur["daemon_work"], cur["actor"] = ms, woken_tid
        elif "bus_wakeup" not in cur:
            if switched_tid == cur["actor"]:
                cur["bus_wakeup"] = ms
        elif "bus_work" not in cur:
            if tid == cur["actor"] and woken and woken.group(1) == client_comm:
                cur["bus_work"], cur["actor"] = ms, woken_tid
        elif "client_wakeup" not in cur:
            if switched_tid == cur["actor"]:
                cur["client_wakeup"] = ms
    return launches


def quantiles(values):
    """Nearest-rank p50/p90/p99 and max of a non-empty list, as run-vm-bench reports everywhere
    else."""
    v = sorted(values)

    def q(per_mille):  # integer arithmetic: 0.99 * 100 is not 99 in floating point
        rank = -(-per_mille * len(v) // 1000)
        return round(v[max(rank, 1) - 1], 3)
    return {"p50": q(500), "p90": q(900), "p99": q(990), "max": round(v[-1], 3)}


def _is_exec_of(event, args, game_path):
    """Whether a sys_enter_execve event starts an exec of the game (its filename argument)."""
    return event == "sys_execve" and '"%s"' % game_path in args


def kernel_exec(lines, game_path):
    """execve of the game -> its sched_process_exec, per exec'ing thread: {"launches": n,
    p50/p90/p99/max in ms}, or None when no exec of the game was seen whole."""
    return _kernel_exec(parse(lines), game_path)


def _kernel_exec(events, game_path):
    started, took = {}, []
    for ms, tid, event, args in events:
        if _is_exec_of(event, args, game_path):
            started[tid] = ms
        elif event == "sched_process_exec" and tid in started and \
                args.startswith("filename=%s " % game_path):
            took.append(ms - started.pop(tid))
    return dict(launches=len(took), **quantiles(took)) if took else None


def breakdown(lines, game_path, daemon_tids, bus_tids, client_comm="detectbench"):
    """The launches' segments (p50/p90/p99/max in ms), their total and the total without the
    daemon's own work (what no change to the daemon's code could take away), and the kernel's
    exec of the game."""
    events = parse(lines)
    launches = _launches(events, game_path, set(daemon_tids), set(bus_tids), client_comm)
    complete = [l for l in launches if all(step in l for step in _STEPS)]
    result = {"launches": len(launches), "complete": len(complete), "segments": [],
              "kernel_exec_ms": _kernel_exec(events, game_path)}
    if not complete:
        return result
    for (key, label), start in zip(SEGMENTS, _STEPS):
        row = {"segment": key, "label": label}
        row.update(quantiles([l[key] - l[start] for l in complete]))
        result["segments"].append(row)
    totals = [l["client_wakeup"] - l["execve"] for l in complete]
    result["total_ms"] = quantiles(totals)
    result["without_daemon_work_ms"] = quantiles(
        [t - (l["daemon_work"] - l["daemon_wakeup"]) for t, l in zip(totals, complete)])
    return result


def thread_ids(pid):
    """The thread ids of process pid (empty when it is gone)."""
    try:
        return {int(t) for t in os.listdir("/proc/%d/task" % pid)}
    except OSError:
        return set()


def pids_named(comm):
    """Processes whose comm is exactly comm."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/comm" % entry) as f:
                    if f.read().strip() == comm:
                        found.append(int(entry))
            except OSError:
                pass
    return found


def _write(name, value, tracefs=TRACEFS):
    with open(os.path.join(tracefs, name), "w") as f:
        f.write(value)


class Recording:
    """Records EVENTS into tracefs' global buffer while the with-block runs; `lines` and `lost`
    hold the result afterwards. Raises OSError when tracefs or an event is missing."""

    def __init__(self, tracefs=TRACEFS, buffer_kb=8192):
        self.tracefs, self.buffer_kb = tracefs, buffer_kb
        self.lines, self.lost = [], 0

    def __enter__(self):
        if not os.path.isdir(os.path.join(self.tracefs, "events")):
            subprocess.run(["mount", "-t", "tracefs", "nodev", self.tracefs],
                           stderr=subprocess.DEVNULL, check=False)
        try:
            _write("tracing_on", "0", self.tracefs)
            _write("trace", "", self.tracefs)
            _write("buffer_size_kb", str(self.buffer_kb), self.tracefs)
            for event in EVENTS:
                _write("events/%s/enable" % event, "1", self.tracefs)
            _write("tracing_on", "1", self.tracefs)
        except OSError:
            self._disable()
            raise
        return self

    def _disable(self):
        """Leaves tracefs as found: events off, buffer empty (best effort)."""
        for name, value in [("tracing_on", "0")] + [("events/%s/enable" % e, "0") for e in EVENTS]:
            try:
                _write(name, value, self.tracefs)
            except OSError:
                pass

    def __exit__(self, *exc):
        _write("tracing_on", "0", self.tracefs)
        with open(os.path.join(self.tracefs, "trace")) as f:
            text = f.read()
        self._disable()
        _write("trace", "", self.tracefs)
        self.lines = text.splitlines()
        # "# entries-in-buffer/entries-written: 5321/5321   #P:2": fewer kept than written = lost
        m = re.search(r"entries-in-buffer/entries-written: (\d+)/(\d+)", text)
        self.lost = int(m.group(2)) - int(m.group(1)) if m else 0
        return False

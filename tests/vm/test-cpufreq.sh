#!/usr/bin/env bash
# In the VM: each CPU's performance target (scx_bpf_cpuperf_set(), docs/scheduler.md) follows its
# load. The VM has no cpufreq driver, so the targets are read back from the scheduler
# (cpuperf_targets in the statistics: what it last gave the kernel for each CPU):
#   - a CPU hog pinned to each CPU: every CPU asks for full speed (1024);
#   - the hogs gone: the CPUs go down (an idle CPU asks for 0; the CPU that runs the query, and
#     the daemon answering it, may still be up, so all but one must be below full speed);
#   - a hog busy about a quarter of the time on the last CPU: while that CPU runs it, it asks for
#     more than nothing and, most of the time, less than full speed (see below for why "most").
# The thresholds are the policy's (full speed from 3/4 busy), with room for the test's own
# processes; none depends on how fast the VM runs, as utilization is a ratio of times.

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
ncpus=$(nproc)
last=$((ncpus - 1))
spin='while :; do :; done'

# targets: the CPUs' targets, space-separated, in CPU order.
targets() { stat_of cpuperf_targets; }
# count_below VALUE TARGETS...: how many targets are below VALUE.
count_below() {
    local value=$1 n=0 t; shift
    for t in "$@"; do [ "$t" -lt "$value" ] && n=$((n + 1)); done
    echo "$n"
}

start_daemon || { fail "daemon attaches"; finish; exit 1; }
# This shell and what it starts (the queries) stay on CPU 0, off the CPU measured last.
taskset -pc 0 $$ >/dev/null
sets_before=$(stat_of nr_cpuperf_sets)

hogs=()
for cpu in $(seq 0 "$last"); do
    taskset -c "$cpu" bash -c "$spin" &
    hogs+=($!)
done
sleep 2
# shellcheck disable=SC2207 # split into CPUs
loaded=($(targets))
check "every CPU busy: each asks for full speed (${loaded[*]})" \
    test "$(count_below 1024 "${loaded[@]}")" -eq 0
check "one target per CPU (${#loaded[@]} of $ncpus)" test "${#loaded[@]}" -eq "$ncpus"
kill "${hogs[@]}"; wait "${hogs[@]}" 2>/dev/null || true

sleep 2
# shellcheck disable=SC2207
idle=($(targets))
check "hogs gone: at least $((ncpus - 1)) of $ncpus CPUs below full speed (${idle[*]})" \
    test "$(count_below 1024 "${idle[@]}")" -ge $((ncpus - 1))

# The daemon answers the queries: on CPU 0 too, or its own work would count on the CPU measured.
taskset -apc 0 "$DAEMON_PID" >/dev/null
# About 25% busy on the last CPU: 3 ms of work every 12 ms (bash's own sleep is too coarse).
taskset -c "$last" python3 -c '
import time
while True:
    end = time.monotonic() + 0.003
    while time.monotonic() < end:
        pass
    time.sleep(0.009)
' &
partial=$!
sleep 2
# What the last CPU asks for, 200 times ~40 ms apart, from one process on CPU 0 (a python start
# per sample would keep CPU 0 busy, see below). An idle CPU asks for 0, so only the samples that
# found the CPU running the load (non-zero; about a quarter of them) say anything about it.
#
# Why not "the highest sample is below full speed": a CPU that has been busy without a break for
# the last 10 ms or more asks for full speed at once (cpu_util()'s recent window, so that a CPU
# that just became busy speeds up within ~10 ms), and that is right. Under TCG the guest does not
# see 3 ms bursts: while a vCPU is not executed (single-threaded TCG runs the vCPUs in turn, so a
# busy CPU 0 holds CPU 1 back; the host is shared) guest time passes and the task counts as
# running. Measured with one python start per sample (CPU 0 busy): bursts of 3.4 ms median, 8 ms
# p90, 16 ms p99, 41 ms at most, 79 of 1604 at 10 ms or longer; a burst of 10 ms or more after
# the window restarts legitimately reads 1024, and "the highest of 30 samples" read 1024 in an
# earlier run. With this sampler (CPU 0 mostly idle): load 31% busy, 46 non-zero samples of
# 128-512; in a second run on a busier host, load 37% busy, 39 non-zero samples, two of them
# 1024 (the old check would have failed), median 384. The median of the samples taken while the CPU ran the load is what follows the
# load: below full speed unless the CPU was mostly in such long bursts; a scheduler that ignored the load (always 1024) fails it.
before=$(awk '{print $14 + $15}' "/proc/$partial/stat")
before_at=$(date +%s%N)
# shellcheck disable=SC2207 # split into samples
running=($(python3 - "$last" <<'PY'
import json, socket, sys, time
cpu = int(sys.argv[1])
for _ in range(200):
    s = socket.socket(socket.AF_UNIX)
    s.connect("/var/run/scx/root/stats")
    f = s.makefile("rw")
    f.write(json.dumps({"req": "stats", "args": {"target": "top"}}) + "\n")
    f.flush()
    reply = f.readline()
    s.close()
    def find(node):
        if isinstance(node, dict):
            if "cpuperf_targets" in node:
                return node["cpuperf_targets"]
            for value in node.values():
                found = find(value)
                if found is not None:
                    return found
        return None
    targets = find(json.loads(reply)) or ""
    targets = targets.split() if isinstance(targets, str) else targets
    if len(targets) > cpu and int(targets[cpu]) > 0:
        print(targets[cpu])
    time.sleep(0.04)
PY
))
after=$(awk '{print $14 + $15}' "/proc/$partial/stat")
after_at=$(date +%s%N)
# Its real share of the CPU meanwhile (user + system time in 1/100 s, see proc(5)).
busy_pct=$(( (after - before) * 10 * 1000 * 1000 * 100 / (after_at - before_at) ))
median=0
if [ "${#running[@]}" -gt 0 ]; then
    median=$(printf '%s\n' "${running[@]}" | sort -n | sed -n "$(( (${#running[@]} + 1) / 2 ))p")
fi
echo "# partly busy CPU $last: ${busy_pct}% busy; non-zero samples (${#running[@]} of 200):" \
    "${running[*]}"
check "a CPU busy a quarter of the time asks for more than nothing (${#running[@]} samples)" \
    test "${#running[@]}" -gt 0
check "and, in the median, for less than full speed ($median)" test "$median" -lt 1024
kill "$partial"; wait "$partial" 2>/dev/null || true

sets_after=$(stat_of nr_cpuperf_sets)
check "targets changed along the way (nr_cpuperf_sets $sets_before -> $sets_after)" \
    test "${sets_after:-0}" -gt "${sets_before:-0}"
check "the scheduler is still attached" state_is enabled
stop_daemon TERM
check "SIGTERM: exit 0 (was $DAEMON_STATUS)" test "$DAEMON_STATUS" -eq 0
[ "$failures" -eq 0 ] || show_log
finish

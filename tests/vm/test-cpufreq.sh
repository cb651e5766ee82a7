#!/usr/bin/env bash
# In the VM: each CPU's performance target (scx_bpf_cpuperf_set(), docs/scheduler.md) follows its
# load. The VM has no cpufreq driver, so the targets are read back from the scheduler
# (cpuperf_targets in the statistics: what it last gave the kernel for each CPU):
#   - a CPU hog pinned to each CPU: every CPU asks for full speed (1024);
#   - the hogs gone: the CPUs go down (an idle CPU asks for 0; the CPU that runs the query, and
#     the daemon answering it, may still be up, so all but one must be below full speed);
#   - a hog busy about a quarter of the time on the last CPU: its target is between those, above
#     0 and below full speed. An idle CPU asks for 0, so the target is sampled 30 times and the
#     highest counts (all 30 samples falling into idle time: 0.75^30, about 2 in 10^4).
# The thresholds are the policy's (full speed from 3/4 busy), with room for the test's own
# processes; none depends on how fast the VM runs, as utilization is a ratio of times.
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
best=0
for _ in $(seq 30); do
    # shellcheck disable=SC2207
    now=($(targets))
    t=${now[$last]:-0}
    [ "$t" -gt "$best" ] && best=$t
done
echo "# partly busy CPU $last: highest of 30 samples $best"
check "a CPU busy a quarter of the time asks for more than nothing ($best)" test "$best" -gt 0
check "and for less than full speed ($best)" test "$best" -lt 1024
kill "$partial"; wait "$partial" 2>/dev/null || true

sets_after=$(stat_of nr_cpuperf_sets)
check "targets changed along the way (nr_cpuperf_sets $sets_before -> $sets_after)" \
    test "${sets_after:-0}" -gt "${sets_before:-0}"
check "the scheduler is still attached" state_is enabled
stop_daemon TERM
check "SIGTERM: exit 0 (was $DAEMON_STATUS)" test "$DAEMON_STATUS" -eq 0
[ "$failures" -eq 0 ] || show_log
finish

#!/usr/bin/env bash
# In the VM, on the real system bus: 200 concurrent clients, each on its own connection, call
# GetStats and read properties of the real daemon for 30 s (bench/dbus_load.cpp). Every call must
# be answered (0 errors, every client served) and the daemon's memory must not grow while it
# serves them: VmRSS, sampled twice a second, may grow by at most RSS_BOUND_KIB from the
# highest sample of the first 10 s to the highest of the last 10 s. Latency is reported only.
#
# The bound: the daemon keeps nothing per GetStats or Get call (sd-bus frees each message once
# answered, the reply map is a temporary), so its heap stays where the first seconds took it
# (1 thread, 1 malloc arena; the 200 connections are dbus-daemon's, not the daemon's). 1 MiB is
# 256 pages: room for allocator noise, yet a leak of as little as ~1 MiB / (calls in the 20 s
# between the windows) bytes per call - reported below - exceeds it.
# shellcheck source-path=SCRIPTDIR source=lib.sh

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
LOAD=${DBUS_LOAD:?path to the dbus_load binary}
CLIENTS=${DBUS_LOAD_CLIENTS:-200}
SECONDS_RUN=${DBUS_LOAD_SECONDS:-30}
WINDOW=10
RSS_BOUND_KIB=1024
BUS_NAME=org.cachyos.ScxGamer

start_daemon --profile gaming || { fail "daemon starts"; finish; exit 1; }
check "the daemon owns $BUS_NAME" wait_for 30 busctl --system status "$BUS_NAME"
seq_before=$(cat /sys/kernel/sched_ext/enable_seq)

# cpu_ticks PID: user+system CPU time in clock ticks (where the time went; reported only).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
bus_pid=$(pgrep -o -x dbus-daemon || echo 0)
daemon_cpu=$(cpu_ticks "$DAEMON_PID") bus_cpu=$(cpu_ticks "$bus_pid")

result=$(mktemp /tmp/dbus_load.XXXXXX.json)
status=0
"$LOAD" --clients "$CLIENTS" --seconds "$SECONDS_RUN" --rss-pid "$DAEMON_PID" >"$result" ||
    status=$?
hz=$(getconf CLK_TCK)
daemon_ms=$((($(cpu_ticks "$DAEMON_PID") - daemon_cpu) * 1000 / hz))
bus_ms=$((($(cpu_ticks "$bus_pid") - bus_cpu) * 1000 / hz))
echo "# CPU time during the run: scx_gamer $daemon_ms ms, dbus-daemon $bus_ms ms"
check "dbus_load ran to the end" test "$status" -eq 0

# Reads the result: "# ..." lines to show, then one line of numbers for the checks. RSS: the
# highest sample of the first and of the last WINDOW seconds of the run.
summarize() {
    python3 - "$result" "$WINDOW" "$RSS_BOUND_KIB" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
window, bound = float(sys.argv[2]), int(sys.argv[3])
lat = r["latency_us"]
print("# %d clients, %.1f s: %d calls (%.0f/s), %d errors, fewest calls by one client %d"
      % (r["clients"], r["seconds"], r["calls"], r["calls_per_s"], r["errors"],
         r["min_calls_per_client"]))
print("# latency per call: p50 %.0f us, p90 %.0f us, p99 %.0f us, max %.0f us"
      % (lat["p50"], lat["p90"], lat["p99"], lat["max"]))
if r["errors"] or r["connect_failures"]:
    print("# errors: %s" % r["error_names"])
samples = [(s["t"], s["kib"]) for s in r["rss"]]
end = r["run_seconds"]
first = [k for t, k in samples if t < window and k is not None]
last = [k for t, k in samples if t >= end - window and k is not None]
missing = sum(k is None for _, k in samples)
first_max, last_max = max(first, default=0), max(last, default=0)
calls_between = max(1, int(r["calls"] * (end - 2 * window) / end))
print("# VmRSS: %d samples; highest in the first %g s %d KiB, in the last %g s %d KiB (%+d KiB)"
      % (len(samples), window, first_max, window, last_max, last_max - first_max))
print("# a leak of %d bytes per call over the ~%d calls between the windows would exceed %d KiB"
      % (bound * 1024 // calls_between, calls_between, bound))
print(r["connect_failures"], r["errors"], r["min_calls_per_client"], missing, len(first),
      len(last), first_max, last_max)
PY
}
if [ "$status" -eq 0 ]; then
    summary=$(summarize)
    grep '^#' <<<"$summary"
    read -r connect_failures errors min_calls n_missing n_first n_last rss_first rss_last \
        < <(grep -v '^#' <<<"$summary")
    check "all $CLIENTS clients connected" test "$connect_failures" -eq 0
    check "every call was answered: 0 errors" test "$errors" -eq 0
    check "every client was served (each made calls)" test "$min_calls" -gt 0
    check "VmRSS sampled throughout (the daemon never went away)" test "$n_missing" -eq 0
    check "VmRSS samples in both windows ($n_first and $n_last)" \
        test "$n_first" -gt 0 -a "$n_last" -gt 0
    check "VmRSS stable: grew by at most $RSS_BOUND_KIB KiB from the first to the last $WINDOW s" \
        test "$((rss_last - rss_first))" -le "$RSS_BOUND_KIB"
fi

check "the daemon is still running" kill -0 "$DAEMON_PID"
check "the scheduler stayed attached (enable_seq unchanged)" \
    test "$(cat /sys/kernel/sched_ext/enable_seq)" = "$seq_before"
stop_daemon TERM
check "daemon exits 0" test "$DAEMON_STATUS" -eq 0
[ "$failures" -eq 0 ] || show_log
finish

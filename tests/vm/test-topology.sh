#!/usr/bin/env bash
# In the VM, booted with two sockets (vm-run --topology sockets=2,cores=2,threads=2: 8 vCPUs, one
# L3 per socket in the guest's sysfs, see docs/vm.md): the scheduler's cache domains
# (docs/scheduler.md, "Cache domains").
#   - the domains the daemon loaded the scheduler with are the guest's L3s, as sysfs lists them;
#   - a game (2 frame-loop threads) beside one CPU hog per CPU runs, and its threads mostly start
#     in the domain they last ran in (nr_game_llc_migrations against nr_game_wakeups: at most 1 in
#     4, half of what a cache-blind placement would give);
#   - a CPU taken offline and put back while the game runs: the kernel ends the scheduler at each
#     event (sched_ext's default for CPU hotplug) and the daemon loads it again, with the domains
#     read again; the game keeps running, nothing is ejected as an error.

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
game_bin=${SYNTHETIC_GAME:?path to the synthetic game binary}
ncpus=$(nproc)
last=$((ncpus - 1))

# The L3 domains as sysfs lists them, in the daemon's notation: "N (0-3 | 4-7)".
sysfs_domains() {
    python3 - <<'PY'
import glob, os, re
lists = {}
for cpu_dir in glob.glob("/sys/devices/system/cpu/cpu[0-9]*"):
    for index in glob.glob(cpu_dir + "/cache/index*"):
        try:
            if open(index + "/level").read().strip() == "3":
                lists[open(index + "/shared_cpu_list").read().strip()] = 1
        except OSError:
            pass
def first(l):
    return int(re.split("[-,]", l)[0])
doms = sorted(lists, key=first)
print("%d (%s)" % (len(doms), " | ".join(doms)))
PY
}
# The domains of the daemon's last "cache domains:" line.
daemon_domains() { sed -n 's/.*cache domains: \([^,]*\).*/\1/p' "$DAEMON_LOG" | tail -n 1; }
restarts() { grep -c 'asked for a scheduler restart' "$DAEMON_LOG" || true; }

check "$ncpus vCPUs in two sockets ($(sysfs_domains))" test "$(sysfs_domains)" = "2 (0-3 | 4-7)"

start_daemon || { fail "daemon attaches"; finish; exit 1; }
pass "daemon attaches"
expected=$(sysfs_domains)
check "the scheduler's cache domains are sysfs's L3s ($(daemon_domains))" \
    test "$(daemon_domains)" = "$expected"

workdir=$(mktemp -d)
cp "$game_bin" "$workdir/MyGame"
hogs=()
for _ in $(seq 1 "$ncpus"); do
    bash -c 'while :; do :; done' &
    hogs+=($!)
done
# The test's own queries run beside the hogs as background work: ahead of them by weight, so
# that each takes a second rather than tens (the game does not depend on it).
renice -n -15 -p $$ >/dev/null
SteamAppId=480 nice -n 15 "$workdir/MyGame" --seconds 600 --threads 2 &
game=$!
check "game detected" wait_for 20 log_has "$DAEMON_LOG" "game detected: MyGame (pid $game"

read -r mig0 wake0 < <(stats_of nr_game_llc_migrations nr_game_wakeups)
ticks0=$(cpu_ticks "$game")
sleep 8
read -r mig1 wake1 steals < <(stats_of nr_game_llc_migrations nr_game_wakeups nr_llc_steals)
ticks1=$(cpu_ticks "$game")
migrations=$((mig1 - mig0)) wakeups=$((wake1 - wake0))
echo "# under load: game ran $((ticks1 - ticks0)) ticks; $wakeups wakeups, $migrations of them" \
    "in another cache domain; nr_llc_steals $steals"
check "the game runs under load ($((ticks1 - ticks0)) ticks in 8 s)" test $((ticks1 - ticks0)) -gt 0
check "game threads woke up ($wakeups times)" test "$wakeups" -gt 0
# Placed without regard to the cache, a thread woken on 2 equal domains would start in the other
# one about half of the time; this asks for half of that at most. Not less: under single-threaded
# TCG a kick takes milliseconds, and a game thread that waited over 1 ms in its own domain's queue
# is taken by a CPU of the other (GAMER_STEAL_DELAY_NS). Measured: 230 of 2069 (11 %), 125 of
# 1668 (7.5 %) and 75 of 1577 (4.8 %) in three runs.
check "at most 1 in 4 game wakeups changed cache domain ($migrations of $wakeups)" \
    test $((migrations * 4)) -le "$wakeups"

# CPU hotplug: the last CPU out, then back, with the game running; the hogs go first, as each
# reload verifies the scheduler anew, which under a hog per vCPU takes the emulated guest long.
kill "${hogs[@]}" 2>/dev/null || true
wait "${hogs[@]}" 2>/dev/null || true
check "CPU $last goes offline" bash -c "echo 0 > /sys/devices/system/cpu/cpu$last/online"
check "the daemon reloads the scheduler after the unplug" wait_for 20 test "$(restarts)" -ge 1
check "attached again" wait_for 20 state_is enabled
sleep 2
check "CPU $last comes back" bash -c "echo 1 > /sys/devices/system/cpu/cpu$last/online"
check "the daemon reloads the scheduler after the plug" wait_for 20 bash -c \
    "[ \$(grep -c 'asked for a scheduler restart' '$DAEMON_LOG') -ge 2 ]"
check "attached again" wait_for 20 state_is enabled
check "the domains read at the last load are sysfs's again ($(daemon_domains))" \
    wait_for 10 bash -c "[ \"\$(sed -n 's/.*cache domains: \([^,]*\).*/\1/p' '$DAEMON_LOG' | tail -n 1)\" = '$expected' ]"
ticks2=$(cpu_ticks "$game")
sleep 3
ticks3=$(cpu_ticks "$game")
check "the game kept running through it ($((ticks3 - ticks2)) ticks in 3 s)" \
    test $((ticks3 - ticks2)) -gt 0
check "game still alive" kill -0 "$game"
check "daemon still running" kill -0 "$DAEMON_PID"
read -r wake2 < <(stats_of nr_game_wakeups)
check "game threads woke up under the reloaded scheduler ($wake2 times)" test "${wake2:-0}" -gt 0

kill "$game" 2>/dev/null || true
wait "$game" 2>/dev/null || true
stop_daemon TERM
check "SIGTERM: exit 0 (was $DAEMON_STATUS)" test "$DAEMON_STATUS" -eq 0
check "no ejection logged" bash -c "! grep -q 'unloaded by the kernel' '$DAEMON_LOG'"
check "no watchdog stall logged" bash -c "! grep -qi 'stall' '$DAEMON_LOG'"
[ "$failures" -eq 0 ] || show_log
finish

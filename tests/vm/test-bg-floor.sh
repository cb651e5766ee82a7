#!/usr/bin/env bash
# In the VM: the floor for everyone else (docs/scheduler.md). Any local user can make a process
# look like a game; here `nobody` starts one spinning fake game more than there are CPUs (argv[0]
# ends in .exe, so the classifier takes it for a Wine game; the rules file makes every user
# eligible, as an administrator may). Root CPU hogs must still get their
# floor (--bg-min-share-pct) of the CPU, measured from /proc/PID/stat over 10 s: first one hog
# pinned to each CPU, then, after the floor was raised live, one hog free to run anywhere. The
# daemon must stay alive and the scheduler attached.
#
# The floors here are far above the default 5 %: the starvation guard alone (one 2 ms background
# slice per 50 ms, --bg-starve-us) already gives a hog ~4 % of a CPU, and a check must be able
# to fail without the floor. `test-bg-floor.sh off` gives the daemon the same flags with the floor
# at 0 while keeping the thresholds: it must fail (that is how this test was checked).

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
CTL=${SCXGAMERCTL:?path to scxgamerctl}
mode=${1:-on}
floor=20      # --bg-min-share-pct at start: per-CPU checks
live_floor=40 # then applied live: the check of the unpinned hog
seconds=10
case $mode in
on) flag=$floor live_flag=$live_floor ;;
off) flag=0 live_flag=0 ;;
*) echo "Bail out! usage: $0 [on|off]"; exit 1 ;;
esac
ncpus=$(nproc)
hz=$(getconf CLK_TCK)

spin='while :; do :; done'

# measure PID...: the CPU share of each process over $seconds, in percent of one CPU, one a line.
measure() {
    local pid start=() t0 t1 i=0
    t0=$(date +%s%N)
    for pid in "$@"; do start+=("$(cpu_ticks "$pid")"); done
    sleep "$seconds"
    t1=$(date +%s%N)
    for pid in "$@"; do
        echo $(( ($(cpu_ticks "$pid") - start[i]) * 100 * 1000000000 / hz / (t1 - t0) ))
        i=$((i + 1))
    done
}

# nobody has no active local session: only a rules file that makes every user eligible lets its
# processes be games (docs/games.md, [detection]). That is the misclassification this guards.
rules=$(mktemp /tmp/games.XXXXXX.toml)
printf '[detection]\nusers = "everyone"\n' >"$rules"
start_daemon --rules "$rules" --bg-min-share-pct "$flag" || { fail "daemon attaches"; finish; exit 1; }

games=()
for _ in $(seq $((ncpus + 1))); do
    # setpriv and the first bash exec, so $! is the game's pid
    setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
        bash -c "exec -a spin.exe bash -c '$spin'" &
    games+=($!)
done
for pid in "${games[@]}"; do
    check "nobody's spinning spin.exe (pid $pid) is taken for a game" \
        wait_for 20 log_has "$DAEMON_LOG" "game detected: spin.exe (pid $pid"
done

# One root hog pinned to each CPU.
hogs=()
for cpu in $(seq 0 $((ncpus - 1))); do
    taskset -c "$cpu" bash -c "$spin" &
    hogs+=($!)
done
sleep 1 # let the games' and hogs' run times fill the scheduler's window
mapfile -t shares < <(measure "${hogs[@]}" "${games[@]}")
games_total=0
for i in "${!games[@]}"; do games_total=$((games_total + shares[ncpus + i])); done
for cpu in $(seq 0 $((ncpus - 1))); do
    check "root hog pinned to CPU $cpu got ${shares[cpu]}% of it (floor $floor%, need $((floor / 2))%)" \
        test "${shares[cpu]}" -ge $((floor / 2))
done
# The games must still have had most of the machine, or the hogs' shares say nothing of a floor.
check "the $((ncpus + 1)) games together got $games_total% of a CPU (need $((ncpus * 50))%)" \
    test "$games_total" -ge $((ncpus * 50))
floor_runs=$(stat_of nr_bg_floor)
check "background ran first because of the floor (nr_bg_floor $floor_runs)" \
    test "${floor_runs:-0}" -gt 0
kill "${hogs[@]}"; wait "${hogs[@]}" 2>/dev/null || true

# Raised live: no re-attach, and one hog that may run anywhere gets the new floor of a CPU.
seq_before=$(cat "$SCHED_EXT/enable_seq")
check "apply-flags --bg-min-share-pct $live_flag" "$CTL" apply-flags --bg-min-share-pct "$live_flag"
check "applied live (enable_seq unchanged)" test "$(cat "$SCHED_EXT/enable_seq")" = "$seq_before"
bash -c "$spin" &
hog=$!
sleep 1
share=$(measure "$hog")
check "unpinned root hog got $share% of a CPU (floor $live_floor%, need $((live_floor / 2))%)" \
    test "$share" -ge $((live_floor / 2))
kill "$hog"; wait "$hog" 2>/dev/null || true

check "the daemon is alive" kill -0 "$DAEMON_PID"
check "the scheduler is still attached" state_is enabled
check "and it is ours" test "$(sched_ops)" = gamer
kill "${games[@]}"; wait "${games[@]}" 2>/dev/null || true
stop_daemon TERM
check "SIGTERM: exit 0 (was $DAEMON_STATUS)" test "$DAEMON_STATUS" -eq 0
check "no ejection logged" bash -c "! grep -q 'unloaded by the kernel' '$DAEMON_LOG'"
[ "$failures" -eq 0 ] || show_log
finish

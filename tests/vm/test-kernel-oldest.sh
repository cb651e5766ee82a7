#!/usr/bin/env bash
# In the VM, on the oldest sched_ext kernel scripts/bootstrap cached (vm-run --kernel oldest, see
# docs/kernel-compat.md): the essentials of the scheduler's VM tests in one boot. The daemon
# attaches "gamer" with the BPF-LSM detector; a game is detected and its tgid lands in the
# scheduler's game map; with game threads spinning on every CPU, a nice 19 background hog still
# runs and nothing is ejected; the game's exit is reported; SIGTERM detaches cleanly.
# KERNEL_EXPECTED (the version bootstrap cached) is checked against the running kernel, so that
# this can never pass on the default kernel by mistake.

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
game_bin=${SYNTHETIC_GAME:?path to the synthetic game binary}
expected=${KERNEL_EXPECTED:?the kernel version this run must boot}
seconds=10
ncpus=$(nproc)

check "booted the expected kernel ($(uname -r), want $expected)" test "$(uname -r)" = "$expected"
check "BPF-LSM is active" grep -qw bpf /sys/kernel/security/lsm
check "sched_ext is disabled before start" state_is disabled

start_daemon --verbose || { fail "daemon attaches"; finish; exit 1; }
pass "daemon attaches"
check "root/ops starts with gamer ($(sched_ops))" bash -c '[[ "$(cat /sys/kernel/sched_ext/root/ops)" == gamer* ]]'
check "detector uses bpf-lsm" log_has "$DAEMON_LOG" "detector: bpf-lsm"

in_game_map() { # the scheduler's BPF map of game tgids, as bpftool prints it
    bpftool -j map dump name game_tgids 2>/dev/null | python3 -c '
import json, sys
entries = json.load(sys.stdin)
keys = {e.get("formatted", e)["key"] for e in entries}
sys.exit(0 if int(sys.argv[1]) in keys else 1)' "$1"
}

# A native game (SteamAppId, installed outside the system directories) whose threads spin: one
# more than there are CPUs, so that without the starvation guard nothing else would run.
workdir=$(mktemp -d)
cp "$game_bin" "$workdir/MyGame"
cp "$(command -v bash)" "$workdir/SpinGame"
SteamAppId=480 "$workdir/MyGame" --seconds 60 --threads 2 &
game=$!
check "game detected" wait_for 10 log_has "$DAEMON_LOG" "game detected: MyGame (pid $game"
check "game tgid is in the scheduler's game map" wait_for 5 in_game_map "$game"

# shellcheck disable=SC2016 # expanded by the spinning game's own bash
SteamAppId=480 "$workdir/SpinGame" -c 'for ((i = 0; i <= $1; i++)); do
    (while :; do :; done) &
done; wait' SpinGame "$ncpus" &
spinner=$!
check "spinning game detected" wait_for 10 log_has "$DAEMON_LOG" "game detected: SpinGame (pid $spinner"
check "spinning game in the game map" wait_for 5 in_game_map "$spinner"

nice -n 19 bash -c 'while :; do :; done' &
hog=$!
before=$(cpu_ticks "$hog")
sleep "$seconds"
after=$(cpu_ticks "$hog")
check "the nice 19 background hog ran beside $((ncpus + 1)) spinning game threads ($((after - before)) ticks in ${seconds} s)" \
    test "$((after - before))" -gt 0
kill "$hog"
wait "$hog" 2>/dev/null || true
check "still attached under load" state_is enabled
check "daemon still running" kill -0 "$DAEMON_PID"
game_enq=$(stat_of nr_game_enqueued 2>/dev/null) || game_enq=
check "the scheduler queued game threads (nr_game_enqueued=${game_enq:-?})" test "${game_enq:-0}" -gt 0

pkill -P "$spinner" 2>/dev/null || true
kill "$spinner" "$game" 2>/dev/null || true
wait "$spinner" "$game" 2>/dev/null || true
check "game exit reported" wait_for 10 log_has "$DAEMON_LOG" "game exited: MyGame (pid $game)"
check "and its tgid left the game map" wait_for 5 bash -c "$(declare -f in_game_map); ! in_game_map $game"

stop_daemon TERM
check "SIGTERM: exit status 0 (was $DAEMON_STATUS)" test "$DAEMON_STATUS" -eq 0
check "SIGTERM: state back to disabled" wait_for 5 state_is disabled
check "no ejection logged" bash -c "! grep -q 'unloaded by the kernel' '$DAEMON_LOG'"
[ "$failures" -eq 0 ] || show_log
finish

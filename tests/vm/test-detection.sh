#!/usr/bin/env bash
# In the VM: a process started with SteamAppId is detected (and its threads handed to the
# scheduler's game map) within 1 s, its exit is reported, even when the detector's report of
# it is lost; ordinary commands are not games.
# Run with `--detector-hook` expectations given as $1: "bpf-lsm" (default) or "tracepoint".

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
expected_hook=${1:-bpf-lsm}
game_bin=${SYNTHETIC_GAME:?path to the synthetic game binary}

start_daemon --verbose || { fail "daemon starts"; finish; exit 1; }
check "detector uses $expected_hook" log_has "$DAEMON_LOG" "detector: $expected_hook"
check "DetectionMethod property says $expected_hook" wait_for 10 bash -c \
    "busctl --system get-property org.cachyos.ScxGamer /org/cachyos/ScxGamer org.cachyos.ScxGamer \
        DetectionMethod 2>/dev/null | grep -qx 's \"$expected_hook\"'"
if [ "$expected_hook" = tracepoint ]; then
    check "the fallback to tracepoints is logged" log_has "$DAEMON_LOG" \
        "BPF-LSM is not active (the kernel's lsm= list lacks \"bpf\"); detecting games through tracepoints instead"
fi

# Ordinary commands first: none of them may be reported.
sh -c true; sleep 1; python3 -c pass
env SteamAppId=480 sh -c 'true'

workdir=$(mktemp -d)
cp "$game_bin" "$workdir/MyGame"
SteamAppId=480 "$workdir/MyGame" --seconds 30 --threads 3 &
game=$!
check "game detected within 1 s" wait_for_ms 1000 log_has "$DAEMON_LOG" "game detected: MyGame (pid $game"
in_game_map() { # the scheduler's BPF map of game tgids, as bpftool prints it
    bpftool -j map dump name game_tgids 2>/dev/null | python3 -c '
import json, sys
entries = json.load(sys.stdin)
keys = {e.get("formatted", e)["key"] for e in entries}
sys.exit(0 if int(sys.argv[1]) in keys else 1)' "$1"
}
check "game tgid is in the scheduler's game map" wait_for 2 in_game_map "$game"
kill "$game"; wait "$game" 2>/dev/null || true
check "game exit reported within 1 s" wait_for_ms 1000 log_has "$DAEMON_LOG" "game exited: MyGame (pid $game)"
check "and its tgid left the game map" wait_for 2 bash -c "$(declare -f in_game_map); ! in_game_map $game"

# The detector's exit report can go missing (the kernel skips a tracing program on a CPU where
# an instance of it is preempted); the game's pidfd still reports the exit. Simulated by
# taking the game out of the detector's game map behind the daemon's back.
SteamAppId=480 "$workdir/MyGame" --seconds 30 --threads 2 &
unwatched=$!
check "second game detected" wait_for_ms 1000 log_has "$DAEMON_LOG" "game detected: MyGame (pid $unwatched"
key_bytes() { printf '%d %d %d %d' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
# shellcheck disable=SC2046 # four separate byte arguments
check "its tgid taken out of the detector's game map" \
    bpftool map delete name game_tgids key $(key_bytes "$unwatched")
kill "$unwatched"; wait "$unwatched" 2>/dev/null || true
check "its exit is reported all the same (pidfd)" \
    wait_for_ms 1000 log_has "$DAEMON_LOG" "game exited: MyGame (pid $unwatched)"

for name in "sh" "sleep" "python3"; do
    check "$name is not a game" bash -c "! grep -q 'game detected: $name ' '$DAEMON_LOG'"
done

stop_daemon TERM
check "daemon exits 0" test "$DAEMON_STATUS" -eq 0
[ "$failures" -eq 0 ] || show_log
finish

#!/usr/bin/env bash
# The demo itself, run where sched_ext exists (the VM, or a CachyOS machine): see scripts/demo.
# SCX_GAMER_DEMO_SECONDS: measured seconds of each side-by-side run (0: no side-by-side).

# SPDX-License-Identifier: GPL-2.0-only
set -euo pipefail
: "${SCX_GAMER:?}" "${SCXGAMERCTL:?}" "${SYNTHETIC_GAME:?}" "${SCX_GAMER_BUILD:?}"
seconds=${SCX_GAMER_DEMO_SECONDS:-5}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
state() { cat /sys/kernel/sched_ext/state; }

say "Kernel $(uname -r); sched_ext state: $(state)"

log=$(mktemp /tmp/scx_gamer-demo.XXXXXX.log)
"$SCX_GAMER" --profile gaming --stats 1 >"$log" 2>&1 &
daemon=$!
trap 'kill "$daemon" 2>/dev/null || true' EXIT
for _ in $(seq 200); do [ "$(state)" = enabled ] && break; sleep 0.05; done
for _ in $(seq 200); do grep -q ready "$log" && break; sleep 0.05; done
say "scx_gamer started (pid $daemon): state $(state), scheduler $(cat /sys/kernel/sched_ext/root/ops)"
sed 's/^/    /' "$log"

say "Launching a synthetic game (SteamAppId=480, 3 threads) under a CPU hog"
dir=$(mktemp -d)
cp "$SYNTHETIC_GAME" "$dir/SyntheticGame"
(while :; do :; done) &
hog=$!
# Runs until killed below (a slow, busy VM may take a minute to get there).
SteamAppId=480 "$dir/SyntheticGame" --seconds 600 --threads 3 &
game=$!
sleep 1
say "The daemon's view"
grep -E "game detected" "$log" | sed 's/^/    /' || echo "    (not detected!)"
say "The scheduler's game map holds the game's tgid (bpftool map dump name game_tgids)"
bpftool -j map dump name game_tgids 2>/dev/null |
    python3 -c 'import json,sys; print("    game tgids:", sorted(e.get("formatted", e)["key"] for e in json.load(sys.stdin)))' ||
    echo "    (bpftool not found: run scripts/bootstrap)"
say "Its threads, scheduled by sched_ext"
for t in /proc/"$game"/task/*/; do
    [ -r "$t/comm" ] || continue
    printf '    tid %-6s %-16s %s\n' "$(basename "$t")" "$(cat "$t/comm" 2>/dev/null)" \
        "$(grep -m1 'ext.enabled' "$t/sched" 2>/dev/null | tr -s ' ')"
done
sleep 1.2
say "scxgamerctl status (over D-Bus) while the game runs"
"$SCXGAMERCTL" status 2>&1 | sed 's/^/    /'
say "Quitting the game"
kill "$game" 2>/dev/null || echo "    (the game had already exited)"
wait "$game" 2>/dev/null || true
kill "$hog"; wait "$hog" 2>/dev/null || true
sleep 0.5

say "The game's exit, as the daemon reported it"
grep -E "game exited" "$log" | sed 's/^/    /'

kill -TERM "$daemon"
status=0; wait "$daemon" || status=$?
trap - EXIT
say "scx_gamer stopped on SIGTERM with status $status; sched_ext state: $(state)"

[ "$seconds" != 0 ] || exit 0
say "Side by side: the same game and background load, under EEVDF and then under scx_gamer"
python3 "$(dirname "$0")/demo-side-by-side.py" "$SCX_GAMER_BUILD" --duration "$seconds"

#!/usr/bin/env bash
# The demo itself, run where sched_ext exists (the VM, or a CachyOS machine): see scripts/demo.
set -euo pipefail
: "${SCX_GAMER:?}" "${SYNTHETIC_GAME:?}"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
state() { cat /sys/kernel/sched_ext/state; }

say "Kernel $(uname -r); sched_ext state: $(state)"

log=$(mktemp /tmp/scx_gamer-demo.XXXXXX.log)
"$SCX_GAMER" --profile gaming --stats 2 >"$log" 2>&1 &
daemon=$!
trap 'kill "$daemon" 2>/dev/null || true' EXIT
for _ in $(seq 200); do [ "$(state)" = enabled ] && break; sleep 0.05; done
for _ in $(seq 200); do grep -q ready "$log" && break; sleep 0.05; done
say "scx_gamer started (pid $daemon): state $(state), scheduler $(cat /sys/kernel/sched_ext/root/ops)"
sed 's/^/    /' "$log"

say "Launching a synthetic game (SteamAppId=480, 3 threads, 5 s) under a CPU hog"
dir=$(mktemp -d)
cp "$SYNTHETIC_GAME" "$dir/SyntheticGame"
(while :; do :; done) &
hog=$!
SteamAppId=480 "$dir/SyntheticGame" --seconds 5 --threads 3 &
game=$!
sleep 1
say "The daemon's view"
grep -E "game detected" "$log" | sed 's/^/    /' || echo "    (not detected!)"
say "The game's threads run in the sched_ext class (ext.enabled in /proc/$game/task/*/sched)"
for t in /proc/"$game"/task/*; do
    printf '    tid %-6s %-16s %s\n' "${t##*/}" "$(cat "$t/comm")" "$(grep -m1 'ext.enabled' "$t/sched" 2>/dev/null | tr -s ' ')"
done
wait "$game" || true
kill "$hog"; wait "$hog" 2>/dev/null || true
sleep 2.5

say "Statistics and exit report"
grep -E "stats:|game exited" "$log" | tail -n 4 | sed 's/^/    /'

kill -TERM "$daemon"
status=0; wait "$daemon" || status=$?
trap - EXIT
say "scx_gamer stopped on SIGTERM with status $status; sched_ext state: $(state)"

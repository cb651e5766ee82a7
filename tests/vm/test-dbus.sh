#!/usr/bin/env bash
# In the VM, on the real system bus: scxgamerctl talks to the real daemon; a profile switch
# changes the Profile property and the live BPF tunables without re-attaching the scheduler;
# a detected game is announced with GameDetected; the scx_stats socket answers.

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
CTL=${SCXGAMERCTL:?path to scxgamerctl}
game_bin=${SYNTHETIC_GAME:?}

start_daemon --profile gaming || { fail "daemon starts"; finish; exit 1; }
check "the daemon owns org.cachyos.ScxGamer" wait_for 5 busctl --system status org.cachyos.ScxGamer

status=$("$CTL" status 2>&1) || true
echo "$status" | sed 's/^/#   /'
check "scxgamerctl status shows gamer running" grep -qi "enabled" <<<"$status"
check "scxgamerctl status shows the profile" grep -q "gaming" <<<"$status"

tunable() { # a live tunable as the running scheduler's BPF data holds it (GetStats reads it back)
    "$CTL" --json stats | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
seq_before=$(cat /sys/kernel/sched_ext/enable_seq)
check "gaming profile: slice is 2000 us in BPF" test "$(tunable bpf_slice_us)" = 2000
check "set-profile lowlatency succeeds" "$CTL" set-profile lowlatency
check "Profile property is lowlatency" bash -c \
    "busctl --system get-property org.cachyos.ScxGamer /org/cachyos/ScxGamer org.cachyos.ScxGamer Profile | grep -q lowlatency"
check "lowlatency: slice is 1000 us in BPF, live" test "$(tunable bpf_slice_us)" = 1000
check "no re-attach (enable_seq unchanged)" test "$(cat /sys/kernel/sched_ext/enable_seq)" = "$seq_before"
check "unknown profile: exit 1" bash -c "'$CTL' set-profile nosuch; test \$? -eq 1"
check "bad flag refused: exit 1" bash -c "'$CTL' apply-flags --slice-us 5; test \$? -eq 1"
check "tunables unchanged after the refusal" test "$(tunable bpf_slice_us)" = 1000

monitor_log=$(mktemp)
"$CTL" --json monitor >"$monitor_log" 2>&1 &
monitor=$!
sleep 1
workdir=$(mktemp -d); cp "$game_bin" "$workdir/BusGame"
SteamAppId=480 "$workdir/BusGame" --seconds 30 &
game=$!
check "GameDetected seen by a subscriber" wait_for 10 grep -q "BusGame" "$monitor_log"
games=$("$CTL" --json games)
check "ListGames has the game" grep -q "\"pid\": *$game" <<<"$games"
kill "$game"; wait "$game" 2>/dev/null || true
check "GameExited seen by the subscriber" wait_for 10 bash -c "grep -i 'exit' '$monitor_log' | grep -q BusGame"
kill "$monitor" 2>/dev/null || true

reply=$(python3 - <<'PY'
import json, socket
s = socket.socket(socket.AF_UNIX); s.connect("/var/run/scx/root/stats"); f = s.makefile("rw")
for req in ({"req": "stats_meta", "args": {}}, "not json", {"req": "stats", "args": {"target": "top"}}):
    f.write((req if isinstance(req, str) else json.dumps(req)) + "\n"); f.flush()
    print(f.readline().strip())
PY
)
echo "$reply" | sed 's/^/#   /'
# The replies go to grep on stdin, never spliced into a command line: the stats metadata holds
# free text (an apostrophe in a field's description broke the quoting once).
check "scx_stats: stats_meta answered" grep -q '"top":"true"' <<<"$(sed -n 1p <<<"$reply")"
check "scx_stats: malformed request gets errno 22" grep -q '"errno":22' <<<"$(sed -n 2p <<<"$reply")"
check "scx_stats: connection still usable, stats answered" \
    grep -q '"profile":"lowlatency"' <<<"$(sed -n 3p <<<"$reply")"

stop_daemon TERM
check "daemon exits 0" test "$DAEMON_STATUS" -eq 0
check "stats socket removed on exit" test ! -e /var/run/scx/root/stats
[ "$failures" -eq 0 ] || show_log
finish

#!/usr/bin/env bash
# In the VM: a game is a process tree (docs/games.md, "Process trees").
#   a. A Steam-like launch: a `reaper` with SteamAppId runs a launch script that execs the game,
#      which forks a worker process: one game, every process of it in the game map, and exactly
#      one GameExited, when the last of them (the worker, after the game) ends.
#   d. The crash handler the game starts is a known helper: no game, and not in the game map.
#   b. `scxgamerctl launch -- sh -c './game; exit 3'`: the grandchild is a game's, the shown name
#      is --name's, the reason says launch, and launch exits with the command's status.
#   e. A registered tree that forks far more children than a tree may hold: the map takes at most
#      GAMER_MAX_TREE_PROCS of them, the rest are counted, the daemon stays up, a game started
#      meanwhile is detected, children that end leave the map (zombies included), and the game
#      ends once.
# shellcheck source-path=SCRIPTDIR source=lib.sh

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
CTL=${SCXGAMERCTL:?path to scxgamerctl}
game_bin=${SYNTHETIC_GAME:?path to the synthetic game binary}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
max_tree_procs=$(awk '$2 == "GAMER_MAX_TREE_PROCS" { print $3 }' "$REPO/bpf/intf.h")
work=$(mktemp -d)
chmod 755 "$work"

# The game map (the detector's tree map, the scheduler's game_tgids): its tgids, one a line.
map_tgids() { # one python: it checks the JSON as it reads it
    local rc=0
    bpftool -j map dump name game_tgids >"$work/dump.json" 2>"$work/dump.err" || rc=$?
    [ "$rc" -eq 0 ] && python3 -c '
import json, sys
for e in json.load(open(sys.argv[1])):
    key = e.get("formatted", e)["key"]
    print(key if isinstance(key, int) else int.from_bytes(bytes(int(b, 16) for b in key), "little"))' \
        "$work/dump.json" 2>"$work/parse.err" && return 0
    echo "# bpftool map dump: status $rc, output: $(head -c 400 "$work/dump.json"), errors: $(head -c 400 "$work/dump.err") $(head -c 200 "$work/parse.err")" >&2
    return 1
}
in_map() { map_tgids | grep -qx "$1"; }
not_in_map() { # a failed dump is no proof of absence
    local tgids
    tgids=$(map_tgids) || return 1
    ! grep -qx "$1" <<<"$tgids"
}
# How many processes the map holds; "dump-failed" (no number) when the dump failed.
map_size() {
    local tgids
    tgids=$(map_tgids) || { echo dump-failed; return 1; }
    grep -c . <<<"$tgids" || true
}
# Every thread of process $1 belongs to a thread group in the game map.
threads_in_map() {
    local task tgids
    tgids=$(map_tgids) || return 1 # one dump for all of them
    for task in /proc/"$1"/task/*; do
        grep -qx "$(awk '/^Tgid:/ { print $2 }' "$task/status")" <<<"$tgids" || return 1
    done
}
count_of() { grep -cF -- "$2" "$1" || true; }
stat_value() { # GetStats key
    busctl --system --json=short call org.cachyos.ScxGamer /org/cachyos/ScxGamer \
        org.cachyos.ScxGamer GetStats | python3 -c "import json,sys; print(json.load(sys.stdin)['data'][0]['$1']['data'])"
}

start_daemon --verbose || { fail "daemon starts"; finish; exit 1; }
check "the daemon owns its bus name" wait_for 30 busctl --system status org.cachyos.ScxGamer

# -- a, d: Steam's chain. reaper (a copy of bash) -> launch script (sh) -> exec MyGame -> worker.
cp "$game_bin" "$work/MyGame"
cp "$game_bin" "$work/crashpad_handler"
cp /bin/bash "$work/reaper"
cat >"$work/launch.sh" <<EOF
#!/bin/sh
exec "$work/MyGame" --seconds 600 --threads 2 --worker-seconds 600 --spawn "$work/crashpad_handler"
EOF
chmod 755 "$work"/*
SteamAppId=480 "$work/reaper" -c "'$work/launch.sh'; true" &
reaper=$!
game_pid() { pgrep -P "$reaper" -x MyGame; }
check "the game runs under the reaper" wait_for 20 game_pid
game=$(game_pid)
check "the game is detected" wait_for 20 log_has "$DAEMON_LOG" "game detected: MyGame (pid $game, steam-app-id)"
worker_pid() { pgrep -P "$game" -x MyGame; }
# Its comm is cut to 15 characters (crashpad_handle), which pgrep -x refuses: match the path.
handler_pid() { pgrep -P "$game" -f "^$work/crashpad_handler "; }
check "the game forked its worker" wait_for 20 worker_pid
check "and started its crash handler" wait_for 20 handler_pid
worker=$(worker_pid)
handler=$(handler_pid)
check "the game's threads are in the game map" wait_for 10 threads_in_map "$game"
check "the worker's threads are in the game map" wait_for 10 threads_in_map "$worker"
check "the crash handler is not in the game map" wait_for 10 not_in_map "$handler"
check "nor is the reaper" not_in_map "$reaper"
check "the worker is no game of its own" bash -c "! grep -q 'game detected: MyGame (pid $worker' '$DAEMON_LOG'"
check "the crash handler is no game" bash -c "! grep -q 'game detected: crashpad_handle' '$DAEMON_LOG'"
check "one game is listed" test "$(stat_value nr_games)" = 1

kill "$handler" "$game"
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
check "the game's own process ended" wait_for 20 gone "$game"
sleep 1 # room for a wrong GameExited to show
check "while its worker runs, the game has not exited" \
    bash -c "! grep -q 'game exited: MyGame (pid $game)' '$DAEMON_LOG'"
check "and the worker is still in the game map" in_map "$worker"
kill "$worker"
check "when the worker ends, the game exits" \
    wait_for 20 log_has "$DAEMON_LOG" "game exited: MyGame (pid $game)"
sleep 1
check "exactly once" test "$(count_of "$DAEMON_LOG" "game exited: MyGame (pid $game)")" = 1
check "the worker left the game map" not_in_map "$worker"
# The reaper ends with the launch script (set -e: its status is not what is tested).
kill "$reaper" 2>/dev/null || true
wait "$reaper" 2>/dev/null || true

# -- b: scxgamerctl launch: the grandchild of what it starts.
cp "$game_bin" "$work/game"
launch_status=0
(cd "$work" && exec "$CTL" launch --name "Launched Game" -- sh -c './game --seconds 600; exit 3') &
launcher=$!
root_pid() { pgrep -P "$launcher" -x sh; }
check "launch runs the command" wait_for 20 root_pid
root=$(root_pid)
check "it is registered under --name, by launch" \
    wait_for 20 log_has "$DAEMON_LOG" "game detected: Launched Game (pid $root, registered:launch)"
grandchild_pid() { pgrep -P "$root" -x game; }
check "the command's child runs" wait_for 20 grandchild_pid
grandchild=$(grandchild_pid)
check "the grandchild's threads are in the game map" wait_for 10 threads_in_map "$grandchild"
kill "$grandchild"
wait "$launcher" || launch_status=$?
check "launch exits with the command's status (3)" test "$launch_status" = 3
check "the launched game exited" log_has "$DAEMON_LOG" "game exited: Launched Game (pid $root)"

# -- e: a fork storm inside a game: bounded, counted, harmless to other games, and every member
# that ends leaves the map. The children exec nothing (forks are what joins a tree; an exec
# apiece would only make the storm slow under TCG).
children=$((max_tree_procs + 200))
cp "$game_bin" "$work/bomb"
(cd "$work" && exec "$CTL" launch --name bomb -- ./bomb --seconds 600 --threads 1 --children "$children") &
bomb_launcher=$!
bomb_root() { pgrep -P "$bomb_launcher" -x bomb; }
check "the bomb runs" wait_for 20 bomb_root
bomb=$(bomb_root)
all_forked() { [ "$(pgrep -c -P "$bomb" -x bomb)" -ge "$children" ]; }
check "it forked $children children" wait_for 120 all_forked
members=$(map_size || true)
check "the game map holds the root and at most $max_tree_procs of them ($members)" \
    test "$members" -le $((max_tree_procs + 1))
check "and the forks beyond were counted (nr_tree_full)" test "$(stat_value nr_tree_full)" -ge 200
check "the daemon is still up" kill -0 "$DAEMON_PID"
check "the bomb is one game" test "$(stat_value nr_games)" = 1
cp "$game_bin" "$work/OtherGame"
SteamAppId=480 "$work/OtherGame" --seconds 600 --threads 1 &
other=$!
check "a game started while the bomb's tree is full is detected" \
    wait_for 20 log_has "$DAEMON_LOG" "game detected: OtherGame (pid $other, steam-app-id)"
check "and its threads are in the game map" wait_for 10 threads_in_map "$other"
# The children end (and stay unreaped zombies while the bomb runs): none of them stays a member.
pkill -KILL -P "$bomb" -x bomb || true
only_roots_left() { [ "$(map_tgids | sort -n | tr '\n' ' ')" = "$(printf '%s\n' "$bomb" "$other" | sort -n | tr '\n' ' ')" ]; }
check "the children that ended left the game map: the two roots remain" wait_for 30 only_roots_left
check "the bomb's game goes on while its root runs" \
    bash -c "! grep -q 'game exited: bomb (pid $bomb)' '$DAEMON_LOG'"
kill "$bomb"
check "the bomb's game exits when its root ends" \
    wait_for 30 log_has "$DAEMON_LOG" "game exited: bomb (pid $bomb)"
wait "$bomb_launcher" 2>/dev/null || true
check "exactly once" test "$(count_of "$DAEMON_LOG" "game exited: bomb (pid $bomb)")" = 1
kill "$other"
check "the other game exits" wait_for 30 log_has "$DAEMON_LOG" "game exited: OtherGame (pid $other)"
check "and the game map is empty" test "$(map_size || true)" = 0

stop_daemon TERM
check "daemon exits 0" test "$DAEMON_STATUS" -eq 0
[ "$failures" -eq 0 ] || show_log
finish

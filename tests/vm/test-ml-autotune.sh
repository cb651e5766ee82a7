#!/usr/bin/env bash
# In the VM (vm-run --systemd, for a writable /etc): the learner on the benchmark game.
#
#   1. The gaming profile is made deliberately poor (/etc/scx_loader.toml): 20 ms background
#      slices that a waking game thread must wait out (no preemption) and no idle-kick timer.
#   2. scx_gamer --ml-collect --ml-autotune --ml-profiles runs bench/gamebench (a Steam game to
#      the classifier) under loadgen's background load until the autotuner is done; it must save
#      a learned profile whose paired re-measurement against the poor start (same run, fresh
#      interleaved windows) shows a lower objective, and leave it applied.
#   3. The game exits: the base profile is back.
#   4. A/B, repeated: the daemon runs the game four more times, alternately with the learned
#      profile (--ml-profiles) and without it, collecting windows into a fresh state directory.
#      With the profile, it is in force as soon as the game is detected (Profile
#      learned:KEY, its tunables applied live) and gone when the game exits. ml-train over those
#      windows alone must find the learned configuration better than the poor one.
# shellcheck source-path=SCRIPTDIR source=lib.sh

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
gamebench=${GAMEBENCH:?path to bench/gamebench}
loadgen=${LOADGEN:?path to bench/loadgen}

require_systemd_vm "I write /etc"

toml_get() { # toml_get FILE a.b.c: one value of a TOML file
    python3 - "$1" "$2" <<'PY'
import sys, tomllib
node = tomllib.load(open(sys.argv[1], "rb"))
for part in sys.argv[2].split("."):
    node = node[part]
print(str(node).lower() if isinstance(node, bool) else node)
PY
}

STATE=$(mktemp -d /tmp/ml-state.XXXXXX)
APP=4242001
KEY=steam-$APP
PROFILE_FILE=$STATE/profiles/$KEY.toml
# Short windows and budget keep the test a few minutes long: the poor start (20 ms slices, no
# preemption) is so far from good that one-second windows still tell them apart.
WINDOW=1
BUDGET=60

rm -rf /etc/scx_loader /etc/scx_loader.toml
printf '%s\n' '[scheds.scx_gamer]' \
    'gaming_mode = ["--slice-us", "20000", "--no-game-preempt", "--wakeup-timer-us", "0"]' \
    >/etc/scx_loader.toml

# The flags the poor profile leaves alone are pinned on the command line (never searched), so
# the search covers the three it made poor and fits a short budget.
start_daemon --profile gaming --ml-collect --ml-autotune --ml-profiles --state-dir "$STATE" \
    --ml-window "$WINDOW" --ml-budget "$BUDGET" --game-slice-us 1000 --slice-lag-us 20000 \
    --mm-affinity=false --avoid-smt=false || { fail "daemon starts"; finish; exit 1; }
check "the poor gaming profile is in force (slice 20000 us)" wait_for 10 stat_is bpf_slice_us 20000

# In a process group of its own, with its fork churners: paused (SIGSTOP) while no window is
# measured, so that the test's own steps (python, the stats socket, daemon restarts) do not
# crawl behind two CPU hogs on TCG.
setsid "$loadgen" --cpu 2 --duration 3600 --quiet >/tmp/loadgen.log 2>&1 &
LOAD_PID=$!
pause_load() { kill -STOP -- "-$LOAD_PID" 2>/dev/null || true; }
resume_load() { kill -CONT -- "-$LOAD_PID" 2>/dev/null || true; }

GAME_PID=
launch_game() { # launch_game SECS
    SteamAppId=$APP "$gamebench" --duration "$1" --warmup 1 --quiet >/tmp/gamebench.log 2>&1 &
    GAME_PID=$!
    wait_for 20 log_has "$DAEMON_LOG" "game detected: gamebench (pid $GAME_PID"
}
stop_game() {
    kill "$GAME_PID" 2>/dev/null || true
    wait "$GAME_PID" 2>/dev/null || true
    wait_for 20 log_has "$DAEMON_LOG" "game exited: gamebench (pid $GAME_PID)"
}

echo "# $SECONDS s: the daemon and the load run"
check "gamebench is detected as a game" launch_game 3600
check "the autotuner starts from the poor profile" \
    wait_for 20 log_has "$DAEMON_LOG" "autotuning $KEY from --slice-us 20000"
# Budget windows of WINDOW seconds, plus unscorable ones and TCG's slowness: generous.
if check "the autotuner finishes within its budget" \
    wait_for $((BUDGET * WINDOW * 4)) log_has "$DAEMON_LOG" "autotuning $KEY done"; then
    grep -F "autotuning $KEY done" "$DAEMON_LOG" | sed 's/^/# /'
fi
echo "# $SECONDS s: autotuning over"
pause_load
check "it saved a learned profile" test -f "$PROFILE_FILE"
echo "# the autotuning windows (role, slice-us, wakeup-timer-us, no-game-preempt: p99 us, late %,"
echo "# wakeups, game/background CPUs):"
python3 - "$STATE/samples/$KEY.jsonl" <<'PY' || true
import json, sys
for line in open(sys.argv[1]):
    w = json.loads(line)
    t = w["tunables"]
    print("#   %-12s %6d %5d %-5s: p99 %8.0f late %5.2f%% n %6d cpu %.2f/%.2f" % (
        w["role"], t["slice-us"], t["wakeup-timer-us"], str(t["no-game-preempt"]).lower(),
        w["p99_us"], 100 * w["miss_fraction"], w["wakeups"], w["game_cpu"], w["bg_cpu"]))
PY
if [ -f "$PROFILE_FILE" ]; then
    sed 's/^/#   /' "$PROFILE_FILE"
    before=$(toml_get "$PROFILE_FILE" evidence.objective_before_us)
    after=$(toml_get "$PROFILE_FILE" evidence.objective_after_us)
    check "re-measured in the same run, the learned profile beats the poor start ($after < $before)" \
        python3 -c "import sys; sys.exit(0 if $after < $before else 1)"
    learned_slice=$(toml_get "$PROFILE_FILE" tunables.slice-us)
    learned_preempt=$(toml_get "$PROFILE_FILE" tunables.no-game-preempt)
    learned_timer=$(toml_get "$PROFILE_FILE" tunables.wakeup-timer-us)
    check "the learned profile changes what the poor one made poor" \
        test "$learned_slice" != 20000 -o "$learned_preempt" != true -o "$learned_timer" != 0
    check "the learned profile is applied (Profile learned:$KEY)" stat_is profile "learned:$KEY"
    check "the scheduler's BPF slice is the learned one" stat_is bpf_slice_us "$learned_slice"
fi

check "the game exits" stop_game
check "the base profile is back after the game exits" wait_for 10 stat_is profile gaming
check "the poor slice is back in the BPF data" wait_for 10 stat_is bpf_slice_us 20000
stop_daemon TERM
if ! check "the daemon exits cleanly" test "$DAEMON_STATUS" -eq 0; then
    echo "# exit status $DAEMON_STATUS; the end of its log:"
    show_log | tail -n 40
fi
AUTOTUNE_LOG=$DAEMON_LOG

# ---- A/B, repeated ------------------------------------------------------------------------------
# The tunables of a learned profile that differ from the poor start, as change_options logs them
# ("--no-game-preempt=false", "--slice-us 5000").
learned_changes() {
    python3 - "$PROFILE_FILE" <<'PY'
import sys, tomllib
p = tomllib.load(open(sys.argv[1], "rb"))
for name, value in p["tunables"].items():
    if p["evidence"]["before"].get(name) != value:
        print(f"--{name}={str(value).lower()}" if isinstance(value, bool) else f"--{name} {value}")
PY
}
applied_after() { # applied_after LINE_NO CHANGE: an "applied live:" line after LINE_NO has CHANGE
    tail -n +"$1" "$DAEMON_LOG" | grep -F "applied live:" | grep -qF -- "$2"
}

AB=$(mktemp -d /tmp/ml-ab.XXXXXX)
if [ -f "$PROFILE_FILE" ]; then
    mkdir -p "$AB/profiles"
    cp "$PROFILE_FILE" "$AB/profiles/"
    for round in 1 2; do
        for arm in learned base; do
            ml=(--ml-collect)
            [ "$arm" = learned ] && ml+=(--ml-profiles)
            if ! start_daemon --profile gaming "${ml[@]}" --state-dir "$AB" --ml-window "$WINDOW" \
                --game-slice-us 1000 --slice-lag-us 20000 --mm-affinity=false --avoid-smt=false; then
                fail "round $round ($arm): daemon starts"
                continue
            fi
            echo "# $SECONDS s: round $round ($arm) starts"
            mark=$(($(wc -l <"$DAEMON_LOG") + 1))
            resume_load
            check "round $round ($arm): the game is detected" launch_game 3600
            if [ "$arm" = learned ]; then
                # Applied from the detection's own callback: no window, no delay.
                check "round $round: the learned profile is applied on detection" \
                    log_has "$DAEMON_LOG" "applying learned profile $KEY"
                check "round $round: Profile reads learned:$KEY" stat_is profile "learned:$KEY"
                while read -r change; do
                    check "round $round: $change is live" applied_after "$mark" "$change"
                done < <(learned_changes)
            else
                check "round $round: without --ml-profiles the poor profile stays" \
                    stat_is profile gaming
            fi
            sleep $((WINDOW * 12)) # a dozen windows under the same load
            check "round $round ($arm): the game exits" stop_game
            pause_load
            check "round $round ($arm): the base profile is in force" stat_is profile gaming
            stop_daemon TERM
            if ! check "round $round ($arm): the daemon exits cleanly" test "$DAEMON_STATUS" -eq 0
            then
                echo "# exit status $DAEMON_STATUS; the end of its log:"
                show_log | tail -n 40
            fi
        done
    done
fi

kill -- "-$LOAD_PID" 2>/dev/null || true
resume_load
wait "$LOAD_PID" 2>/dev/null || true

echo "# $SECONDS s: A/B over"
# Offline, over the A/B windows only: the learned configuration against the poor one.
train_out=$("$SCX_GAMER" ml-train --state-dir "$AB" --dry-run 2>&1) || true
printf '%s\n' "$train_out" | tee /tmp/ml-train.out | sed 's/^/# /'
check "ml-train over the A/B windows finds the learned profile better than the poor one" \
    python3 - "$KEY" /tmp/ml-train.out <<'PY'
import re, sys
key = sys.argv[1]
for line in open(sys.argv[2]):
    m = re.match(re.escape(key) + r": unchanged: .*\(objective ([0-9.]+) -> ([0-9.]+) us", line)
    if m:
        print("# objective: poor %s, learned %s" % m.groups())
        sys.exit(0 if float(m.group(2)) < float(m.group(1)) else 1)
sys.exit(1)
PY
echo "# daemon log of the autotuning run:"
grep -E "autotun|learned|game (detected|exited)|applied live" "$AUTOTUNE_LOG" | sed 's/^/#   /'
finish

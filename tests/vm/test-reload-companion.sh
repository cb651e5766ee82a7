#!/usr/bin/env bash
# In the VM (vm-run --systemd, for a writable /etc): the real daemon reloads its configuration,
# and runs as scx_loader's companion.
#
#   reload     scx_gamer --profile gaming runs with gaming_mode from /etc/scx_loader.toml; an
#              editor-style save (rename over the file) of other flags reaches the running
#              scheduler's BPF data live (no re-attach); a syntax error is logged as
#              file:line:col and changes nothing; SIGHUP reloads.
#   companion  while that scheduler stays attached (standing in for scx_loader's stock one),
#              scx_gamer --loader-companion starts anyway, attaches nothing, reports
#              SchedulerState "companion", and holds Gaming mode in a stand-in scx_loader while
#              a game runs: a Steam game, then a process that only a rule written after it
#              started makes a game (rules reload + rescan). The bus restarting mid-game: it
#              connects again and holds again. Stopping it mid-game releases.
#              It talks to the stand-in on a private bus (the VM's system bus policy would not
#              let the stand-in own org.scx.Loader).
# shellcheck source-path=SCRIPTDIR source=lib.sh

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
STANDIN=$HERE/../integration/scx_loader_standin.py
game_bin=${SYNTHETIC_GAME:?path to the synthetic game binary}

require_systemd_vm "I write /etc"

save_toml() { # like an editor: write a temporary file, rename it over the real one
    printf '%s\n' "$@" >/etc/.scx_loader.toml.new
    mv /etc/.scx_loader.toml.new /etc/scx_loader.toml
}

# ---- reload -------------------------------------------------------------------------------------
rm -rf /etc/scx_loader /etc/scx_loader.toml
save_toml '[scheds.scx_gamer]' 'gaming_mode = ["--slice-us", "3000"]'
start_daemon --profile gaming || { fail "daemon starts"; finish; exit 1; }
STOCK_PID=$DAEMON_PID
STOCK_LOG=$DAEMON_LOG
check "gaming_mode from the TOML is in force (slice 3000 us)" wait_for 10 stat_is bpf_slice_us 3000
seq_before=$(cat /sys/kernel/sched_ext/enable_seq)

save_toml '[scheds.scx_gamer]' 'gaming_mode = ["--slice-us", "4000"]'
check "an edit of the running profile reaches the BPF data" wait_for 20 stat_is bpf_slice_us 4000
check "applied live (enable_seq unchanged)" test "$(cat /sys/kernel/sched_ext/enable_seq)" = "$seq_before"

save_toml '[scheds.scx_gamer]' 'gaming_mode = ["--slice-us", "5000"'
check "a syntax error is logged with file:line:col" \
    wait_for 20 log_has "$STOCK_LOG" "/etc/scx_loader.toml:2:"
check "and the last good profile stays (slice 4000 us)" stat_is bpf_slice_us 4000

# The watch has reported the broken file; SIGHUP must bring the fix in even if it were missed.
save_toml '[scheds.scx_gamer]' 'gaming_mode = ["--slice-us", "6000"]'
kill -HUP "$STOCK_PID"
check "SIGHUP reloads" wait_for 20 log_has "$STOCK_LOG" "reloading game rules and profiles (SIGHUP)"
check "the fixed file is in force (slice 6000 us)" wait_for 20 stat_is bpf_slice_us 6000
check "still the same attachment" test "$(cat /sys/kernel/sched_ext/enable_seq)" = "$seq_before"

# ---- companion ----------------------------------------------------------------------------------
private_bus=unix:path=/tmp/companion-bus
dbus-daemon --session --address="$private_bus" --fork --nopidfile --print-pid >/tmp/companion-bus.pid
on_private_bus() { env DBUS_SYSTEM_BUS_ADDRESS="$private_bus" DBUS_SESSION_BUS_ADDRESS="$private_bus" "$@"; }
loader_mode() { # the stand-in's SchedulerMode
    on_private_bus busctl --system get-property org.scx.Loader /org/scx/Loader org.scx.Loader \
        SchedulerMode 2>/dev/null | awk '{print $2}'
}
loader_mode_is() { [ "$(loader_mode)" = "$1" ]; }
loader_calls() { # how many times the stand-in got METHOD
    on_private_bus busctl --system call org.scx.Loader /org/scx/Loader org.freedesktop.DBus.Mock \
        GetMethodCalls s "$1" 2>/dev/null | awk '{print $2}'
}

# Started directly (not through a function): $! must be the process itself, for kill.
DBUS_SYSTEM_BUS_ADDRESS=$private_bus python3 -m dbusmock --template "$STANDIN" \
    -p '{"scheduler": "scx_lavd", "mode": 0}' >/tmp/standin.log 2>&1 &
STANDIN_PID=$!
check "the stand-in scx_loader is on the private bus" wait_for 20 loader_mode_is 0

rules_dir=/tmp/companion-rules # does not exist yet: the watch must follow it appearing
COMPANION_LOG=$(mktemp /tmp/companion.XXXXXX.log)
DBUS_SYSTEM_BUS_ADDRESS=$private_bus "$SCX_GAMER" --loader-companion --rules "$rules_dir/games.toml" \
    >"$COMPANION_LOG" 2>&1 &
COMPANION_PID=$!
check "companion starts while another scheduler is attached" \
    wait_for 20 log_has "$COMPANION_LOG" "ready: companion of scx_loader"
check "it attached nothing (enable_seq unchanged)" \
    test "$(cat /sys/kernel/sched_ext/enable_seq)" = "$seq_before"
scheduler_state() {
    on_private_bus busctl --system get-property org.cachyos.ScxGamer /org/cachyos/ScxGamer \
        org.cachyos.ScxGamer SchedulerState 2>/dev/null
}
check "SchedulerState is companion" test "$(scheduler_state)" = 's "companion"'

workdir=$(mktemp -d)
cp "$game_bin" "$workdir/SteamGame"
SteamAppId=480 "$workdir/SteamGame" --seconds 60 &
game=$!
check "a Steam game puts scx_loader in Gaming mode" wait_for 20 loader_mode_is 1
check "through HoldScheduler" test "$(loader_calls HoldScheduler)" = 1
kill "$game"; wait "$game" 2>/dev/null || true
check "its exit releases the hold" wait_for 20 loader_mode_is 0
check "through ReleaseScheduler" test "$(loader_calls ReleaseScheduler)" = 1

cp "$game_bin" "$workdir/RuleGame"
"$workdir/RuleGame" --seconds 60 &
rule_game=$!
check "RuleGame is not a game yet" bash -c "sleep 1; ! grep -q 'game detected: RuleGame' '$COMPANION_LOG'"
mkdir -p "$rules_dir"
printf '[include]\nnames = ["RuleGame"]\n' >"$rules_dir/games.toml"
check "a rule written while it runs makes it a game" \
    wait_for 20 log_has "$COMPANION_LOG" "game detected: RuleGame (pid $rule_game"
check "and scx_loader goes to Gaming mode" wait_for 20 loader_mode_is 1

printf '[include]\nnames = "RuleGame"\n' >"$rules_dir/games.toml"
check "a bad rules edit is logged with file:line:col" \
    wait_for 20 log_has "$COMPANION_LOG" "$rules_dir/games.toml:2:"
check "and the game stays a game" bash -c "! grep -q 'game exited: RuleGame' '$COMPANION_LOG'"

# The bus restarts under a running game: the companion stays, connects again and asks the new
# scx_loader for Gaming mode again (the old one took our hold with it).
kill "$STANDIN_PID" 2>/dev/null; wait "$STANDIN_PID" 2>/dev/null || true
kill "$(cat /tmp/companion-bus.pid)"
check "the companion reports the lost bus" \
    wait_for 20 log_has "$COMPANION_LOG" "companion mode: lost the system bus"
rm -f /tmp/companion-bus
dbus-daemon --session --address="$private_bus" --fork --nopidfile --print-pid >/tmp/companion-bus.pid
DBUS_SYSTEM_BUS_ADDRESS=$private_bus python3 -m dbusmock --template "$STANDIN" \
    -p '{"scheduler": "scx_lavd", "mode": 0}' >>/tmp/standin.log 2>&1 &
STANDIN_PID=$!
check "it connects to the new bus" \
    wait_for 20 log_has "$COMPANION_LOG" "companion mode: connected to the system bus again"
check "the new scx_loader is held in Gaming mode for the running game" wait_for 20 loader_mode_is 1
check "the companion is still running" kill -0 "$COMPANION_PID"

kill -TERM "$COMPANION_PID"
companion_status=0
wait "$COMPANION_PID" || companion_status=$?
check "companion exits 0" test "$companion_status" -eq 0
check "stopping mid-game released the hold (the new stand-in's first release)" \
    test "$(loader_calls ReleaseScheduler)" = 1
check "scx_loader is back in its mode" loader_mode_is 0
kill "$rule_game" 2>/dev/null; wait "$rule_game" 2>/dev/null || true

kill "$STANDIN_PID" 2>/dev/null || true
kill "$(cat /tmp/companion-bus.pid)" 2>/dev/null || true
stop_daemon TERM
check "daemon exits 0" test "$DAEMON_STATUS" -eq 0
if [ "$failures" -ne 0 ]; then
    echo "# daemon log:"; show_log
    echo "# companion log:"; sed 's/^/#   /' "$COMPANION_LOG"
    echo "# stand-in log:"; sed 's/^/#   /' /tmp/standin.log
fi
finish

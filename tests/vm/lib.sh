# SPDX-License-Identifier: GPL-2.0-only
# Helpers for the end-to-end tests that run inside the sched_ext VM (tests/vm/vm-run).
# shellcheck shell=bash
set -euo pipefail

SCX_GAMER=${SCX_GAMER:-scx_gamer}
SCHED_EXT=/sys/kernel/sched_ext
failures=0
checks=0

pass() { checks=$((checks + 1)); printf 'ok %d - %s\n' "$checks" "$*"; }
fail() {
    checks=$((checks + 1)); failures=$((failures + 1))
    printf 'not ok %d - %s\n' "$checks" "$*"
}
check() { # check "description" command...
    local what=$1; shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
finish() {
    printf '%d passed, %d failed\n' "$((checks - failures))" "$failures"
    [ "$failures" -eq 0 ]
}

sched_state() { cat "$SCHED_EXT/state" 2>/dev/null || echo missing; }
sched_ops() { cat "$SCHED_EXT/root/ops" 2>/dev/null || true; }

# wait_for SECONDS command... : polls (10 ms steps) until the command succeeds.
wait_for() {
    local deadline=$(($(date +%s%N) + ${1} * 1000000000)); shift
    until "$@"; do
        [ "$(date +%s%N)" -lt "$deadline" ] || return 1
        sleep 0.01
    done
}
wait_for_ms() {
    local deadline=$(($(date +%s%N) + ${1} * 1000000)); shift
    until "$@"; do
        [ "$(date +%s%N)" -lt "$deadline" ] || return 1
        sleep 0.01
    done
}

state_is() { [ "$(sched_state)" = "$1" ]; }
log_has() { grep -qF -- "$2" "$1" 2>/dev/null; }

DAEMON_PID=
DAEMON_LOG=
# start_daemon [flags...]: starts scx_gamer in the background, waits until it is attached.
start_daemon() {
    DAEMON_LOG=$(mktemp /tmp/scx_gamer.XXXXXX.log)
    "$SCX_GAMER" "$@" >"$DAEMON_LOG" 2>&1 &
    DAEMON_PID=$!
    if ! wait_for 20 state_is enabled; then
        echo "# daemon did not attach; its log:"; sed 's/^/#   /' "$DAEMON_LOG"
        return 1
    fi
    # Attached; wait for "ready" so the detector is running too.
    wait_for 10 log_has "$DAEMON_LOG" "ready" || { sed 's/^/#   /' "$DAEMON_LOG"; return 1; }
}

# stop_daemon SIGNAL: sends it, waits, sets DAEMON_STATUS.
stop_daemon() {
    kill -"$1" "$DAEMON_PID" 2>/dev/null || true
    DAEMON_STATUS=0
    wait "$DAEMON_PID" || DAEMON_STATUS=$?
}

show_log() { [ -n "$DAEMON_LOG" ] && sed 's/^/#   /' "$DAEMON_LOG"; }

# require_systemd_vm WHY: stops a script that needs `vm-run --systemd` (systemd as PID 1, a
# writable /etc) when it runs anywhere else.
require_systemd_vm() {
    if [ "${SCX_GAMER_IN_VM:-}" != systemd ]; then
        echo "Bail out! run me with tests/vm/vm-run --systemd ($1)"
        exit 1
    fi
}

# public_copy FILE...: copies files that tests run as an unprivileged user to where every user
# can read them, and prints the first copy's path. The checkout may sit in a directory only root
# can enter (CI clones into a mktemp -d, mode 0700). Paths inside the checkout keep their place
# relative to it, so a copied script still finds the files it reads next to it.
PUBLIC_ROOT=/tmp/vmtest-public
public_copy() {
    local checkout file rel first=
    checkout=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    for file in "$@"; do
        file=$(realpath "$file")
        case $file in
        "$checkout"/*) rel=${file#"$checkout"/} ;;
        *) rel=$(basename "$file") ;;
        esac
        mkdir -p "$PUBLIC_ROOT/$(dirname "$rel")"
        cp "$file" "$PUBLIC_ROOT/$rel"
        first=${first:-$PUBLIC_ROOT/$rel}
    done
    chmod -R a+rX "$PUBLIC_ROOT"
    echo "$first"
}

# stat_of FIELD: that field of the daemon's scx_stats reply (at any depth); stat_is FIELD VALUE.
# cpu_ticks PID: user + system time of a process so far, in clock ticks (getconf CLK_TCK a second).
cpu_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat") || return 1
    stat=${stat##*) } # after "pid (comm) ": field 3 onwards
    # shellcheck disable=SC2086 # split into fields
    set -- $stat
    echo $((${12} + ${13})) # utime and stime: fields 14 and 15
}

# start_player_session SECONDS: user `player` (created if need be) logged in on seat0's
# foreground VT through PAM and logind for SECONDS, as a user at the machine; sets player_uid and
# waits until the session is active.
start_player_session() {
    id player >/dev/null 2>&1 || useradd --create-home player
    # shellcheck disable=SC2034 # the tests use it
    player_uid=$(id -u player)
    systemd-run --quiet --unit=player-seat -p PAMName=login -p User=player -p TTYPath=/dev/tty1 \
        -p StandardInput=tty-force -p StandardOutput=journal sleep "$1"
    wait_for 30 player_active
}
player_active() { loginctl show-user player -p State --value 2>/dev/null | grep -qx active; }

# The bus policy that lets a stand-in scx_loader (root) own org.scx.Loader on the system bus.
allow_loader_standin() {
    install -m 0644 "$(dirname "${BASH_SOURCE[0]}")/fixtures/org.scx.Loader-standin.conf" \
        /etc/dbus-1/system.d/org.scx.Loader-standin.conf
    busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig
}

# stats_of KEY...: the statistics' values, space-separated, from one query of the stats socket
# (one python start: under a CPU hog per vCPU each start takes seconds of the guest's time).
stats_of() {
    python3 - "$@" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect("/var/run/scx/root/stats"); f = s.makefile("rw")
f.write(json.dumps({"req": "stats", "args": {"target": "top"}}) + "\n"); f.flush()
def find(node, key):
    if isinstance(node, dict):
        if key in node:
            return node[key]
        for value in node.values():
            found = find(value, key)
            if found is not None:
                return found
    return None
reply = json.loads(f.readline())
print(" ".join(str(find(reply, k)) for k in sys.argv[1:]))
PY
}
stat_of() { stats_of "$1"; }
stat_is() { [ "$(stat_of "$1" 2>/dev/null)" = "$2" ]; }

# py_checks COMMAND...: runs a helper that prints "ok - WHAT" / "not ok - WHAT" lines (such as
# tests/vm/dbus_checks.py) and counts each as a check of this script; other lines pass through.
# A helper that exits non-zero (a crash rather than a failed check) is a failed check too.
py_checks() {
    local line status=
    while IFS= read -r line; do
        case $line in
        "ok - "*) pass "${line#ok - }" ;;
        "not ok - "*) fail "${line#not ok - }" ;;
        "py_checks-status "*) status=${line#py_checks-status } ;;
        *) printf '%s\n' "$line" ;;
        esac
    done < <("$@" 2>&1; echo "py_checks-status $?")
    [ "$status" = 0 ] || fail "$* exited with status ${status:-unknown}"
}

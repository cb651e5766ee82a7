#!/usr/bin/env bash
# In the VM (default mode, no systemd): faults around the running daemon (docs/reliability.md,
# "Faults").
#   polkit absent    nothing answers org.freedesktop.PolicyKit1: every mutating call of a
#                    non-root client is refused with AccessDenied naming polkit and nothing
#                    changes; root's calls and everybody's reads still work.
#   /etc read-only   `scxgamerctl set-profile lowlatency --persist` with /etc/default read-only,
#   /etc full        then full: PersistFailed (scxgamerctl exit 1, one clear line), the file as it
#                    was and no debris beside it; the live change is in force and the daemon
#                    keeps serving.
#   bus restart      the system bus' dbus-daemon is killed, stays away a while, and is started
#                    again: the daemon keeps scheduling throughout and serves
#                    org.cachyos.ScxGamer on the new bus by itself (same process).
# shellcheck source-path=SCRIPTDIR source=lib.sh

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
CTL=$(public_copy "${SCXGAMERCTL:?path to scxgamerctl}") # run as nobody
BUS_NAME=org.cachyos.ScxGamer
OBJECT=/org/cachyos/ScxGamer
DEFAULT_DIR=/etc/default
PERSIST_FILE=$DEFAULT_DIR/scx_gamer

show() { sed 's/^/#   /'; }
# run DESCRIPTION COMMAND...: a check that shows the command's output when it fails.
run() {
    local what=$1 out
    shift
    if out=$("$@" 2>&1); then pass "$what"; else fail "$what"; printf '%s\n' "$out" | show; fi
}
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$@"; }
# A method call with gdbus, which prints the D-Bus error name (scxgamerctl shows only the message).
call() { # METHOD ARGS...
    local method=$1
    shift
    gdbus call --system --dest "$BUS_NAME" --object-path "$OBJECT" --method "$BUS_NAME.$method" "$@"
}
profile() {
    busctl --system get-property "$BUS_NAME" "$OBJECT" "$BUS_NAME" Profile 2>/dev/null |
        sed -n 's/^s "\(.*\)"$/\1/p'
}
tunable() { # a live tunable as the running scheduler's BPF data holds it (GetStats reads it back)
    "$CTL" --json stats | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
owner_pid() {
    busctl --system status "$BUS_NAME" 2>/dev/null | sed -n 's/^PID=//p'
}
served_by_daemon() { [ "$(owner_pid)" = "$DAEMON_PID" ]; }
gamer_attached() { state_is enabled && [ "$(sched_ops)" = gamer ]; }
stats_socket_answers() {
    python3 - <<'PY'
import json, socket
s = socket.socket(socket.AF_UNIX); s.settimeout(30); s.connect("/run/scx/root/stats")
f = s.makefile("rw"); f.write(json.dumps({"req": "stats", "args": {}}) + "\n"); f.flush()
assert json.loads(f.readline())["errno"] == 0
PY
}

polkit_unavailable() {
    ! busctl --system status org.freedesktop.PolicyKit1 >/dev/null 2>&1 && ! pidof polkitd >/dev/null
}

# ---- polkit absent ----
# The host's polkitd is D-Bus-activatable through the shared root; an empty directory over the
# bus' service directory takes that away (dbus-daemon re-reads it on every activation).
mount -t tmpfs -o mode=0755 tmpfs /usr/share/dbus-1/system-services
check "polkit: not running and not activatable" polkit_unavailable
ping_polkit=$(busctl --system call org.freedesktop.PolicyKit1 /org/freedesktop/PolicyKit1/Authority \
    org.freedesktop.DBus.Peer Ping 2>&1) && ping_status=0 || ping_status=$?
check "polkit: a call to it fails (${ping_polkit:-no output})" test "$ping_status" -ne 0

start_daemon --profile gaming || { fail "daemon starts"; finish; exit 1; }
check "daemon owns $BUS_NAME" wait_for 10 served_by_daemon

denied() { # DESCRIPTION METHOD ARGS...: a non-root call must get AccessDenied naming polkit
    local what=$1 out status=0
    shift
    out=$(as_nobody gdbus call --system --dest "$BUS_NAME" --object-path "$OBJECT" \
        --method "$BUS_NAME.$1" "${@:2}" 2>&1) || status=$?
    if [ "$status" -ne 0 ] && grep -q 'org.freedesktop.DBus.Error.AccessDenied' <<<"$out" &&
        grep -qi 'polkit' <<<"$out"; then
        pass "polkit absent, non-root $what: AccessDenied naming polkit"
    else
        fail "polkit absent, non-root $what: AccessDenied naming polkit (status $status)"
        printf '%s\n' "$out" | show
    fi
}
denied SetProfile SetProfile lowlatency
denied SetProfileWithOptions SetProfileWithOptions lowlatency "{'persist': <true>}"
denied ApplyFlags ApplyFlags "['--slice-us', '3000']"
denied ApplyFlagsWithOptions ApplyFlagsWithOptions "['--slice-us', '3000']" "{}"
# Registering needs a process of the caller's own (checked before polkit is asked): nobody's.
# (exec: the pid is nobody's sleep itself, not a root shell running as_nobody)
bash -c 'exec setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all sleep 120' &
nobodys=$!
denied RegisterGame RegisterGame "uint32 $nobodys"
denied UnregisterGame UnregisterGame "uint32 $nobodys"
kill "$nobodys" 2>/dev/null || true
wait "$nobodys" 2>/dev/null || true
ctl_out=$(as_nobody "$CTL" set-profile lowlatency 2>&1) && ctl_status=0 || ctl_status=$?
echo "$ctl_out" | show
check "polkit absent, non-root scxgamerctl set-profile: exit 1" test "$ctl_status" -eq 1
check "  with one line on stderr" test "$(printf '%s\n' "$ctl_out" | wc -l)" -eq 1
check "  that names polkit" grep -qi polkit <<<"$ctl_out"
check "refused calls changed nothing: profile gaming" test "$(profile)" = gaming
check "refused calls changed nothing: slice 2000 us in BPF" test "$(tunable bpf_slice_us)" = 2000
check "refused calls registered no game" bash -c "! '$CTL' --json games | grep -q '\"pid\": *$$'"
run "polkit absent, non-root GetStats works" as_nobody "$CTL" --json stats
run "polkit absent, non-root reads properties" as_nobody "$CTL" status
run "polkit absent, root set-profile lowlatency works" "$CTL" set-profile lowlatency
check "  profile is lowlatency" test "$(profile)" = lowlatency
check "  slice 1000 us in BPF" test "$(tunable bpf_slice_us)" = 1000
run "polkit absent, root set-profile gaming works" "$CTL" set-profile gaming
check "daemon still running" kill -0 "$DAEMON_PID"

# ---- persisting onto a read-only, then a full /etc/default ----
# A small tmpfs of our own over /etc/default (the guest's / is the host's, read-only).
mount -t tmpfs -o size=64k,mode=0755 tmpfs "$DEFAULT_DIR"
printf "# set by the administrator\nSCX_GAMER_FLAGS='--profile gaming'\n" >"$PERSIST_FILE"
cp -p "$PERSIST_FILE" /tmp/persist.orig
listing() { find "$DEFAULT_DIR" -mindepth 1 ! -name filler -printf '%f\n' | sort; }
listing_before=$(listing)

# says_all TEXT STRING...: TEXT contains every STRING (TEXT is never spliced into a command line).
says_all() {
    local text=$1 s
    shift
    for s; do grep -qF -- "$s" <<<"$text" || return 1; done
}
persist_fails() { # WHY: set-profile lowlatency --persist must fail cleanly
    local why=$1 out status=0
    out=$("$CTL" set-profile lowlatency --persist 2>&1) || status=$?
    echo "$out" | show
    check "$why: scxgamerctl set-profile --persist exits 1" test "$status" -eq 1
    check "$why: one line on stderr" test "$(printf '%s\n' "$out" | wc -l)" -eq 1
    check "$why: it says the change was applied but not saved, and names the file" \
        says_all "$out" 'not saved' "$PERSIST_FILE"
    run "$why: $PERSIST_FILE unchanged" cmp /tmp/persist.orig "$PERSIST_FILE"
    check "$why: nothing else left in $DEFAULT_DIR" test "$(listing)" = "$listing_before"
    [ "$(listing)" = "$listing_before" ] || listing | show
    check "$why: the live change is in force: profile lowlatency" test "$(profile)" = lowlatency
    check "$why: the live change is in force: slice 1000 us in BPF" \
        test "$(tunable bpf_slice_us)" = 1000
    check "$why: daemon still running and attached" bash -c "kill -0 $DAEMON_PID && \
        [ \"\$(cat $SCHED_EXT/state)\" = enabled ]"
    # The D-Bus error name, as a client sees it; lowlatency is in force already, so only the
    # save fails again.
    out=$(call SetProfileWithOptions lowlatency "{'persist': <true>}" 2>&1) || true
    check "$why: D-Bus error org.cachyos.ScxGamer.Error.PersistFailed" \
        grep -q 'org.cachyos.ScxGamer.Error.PersistFailed' <<<"$out"
    grep -q PersistFailed <<<"$out" || echo "$out" | show
    run "$why: GetStats still served" "$CTL" --json stats
    run "back to gaming (no persist)" "$CTL" set-profile gaming
}

mount -o remount,ro "$DEFAULT_DIR"
persist_fails "read-only /etc/default"
mount -o remount,rw "$DEFAULT_DIR"

# Full: fill the tmpfs up to the last byte.
dd if=/dev/zero of="$DEFAULT_DIR/filler" bs=4k 2>/dev/null || true
check "full /etc/default: no space left" bash -c "! echo x >'$DEFAULT_DIR/probe' 2>/dev/null"
rm -f "$DEFAULT_DIR/probe"
persist_fails "full /etc/default"
rm -f "$DEFAULT_DIR/filler"
run "with space again, --persist succeeds" "$CTL" set-profile lowlatency --persist
check "  and saves the profile" grep -qx "SCX_GAMER_FLAGS='--profile lowlatency'" "$PERSIST_FILE"
run "back to gaming" "$CTL" set-profile gaming

# ---- the system bus goes away and comes back ----
# dbus-daemon's own command line (vm-run's /init started it), to start it again the same way.
bus_pid=$(pidof dbus-daemon)
mapfile -d '' bus_cmd <"/proc/$bus_pid/cmdline"
seq_before=$(cat "$SCHED_EXT/enable_seq")
kill -TERM "$bus_pid"
check "bus: dbus-daemon stopped" wait_for 10 bash -c "! kill -0 $bus_pid 2>/dev/null"
# The daemon notices the loss at once; a while without a bus must not stop it scheduling.
check "bus down: the daemon logs the loss" wait_for 10 log_has "$DAEMON_LOG" "lost the system bus"
sleep 3
check "bus down: daemon still running" kill -0 "$DAEMON_PID"
check "bus down: still attached (ops gamer)" gamer_attached
check "bus down: scx_stats socket still answers" stats_socket_answers
"${bus_cmd[@]}" </dev/null
bus_up() { busctl --system status org.freedesktop.DBus >/dev/null 2>&1; }
check "bus: dbus-daemon running again" wait_for 30 bus_up
check "bus back: the same daemon serves $BUS_NAME again" wait_for 30 served_by_daemon
run "bus back: GetStats over the new bus" "$CTL" --json stats
run "bus back: root set-profile lowlatency" "$CTL" set-profile lowlatency
check "bus back: slice 1000 us in BPF" test "$(tunable bpf_slice_us)" = 1000
check "bus back: never detached (enable_seq unchanged)" \
    test "$(cat "$SCHED_EXT/enable_seq")" = "$seq_before"
check "bus back: still attached (ops gamer)" gamer_attached

# ---- SIGKILL: what the killed daemon leaves behind must not block the next one ----
# (Without a service manager nobody removes /run/scx; under systemd see test-faults-systemd.sh.)
old_log=$DAEMON_LOG
stop_daemon KILL
check "SIGKILL: kernel back on its default scheduler within 2 s" wait_for 2 state_is disabled
check "SIGKILL: the stale scx_stats socket is left behind" test -S /run/scx/root/stats
check "SIGKILL: the bus name is released" wait_for 10 bash -c "! busctl --system status $BUS_NAME >/dev/null 2>&1"
start_daemon --profile gaming || fail "a new daemon starts over the leftovers"
check "new daemon: owns $BUS_NAME" wait_for 10 served_by_daemon
check "new daemon: its scx_stats socket answers" stats_socket_answers
run "new daemon: GetStats" "$CTL" --json stats
check "new daemon: did not complain about the socket" bash -c "! grep -q 'not serving scx_stats' '$DAEMON_LOG'"
rm -f "$old_log"

stop_daemon TERM
check "SIGTERM: exit 0 (was $DAEMON_STATUS)" test "$DAEMON_STATUS" -eq 0
check "SIGTERM: state back to disabled" wait_for 2 state_is disabled
[ "$failures" -eq 0 ] || show_log
finish

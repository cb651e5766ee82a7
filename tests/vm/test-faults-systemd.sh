#!/usr/bin/env bash
# In the VM with systemd as PID 1 (vm-run --systemd): scx_gamer.service (Restart=on-failure),
# installed by INSTALL.sh as in test-systemd-install.sh, through faults (docs/reliability.md).
#
#   test-faults-systemd.sh kill    the daemon is SIGKILLed: the kernel is back on its default
#                                  scheduler within 2 s, the unit restarts it, and neither the
#                                  stale scx_stats socket nor the bus name blocks the new one
#                                  (it serves GetStats and the socket). Then `systemctl restart
#                                  dbus`: the daemon keeps scheduling and comes back on the new
#                                  bus by itself (same process).
#   test-faults-systemd.sh eject   needs a test-hooks build (cmake --preset test-hooks): the
#                                  kernel ejects the scheduler for (a) a runtime error
#                                  (test_inject_error) and (b) a watchdog stall (test_stall_pid),
#                                  both poked into the scheduler's .bss with bpftool. The daemon
#                                  logs the kernel's reason, sends PropertiesChanged(SchedulerState)
#                                  and SchedulerExited, exits 70, and the unit brings it back.
# shellcheck source-path=SCRIPTDIR source=lib.sh

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD_DIR=$(cd "$(dirname "${SCX_GAMER:?BUILD/bin/scx_gamer}")/.." && pwd)
UNIT=scx_gamer.service
BUS_NAME=org.cachyos.ScxGamer
CTL=/usr/bin/scxgamerctl
mode=${1:?usage: test-faults-systemd.sh kill|eject}

require_systemd_vm "I install into / and start services"

show() { sed 's/^/#   /'; }
run() {
    local what=$1 out
    shift
    if out=$("$@" 2>&1); then pass "$what"; else fail "$what"; printf '%s\n' "$out" | show; fi
}
main_pid() { systemctl show -p MainPID --value "$UNIT"; }
n_restarts() { systemctl show -p NRestarts --value "$UNIT"; }
gamer_attached() { state_is enabled && [ "$(sched_ops)" = gamer ]; }
owner_pid() { busctl --system status "$BUS_NAME" 2>/dev/null | sed -n 's/^PID=//p'; }
journal() { journalctl --no-pager -o cat -u "$UNIT"; }
now_ns() { date +%s%N; }
seconds_since() { awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }
journal_has() { journal | grep -qF -- "$1"; }
stats_socket_answers() {
    python3 - <<'PY'
import json, socket
s = socket.socket(socket.AF_UNIX); s.settimeout(30); s.connect("/run/scx/root/stats")
f = s.makefile("rw"); f.write(json.dumps({"req": "stats", "args": {}}) + "\n"); f.flush()
reply = json.loads(f.readline())
assert reply["errno"] == 0 and reply["args"]["resp"]["scheduler_state"] == "enabled", reply
PY
}
# A new process of the unit runs the scheduler and serves the bus name and the stats socket.
check_restarted() { # WHY OLD_PID
    local why=$1 old=$2 pid
    new_main_pid() { local p; p=$(main_pid); [ "$p" != 0 ] && [ "$p" != "$old" ]; }
    check "$why: the unit started a new main process" wait_for 120 new_main_pid
    pid=$(main_pid)
    check "$why: sched_ext enabled, ops gamer again" wait_for 120 gamer_attached
    check "$why: the new process ($pid) owns $BUS_NAME" \
        wait_for 60 bash -c "[ \"\$(busctl --system status $BUS_NAME 2>/dev/null | sed -n 's/^PID=//p')\" = $pid ]"
    run "$why: GetStats from the new process" "$CTL" --json stats
    check "$why: the scx_stats socket answers" wait_for 30 stats_socket_answers
    check "$why: the unit is active" systemctl is-active --quiet "$UNIT"
}

# ---- install and start the unit, as test-systemd-install.sh does ----
install -m 0644 "$HERE/fixtures/scx.service" /usr/lib/systemd/system/scx.service
install -m 0644 "$HERE/fixtures/default-scx" /etc/default/scx
install -m 0644 "$HERE/fixtures/scx_loader.toml" /etc/scx_loader.toml
systemctl daemon-reload
run "INSTALL.sh --yes" "$REPO/INSTALL.sh" --yes --build-dir "$BUILD_DIR"
run "systemctl start $UNIT" systemctl start "$UNIT"
check "$UNIT: sched_ext enabled, ops gamer" wait_for 120 gamer_attached
check "$UNIT: owns $BUS_NAME" wait_for 60 bash -c "[ -n \"\$(busctl --system status $BUS_NAME 2>/dev/null | sed -n 's/^PID=//p')\" ]"

# A later scenario must not run into StartLimitBurst because of an earlier one's restart.
next_scenario() { systemctl reset-failed "$UNIT" 2>/dev/null || true; }

scenario_kill() {
    local pid restarts t0
    pid=$(main_pid)
    restarts=$(n_restarts)
    t0=$(now_ns)
    kill -KILL "$pid"
    check "SIGKILL: kernel back on its default scheduler within 2 s" wait_for 2 state_is disabled
    echo "# SIGKILL: sched_ext disabled after $(seconds_since "$t0") s"
    check_restarted "SIGKILL" "$pid"
    echo "# SIGKILL: a new process attached after $(seconds_since "$t0") s"
    check "SIGKILL: NRestarts went up" test "$(n_restarts)" -gt "$restarts"
    next_scenario
}

scenario_bus_restart() {
    local pid seq
    pid=$(main_pid)
    seq=$(cat "$SCHED_EXT/enable_seq")
    run "systemctl restart dbus" systemctl restart dbus.service
    check "bus restart: the system bus is back" wait_for 60 bash -c "busctl --system status org.freedesktop.DBus >/dev/null 2>&1"
    check "bus restart: the daemon logged the loss" wait_for 30 journal_has "lost the system bus"
    check "bus restart: the same process ($pid) owns $BUS_NAME on the new bus" \
        wait_for 60 bash -c "[ \"\$(busctl --system status $BUS_NAME 2>/dev/null | sed -n 's/^PID=//p')\" = $pid ]"
    check "bus restart: the unit's main process is unchanged" test "$(main_pid)" = "$pid"
    check "bus restart: the unit is active" systemctl is-active --quiet "$UNIT"
    check "bus restart: still attached, ops gamer" gamer_attached
    check "bus restart: never detached (enable_seq unchanged)" \
        test "$(cat "$SCHED_EXT/enable_seq")" = "$seq"
    run "bus restart: GetStats over the new bus" "$CTL" --json stats
    next_scenario
}

# ---- ejection through the test hooks ----

# Sets a u32 variable of the scheduler's .bss (VAR VALUE). bpftool finds the map and, from its BTF,
# the variable's offset; the 4 bytes are then stored through a mapping of the map (libbpf makes
# .bss mmapable), because bpftool can only rewrite the whole section, and the scheduler keeps
# writing other variables there (vtime_now) that a read-modify-write would roll back.
set_bss_u32() {
    python3 - "$1" "$2" <<'PY'
import ctypes, json, mmap, os, struct, subprocess, sys
var, value = sys.argv[1], int(sys.argv[2])
def bpftool(*args):
    return json.loads(subprocess.run(["bpftool", "-j", *args], check=True,
                                     capture_output=True, text=True).stdout)
def map_fd(map_id):
    libc = ctypes.CDLL(None, use_errno=True)
    attr = ctypes.create_string_buffer(struct.pack("=III", map_id, 0, 0), 128)
    fd = libc.syscall(321, 14, attr, 128)  # bpf(BPF_MAP_GET_FD_BY_ID), x86-64
    if fd < 0:
        sys.exit(f"bpf(BPF_MAP_GET_FD_BY_ID, {map_id}): errno {ctypes.get_errno()}")
    return fd
for m in bpftool("map", "show"):
    if not m.get("name", "").endswith(".bss"):
        continue
    if "btf_id" not in m:
        continue
    types = bpftool("btf", "dump", "id", str(m["btf_id"]))["types"]  # all of the object's types
    names = {t["id"]: t.get("name", "") for t in types}
    for sec in (t for t in types if t["kind"] == "DATASEC" and t["name"] == ".bss"):
        for v in sec["vars"]:
            if names.get(v["type_id"]) != var:
                continue
            size = (m["bytes_value"] + mmap.PAGESIZE - 1) // mmap.PAGESIZE * mmap.PAGESIZE
            fd = map_fd(m["id"])
            with mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE) as mem:
                struct.pack_into("=I", mem, v["offset"], value)
            os.close(fd)
            print(f"{var}={value} in map {m['id']} ({m['name']}) at offset {v['offset']}")
            sys.exit(0)
sys.exit(f"no .bss map has a variable {var} (not a test-hooks build?)")
PY
}

# Follows the daemon's signals (a subscriber, as any client would) into a JSON-lines file.
MONITOR_PID=
start_monitor() { # FILE
    /usr/bin/python3 -u - "$1" <<'PY' &
import json, sys
import dbus, dbus.mainloop.glib
from gi.repository import GLib
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
out = open(sys.argv[1], "w", buffering=1)
bus = dbus.SystemBus()
def on_signal(*args, **kw):
    out.write(json.dumps({"member": kw["member"], "args": [json.loads(json.dumps(a)) for a in args]}) + "\n")
bus.add_signal_receiver(on_signal, path="/org/cachyos/ScxGamer", member_keyword="member")
out.write(json.dumps({"member": "ready"}) + "\n")
GLib.MainLoop().run()
PY
    MONITOR_PID=$!
    wait_for 60 grep -q ready "$1"
}
seen() { # FILE PYTHON-CONDITION-ON-e: an event matching it was received
    python3 - "$1" "$2" <<'PY'
import json, sys
events = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
sys.exit(0 if any(eval(sys.argv[2], {}, {"e": e}) for e in events) else 1)
PY
}

# How many times a main process of the unit exited with status 70, so far.
exits_70() { journalctl --no-pager -u "$UNIT" | grep -c 'Main process exited, code=exited, status=70/' || true; }

check_ejected() { # WHY OLD_PID EVENTS REASON MESSAGE_PATTERN EXITS_70_BEFORE
    local why=$1 old=$2 events=$3 reason=$4 msg=$5 before=$6 t0
    t0=$(now_ns)
    wait_for 60 state_is disabled || true
    echo "# $why: sched_ext disabled $(seconds_since "$t0") s after the fault was set"
    check "$why: the daemon logs the kernel's reason '$reason'" \
        wait_for 60 bash -c "journalctl --no-pager -o cat -u $UNIT | grep -E -q 'scheduler unloaded by the kernel: $reason \\($msg'"
    check "$why: PropertiesChanged SchedulerState 'detached' received" wait_for 30 seen "$events" \
        "e['member'] == 'PropertiesChanged' and e['args'][1].get('SchedulerState') == 'detached'"
    check "$why: SchedulerExited('$reason', ...) received" wait_for 30 seen "$events" \
        "e['member'] == 'SchedulerExited' and e['args'][0] == '$reason' and __import__('re').search(r'''$msg''', e['args'][1])"
    check "$why: the main process exited with status 70" wait_for 60 bash -c \
        "$(declare -f exits_70); UNIT=$UNIT; [ \$(exits_70) -gt $before ]"
    check_restarted "$why" "$old"
    echo "# $why: a new process attached $(seconds_since "$t0") s after the fault was set"
    journal | grep -E 'unloaded by the kernel|status=70' | show || true
}

scenario_inject_error() {
    local pid events before
    pid=$(main_pid)
    events=$(mktemp)
    start_monitor "$events" || fail "the signal monitor starts"
    before=$(exits_70)
    run "runtime error: test_inject_error=1 in the running scheduler" set_bss_u32 test_inject_error 1
    check_ejected "runtime error" "$pid" "$events" scx_bpf_error injected "$before"
    kill "$MONITOR_PID" 2>/dev/null || true
    next_scenario
}

scenario_stall() {
    local pid events hog before
    pid=$(main_pid)
    events=$(mktemp)
    start_monitor "$events" || fail "the signal monitor starts"
    # A thread that always wants to run; parked in the never-consumed STALL_DSQ it starves until
    # the kernel's watchdog (ops.timeout_ms, 5 s) ejects the scheduler.
    bash -c 'while :; do :; done' &
    hog=$!
    before=$(exits_70)
    run "stall: test_stall_pid=$hog in the running scheduler" set_bss_u32 test_stall_pid "$hog"
    check_ejected "stall" "$pid" "$events" "runnable task stall" \
        "bash\\[$hog\\] failed to run for" "$before"
    kill "$hog" "$MONITOR_PID" 2>/dev/null || true
    next_scenario
}

check_hooks_present() {
    check "the installed scx_gamer has the test hooks (test-hooks build)" \
        "$HERE/check-test-hooks.sh" present /usr/bin/scx_gamer
}

case $mode in
kill)
    scenario_kill
    scenario_bus_restart
    ;;
eject)
    check_hooks_present
    scenario_inject_error
    scenario_stall
    ;;
*) echo "Bail out! unknown mode '$mode'"; exit 1 ;;
esac

run "systemctl stop $UNIT" systemctl stop "$UNIT"
check "stopped: sched_ext disabled" wait_for 30 state_is disabled
check "stopped: the unit's last exit was clean" bash -c \
    "[ \"\$(systemctl show -p Result --value $UNIT)\" = success ]"
if [ "$failures" -ne 0 ]; then
    echo "# journal of $UNIT:"
    journal | tail -n 60 | show
fi
finish

#!/usr/bin/env bash
# In the VM with systemd as PID 1 (vm-run --systemd: a writable overlay over the host root, thrown
# away afterwards): INSTALL.sh, scx_gamer under scx.service and under scx_gamer.service, a
# persisted profile switch, UNINSTALL.sh. Debian has no scx.service, so stand-ins of the unit and
# of /etc/default/scx that scx-scheds ships (tests/vm/fixtures) are installed first, with an
# administrator's scx_loader TOML.
#
#   scx.service        INSTALL.sh --activate; the administrator picks the gaming profile in
#                      SCX_FLAGS; restart -> /usr/bin/scx_gamer --profile gaming attached;
#                      set-profile lowlatency --persist changes the live tunables and SCX_FLAGS,
#                      and a restart comes back with lowlatency; UNINSTALL.sh stops it and leaves
#                      /etc/default/scx and the TOML byte-identical to what they were.
#   scx_gamer.service  the same through the project's own unit and /etc/default/scx_gamer.
# shellcheck source-path=SCRIPTDIR source=lib.sh

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
FIXTURES=$HERE/fixtures
BUILD_DIR=$(cd "$(dirname "${SCX_GAMER:?BUILD/bin/scx_gamer}")/.." && pwd)
CTL=/usr/bin/scxgamerctl
BUS_NAME=org.cachyos.ScxGamer

# This installs into / and starts units: only ever in a throw-away VM.
require_systemd_vm "I change / and start services"

WORK=$(mktemp -d)
main_pid() { systemctl show -p MainPID --value "$1"; }
cmdline_of() { tr '\0' ' ' <"/proc/$1/cmdline" | sed 's/ $//'; }
exe_of() { readlink "/proc/$1/exe"; }
gamer_attached() { state_is enabled && [ "$(sched_ops)" = gamer ]; }
on_bus() { busctl --system status "$BUS_NAME" >/dev/null 2>&1; }
profile_is() {
    busctl --system get-property "$BUS_NAME" /org/cachyos/ScxGamer org.cachyos.ScxGamer Profile |
        grep -qx "s \"$1\""
}
tunable() { # a live tunable as the running scheduler's BPF data holds it (GetStats reads it back)
    "$CTL" --json stats | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
is_active() { systemctl is-active --quiet "$1"; }
show() { sed 's/^/#   /'; }
# run DESCRIPTION COMMAND...: a check that shows the command's output when it fails.
run() {
    local what=$1 out
    shift
    if out=$("$@" 2>&1); then pass "$what"; else fail "$what"; printf '%s\n' "$out" | show; fi
}

# Waits for UNIT's scx_gamer to be attached and on the bus, then checks how it was started.
check_started() { # UNIT EXPECTED_CMDLINE
    local unit=$1 want=$2 pid
    check "$unit: sched_ext enabled, ops gamer" wait_for 120 gamer_attached
    check "$unit: org.cachyos.ScxGamer on the system bus" wait_for 30 on_bus
    pid=$(main_pid "$unit")
    check "$unit: MainPID $pid runs /usr/bin/scx_gamer" test "$(exe_of "$pid")" = /usr/bin/scx_gamer
    check "$unit: its command line is '$want'" test "$(cmdline_of "$pid")" = "$want"
    [ "$(cmdline_of "$pid")" = "$want" ] || cmdline_of "$pid" | show
}

# set-profile lowlatency --persist on a daemon running the gaming profile: live, and saved as
# VARIABLE='--profile lowlatency' (the administrator's quoting kept) in FILE; a restart then comes
# back with lowlatency.
check_persist() { # UNIT FILE VARIABLE CMDLINE_AFTER_RESTART
    local unit=$1 file=$2 variable=$3 restarted=$4 pid expected
    pid=$(main_pid "$unit")
    check "$unit: gaming profile: slice 2000 us in BPF" test "$(tunable bpf_slice_us)" = 2000
    expected=$(sed "s/^$variable=.*/$variable='--profile lowlatency'/" "$file")
    run "$unit: scxgamerctl set-profile lowlatency --persist" "$CTL" set-profile lowlatency --persist
    check "$unit: Profile property is lowlatency" profile_is lowlatency
    check "$unit: lowlatency live: slice 1000 us in BPF" test "$(tunable bpf_slice_us)" = 1000
    check "$unit: lowlatency live: wakeup timer 500 us in BPF" \
        test "$(tunable bpf_wakeup_timer_us)" = 500
    check "$unit: the same process (no restart)" test "$(main_pid "$unit")" = "$pid"
    if [ "$(cat "$file")" = "$expected" ]; then
        pass "$file: $variable='--profile lowlatency', every other line as it was"
    else
        fail "$file: $variable='--profile lowlatency', every other line as it was"
        diff <(echo "$expected") "$file" | show
    fi
    run "$unit: systemctl restart" systemctl restart "$unit"
    check_started "$unit" "$restarted"
    check "$unit: after the restart the Profile property is lowlatency" profile_is lowlatency
    check "$unit: after the restart slice 1000 us in BPF" test "$(tunable bpf_slice_us)" = 1000
}

check_uninstall() { # UNIT
    local unit=$1
    run "UNINSTALL.sh --yes" "$REPO/UNINSTALL.sh" --yes --build-dir "$BUILD_DIR"
    check "$unit is stopped" bash -c "! systemctl is-active --quiet $unit"
    check "sched_ext is disabled" wait_for 30 state_is disabled
    run "/etc/default/scx is byte-identical to before INSTALL.sh" \
        cmp "$WORK/default_scx.orig" /etc/default/scx
    run "/etc/scx_loader.toml is byte-identical to before INSTALL.sh" \
        cmp "$WORK/loader.orig" /etc/scx_loader.toml
    check "/usr/bin/scx_gamer is removed" test ! -e /usr/bin/scx_gamer
    check "scx_gamer.service is removed" test ! -e /usr/lib/systemd/system/scx_gamer.service
}

# ---- the stock CachyOS files (stand-ins) ----
install -m 0644 "$FIXTURES/scx.service" /usr/lib/systemd/system/scx.service
install -m 0644 "$FIXTURES/default-scx" /etc/default/scx
install -m 0644 "$FIXTURES/scx_loader.toml" /etc/scx_loader.toml
systemctl daemon-reload
cp -p /etc/default/scx "$WORK/default_scx.orig"
cp -p /etc/scx_loader.toml "$WORK/loader.orig"
check "no sched_ext scheduler yet" state_is disabled

# ---- scx.service ----
run "INSTALL.sh --yes --activate" "$REPO/INSTALL.sh" --yes --activate --build-dir "$BUILD_DIR"
check "/usr/bin/scx_gamer is this build's" cmp "$BUILD_DIR/bin/scx_gamer" /usr/bin/scx_gamer
check "/etc/default/scx: SCX_SCHEDULER=scx_gamer" grep -qx SCX_SCHEDULER=scx_gamer /etc/default/scx
check "/etc/default/scx: SCX_FLAGS='--profile gaming' (--activate's default profile)" \
    grep -qx "SCX_FLAGS='--profile gaming'" /etc/default/scx
run "systemctl restart scx.service" systemctl restart scx.service
check_started scx.service "scx_gamer --profile gaming"
status=$("$CTL" status 2>&1) || true
echo "$status" | show
check "scxgamerctl status over the system bus: enabled" grep -qi enabled <<<"$status"
check "scxgamerctl status over the system bus: profile gaming" grep -q gaming <<<"$status"
check_persist scx.service /etc/default/scx SCX_FLAGS "scx_gamer --profile lowlatency"
check_uninstall scx.service

# ---- scx_gamer.service ----
run "INSTALL.sh --yes" "$REPO/INSTALL.sh" --yes --build-dir "$BUILD_DIR"
cp -p /etc/default/scx "$WORK/default_scx.installed"
# The administrator picks the gaming profile for scx_gamer.service.
printf "SCX_GAMER_FLAGS='--profile gaming'\n" >/etc/default/scx_gamer
run "systemctl start scx_gamer.service" systemctl start scx_gamer.service
check "scx_gamer.service is active (READY=1: attached, the name requested)" is_active scx_gamer.service
check_started scx_gamer.service "/usr/bin/scx_gamer --profile gaming"
check_persist scx_gamer.service /etc/default/scx_gamer SCX_GAMER_FLAGS \
    "/usr/bin/scx_gamer --profile lowlatency"
run "/etc/default/scx untouched by the persist under scx_gamer.service" \
    cmp "$WORK/default_scx.installed" /etc/default/scx
check_uninstall scx_gamer.service

if [ "$failures" -ne 0 ]; then
    echo "# journal of the units:"
    journalctl --no-pager -o cat -u scx.service -u scx_gamer.service | tail -n 60 | show
fi
rm -rf "$WORK"
finish

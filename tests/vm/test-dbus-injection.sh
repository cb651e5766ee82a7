#!/usr/bin/env bash
# In the VM with systemd as PID 1 (vm-run --systemd, for a writable /usr and /etc): profile names
# and flags carrying shell syntax (; && | > newlines $(...) backticks quotes globs, overlong
# values), sent as root with persist to the daemon run by a unit, are refused (UnknownProfile,
# InvalidFlags); the /etc/default file the unit reads is byte-identical afterwards, no backup
# appears beside it, no marker file is created, and the restarted unit runs the scheduler with
# exactly the command line it had. Then one valid persisted change shows the path is live: it
# is written, and the restarted scheduler's command line has it and nothing else.
#
#   scx.service        (the stand-in of tests/vm/fixtures) execs ${SCX_SCHEDULER} ${SCX_FLAGS}
#                      through bash, so a value that got into SCX_FLAGS would be word-split and
#                      globbed: the riskier reader.
#   scx_gamer.service  the project's unit, /etc/default/scx_gamer, which does not exist at
#                      first: it must still not exist after the refused calls.
# shellcheck source-path=SCRIPTDIR source=lib.sh

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
FIXTURES=$HERE/fixtures
CHECKS=$HERE/dbus_checks.py
BUS_NAME=org.cachyos.ScxGamer
MARKER=/run/scxgamer-injected

require_systemd_vm "I install files and start units"

WORK=$(mktemp -d)
main_pid() { systemctl show -p MainPID --value "$1"; }
cmdline_of() { tr '\0' ' ' <"/proc/$1/cmdline" | sed 's/ $//'; }
gamer_attached() { state_is enabled && [ "$(sched_ops)" = gamer ]; }
on_bus() { busctl --system status "$BUS_NAME" >/dev/null 2>&1; }
show() { sed 's/^/#   /'; }
# The units' start limits (scx.service: 2 in 30 s) are not under test: restarts here may come
# quickly one after another.
restart() { systemctl reset-failed "$1" && systemctl restart "$1"; }

# started UNIT CMDLINE: UNIT's scheduler is attached, on the bus, with exactly CMDLINE.
started() {
    local unit=$1 want=$2 pid
    check "$unit: sched_ext enabled, ops gamer" wait_for 120 gamer_attached
    check "$unit: $BUS_NAME on the system bus" wait_for 30 on_bus
    pid=$(main_pid "$unit")
    check "$unit: the scheduler's command line is exactly '$want'" \
        test "$(cmdline_of "$pid")" = "$want"
    [ "$(cmdline_of "$pid")" = "$want" ] || cmdline_of "$pid" | show
}

# refused UNIT FILE CMDLINE: the injection attempts against UNIT, which persists to FILE.
refused() {
    local unit=$1 file=$2 want=$3 saved=$WORK/saved
    rm -f "$saved"
    [ ! -e "$file" ] || cp -p "$file" "$saved"
    py_checks python3 "$CHECKS" injection "$file"
    if [ -e "$saved" ]; then
        check "$file is byte-identical (cmp)" cmp "$saved" "$file"
    else
        check "$file still does not exist" test ! -e "$file"
    fi
    check "$unit: systemctl restart" restart "$unit"
    started "$unit" "$want"
    check "no $MARKER after the restart either" test ! -e "$MARKER"
}

# persisted UNIT FILE VARIABLE VALUE CMDLINE: one valid persisted change (--slice-us 3000), saved
# as VARIABLE='VALUE', then a restart.
persisted() {
    local unit=$1 file=$2 variable=$3 value=$4 want=$5
    check "$unit: ApplyFlagsWithOptions --slice-us 3000, persist" \
        busctl --system call -- "$BUS_NAME" /org/cachyos/ScxGamer "$BUS_NAME" \
        ApplyFlagsWithOptions 'asa{sv}' 2 --slice-us 3000 1 persist b true
    check "$file: $variable='$value'" grep -qx "$variable='$value'" "$file"
    grep -q "^$variable=" "$file" || show <"$file"
    check "$unit: systemctl restart" restart "$unit"
    started "$unit" "$want"
}

# ---- what a package installs ----
install -m 0755 "$SCX_GAMER" /usr/bin/scx_gamer
install -m 0644 "$REPO/dbus/org.cachyos.ScxGamer.conf" /usr/share/dbus-1/system.d/
busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig

# ---- scx.service ----
install -m 0644 "$FIXTURES/scx.service" /usr/lib/systemd/system/scx.service
sed -e 's/^SCX_SCHEDULER=.*/SCX_SCHEDULER=scx_gamer/' \
    -e "\$a SCX_FLAGS='--profile gaming'" "$FIXTURES/default-scx" >/etc/default/scx
systemctl daemon-reload
check "systemctl start scx.service" systemctl start scx.service
started scx.service "scx_gamer --profile gaming"
refused scx.service /etc/default/scx "scx_gamer --profile gaming"
persisted scx.service /etc/default/scx SCX_FLAGS "--profile gaming --slice-us 3000" \
    "scx_gamer --profile gaming --slice-us 3000"
check "systemctl stop scx.service" systemctl stop scx.service
check "sched_ext is disabled" wait_for 30 state_is disabled

# ---- scx_gamer.service ----
install -m 0644 "$(dirname "$SCX_GAMER")/../systemd/scx_gamer.service" /usr/lib/systemd/system/
rm -f /etc/default/scx_gamer
systemctl daemon-reload
check "systemctl start scx_gamer.service" systemctl start scx_gamer.service
started scx_gamer.service "/usr/bin/scx_gamer"
refused scx_gamer.service /etc/default/scx_gamer "/usr/bin/scx_gamer"
persisted scx_gamer.service /etc/default/scx_gamer SCX_GAMER_FLAGS \
    "--profile auto --slice-us 3000" \
    "/usr/bin/scx_gamer --profile auto --slice-us 3000"
check "systemctl stop scx_gamer.service" systemctl stop scx_gamer.service

if [ "$failures" -ne 0 ]; then
    echo "# journal of the units:"
    journalctl --no-pager -o cat -u scx.service -u scx_gamer.service | tail -n 60 | show
fi
rm -rf "$WORK"
finish

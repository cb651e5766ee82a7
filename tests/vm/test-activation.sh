#!/usr/bin/env bash
# In the VM with systemd as PID 1 (vm-run --systemd): a local unprivileged user cannot swap the
# system's scheduler by talking to org.cachyos.ScxGamer, and starting scx_gamer never displaces
# the scheduler of scx.service or scx_loader (docs/security.md, "Who may start scx_gamer").
# INSTALL.sh --yes installs the units, the activation file and the bus policy; scx.service (the
# stand-in of tests/vm/fixtures) runs another sched_ext scheduler (bpf_smoke hold).
#
#   not enabled  as nobody: busctl call GetStats, busctl introspect, busctl get-property and
#                scxgamerctl status (exit 3, "not running"): scx.service stays active with its
#                scheduler (same enable_seq), scx_gamer.service is never started.
#   enabled      (systemctl enable, not started) as nobody: scxgamerctl's read-only commands and
#                set-profile exit 3 without starting it (NO_AUTO_START); a raw busctl call does
#                activate it, and the daemon refuses: exit 69, one line in the journal, no restart.
#   root start   systemctl start scx_gamer.service fails the same way; scx.service keeps running.
#   scx_loader   a stand-in scx_loader.service owning org.scx.Loader: root's start and nobody's
#                activation are refused with the scx_loader line; the stand-in keeps running.
#   free         nothing else in charge: enable --now works, nobody's GetStats and status succeed.
# shellcheck source-path=SCRIPTDIR source=lib.sh

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD_DIR=$(cd "$(dirname "${SCX_GAMER:?BUILD/bin/scx_gamer}")/.." && pwd)
OTHER_SCHEDULER=${BPF_SMOKE:?path to bpf_smoke (the other scheduler scx.service runs)}
STANDIN=$REPO/tests/integration/scx_loader_standin.py
UNIT=scx_gamer.service
BUS_NAME=org.cachyos.ScxGamer
OBJECT=/org/cachyos/ScxGamer
CTL=/usr/bin/scxgamerctl

require_systemd_vm "I install into / and start services"

show() { sed 's/^/#   /'; }
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
is_active() { systemctl is-active --quiet "$1"; }
not_active() { ! systemctl is-active --quiet "$1"; }
prop() { systemctl show -p "$2" --value "$1"; }
# Changes every time the unit leaves the inactive/failed state, i.e. on every start attempt.
started_at() { prop "$UNIT" InactiveExitTimestampMonotonic; }
enable_seq() { cat "$SCHED_EXT/enable_seq"; }
# What the unit logged since the last next_attempt (an earlier attempt's line must not count).
# By cursor, not by invocation ID: journald cannot always attach the invocation ID to the last
# lines of a process whose cgroup is already gone.
journal_has() {
    journalctl --no-pager -o cat -u "$UNIT" --after-cursor="$JOURNAL_CURSOR" | grep -qF -- "$1"
}
gamer_attached() { state_is enabled && [ "$(sched_ops)" = gamer ]; }
on_bus() { busctl --system status "$1" >/dev/null 2>&1; }

# as_nobody_call WHAT COMMAND...: runs COMMAND as nobody, shows its output, sets CALL_STATUS.
as_nobody_call() {
    local what=$1 out
    shift
    CALL_STATUS=0
    out=$(as_nobody "$@" 2>&1) || CALL_STATUS=$?
    echo "# $what as nobody: exit $CALL_STATUS"
    printf '%s\n' "$out" | head -n 3 | show
    CALL_OUT=$out
}

# The scheduler in charge is untouched and scx_gamer was not started since START_MARK.
untouched() { # WHAT IN_CHARGE_UNIT
    check "$1: $2 is still active" is_active "$2"
    check "$1: $UNIT is not active" not_active "$UNIT"
    check "$1: $UNIT was not started" test "$(started_at)" = "$START_MARK"
    check "$1: the same sched_ext scheduler is attached (enable_seq $SEQ)" \
        test "$(sched_state)/$(enable_seq)" = "enabled/$SEQ"
}

# The daemon was started and refused: one line naming WHO, exit status 69, no restart.
refused() { # WHAT EXPECTED_LINE
    local what=$1 line=$2
    check "$what: $UNIT was started (the activation or start reached the daemon)" \
        test "$(started_at)" != "$START_MARK"
    check "$what: the journal says '$line'" wait_for 10 journal_has "$line"
    check "$what: the daemon exited with 69" \
        wait_for 10 journal_has "Main process exited, code=exited, status=69/"
    sleep 3 # RestartSec=1s: a restart would have happened by now
    check "$what: $UNIT is not active" not_active "$UNIT"
    check "$what: and was not restarted (NRestarts 0)" test "$(prop "$UNIT" NRestarts)" = 0
}

# A fresh start attempt of the unit: forget the previous failure (as an administrator would), so
# that the start limit does not decide the outcome, and remember when it last started.
next_attempt() {
    systemctl reset-failed "$UNIT" 2>/dev/null || true
    START_MARK=$(started_at)
    JOURNAL_CURSOR=$(journalctl -q -n 1 --show-cursor -o cat | sed -n 's/^-- cursor: //p')
}

# ---- install: the other scheduler under scx.service, then scx_gamer as INSTALL.sh does ----
install -m 0644 "$HERE/fixtures/scx.service" /usr/lib/systemd/system/scx.service
printf 'SCX_SCHEDULER=%s\nSCX_FLAGS=%s\n' "$OTHER_SCHEDULER" "'hold 3600'" >/etc/default/scx
install -m 0644 "$HERE/fixtures/scx_loader.toml" /etc/scx_loader.toml
systemctl daemon-reload
run_ok() { # WHAT COMMAND...
    local what=$1 out
    shift
    if out=$("$@" 2>&1); then pass "$what"; else fail "$what"; printf '%s\n' "$out" | show; fi
}
# --mode manual: install and register only; this test decides what starts, and when.
run_ok "INSTALL.sh --yes --mode manual" "$REPO/INSTALL.sh" --yes --mode manual --build-dir "$BUILD_DIR"
check "the activation file is installed" \
    test -f /usr/share/dbus-1/system-services/org.cachyos.ScxGamer.service
check "the bus policy is installed" test -f /usr/share/dbus-1/system.d/org.cachyos.ScxGamer.conf
run_ok "systemctl start scx.service (another scheduler)" systemctl start scx.service
check "scx.service's scheduler is attached" wait_for 60 state_is enabled
SEQ=$(enable_seq)
echo "# scx.service runs $(sched_ops) (enable_seq $SEQ); $UNIT is $(prop "$UNIT" UnitFileState)"
next_attempt

# ---- not enabled: nobody's calls ----
as_nobody_call "busctl call GetStats" busctl --system call "$BUS_NAME" "$OBJECT" "$BUS_NAME" GetStats
check "busctl call GetStats as nobody fails" test "$CALL_STATUS" -ne 0
untouched "after busctl call" scx.service
as_nobody_call "busctl introspect" busctl --system introspect "$BUS_NAME" "$OBJECT"
check "busctl introspect as nobody fails" test "$CALL_STATUS" -ne 0
untouched "after busctl introspect" scx.service
as_nobody_call "busctl get-property Profile" busctl --system get-property "$BUS_NAME" "$OBJECT" \
    "$BUS_NAME" Profile
check "busctl get-property as nobody fails" test "$CALL_STATUS" -ne 0
untouched "after busctl get-property" scx.service
as_nobody_call "scxgamerctl status" "$CTL" status
check "scxgamerctl status exits 3" test "$CALL_STATUS" -eq 3
check "and says scx_gamer is not running" grep -q "scx_gamer is not running" <<<"$CALL_OUT"
untouched "after scxgamerctl status" scx.service

# ---- enabled but stopped: the CLI never starts it, a raw activation is refused ----
run_ok "systemctl enable $UNIT (creates the dbus-org.cachyos.ScxGamer.service alias)" \
    systemctl enable "$UNIT"
check "the alias exists" test -L /etc/systemd/system/dbus-org.cachyos.ScxGamer.service
next_attempt
for args in status games profiles stats "learned list" "--no-ask-password set-profile gaming"; do
    # shellcheck disable=SC2086 # words
    as_nobody_call "scxgamerctl $args" "$CTL" $args
    check "scxgamerctl $args exits 3" test "$CALL_STATUS" -eq 3
    check "scxgamerctl $args says scx_gamer is not running" \
        grep -q "scx_gamer is not running" <<<"$CALL_OUT"
    untouched "after scxgamerctl $args" scx.service
done
as_nobody_call "busctl call GetStats (activates)" busctl --system call "$BUS_NAME" "$OBJECT" \
    "$BUS_NAME" GetStats
check "busctl call GetStats as nobody fails" test "$CALL_STATUS" -ne 0
refused "nobody's activation" "not starting: scx.service is active"
check "after nobody's activation: scx.service is still active" is_active scx.service
check "after nobody's activation: the same scheduler is attached" \
    test "$(sched_state)/$(enable_seq)" = "enabled/$SEQ"

# ---- root starts it while scx.service is in charge ----
next_attempt
check "systemctl start $UNIT fails" bash -c "! systemctl start $UNIT 2>/dev/null"
refused "root's start" "not starting: scx.service is active"
check "after root's start: scx.service is still active" is_active scx.service
check "after root's start: the same scheduler is attached" \
    test "$(sched_state)/$(enable_seq)" = "enabled/$SEQ"

# ---- scx_loader in charge (a stand-in owning org.scx.Loader) ----
run_ok "systemctl stop scx.service" systemctl stop scx.service
check "sched_ext is disabled" wait_for 30 state_is disabled
allow_loader_standin
cat >/etc/systemd/system/scx_loader.service <<EOF
[Unit]
Description=scx_loader stand-in (tests/vm/test-activation.sh): owns org.scx.Loader, runs nothing
[Service]
Type=dbus
BusName=org.scx.Loader
ExecStart=/usr/bin/python3 -m dbusmock --template $STANDIN -p '{"scheduler": "unknown"}'
EOF
systemctl daemon-reload
run_ok "systemctl start scx_loader.service (stand-in)" systemctl start scx_loader.service
check "org.scx.Loader is on the system bus" wait_for 30 on_bus org.scx.Loader
next_attempt
check "systemctl start $UNIT fails" bash -c "! systemctl start $UNIT 2>/dev/null"
refused "root's start beside scx_loader" "not starting: scx_loader manages the sched_ext scheduler"
check "scx_loader.service is still active" is_active scx_loader.service
check "sched_ext is still disabled (scx_gamer attached nothing)" state_is disabled
next_attempt
as_nobody_call "busctl call GetStats (activates)" busctl --system call "$BUS_NAME" "$OBJECT" \
    "$BUS_NAME" GetStats
refused "nobody's activation beside scx_loader" \
    "not starting: scx_loader manages the sched_ext scheduler"
check "scx_loader.service is still active" is_active scx_loader.service
check "org.scx.Loader is still on the system bus" on_bus org.scx.Loader

# ---- nothing else in charge: the administrator's start works ----
run_ok "systemctl stop scx_loader.service" systemctl stop scx_loader.service
systemctl reset-failed "$UNIT" 2>/dev/null || true
run_ok "systemctl enable --now $UNIT" systemctl enable --now "$UNIT"
check "$UNIT is active" is_active "$UNIT"
check "sched_ext enabled, ops gamer" wait_for 120 gamer_attached
check "$BUS_NAME is on the system bus" wait_for 30 on_bus "$BUS_NAME"
as_nobody_call "busctl call GetStats" busctl --system call "$BUS_NAME" "$OBJECT" "$BUS_NAME" GetStats
check "busctl call GetStats as nobody succeeds" test "$CALL_STATUS" -eq 0
as_nobody_call "scxgamerctl status" "$CTL" status
check "scxgamerctl status as nobody succeeds" test "$CALL_STATUS" -eq 0

if [ "$failures" -ne 0 ]; then
    echo "# journal of the units:"
    journalctl --no-pager -o cat -u scx.service -u "$UNIT" -u scx_loader.service | tail -n 40 | show
fi
finish

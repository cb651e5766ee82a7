#!/usr/bin/env bash
# In the VM with systemd as PID 1 (vm-run --systemd, for a writable /usr and /etc): the real
# daemon, the real polkitd (started on demand by polkit.service), the project's installed bus
# policy and polkit actions, and an unprivileged user "player" with no login session (so polkit
# applies allow_any, as to a remote or inactive user).
#
#   denied     every method the interface XML gives a polkit action is refused to player
#              (InteractiveAuthorizationRequired without the interaction flag, AccessDenied with
#              it: no authentication agent could ask) and changes nothing (Profile, Flags,
#              games, BPF tunables, sched_ext attachment, /etc/default); so is persisting.
#   reads      player can call every other method and read every property.
#   bus        the bus policy refuses player Properties.Set, unlisted members and owning
#              org.cachyos.ScxGamer, also while the daemon is not running (no name squatting).
#   rules      with a rule in /etc/polkit-1/rules.d granting player the actions but persist,
#              each privileged method succeeds and takes effect; persisting is still refused.
# shellcheck source-path=SCRIPTDIR source=lib.sh

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
USER_NAME=player
BUS_NAME=org.cachyos.ScxGamer

require_systemd_vm "I install files and add a user"
# Run as player, with the interface and polkit policy it reads.
CHECKS=$(public_copy "$HERE/dbus_checks.py" "$REPO/dbus/org.cachyos.ScxGamer.xml" \
    "$REPO/polkit/org.cachyos.scxgamer.policy")

as_player() { setpriv --reuid="$USER_NAME" --regid="$USER_NAME" --init-groups -- "$@"; }
on_bus() { busctl --system status "$BUS_NAME" >/dev/null 2>&1; }

# ---- install what a package installs, as the distribution's dbus.service sees it ----
install -m 0644 "$REPO/dbus/org.cachyos.ScxGamer.conf" /usr/share/dbus-1/system.d/
install -m 0644 "$REPO/polkit/org.cachyos.scxgamer.policy" /usr/share/polkit-1/actions/
busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig
check "no polkit rules of ours yet" bash -c '! ls /etc/polkit-1/rules.d/*scxgamer* 2>/dev/null'
useradd --no-create-home --shell /usr/sbin/nologin --user-group "$USER_NAME"
check "user $USER_NAME exists, uid $(id -u "$USER_NAME")" test "$(id -u "$USER_NAME")" -gt 0
check "no logind session (polkit sees a subject in no session)" \
    bash -c '! loginctl list-sessions --no-legend 2>/dev/null | grep -q .'

# Before the daemon runs: nobody but root may take its name.
py_checks as_player /usr/bin/python3 "$CHECKS" name-squat

start_daemon --profile gaming || { fail "daemon starts"; finish; exit 1; }
check "the daemon owns $BUS_NAME" wait_for 30 on_bus

py_checks as_player /usr/bin/python3 "$CHECKS" unprivileged
check "polkit.service was started on demand and is active" systemctl is-active --quiet polkit

# The scx_stats socket: created under umask 022, so only its owner, root, may connect (connect
# needs write permission on the socket file).
stats=/var/run/scx/root/stats
echo "# $stats: $(stat -c '%A %U:%G' "$stats" 2>&1)"
check "$stats is not writable by group or others" \
    test "$(($(stat -c '0%a' "$stats") & 8#022))" -eq 0
connect_stats='import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])'
check "$USER_NAME cannot connect to the scx_stats socket" \
    bash -c "! setpriv --reuid=$USER_NAME --regid=$USER_NAME --init-groups \
        /usr/bin/python3 -c '$connect_stats' $stats 2>/dev/null"
check "root can" /usr/bin/python3 -c "$connect_stats" "$stats"

# ---- a rule that trusts player with everything but persist ----
cat >/etc/polkit-1/rules.d/10-scxgamer-test.rules <<EOF
// tests/vm/test-dbus-security.sh: $USER_NAME may use scx_gamer, but not save to /etc.
polkit.addRule(function (action, subject) {
    if (action.id.indexOf("org.cachyos.scxgamer.") == 0 &&
        action.id != "org.cachyos.scxgamer.persist" && subject.user == "$USER_NAME")
        return polkit.Result.YES;
    return polkit.Result.NOT_HANDLED;
});
EOF
py_checks as_player /usr/bin/python3 "$CHECKS" wait-allowed org.cachyos.scxgamer.set-profile
py_checks as_player /usr/bin/python3 "$CHECKS" allowed
check "the daemon is still running" kill -0 "$DAEMON_PID"

stop_daemon TERM
check "daemon exits 0" test "$DAEMON_STATUS" -eq 0
check "the name is free" wait_for 30 bash -c "! busctl --system status $BUS_NAME >/dev/null 2>&1"
py_checks as_player /usr/bin/python3 "$CHECKS" name-squat

if [ "$failures" -ne 0 ]; then
    show_log
    echo "# polkit's journal:"
    journalctl --no-pager -o cat -u polkit | tail -n 30 | sed 's/^/#   /'
fi
finish

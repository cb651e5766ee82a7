#!/usr/bin/env bash
# In the VM, on the real system bus: the real daemon's methods driven with hostile arguments, as
# root (so nothing stops them before the daemon's own checks): 1 MiB names, flags and keys,
# empty and 10000-element arrays, out-of-range and malformed numbers, a CPU list that names every
# CPU thousands of times, pids 0 / 2^31 / 2^32-1 / the caller's / the daemon's, wrongly typed
# arguments and options, learned-profile keys that climb out of their directory. Each gets a
# D-Bus error (one line) and leaves Profile, Flags, games, BPF tunables and the attachment as
# they were; the daemon stays up. Then, over a raw socket, strings that are not UTF-8: the bus
# drops such a sender before anything reaches the daemon (tests/vm/dbus_checks.py says which).
# shellcheck source-path=SCRIPTDIR source=lib.sh

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
CHECKS=$(dirname "$0")/dbus_checks.py
BUS_NAME=org.cachyos.ScxGamer

start_daemon --profile gaming || { fail "daemon starts"; finish; exit 1; }
check "the daemon owns $BUS_NAME" wait_for 30 busctl --system status "$BUS_NAME"

# A file a learned-profile key with ../ would name; it must survive DeleteLearnedProfile.
sentinel=/tmp/scxgamer-sentinel.toml
echo "# not a learned profile" >"$sentinel"

py_checks python3 "$CHECKS" hostile "$DAEMON_PID" "$sentinel"
py_checks python3 "$CHECKS" raw-utf8 "$DAEMON_PID"

check "the daemon is still running" kill -0 "$DAEMON_PID"
check "sched_ext still runs gamer" test "$(sched_state) $(sched_ops)" = "enabled gamer"
stop_daemon TERM
check "daemon exits 0" test "$DAEMON_STATUS" -eq 0
[ "$failures" -eq 0 ] || show_log
finish

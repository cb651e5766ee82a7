#!/usr/bin/env bash
# In the VM: the daemon attaches "gamer", detaches cleanly on SIGTERM/SIGINT, the kernel falls
# back by itself after SIGKILL, and a second instance refuses to start while one is attached.

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"

check "sched_ext is disabled before start" state_is disabled

start_daemon || { fail "daemon attaches"; finish; exit 1; }
pass "daemon attaches"
check "state is enabled" state_is enabled
check "root/ops starts with gamer" bash -c '[[ "$(cat /sys/kernel/sched_ext/root/ops)" == gamer* ]]'

second_log=$(mktemp)
status=0
"$SCX_GAMER" >"$second_log" 2>&1 || status=$?
check "a second instance exits 1 (was $status)" test "$status" -eq 1
check "and names the active scheduler" grep -q "already active: gamer" "$second_log"
check "in one line" test "$(wc -l <"$second_log")" -eq 1
[ "$(wc -l <"$second_log")" -eq 1 ] || sed 's/^/#   /' "$second_log"
check "the first instance is still attached" state_is enabled

# CPU hotplug: the kernel unloads the scheduler asking for a restart; the daemon re-attaches.
seq_before=$(cat "$SCHED_EXT/enable_seq")
echo 0 >/sys/devices/system/cpu/cpu1/online
check "hotplug: the daemon re-attaches after the kernel's restart request" \
    wait_for 20 bash -c "[ \$(cat $SCHED_EXT/enable_seq) -gt $seq_before ] && [ \$(cat $SCHED_EXT/state) = enabled ]"
check "hotplug: the restart was logged" log_has "$DAEMON_LOG" "asked for a scheduler restart"
echo 1 >/sys/devices/system/cpu/cpu1/online
check "hotplug: back online, still attached" wait_for 20 bash -c \
    "grep -c 'asked for a scheduler restart' '$DAEMON_LOG' | grep -q 2 && [ \$(cat $SCHED_EXT/state) = enabled ]"
check "hotplug: daemon still running" kill -0 "$DAEMON_PID"

stop_daemon TERM
check "SIGTERM: exit status 0 (was $DAEMON_STATUS)" test "$DAEMON_STATUS" -eq 0
check "SIGTERM: state back to disabled" wait_for 2 state_is disabled

start_daemon || fail "daemon re-attaches"
stop_daemon INT
check "SIGINT: exit status 0 (was $DAEMON_STATUS)" test "$DAEMON_STATUS" -eq 0
check "SIGINT: state back to disabled" wait_for 2 state_is disabled

start_daemon || fail "daemon attaches for SIGKILL"
stop_daemon KILL
check "SIGKILL: kernel falls back within 2 s" wait_for 2 state_is disabled

start_daemon || fail "daemon re-attaches after SIGKILL"
stop_daemon TERM
check "and exits 0 again" test "$DAEMON_STATUS" -eq 0


# A command line written for the original scx_gamer (its scx_loader Gaming mode, with a float
# --stats and the original's -w switch) still starts the scheduler: values below our minimums are
# raised and the original's flags we do not use are ignored, one warning each.
start_daemon --stats 1.0 --slice-us 10 --wakeup-timer-us 100 --enable-numa -w ||
    fail "a command line for the original scx_gamer attaches"
check "original's flags: state is enabled" state_is enabled
check "original's flags: --slice-us raised, with a warning" \
    log_has "$DAEMON_LOG" "--slice-us 10 is below the minimum 100; using 100"
check "original's flags: --wakeup-timer-us raised, with a warning" \
    log_has "$DAEMON_LOG" "--wakeup-timer-us 100 is below the minimum 250; using 250"
check "original's flags: --enable-numa ignored, with a warning" \
    log_has "$DAEMON_LOG" "--enable-numa is a flag of the original scx_gamer that this one does not use; ignored"
check "original's flags: -w read as the original's --no-wake-sync" \
    log_has "$DAEMON_LOG" "--no-wake-sync is a flag of the original scx_gamer that this one does not use; ignored"
stop_daemon TERM
check "original's flags: SIGTERM exits 0 (was $DAEMON_STATUS)" test "$DAEMON_STATUS" -eq 0
check "original's flags: state back to disabled" wait_for 2 state_is disabled

finish

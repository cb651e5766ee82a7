#!/usr/bin/env bash
# In the VM: the daemon attaches "gamer", detaches cleanly on SIGTERM/SIGINT, the kernel falls
# back by itself after SIGKILL, and a second instance refuses to start while one is attached.
source "$(dirname "$0")/lib.sh"

check "sched_ext is disabled before start" state_is disabled

start_daemon || { fail "daemon attaches"; finish; exit 1; }
pass "daemon attaches"
check "state is enabled" state_is enabled
check "root/ops starts with gamer" bash -c '[[ "$(cat /sys/kernel/sched_ext/root/ops)" == gamer* ]]'

second_log=$(mktemp)
status=0
"$SCX_GAMER" >"$second_log" 2>&1 || status=$?
check "a second instance exits non-zero" test "$status" -ne 0
check "and names the active scheduler" grep -q "already active: gamer" "$second_log"
check "the first instance is still attached" state_is enabled

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

finish

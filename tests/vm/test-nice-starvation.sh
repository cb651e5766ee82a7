#!/usr/bin/env bash
# In the VM: a nice 19 CPU hog among 8 nice 0 hogs, with 20 ms slices. Charged 100 times the CPU
# time it uses, the nice 19 hog waited for its deadline past sched_ext's 5 s watchdog and the
# kernel unloaded the scheduler within seconds ("runnable task stall"). Overdue tasks now run out
# of deadline order (docs/scheduler.md): the scheduler stays loaded, every hog makes progress and
# the statistics show the overdue runs that kept it so.

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
loadgen=${LOADGEN:?path to bench/loadgen}
seconds=30

start_daemon --slice-us 20000 || { fail "daemon attaches"; finish; exit 1; }
"$loadgen" --cpu 8 --fork 0 --duration "$seconds" --quiet >/tmp/hogs.log 2>&1 &
hogs=$!
nice -n 19 "$loadgen" --cpu 1 --fork 0 --duration "$seconds" --quiet >/tmp/nice19.log 2>&1 &
nice19=$!
hogs_status=0 nice19_status=0
wait "$hogs" || hogs_status=$?
wait "$nice19" || nice19_status=$?
# loadgen exits 1 when a worker made no progress in its window.
check "every nice 0 hog made progress (loadgen status $hogs_status)" test "$hogs_status" -eq 0
check "the nice 19 hog made progress (loadgen status $nice19_status)" test "$nice19_status" -eq 0
check "still attached after ${seconds}s" state_is enabled
overdue=$(stat_of nr_overdue_runs)
check "tasks ran out of deadline order because they waited too long ($overdue)" \
    test "${overdue:-0}" -gt 0
stop_daemon TERM
check "SIGTERM after load: exit 0 (was $DAEMON_STATUS)" test "$DAEMON_STATUS" -eq 0
check "no ejection logged" bash -c "! grep -q 'unloaded by the kernel' '$DAEMON_LOG'"
[ "$failures" -eq 0 ] || { show_log; sed 's/^/#   /' /tmp/hogs.log /tmp/nice19.log; }
finish

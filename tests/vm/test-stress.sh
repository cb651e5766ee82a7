#!/usr/bin/env bash
# In the VM: the scx project's own bar — the scheduler survives 45 s of aggressive CPU, fork and
# affinity churn without a watchdog ejection, and exits 0 on SIGTERM. The load must really run.

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
seconds=${STRESS_SECONDS:-45}
cpus=$(nproc)

start_daemon || { fail "daemon attaches"; finish; exit 1; }
load_dir=$(mktemp -d)
stress_status=0
(cd "$load_dir" && stress-ng --temp-path "$load_dir" -t "$seconds" --aggressive -M \
    -c "$cpus" -f "$cpus" --affinity 1 --affinity-delay 1 --affinity-pin \
    --metrics-brief >"$load_dir/stress.log" 2>&1) || stress_status=$?
check "stress-ng ran to completion (status $stress_status)" test "$stress_status" -eq 0
check "stress-ng did real work" grep -Eq 'cpu +[1-9][0-9]*' "$load_dir/stress.log"
check "still attached after ${seconds}s" state_is enabled
check "daemon still running" kill -0 "$DAEMON_PID"
stop_daemon TERM
check "SIGTERM after load: exit 0 (was $DAEMON_STATUS)" test "$DAEMON_STATUS" -eq 0
check "no ejection logged" bash -c "! grep -q 'unloaded by the kernel' '$DAEMON_LOG'"
[ "$failures" -eq 0 ] || { show_log; sed 's/^/#   /' "$load_dir/stress.log"; }
finish

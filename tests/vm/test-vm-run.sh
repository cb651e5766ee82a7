#!/usr/bin/env bash
# Self-test of tests/vm/vm-run: exit status passthrough, the output channels, the guest's file
# systems, the system bus, --env, --no-bpf-lsm, the timeout, a guest crash, harness errors,
# concurrent runs and (unless VM_RUN_TEST_SKIP_SYSTEMD=1) the --systemd mode. Prints TAP; exits 1
# if anything failed. Takes about 40 s on a quiet machine (7 VM boots, two of them at once).
#
# Each VM boot costs seconds under TCG, so one boot answers many checks: the guest prints facts
# as KEY=VALUE lines and the host compares them.

# SPDX-License-Identifier: GPL-2.0-only
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
VM_RUN=$HERE/vm-run

# Every run gets a private TMPDIR, so that "leaves no temp files behind" can be checked even
# while other runs of vm-run are going on.
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/test-vm-run.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
export TMPDIR=$SCRATCH/tmp
mkdir -p "$TMPDIR"

tests=0
failures=0

ok() { tests=$((tests + 1)); printf 'ok %d - %s\n' "$tests" "$1"; }
not_ok() {
    tests=$((tests + 1))
    failures=$((failures + 1))
    printf 'not ok %d - %s\n' "$tests" "$1"
    shift
    local line
    for line in "$@"; do printf '#   %s\n' "$line"; done
}

# check DESCRIPTION EXPECTED ACTUAL
check() {
    if [ "$2" = "$3" ]; then
        ok "$1"
    else
        not_ok "$1" "expected: $(printf '%q' "$2")" "actual:   $(printf '%q' "$3")"
    fi
}

# check_match DESCRIPTION EXTENDED-REGEX ACTUAL
check_match() {
    if [[ $3 =~ $2 ]]; then
        ok "$1"
    else
        not_ok "$1" "expected to match: $2" "actual: $(printf '%q' "$3")"
    fi
}

# fact NAME FILE: the value of the guest's "NAME=value" line.
fact() { sed -n "s/^$1=//p" "$2" | head -n 1; }

# vm NAME [vm-run args...]: runs vm-run with no stdin, keeping stdout, stderr, status and time.
vm() {
    local name=$1 start rc=0
    shift
    start=$(date +%s.%N)
    "$VM_RUN" "$@" </dev/null >"$SCRATCH/$name.out" 2>"$SCRATCH/$name.err" || rc=$?
    echo "$rc" >"$SCRATCH/$name.rc"
    printf '%.1f\n' "$(echo "$(date +%s.%N) - $start" | bc)" >"$SCRATCH/$name.time"
}

show_err() { sed 's/^/stderr: /' "$SCRATCH/$1.err" | head -n 20; }

echo "# vm-run self-test ($VM_RUN)"

# --- harness errors, no VM needed --------------------------------------------------------------
rc=0
"$VM_RUN" --help >"$SCRATCH/help.out" 2>&1 || rc=$?
check "--help exits 0" 0 "$rc"
check_match "--help describes the options" "--no-bpf-lsm" "$(cat "$SCRATCH/help.out")"

rc=0
err=$("$VM_RUN" --bogus -- true 2>&1 </dev/null) || rc=$?
check "an unknown option exits 125" 125 "$rc"
check "an unknown option gives one line" 1 "$(printf '%s\n' "$err" | wc -l)"

rc=0
err=$(SCX_GAMER_CACHE=$SCRATCH/no-cache "$VM_RUN" -- true 2>&1 </dev/null) || rc=$?
check "a missing kernel exits 125" 125 "$rc"
check_match "a missing kernel points at scripts/bootstrap" "run scripts/bootstrap" "$err"

# --- boot 1: the guest environment (exit 42) ---------------------------------------------------
# The guest script below runs in bash in the VM; single quotes keep it unexpanded here.
# shellcheck disable=SC2016
guest_facts='
echo "to-stdout"
echo "to-stderr" >&2
echo "SCX_STATE=$(cat /sys/kernel/sched_ext/state)"
echo "PWD=$PWD"
echo "REPO_VISIBLE=$([ -x "$REPO/tests/vm/vm-run" ] && echo yes || echo no)"
echo "TMP_WRITABLE=$(touch /tmp/vm-run-probe 2>/dev/null && echo yes || echo no)"
echo "VAR_WRITABLE=$(touch /var/tmp/probe /var/lib/probe 2>/dev/null && echo yes || echo no)"
echo "ROOT_WRITABLE=$(touch /vm-run-probe 2>/dev/null && echo yes || echo no)"
echo "ENV_FOO=$(printf %q "$FOO")"
echo "ENV_BAR=$BAR"
echo "ENV_HOME=$HOME"
echo "ENV_TERM=$TERM"
echo "ENV_BUS=$DBUS_SYSTEM_BUS_ADDRESS"
echo "HOST_LEAK=${VM_RUN_TEST_HOST_ONLY:-unset}"
echo "LSM=$(cat /sys/kernel/security/lsm)"
echo "NPROC=$(nproc)"
echo "STDOUT_TTY=$([ -t 1 ] && echo yes || echo no)"
echo "BPFFS=$(stat -f -c %T /sys/fs/bpf)"
echo "CGROUP2=$(stat -f -c %T /sys/fs/cgroup)"
echo "BUS_SEND=$(dbus-send --system --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.ListNames >/dev/null 2>&1 && echo yes || echo no)"
echo "BUS_BUSCTL=$(busctl --system list --no-pager 2>/dev/null | grep -c org.freedesktop.DBus)"
seq 1 100000 >&2
exit 42
'
export VM_RUN_TEST_HOST_ONLY=leaked
(cd "$REPO" && export BAR=from-host &&
    vm boot1 --env "REPO=$REPO" --env "FOO=a b'\"\$c"$'\n'"d" --env BAR -- "$guest_facts")
unset VM_RUN_TEST_HOST_ONLY
o=$SCRATCH/boot1.out
check "exit status 42 passes through" 42 "$(cat "$SCRATCH/boot1.rc")"
check "stdout arrives on stdout" to-stdout "$(head -n 1 "$o")"
check "stderr arrives on stderr" to-stderr "$(head -n 1 "$SCRATCH/boot1.err")"
if cmp -s <(tail -n +2 "$SCRATCH/boot1.err") <(seq 1 100000); then
    ok "100000 lines of stderr arrive complete and in order"
else
    not_ok "100000 lines of stderr arrive complete and in order" \
        "got $(($(wc -l <"$SCRATCH/boot1.err") - 1)) lines; last: $(tail -n 1 "$SCRATCH/boot1.err")"
fi
check "/sys/kernel/sched_ext/state reads disabled" disabled "$(fact SCX_STATE "$o")"
check "the caller's cwd is the guest's cwd" "$REPO" "$(fact PWD "$o")"
check "the repository is at the same absolute path" yes "$(fact REPO_VISIBLE "$o")"
check "/tmp is writable" yes "$(fact TMP_WRITABLE "$o")"
check "/var/tmp and /var/lib are writable" yes "$(fact VAR_WRITABLE "$o")"
check "/ is read-only" no "$(fact ROOT_WRITABLE "$o")"
check "--env NAME=VALUE passes quotes, \$ and newlines exactly" "$(printf %q "a b'\"\$c"$'\n'"d")" "$(fact ENV_FOO "$o")"
check "--env NAME copies the host's value" from-host "$(fact ENV_BAR "$o")"
check "HOME is /root" /root "$(fact ENV_HOME "$o")"
check "TERM is dumb" dumb "$(fact ENV_TERM "$o")"
check "DBUS_SYSTEM_BUS_ADDRESS is exported" unix:path=/run/dbus/system_bus_socket "$(fact ENV_BUS "$o")"
check "the host's environment does not leak in" unset "$(fact HOST_LEAK "$o")"
check_match "the BPF LSM is active by default" '(^|,)bpf(,|$)' "$(fact LSM "$o")"
check "the guest has 2 vCPUs by default" 2 "$(fact NPROC "$o")"
check "CMD's stdout is not a tty" no "$(fact STDOUT_TTY "$o")"
check "bpffs is mounted at /sys/fs/bpf" bpf_fs "$(fact BPFFS "$o")"
check "cgroup2 is mounted at /sys/fs/cgroup" cgroup2fs "$(fact CGROUP2 "$o")"
check "the system bus answers dbus-send ListNames" yes "$(fact BUS_SEND "$o")"
check "the system bus answers busctl --system list" 1 "$(fact BUS_BUSCTL "$o")"
echo "# boot 1 took $(cat "$SCRATCH/boot1.time") s"

# --- boots 2 and 3 at the same time: concurrency, exit 3 and 0, argv, the caller's cwd -------
# boot 2 runs in a directory under the host's /tmp (hidden by the guest's own /tmp, but vm-run
# keeps the caller's directory visible); boot 3 in a directory that no longer exists.
hostcwd=$(mktemp -d "$SCRATCH/cwd.XXXXXX")
echo host-file >"$hostcwd/marker"
(cd "$hostcwd" && vm boot2 -- 'pwd; cat marker; exit 3') &
pid2=$!
gone=$(mktemp -d "$SCRATCH/gone.XXXXXX")
# shellcheck disable=SC2016 # '$HOME' must arrive unexpanded
(cd "$gone" && rmdir "$gone" && vm boot3 -- bash -c 'printf "[%s]" "$@"; printf "\n%s\n" "$PWD"' - 'a b' '$HOME' "c'd" '') &
pid3=$!
wait "$pid2" "$pid3"
check "exit status 3 passes through" 3 "$(cat "$SCRATCH/boot2.rc")"
check "a caller's cwd under the host's /tmp is the guest's cwd" "$hostcwd"$'\n'host-file "$(cat "$SCRATCH/boot2.out")"
check "exit status 0 passes through (concurrent run)" 0 "$(cat "$SCRATCH/boot3.rc")"
check "several arguments are passed as that exact argv" "[a b][\$HOME][c'd][]" "$(sed -n 1p "$SCRATCH/boot3.out")"
check "a cwd that does not exist in the guest falls back to /tmp" /tmp "$(sed -n 2p "$SCRATCH/boot3.out")"
# (Not boot 3: bash itself complains on the host about the deleted directory.)
check "vm-run adds nothing of its own to stderr" "" "$(cat "$SCRATCH/boot2.err")"
echo "# boots 2 and 3 (concurrent) took $(cat "$SCRATCH/boot2.time") s and $(cat "$SCRATCH/boot3.time") s"

# --- boot 4: --no-bpf-lsm ----------------------------------------------------------------------
vm boot4 --no-bpf-lsm --smp 1 -- cat /sys/kernel/security/lsm
check "--no-bpf-lsm run exits 0" 0 "$(cat "$SCRATCH/boot4.rc")"
lsm=$(cat "$SCRATCH/boot4.out")
if [ -n "$lsm" ] && ! [[ $lsm =~ (^|,)bpf(,|$) ]]; then
    ok "--no-bpf-lsm removes bpf from /sys/kernel/security/lsm ($lsm)"
else
    not_ok "--no-bpf-lsm removes bpf from /sys/kernel/security/lsm" "lsm: $lsm" "$(show_err boot4)"
fi

# --- boot 5: the timeout -----------------------------------------------------------------------
vm boot5 --timeout 2 -- sleep 600
check "an expired --timeout exits 124" 124 "$(cat "$SCRATCH/boot5.rc")"
check_match "an expired --timeout says so" "timed out after 2 s" "$(cat "$SCRATCH/boot5.err")"

# --- boot 5b: a guest kernel crash is a VM failure, not an exit status -----------------------
# The virtio console drains asynchronously: output still queued in the guest when it panics is
# lost. A second's pause makes sure the line has left the guest; what is checked is that vm-run
# keeps what arrived before the crash.
vm crash -- 'echo before-crash; sleep 1; echo c >/proc/sysrq-trigger; exit 9'
check "a guest kernel crash exits 125" 125 "$(cat "$SCRATCH/crash.rc")"
check "output written before the crash arrives" before-crash "$(cat "$SCRATCH/crash.out")"
check_match "a guest kernel crash is named in the last line" \
    "VM failure: the guest kernel crashed: Kernel panic - not syncing: sysrq triggered crash" \
    "$(tail -n 1 "$SCRATCH/crash.err")"

# --- boot 6: --systemd -------------------------------------------------------------------------
if [ "${VM_RUN_TEST_SKIP_SYSTEMD:-0}" = 1 ]; then
    echo "# --systemd skipped (VM_RUN_TEST_SKIP_SYSTEMD=1)"
else
    # shellcheck disable=SC2016
    guest_systemd='
echo "PID1=$(cat /proc/1/comm)"
echo "ROOT_WRITABLE=$(touch /usr/bin/vm-run-probe 2>/dev/null && echo yes || echo no)"
echo "BUS=$(busctl --system list --no-pager 2>/dev/null | grep -c org.freedesktop.systemd1)"
echo "UNIT=$(systemctl show -P ActiveState vmtest.service)"
echo "FAILED_UNITS=$(systemctl list-units --failed --plain --no-legend | awk "{print \$1}" | tr "\n" " ")"
exit 7
'
    vm boot6 --systemd -- "$guest_systemd"
    o=$SCRATCH/boot6.out
    check "--systemd: exit status 7 passes through" 7 "$(cat "$SCRATCH/boot6.rc")"
    check "--systemd: PID 1 is systemd" systemd "$(fact PID1 "$o")"
    check "--systemd: / is writable (overlay)" yes "$(fact ROOT_WRITABLE "$o")"
    check "--systemd: systemd answers on the system bus" 1 "$(fact BUS "$o")"
    check "--systemd: CMD runs inside vmtest.service" activating "$(fact UNIT "$o")"
    echo "# --systemd failed units: $(fact FAILED_UNITS "$o")"
    echo "# boot 6 (--systemd) took $(cat "$SCRATCH/boot6.time") s"
    [ "$(cat "$SCRATCH/boot6.rc")" = 7 ] || show_err boot6 | sed 's/^/# /'
fi

# --- hygiene -----------------------------------------------------------------------------------
left=$(find "$TMPDIR" -mindepth 1 | head -n 5)
check "no temporary files are left behind" "" "$left"

echo "1..$tests"
if [ "$failures" -gt 0 ]; then
    echo "# $failures of $tests checks failed"
    exit 1
fi
echo "# all $tests checks passed"

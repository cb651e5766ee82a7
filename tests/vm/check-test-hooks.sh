#!/usr/bin/env bash
# check-test-hooks.sh absent|present BINARY
# Whether scx_gamer carries the fault-injection hooks of SCX_GAMER_TEST_HOOKS: the BPF variables
# test_inject_error / test_stall_pid (their names are in the embedded object's BTF) and
# SchedulerBpf::inject_error / stall_task (C++ symbols, when the binary is not stripped). A release
# build must have none of them; the test-hooks build must have all, which also shows that this
# check finds them.

# SPDX-License-Identifier: GPL-2.0-only
set -euo pipefail
want=${1:?usage: check-test-hooks.sh absent|present BINARY}
binary=${2:?usage: check-test-hooks.sh absent|present BINARY}
[ -f "$binary" ] || { echo "check-test-hooks: $binary: no such file" >&2; exit 2; }

found=()
missing=()
texts=$(strings -a "$binary")
for name in test_inject_error test_stall_pid; do
    if grep -qx "$name" <<<"$texts"; then found+=("$name"); else missing+=("$name"); fi
done
symbols=$(nm -C "$binary" 2>/dev/null || true)
if [ -n "$symbols" ]; then
    for name in 'SchedulerBpf::inject_error' 'SchedulerBpf::stall_task'; do
        if grep -qF "$name" <<<"$symbols"; then found+=("$name"); else missing+=("$name"); fi
    done
fi

case $want in
absent)
    if [ ${#found[@]} -ne 0 ]; then
        echo "check-test-hooks: $binary carries test hooks: ${found[*]}" >&2
        exit 1
    fi
    echo "ok: $binary has no test hooks"
    ;;
present)
    if [ ${#missing[@]} -ne 0 ]; then
        echo "check-test-hooks: $binary lacks test hooks: ${missing[*]}" >&2
        exit 1
    fi
    echo "ok: $binary has the test hooks (${found[*]})"
    ;;
*) echo "check-test-hooks: first argument must be absent or present" >&2; exit 2 ;;
esac

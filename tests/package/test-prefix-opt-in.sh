#!/usr/bin/env bash
# cmake/Dependencies.cmake uses scripts/bootstrap's prefix only when asked (SCX_GAMER_PREFIX),
# never because ~/.cache/scx_gamer/prefix exists: a package build must see the system only.
# Configures the tree twice with a HOME whose cache holds a decoy libbpf 99.0 (nothing is built):
# without SCX_GAMER_PREFIX the decoy is not used; with it, it is.
#
#   tests/package/test-prefix-opt-in.sh

# SPDX-License-Identifier: GPL-2.0-only
set -uo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/scx_gamer-prefix-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
source "$REPO/tests/lib/tap.sh"

decoy=$WORK/home/.cache/scx_gamer/prefix
mkdir -p "$decoy/lib/pkgconfig" "$decoy/include"
cat >"$decoy/lib/pkgconfig/libbpf.pc" <<PC
prefix=$decoy
includedir=\${prefix}/include
libdir=\${prefix}/lib
Name: libbpf
Description: decoy
Version: 99.0.0
Libs: -L\${libdir} -lbpf
Cflags: -I\${includedir}
PC

configure() { # BUILD_DIR [VAR=VALUE...]: configures with a clean environment; prints the log
    local build=$1
    shift
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$WORK/home" \
        LANG=C.UTF-8 "$@" cmake -S "$REPO" -B "$build" -DBUILD_TESTING=OFF 2>&1
}
cached() { sed -n "s/^$2:[A-Z]*=//p" "$1/CMakeCache.txt" 2>/dev/null; }

log=$(configure "$WORK/implicit")
if [ -z "$(cached "$WORK/implicit" SCX_GAMER_PREFIX)" ] && ! grep -qF "$decoy" <<<"$log" &&
    [ "$(cached "$WORK/implicit" LIBBPF_VERSION)" != 99.0.0 ]; then
    ok "without SCX_GAMER_PREFIX, ~/.cache/scx_gamer/prefix is not used"
else
    not_ok "without SCX_GAMER_PREFIX, ~/.cache/scx_gamer/prefix is not used" "$log"
fi
if [ -n "$(cached "$WORK/implicit" LIBBPF_VERSION)" ] || grep -q "export_prefix_env" <<<"$log"; then
    ok "  ... libbpf comes from the system, or its absence says how to name the prefix"
else
    not_ok "  ... libbpf comes from the system, or its absence says how to name the prefix" "$log"
fi

log=$(configure "$WORK/explicit" SCX_GAMER_PREFIX="$decoy")
if [ "$(cached "$WORK/explicit" SCX_GAMER_PREFIX)" = "$decoy" ] &&
    [ "$(cached "$WORK/explicit" LIBBPF_VERSION)" = 99.0.0 ]; then
    ok "with SCX_GAMER_PREFIX=DIR, DIR's libraries come first"
else
    not_ok "with SCX_GAMER_PREFIX=DIR, DIR's libraries come first" "$log"
fi

log=$(configure "$WORK/missing" SCX_GAMER_PREFIX="$WORK/nowhere")
# (CMake wraps its messages: compare with the lines joined.)
if tr -s ' \n' '  ' <<<"$log" | grep -qF "SCX_GAMER_PREFIX=$WORK/nowhere is not a directory"; then
    ok "a SCX_GAMER_PREFIX that does not exist is an error that says so"
else
    not_ok "a SCX_GAMER_PREFIX that does not exist is an error that says so" "$log"
fi

tap_finish

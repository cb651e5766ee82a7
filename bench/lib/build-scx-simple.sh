#!/usr/bin/env bash
# Builds scx_simple, the kernel's own minimal sched_ext example scheduler, as a baseline for the
# benchmarks: its source comes from Debian's linux-source package for the VM kernel's version
# (trixie-backports), only tools/sched_ext is extracted and cached under $SCX_GAMER_CACHE/bench,
# and it is compiled with clang-19 + bpftool + libbpf from the bootstrap prefix against the
# project's vmlinux.h (the VM kernel's BTF). Output: OUTDIR/scx_simple (default build/bench/), never
# committed. Prints the binary's path. Reruns take well under a second.

# SPDX-License-Identifier: GPL-2.0-only
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../../scripts/lib/common.sh
source "$HERE/../../scripts/lib/common.sh"

outdir=${1:-$SCX_GAMER_ROOT/build/bench}
case $outdir in -h | --help) echo "Usage: bench/lib/build-scx-simple.sh [OUTDIR]"; exit 0 ;; esac

bpftool=$SCX_GAMER_PREFIX/sbin/bpftool
[ -x "$bpftool" ] || die "no bpftool in $SCX_GAMER_PREFIX/sbin (run scripts/bootstrap)"
[ -f "$SCX_GAMER_PREFIX/lib/libbpf.a" ] || die "no libbpf.a in $SCX_GAMER_PREFIX/lib (run scripts/bootstrap)"
clang=$(command -v clang-19 || command -v clang) || die "clang-19 not found (run scripts/bootstrap)"
vmlinux_h=$SCX_GAMER_ROOT/bpf/vmlinux/vmlinux.h
[ -f "$vmlinux_h" ] || die "no $vmlinux_h (run scripts/gen-vmlinux)"

# linux-source-X.Y for the VM kernel's X.Y (7.3.4+deb13-amd64 -> 7.3).
kver=$(cat "$SCX_GAMER_KERNEL_DIR/version" 2>/dev/null || true)
[ -n "$kver" ] || die "no VM kernel in $SCX_GAMER_KERNEL_DIR (run scripts/bootstrap)"
series=$(printf '%s' "$kver" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
pkg=linux-source-$series

srcroot=$SCX_GAMER_CACHE/bench/$pkg
src=$srcroot/tools/sched_ext
if [ ! -f "$src/scx_simple.bpf.c" ]; then
    note "fetching $pkg (trixie-backports, ~170 MB, once) for tools/sched_ext"
    private_apt_update
    dl=$(mktemp -d "$SCX_GAMER_CACHE/bench/dl.XXXXXX")
    trap 'rm -rf "$dl"' EXIT
    (cd "$dl" && private_apt apt-get download -qq "$pkg" >/dev/null) ||
        die "apt-get download $pkg failed (is it in trixie-backports for kernel $kver?)"
    deb=$(ls "$dl"/"$pkg"_*.deb)
    version=$(dpkg-deb -f "$deb" Version)
    # The .deb holds /usr/src/linux-source-X.Y.tar.xz; take tools/sched_ext (and the sched_ext
    # documentation, for reference) out of it without unpacking the whole tree.
    mkdir -p "$dl/x"
    dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" |
        xz -dc | tar -x -C "$dl/x" --wildcards "$pkg/tools/sched_ext/*" \
            "$pkg/Documentation/scheduler/sched-ext.rst"
    [ -f "$dl/x/$pkg/tools/sched_ext/scx_simple.bpf.c" ] || die "$pkg has no tools/sched_ext/scx_simple.bpf.c"
    printf '%s\n' "$version" >"$dl/x/$pkg/DEBIAN_VERSION"
    rm -rf "$srcroot"
    mkdir -p "$(dirname "$srcroot")"
    mv "$dl/x/$pkg" "$srcroot"
fi
srcver=$(cat "$srcroot/DEBIAN_VERSION")

mkdir -p "$outdir"
bin=$outdir/scx_simple
stamp="$pkg $srcver, vmlinux.h $(cksum <"$vmlinux_h" | cut -d' ' -f1)"
if [ -x "$bin" ] && [ "$(cat "$bin.source" 2>/dev/null)" = "$stamp" ]; then
    printf '%s\n' "$bin"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work" ${dl:+"$dl"}' EXIT
mkdir -p "$work/include"
cp "$vmlinux_h" "$work/include/vmlinux.h"
# The Makefile's flags, minus its own libbpf/bpftool build: -mcpu=v3 for sched_ext's 32-bit
# atomics, -fms-extensions for the anonymous structs in the scx headers.
"$clang" -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -mlittle-endian \
    -I"$src/include" -I"$src/include/bpf-compat" -I"$work/include" -I"$SCX_GAMER_PREFIX/include" \
    -I/usr/include/x86_64-linux-gnu -Wall -Wno-compare-distinct-pointer-types \
    -Wno-microsoft-anon-tag -fms-extensions -c "$src/scx_simple.bpf.c" -o "$work/scx_simple.bpf.o"
"$bpftool" gen object "$work/scx_simple.linked.o" "$work/scx_simple.bpf.o"
"$bpftool" gen skeleton "$work/scx_simple.linked.o" name scx_simple >"$work/include/scx_simple.bpf.skel.h"
cc -g -O2 -pthread -Wall -I"$work/include" -I"$src/include" -I"$SCX_GAMER_PREFIX/include" \
    "$src/scx_simple.c" -o "$work/scx_simple" "$SCX_GAMER_PREFIX/lib/libbpf.a" -lelf -lz -lzstd -lpthread
mv "$work/scx_simple" "$bin"
printf '%s\n' "$stamp" >"$bin.source"
note "built $bin from $pkg $srcver"
printf '%s\n' "$bin"

# SPDX-License-Identifier: GPL-2.0-only
# Shared helpers for scx_gamer's scripts. Source it; it defines functions and a few paths only.
# shellcheck shell=bash

SCX_GAMER_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Everything downloaded or built outside the source tree lives here, so a rerun (or CI on the same
# machine) finds it again and takes seconds.
SCX_GAMER_CACHE=${SCX_GAMER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scx_gamer}
SCX_GAMER_PREFIX=$SCX_GAMER_CACHE/prefix
# The VM kernels scripts/bootstrap caches: kernel/VER, with the links current (the newest) and
# oldest (the oldest that works); tests/vm/vm-run --kernel picks one, current by default.
SCX_GAMER_KERNEL_DIR=$SCX_GAMER_CACHE/kernel/current

die() {
    printf '%s: %s\n' "${0##*/}" "$*" >&2
    exit 1
}

note() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

# The Debian mirror this machine already uses, read from apt's own configuration so that no host
# name is ever written into the project.
debian_mirror() {
    local uri
    uri=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null)
    [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /:\/\//) {print $i; exit}}' \
        /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1)
    [ -n "$uri" ] || die "cannot find a Debian mirror in /etc/apt (no URIs: line)"
    printf '%s\n' "$uri"
}

# A private apt state for suites the system does not use (trixie, backports): packages are
# downloaded from there without ever touching the system's sources or lists.
PRIVATE_APT_DIR=$SCX_GAMER_CACHE/apt
private_apt_opts() {
    printf '%s\n' -o "APT::Sandbox::User=root" \
        -o "Dir::Etc::sourcelist=$PRIVATE_APT_DIR/sources.list" -o "Dir::Etc::sourceparts=-" \
        -o "Dir::State::Lists=$PRIVATE_APT_DIR/lists" -o "Dir::Cache=$PRIVATE_APT_DIR/cache" \
        -o "Dir::State::status=/var/lib/dpkg/status" -o "Debug::NoLocking=1"
}

private_apt_update() {
    local mirror stamp=$PRIVATE_APT_DIR/updated
    mkdir -p "$PRIVATE_APT_DIR/lists/partial" "$PRIVATE_APT_DIR/cache/archives/partial"
    # Refresh at most once a day: old versions vanish from the archive, so lists go stale.
    if [ -f "$stamp" ] && [ -n "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
        return 0
    fi
    mirror=$(debian_mirror)
    cat >"$PRIVATE_APT_DIR/sources.list" <<EOF
deb $mirror trixie main
deb-src $mirror trixie main
deb $mirror trixie-backports main
deb $mirror bookworm-backports main
EOF
    local opts
    mapfile -t opts < <(private_apt_opts)
    apt-get "${opts[@]}" update -qq >"$PRIVATE_APT_DIR/update.log" 2>&1 ||
        die "apt-get update of the private suites failed (see $PRIVATE_APT_DIR/update.log)"
    # apt-get update exits 0 when an index could not be fetched (no network): that must neither
    # pass for fresh lists for a day nor surface later as "package not found".
    local failed
    failed=$(grep -m1 -E '^(W: Failed to fetch|E: )' "$PRIVATE_APT_DIR/update.log" | sed 's/^[WE]: //') || failed=
    [ -z "$failed" ] || die "apt-get update of the private suites failed: $failed"
    touch "$stamp"
}

private_apt() {
    local opts
    mapfile -t opts < <(private_apt_opts)
    "$1" "${opts[@]}" "${@:2}"
}

# Environment that makes the cached libraries visible to CMake and pkg-config. SCX_GAMER_PREFIX
# is how CMake is asked to use them (cmake/Dependencies.cmake never looks in the cache by itself).
export_prefix_env() {
    export SCX_GAMER_PREFIX
    export PATH="$SCX_GAMER_PREFIX/bin:$SCX_GAMER_PREFIX/sbin:$PATH"
    export CMAKE_PREFIX_PATH="$SCX_GAMER_PREFIX${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
    export PKG_CONFIG_PATH="$SCX_GAMER_PREFIX/lib/pkgconfig:$SCX_GAMER_PREFIX/lib64/pkgconfig:$SCX_GAMER_PREFIX/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
}

# Unpacks the uncompressed ELF vmlinux from a zstd-compressed bzImage into OUT (written
# atomically). Fails, leaving no OUT, if the image is not of that kind or the ELF is incomplete.
kernel_elf_from_bzimage() {
    local image=$1 out=$2 tmp offset
    command -v zstd >/dev/null || return 1
    tmp=$(mktemp "$out.XXXXXX") || return 1
    offset=$(LC_ALL=C grep -abo -m 1 $'\x28\xb5\x2f\xfd' "$image" | head -n 1 | cut -d: -f1) ||
        offset=
    # zstd complains about the bzImage's trailer after the frame; the ELF check is what counts.
    if [ -n "$offset" ]; then
        { tail -c +"$((offset + 1))" "$image" | zstd -qdc >"$tmp" 2>/dev/null; } || true
    fi
    if ! elf_complete "$tmp"; then
        rm -f "$tmp"
        return 1
    fi
    chmod 0644 "$tmp"
    mv -f "$tmp" "$out"
}

# True if FILE is a 64-bit ELF whose section headers (at the very end) are all there.
elf_complete() {
    local f=$1 magic shoff shentsize shnum size
    [ -s "$f" ] || return 1
    magic=$(od -An -tx1 -N5 "$f" | tr -d ' \n')
    [ "$magic" = 7f454c4602 ] || return 1
    shoff=$(od -An -tu8 -j40 -N8 "$f" | tr -d ' ')
    shentsize=$(od -An -tu2 -j58 -N2 "$f" | tr -d ' ')
    shnum=$(od -An -tu2 -j60 -N2 "$f" | tr -d ' ')
    size=$(stat -c %s "$f")
    [ $((shoff + shentsize * shnum)) -le "$size" ]
}

# SPDX-License-Identifier: GPL-2.0-only
# Shared helpers for scx_gamer's scripts. Source it; it defines functions and a few paths only.
# shellcheck shell=bash

SCX_GAMER_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Everything downloaded or built outside the source tree lives here, so a rerun (or CI on the same
# machine) finds it again and takes seconds.
SCX_GAMER_CACHE=${SCX_GAMER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/scx_gamer}
SCX_GAMER_PREFIX=$SCX_GAMER_CACHE/prefix
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

# SPDX-License-Identifier: GPL-2.0-only
# Shared by INSTALL.sh and UNINSTALL.sh: options, privilege and confirmation checks, the list of
# files to install, and the manifest. Everything that parses or edits configuration lives in the
# daemon binary (`scx_gamer config ...`), never here.
# shellcheck shell=bash

INSTALL_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

die() {
    printf '%s: %s\n' "${0##*/}" "$*" >&2
    exit 1
}

note() { printf '%s: %s\n' "${0##*/}" "$*"; }

# Set by the scripts' option parsing.
ROOT=/
DRY_RUN=0
ASSUME_YES=0
BUILD_DIR=$INSTALL_REPO/build

# The calling script's header comment (from line 2 to the first line that is not a comment).
print_usage() {
    awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"
}

# The options INSTALL.sh and UNINSTALL.sh share, given the remaining arguments. Sets COMMON_SHIFT
# to the number of words the first one took (1 or 2), or 0 when it is not one of them.
parse_common_option() {
    COMMON_SHIFT=1
    case $1 in
    --root) ROOT=${2:?--root needs a directory}; COMMON_SHIFT=2 ;;
    --root=*) ROOT=${1#*=} ;;
    --dry-run) DRY_RUN=1 ;;
    -y | --yes) ASSUME_YES=1 ;;
    --build-dir) BUILD_DIR=${2:?--build-dir needs a directory}; COMMON_SHIFT=2 ;;
    --build-dir=*) BUILD_DIR=${1#*=} ;;
    -h | --help) print_usage; exit 0 ;;
    *) COMMON_SHIFT=0 ;;
    esac
}

# Where INSTALL.sh records what it installed (relative to ROOT).
MANIFEST_REL=/var/lib/scx_gamer/installed-files

is_live_system() { [ "$ROOT" = / ]; }

# ROOT as an absolute path without a trailing slash (except for / itself).
normalize_root() {
    [ -d "$ROOT" ] || die "--root $ROOT: no such directory"
    ROOT=$(cd "$ROOT" && pwd -P)
}

# Editing / needs root; a staging directory (--root) does not. A dry run only reads.
require_privileges() {
    if is_live_system && [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
        die "must be run as root to change the system (try: sudo $0 ...);" \
            "--dry-run shows what would change, --root DIR works on a staging directory"
    fi
}

# Asks once on a terminal; without one, only --yes may proceed (no silent system changes).
confirm() {
    local question=$1 answer
    if [ "$DRY_RUN" -eq 1 ] || [ "$ASSUME_YES" -eq 1 ]; then
        return 0
    fi
    [ -t 0 ] || die "stdin is not a terminal, so there is no one to ask: pass --yes to proceed"
    read -r -p "$question [y/N] " answer || answer=
    case $answer in
    [yY] | [yY][eE][sS]) return 0 ;;
    *) die "cancelled; nothing was changed" ;;
    esac
}

# What INSTALL.sh installs is what `cmake --install` installs, the same rules the Arch package
# (packaging/arch/PKGBUILD) is made with: the build is staged into a temporary DESTDIR and every
# file found there is installed. One list, so the package and INSTALL.sh cannot disagree.
STAGE_DIR=

# The prefix BUILD_DIR was configured with (its units name CMAKE_INSTALL_PREFIX/bin).
configured_prefix() {
    sed -n 's/^CMAKE_INSTALL_PREFIX:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null
}

# Stages the build into STAGE_DIR (once). Dies with the reason when that is impossible; call it in
# the script's own shell, not in a pipeline or $(...). remove_stage cleans up.
stage_build() {
    local prefix log manifest=$BUILD_DIR/install_manifest.txt had_manifest=0
    [ -z "$STAGE_DIR" ] || return 0
    [ -f "$BUILD_DIR/cmake_install.cmake" ] ||
        die "$BUILD_DIR has no cmake_install.cmake: build first (cmake --preset default &&" \
            "cmake --build --preset default) or pass --build-dir"
    command -v cmake >/dev/null || die "cmake not found: it installs the build (cmake --install)"
    prefix=$(configured_prefix)
    [ "$prefix" = /usr ] ||
        die "$BUILD_DIR is configured to install into '${prefix:-?}', but INSTALL.sh installs into" \
            "/usr (where D-Bus and polkit read their files): reconfigure it with" \
            "-DCMAKE_INSTALL_PREFIX=/usr (the default preset does)"
    [ ! -e "$manifest" ] || had_manifest=1
    STAGE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/scx_gamer-stage.XXXXXX")
    # Until the caller's own exit trap takes over (INSTALL.sh's finish calls remove_stage too).
    trap remove_stage EXIT
    chmod 0755 "$STAGE_DIR"
    if ! log=$(DESTDIR=$STAGE_DIR/root cmake --install "$BUILD_DIR" 2>&1); then
        remove_stage
        die "cmake --install $BUILD_DIR failed: $log"
    fi
    # cmake --install leaves its list of files in the build tree; it is ours only if it was new.
    [ "$had_manifest" -eq 1 ] || rm -f "$manifest"
    # Only regular files: a link or a special file would be installed as something else.
    local odd
    odd=$(find "$STAGE_DIR/root" ! -type f ! -type d -printf '/%P\n' | head -n 3)
    if [ -n "$odd" ]; then
        remove_stage
        die "cmake --install made something that is not a regular file: $odd"
    fi
    # Where UNINSTALL.sh may remove files (manifest_entries) is all INSTALL.sh may install.
    odd=$(find "$STAGE_DIR/root" -type f -printf '/%P\n' | awk '!/^\/(usr|etc\/xdg\/autostart)\//' | head -n 3)
    if [ -n "$odd" ]; then
        remove_stage
        die "cmake --install put files outside /usr and /etc/xdg/autostart: $odd"
    fi
}

remove_stage() {
    [ -z "$STAGE_DIR" ] || rm -rf "$STAGE_DIR"
    STAGE_DIR=
}

# Prints "SOURCE<tab>DESTINATION<tab>MODE" for every file `cmake --install` staged (stage_build
# first), sorted by destination.
files_to_install() {
    [ -n "$STAGE_DIR" ] || die "files_to_install: stage_build was not run"
    find "$STAGE_DIR/root" -type f -printf '%P\t%m\n' | LC_ALL=C sort | while IFS=$'\t' read -r rel mode; do
        printf '%s\t%s\t0%s\n' "$STAGE_DIR/root/$rel" "/$rel" "$mode"
    done
}

# After UNINSTALL.sh removed PATH (absolute, under ROOT): the directories that are scx_gamer's own
# (the nearest one named scx_gamer and those below it, e.g. /usr/share/doc/scx_gamer/examples) go
# too once empty. Shared directories (/usr/share/man/man8) stay, whoever created them.
remove_own_dirs() { # PATH
    local dir=${1%/*} own
    case $dir/ in */scx_gamer/*) ;; *) return 0 ;; esac
    own=$dir/
    own=${own%%/scx_gamer/*}/scx_gamer
    while [ "${#dir}" -ge "${#own}" ]; do
        rmdir "$ROOT$dir" 2>/dev/null || return 0
        dir=${dir%/*}
    done
}

# The manifest's paths, one per line, comments skipped. Each must be a plain absolute path under
# /usr or /etc/xdg/autostart (where INSTALL.sh installs), so a tampered manifest cannot make
# UNINSTALL.sh remove anything else.
manifest_entries() {
    local manifest=$ROOT$MANIFEST_REL line
    [ -f "$manifest" ] || return 0
    while IFS= read -r line; do
        case $line in
        '' | '#'*) continue ;;
        /usr/* | /etc/xdg/autostart/*) ;;
        *) die "$manifest: refusing entry outside /usr and /etc/xdg/autostart: $line" ;;
        esac
        case $line/ in
        */../* | */./* | *//*) die "$manifest: refusing entry with . or ..: $line" ;;
        esac
        printf '%s\n' "$line"
    done <"$manifest"
}

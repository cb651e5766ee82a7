#!/usr/bin/env bash
# Installs scx_gamer from this tree (build it first: cmake --preset default && cmake --build build)
# and registers it with scx.service and scx_loader. This is the from-source path; on Arch/CachyOS
# the package (packaging/arch/PKGBUILD, built with makepkg) installs the same files through pacman.
#
#   ./INSTALL.sh [--root DIR] [--dry-run] [--yes] [--activate [--profile NAME] [--scx-flags "FLAGS"]]
#                [--build-dir DIR]
#
#   --root DIR        install into DIR instead of / (a staging tree; no systemctl calls)
#   --dry-run         show what would be installed and the config edits as a diff; change nothing
#   --yes             do not ask for confirmation (required when stdin is not a terminal)
#   --activate        also make scx.service run scx_gamer (SCX_SCHEDULER=scx_gamer in
#                     /etc/default/scx); by default scx_gamer is only registered
#   --profile NAME    with --activate: the profile scx.service starts it with (default: gaming);
#                     SCX_FLAGS becomes "--profile NAME" plus --scx-flags
#   --scx-flags FLAGS with --activate: scx_gamer flags for SCX_FLAGS (checked by scx_gamer itself)
#   --build-dir DIR   where the build is (default: build/ next to this script)
#
# Installs: what `cmake --install` installs for this build (the files the package holds: scx_gamer
# and scxgamerctl in /usr/bin, the D-Bus policy and activation file, the polkit policy, the
# systemd units, man pages, completions, the license), and records them in
# /var/lib/scx_gamer/installed-files for UNINSTALL.sh. Then `scx_gamer config install` edits
# /etc/default/scx and scx_loader's TOML (with backups). Running it again changes nothing. If
# anything fails, everything done so far is undone.

# SPDX-License-Identifier: GPL-2.0-only
set -euo pipefail
# shellcheck source=scripts/lib/install.sh
source "$(dirname "$0")/scripts/lib/install.sh"

ACTIVATE=0
SCX_FLAGS=
PROFILE=
while [ $# -gt 0 ]; do
    parse_common_option "$@"
    if [ "$COMMON_SHIFT" -gt 0 ]; then
        shift "$COMMON_SHIFT"
        continue
    fi
    case $1 in
    --activate) ACTIVATE=1 ;;
    --scx-flags) SCX_FLAGS=${2?--scx-flags needs a value}; shift ;;
    --scx-flags=*) SCX_FLAGS=${1#*=} ;;
    --profile) PROFILE=${2:?--profile needs a name}; shift ;;
    --profile=*) PROFILE=${1#*=} ;;
    *) die "unknown option '$1' (see --help)" ;;
    esac
    shift
done

normalize_root
require_privileges
SCX_GAMER=$BUILD_DIR/bin/scx_gamer
[ -x "$SCX_GAMER" ] || die "$SCX_GAMER not found: build first (cmake --preset default &&" \
    "cmake --build build -j2) or pass --build-dir"

config_args=(--root "$ROOT")
if [ "$ACTIVATE" -eq 1 ]; then
    config_args+=(--activate)
    # Checked before anything is touched, by the daemon's own flag table.
    # shellcheck disable=SC2086 # flags are words
    [ -z "$SCX_FLAGS" ] || "$SCX_GAMER" config validate-flags $SCX_FLAGS >/dev/null ||
        die "invalid --scx-flags; nothing was changed"
    [ -z "$SCX_FLAGS" ] || config_args+=(--scx-flags "$SCX_FLAGS")
    [ -z "$PROFILE" ] || config_args+=(--profile "$PROFILE")
elif [ -n "$SCX_FLAGS$PROFILE" ]; then
    die "--scx-flags and --profile only apply with --activate"
fi

# The build staged by `cmake --install` (scripts/lib/install.sh), removed on exit.
stage_build
mapfile -t FILES < <(files_to_install)

# The manifest after this install: what we install now plus what an earlier install left that
# still exists (so an upgrade that drops a file still lets UNINSTALL.sh remove it).
planned_manifest() {
    {
        local entry
        for entry in "${FILES[@]}"; do
            IFS=$'\t' read -r _ dest _ <<<"$entry"
            printf '%s\n' "$dest"
        done
        manifest_entries | while IFS= read -r dest; do
            [ -e "$ROOT$dest" ] && printf '%s\n' "$dest"
        done
    } | LC_ALL=C sort -u | {
        printf '# Files installed by INSTALL.sh; UNINSTALL.sh removes exactly these.\n'
        cat
    }
}

up_to_date() { # SOURCE TARGET MODE
    [ -f "$2" ] && cmp -s "$1" "$2" && [ "$(stat -c %a "$2")" = "${3#0}" ]
}

if [ "$DRY_RUN" -eq 1 ]; then
    for entry in "${FILES[@]}"; do
        IFS=$'\t' read -r src dest mode <<<"$entry"
        if up_to_date "$src" "$ROOT$dest" "$mode"; then
            note "unchanged $ROOT$dest"
        else
            note "would install $src -> $ROOT$dest"
        fi
    done
    if [ "$(planned_manifest)" != "$(cat "$ROOT$MANIFEST_REL" 2>/dev/null)" ]; then
        note "would record the installed files in $ROOT$MANIFEST_REL"
    fi
    remove_stage
    exec "$SCX_GAMER" config install "${config_args[@]}" --dry-run
fi

confirm "Install scx_gamer into $ROOT?"

# ---- undo log: every step records how to take it back ----
UNDO_DIR=$(mktemp -d "${TMPDIR:-/tmp}/scx_gamer-install.XXXXXX")
UNDO_LOG=()
COMMITTED=0

rollback() {
    local i action path saved
    for ((i = ${#UNDO_LOG[@]} - 1; i >= 0; i--)); do
        IFS=$'\t' read -r action path saved <<<"${UNDO_LOG[i]}"
        case $action in
        restore) cp -p "$saved" "$path.scx_gamer-undo" && mv -f "$path.scx_gamer-undo" "$path" ;;
        remove) rm -f "$path" ;;
        rmdir) rmdir "$path" 2>/dev/null ;;
        esac || printf '%s: could not undo: %s %s\n' "${0##*/}" "$action" "$path" >&2
    done
}

finish() {
    local status=$?
    if [ "$COMMITTED" -eq 0 ]; then
        rollback
        printf '%s: failed; everything done so far was undone\n' "${0##*/}" >&2
        [ "$status" -ne 0 ] || status=1
    fi
    rm -rf "$UNDO_DIR"
    remove_stage
    exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM

# SCX_GAMER_INSTALL_FAIL_AFTER=N (set by tests/install only): fail after N steps, so the tests can
# check that every prefix of the install is undone. The count continues inside
# `scx_gamer config install`, which undoes its own file changes.
FAIL_AFTER=${SCX_GAMER_INSTALL_FAIL_AFTER:-}
STEPS=0
step() {
    if [ -n "$FAIL_AFTER" ] && [ "$STEPS" -ge "$FAIL_AFTER" ]; then
        printf '%s: simulated failure (SCX_GAMER_INSTALL_FAIL_AFTER=%s)\n' "${0##*/}" \
            "$FAIL_AFTER" >&2
        return 1
    fi
    STEPS=$((STEPS + 1))
}

make_parents() { # DIR: creates it and missing parents, recording each for the undo
    local dir=$1 missing=()
    while [ ! -d "$dir" ]; do
        missing=("$dir" "${missing[@]}")
        dir=$(dirname "$dir")
    done
    for dir in "${missing[@]}"; do
        mkdir "$dir"
        UNDO_LOG+=("rmdir	$dir")
    done
}

# Replaces target by rename (a running binary is not overwritten in place), after saving the old
# file for the undo.
put_file() { # SOURCE TARGET MODE
    local src=$1 target=$2 mode=$3
    step
    make_parents "$(dirname "$target")"
    if [ -e "$target" ]; then
        local saved=$UNDO_DIR/${#UNDO_LOG[@]}
        cp -p "$target" "$saved"
        UNDO_LOG+=("restore	$target	$saved")
    else
        UNDO_LOG+=("remove	$target")
    fi
    install -m "$mode" "$src" "$target.scx_gamer-new"
    mv -f "$target.scx_gamer-new" "$target"
}

for entry in "${FILES[@]}"; do
    IFS=$'\t' read -r src dest mode <<<"$entry"
    if up_to_date "$src" "$ROOT$dest" "$mode"; then
        continue
    fi
    put_file "$src" "$ROOT$dest" "$mode"
    note "installed $ROOT$dest"
done

manifest_text=$(planned_manifest)
if [ "$manifest_text" != "$(cat "$ROOT$MANIFEST_REL" 2>/dev/null)" ]; then
    printf '%s\n' "$manifest_text" >"$UNDO_DIR/manifest"
    put_file "$UNDO_DIR/manifest" "$ROOT$MANIFEST_REL" 0644
fi

if [ -n "$FAIL_AFTER" ]; then
    remaining=$((FAIL_AFTER - STEPS))
    [ "$remaining" -ge 0 ] || remaining=0
    SCX_GAMER_INSTALL_FAIL_AFTER=$remaining "$SCX_GAMER" config install "${config_args[@]}"
else
    "$SCX_GAMER" config install "${config_args[@]}"
fi
COMMITTED=1

if is_live_system; then
    systemctl daemon-reload || note "warning: systemctl daemon-reload failed"
    # dbus-broker only rereads its policy on reload; dbus-daemon also notices by itself.
    systemctl reload dbus.service 2>/dev/null || true
fi

# Nothing is enabled or started here: which scheduler runs is the administrator's choice, and
# D-Bus activation starts scx_gamer.service only once it is enabled (docs/security.md).
note "done. Start scx_gamer with: systemctl enable --now scx_gamer.service (if installed; stop" \
    "scx.service or scx_loader first, scx_gamer does not replace them), or set" \
    "SCX_SCHEDULER=scx_gamer in /etc/default/scx (./INSTALL.sh --activate) and restart scx.service"

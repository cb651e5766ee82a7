#!/usr/bin/env bash
# Installs scx_gamer from this tree (build it first: cmake --preset default && cmake --build build)
# and sets it up beside whatever manages sched_ext here. This is the from-source path; on
# Arch/CachyOS the package (packaging/arch/PKGBUILD, built with makepkg) installs the same files
# through pacman.
#
#   ./INSTALL.sh [--root DIR] [--dry-run] [--yes] [--mode MODE] [--build-dir DIR]
#                [--activate [--profile NAME] [--scx-flags "FLAGS"]]
#
#   --root DIR        install into DIR instead of / (a staging tree; no systemctl calls)
#   --dry-run         show what would be installed and the config edits as a diff; change nothing
#   --yes             do not ask for confirmation (required when stdin is not a terminal)
#   --mode MODE       how scx_gamer runs; by default the one that fits what manages sched_ext
#                     (`scx_gamer config detect` says which; a reinstall keeps the installed mode):
#       companion       scx_loader found (CachyOS): scx_loader keeps its scheduler and
#                       scx_gamer-companion.service switches it to Gaming mode while a game runs
#       replace-loader  scx_loader found, but run scx_gamer's own scheduler instead: stops and
#                       disables scx_loader.service (UNINSTALL.sh puts it back as it was)
#       scx-service     scx.service found: SCX_SCHEDULER=scx_gamer in /etc/default/scx, and
#                       scx.service restarted (UNINSTALL.sh restores the file byte for byte)
#       own             neither found: scx_gamer.service, enabled and started
#       manual          install and register only; start nothing
#   --activate        the same as --mode scx-service
#   --profile NAME    with scx-service: the profile scx.service starts it with (default: gaming);
#                     SCX_FLAGS becomes "--profile NAME" plus --scx-flags
#   --scx-flags FLAGS with scx-service: scx_gamer flags for SCX_FLAGS (checked by scx_gamer)
#   --build-dir DIR   where the build is (default: build/ next to this script)
#
# Installs: what `cmake --install` installs for this build (the files the package holds: scx_gamer
# and scxgamerctl in /usr/bin, the D-Bus policy and activation file, the polkit policy, the
# systemd units, man pages, completions, the license), and records them and the directories it
# created for them in /var/lib/scx_gamer/installed-files for UNINSTALL.sh. Then `scx_gamer config
# install` edits /etc/default/scx and scx_loader's TOML (with backups) and records the mode and
# the state of scx_loader.service and scx.service before this install. Last, the mode's units are
# enabled and started. Running it again changes nothing. If anything before that last step fails,
# everything done so far is undone. `scx_gamer doctor` says afterwards what runs and what is
# missing.

# SPDX-License-Identifier: GPL-2.0-only
set -euo pipefail
# shellcheck source=scripts/lib/install.sh
source "$(dirname "$0")/scripts/lib/install.sh"

ACTIVATE=0
SCX_FLAGS=
PROFILE=
MODE=
while [ $# -gt 0 ]; do
    parse_common_option "$@"
    if [ "$COMMON_SHIFT" -gt 0 ]; then
        shift "$COMMON_SHIFT"
        continue
    fi
    case $1 in
    --activate) ACTIVATE=1 ;;
    --mode) MODE=${2:?--mode needs a name}; shift ;;
    --mode=*) MODE=${1#*=} ;;
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

if [ "$ACTIVATE" -eq 1 ]; then
    [ -z "$MODE" ] || [ "$MODE" = scx-service ] || die "--activate is --mode scx-service; not" \
        "with --mode $MODE"
    MODE=scx-service
fi

# Which service manages sched_ext here and the mode to set up: decided by scx_gamer itself
# (system/integration), before anything is touched.
detect_args=(--root "$ROOT")
[ -z "$MODE" ] || detect_args+=(--mode "$MODE")
detected=$("$SCX_GAMER" config detect "${detect_args[@]}") || die "nothing was changed"
detected_value() { sed -n "s/^$1=//p" <<<"$detected"; }
MODE=$(detected_value mode)
MANAGER=$(detected_value manager)
[ -n "$MODE" ] || die "scx_gamer config detect named no mode; nothing was changed"
INSTALLED_MODE=$(detected_value installed_mode)
# These two modes changed scx_loader.service or scx.service; only UNINSTALL.sh puts them back.
case $INSTALLED_MODE in
replace-loader | scx-service)
    [ "$MODE" = "$INSTALLED_MODE" ] || die "scx_gamer is installed in $INSTALLED_MODE mode, which" \
        "changed the system's sched_ext service: run ./UNINSTALL.sh --yes first, then" \
        "./INSTALL.sh --yes --mode $MODE; nothing was changed"
    ;;
esac

config_args=(--root "$ROOT" --mode "$MODE")
if [ "$MODE" = scx-service ]; then
    # Checked before anything is touched, by the daemon's own flag table.
    # shellcheck disable=SC2086 # flags are words
    [ -z "$SCX_FLAGS" ] || "$SCX_GAMER" config validate-flags $SCX_FLAGS >/dev/null ||
        die "invalid --scx-flags; nothing was changed"
    [ -z "$SCX_FLAGS" ] || config_args+=(--scx-flags "$SCX_FLAGS")
    [ -z "$PROFILE" ] || config_args+=(--profile "$PROFILE")
elif [ -n "$SCX_FLAGS$PROFILE" ]; then
    die "--scx-flags and --profile only apply with --activate (--mode scx-service)"
fi

# What the mode does to the units once the files are in place (live system only).
describe_mode() {
    case $MODE in
    companion) echo "companion mode: scx_loader keeps its scheduler; scx_gamer-companion.service" \
        "switches it to Gaming mode while a game runs" ;;
    replace-loader) echo "replace-loader mode: scx_loader.service is stopped and disabled, and" \
        "scx_gamer.service runs scx_gamer's scheduler (UNINSTALL.sh restores scx_loader)" ;;
    scx-service) echo "scx-service mode: scx.service runs scx_gamer (SCX_SCHEDULER=scx_gamer)" ;;
    own) echo "own mode: scx_gamer.service runs scx_gamer's scheduler" ;;
    manual) echo "manual mode: installed and registered; nothing is started" ;;
    esac
}
other_modes() {
    case $MANAGER in
    scx_loader) echo "--mode companion | replace-loader | manual" ;;
    scx.service) echo "--mode scx-service | manual" ;;
    *) echo "--mode own | manual" ;;
    esac
}

# The build staged by `cmake --install` (scripts/lib/install.sh), removed on exit.
stage_build
mapfile -t FILES < <(files_to_install)

# The directories this install creates for its files: each missing parent, found before anything
# is installed. The manifest records them (with a trailing /) so that UNINSTALL.sh removes them
# again once empty; a directory that was there before is never recorded, so never removed.
dirs_to_create() {
    local entry dest dir
    for entry in "${FILES[@]}"; do
        IFS=$'\t' read -r _ dest _ <<<"$entry"
        dir=${dest%/*}
        while [ -n "$dir" ] && [ ! -e "$ROOT$dir" ] && [ ! -L "$ROOT$dir" ]; do
            printf '%s/\n' "$dir"
            dir=${dir%/*}
        done
    done | LC_ALL=C sort -u
}
mapfile -t NEW_DIRS < <(dirs_to_create)

# The manifest after this install: what we install now and the directories we create for it,
# plus what an earlier install left that still exists (so an upgrade that drops a file still lets
# UNINSTALL.sh remove it, and a directory an earlier install created stays recorded).
planned_manifest() {
    {
        local entry
        for entry in "${FILES[@]}"; do
            IFS=$'\t' read -r _ dest _ <<<"$entry"
            printf '%s\n' "$dest"
        done
        [ "${#NEW_DIRS[@]}" -eq 0 ] || printf '%s\n' "${NEW_DIRS[@]}"
        manifest_entries | while IFS= read -r dest; do
            [ -e "$ROOT$dest" ] && printf '%s\n' "$dest"
        done
    } | LC_ALL=C sort -u | {
        printf '# Files installed by INSTALL.sh and the directories it created (ending in /);\n'
        printf '# UNINSTALL.sh removes exactly these, a directory only once it is empty.\n'
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
    note "sched_ext is managed by: $MANAGER; would set up $(describe_mode)"
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

note "sched_ext is managed by: $MANAGER; setting up $(describe_mode)"
note "to change it: ./INSTALL.sh --yes $(other_modes) (README.md, \"Which mode?\")"

if ! is_live_system; then
    note "done (a staging tree: no unit was enabled or started)"
    exit 0
fi
systemctl daemon-reload || note "warning: systemctl daemon-reload failed"
# dbus-broker only rereads its policy on reload; dbus-daemon also notices by itself.
systemctl reload dbus.service 2>/dev/null || true

# The mode's units. The files and the configuration are in place whatever happens here; a unit
# that does not start is reported with where to look, and a stopped scx_loader is started again.
start_failed() { # UNIT
    note "error: $1 did not start: see journalctl -u $1 and scx_gamer doctor" >&2
    exit 1
}
unit_enabled() { systemctl is-enabled --quiet "$1" 2>/dev/null; }
# Our other unit, from a previous mode, goes: the two own the same bus name.
stop_unit() { # UNIT
    if systemctl is-active --quiet "$1" || unit_enabled "$1"; then
        systemctl disable --now "$1" || note "warning: could not stop $1"
    fi
}
case $MODE in
companion) stop_unit scx_gamer.service ;;
replace-loader | own) stop_unit scx_gamer-companion.service ;;
scx-service)
    stop_unit scx_gamer.service
    stop_unit scx_gamer-companion.service
    ;;
esac
case $MODE in
companion)
    systemctl enable --now scx_gamer-companion.service || start_failed scx_gamer-companion.service
    ;;
replace-loader)
    # scx_loader stops its scheduler with SIGINT (its unit's KillSignal) and waits for it.
    if systemctl is-active --quiet scx_loader.service || unit_enabled scx_loader.service; then
        systemctl disable --now scx_loader.service || die "could not stop scx_loader.service"
    fi
    if ! systemctl enable --now scx_gamer.service; then
        note "starting scx_loader.service again" >&2
        systemctl start scx_loader.service || true
        start_failed scx_gamer.service
    fi
    ;;
scx-service)
    unit_enabled scx.service || systemctl enable scx.service ||
        note "warning: could not enable scx.service"
    systemctl restart scx.service || start_failed scx.service
    ;;
own)
    systemctl enable --now scx_gamer.service || start_failed scx_gamer.service
    ;;
manual)
    note "start it later with: ./INSTALL.sh --yes --mode $(detected_value default_mode)"
    ;;
esac
note "done; scx_gamer doctor shows what runs and what is missing"

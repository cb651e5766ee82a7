#!/usr/bin/env bash
# Removes what INSTALL.sh installed and takes scx_gamer back out of scx.service's and
# scx_loader's configuration.
#
#   ./UNINSTALL.sh [--root DIR] [--dry-run] [--yes] [--build-dir DIR]
#
#   --root DIR       uninstall from DIR instead of / (a staging tree; no systemctl calls)
#   --dry-run        show what would be removed and the config edits as a diff; change nothing
#   --yes            do not ask for confirmation (required when stdin is not a terminal)
#   --build-dir DIR  a build to take scx_gamer from if it is no longer installed
#
# On / it first stops scx_gamer: scx.service if SCX_SCHEDULER is scx_gamer, scx_gamer.service and
# scx_gamer-companion.service (disabled too). `scx_gamer config uninstall` then puts back the
# SCX_SCHEDULER/SCX_FLAGS lines that INSTALL.sh's scx-service mode replaced (after a GUI selected
# scx_gamer by hand: the scheduler from before install, with its SCX_FLAGS kept if they are still
# its own), removes scx_gamer from the scheduler list and [scheds.scx_gamer] from scx_loader's
# TOML (install then uninstall leaves both files byte-identical; backups stay). Then the files in
# /var/lib/scx_gamer/installed-files go, and the directories INSTALL.sh created, once empty.
# Last, the units INSTALL.sh changed are put back as its record says they were: scx_loader.service
# enabled and started again after replace-loader mode, scx.service disabled or started again
# after scx-service mode.

# SPDX-License-Identifier: GPL-2.0-only
set -euo pipefail
# shellcheck source=scripts/lib/install.sh
source "$(dirname "$0")/scripts/lib/install.sh"

while [ $# -gt 0 ]; do
    parse_common_option "$@"
    [ "$COMMON_SHIFT" -gt 0 ] || die "unknown option '$1' (see --help)"
    shift "$COMMON_SHIFT"
done

normalize_root
require_privileges

# The installed binary wrote the install state, so it is the one to undo it; a build serves
# when the binary is already gone.
SCX_GAMER=
for candidate in "$ROOT/usr/bin/scx_gamer" "$BUILD_DIR/bin/scx_gamer"; do
    if [ -x "$candidate" ]; then
        SCX_GAMER=$candidate
        break
    fi
done
[ -n "$SCX_GAMER" ] || die "no scx_gamer binary in $ROOT/usr/bin or $BUILD_DIR/bin to undo the" \
    "configuration with (pass --build-dir)"

# The manifest's files, and the directories INSTALL.sh created for them (ending in /), deepest
# first: they go once empty (a file someone else put there keeps its directory).
# A manifest with an entry it refuses stops the uninstall before anything is changed.
manifest_list=$(manifest_entries) || exit 1
INSTALLED=()
CREATED_DIRS=()
while IFS= read -r path; do
    case $path in
    '') ;;
    */) CREATED_DIRS+=("$path") ;;
    *) INSTALLED+=("$path") ;;
    esac
done < <(LC_ALL=C sort -r <<<"$manifest_list")

# INSTALL.sh's record (mode, and how the units were before it), read before uninstall removes it.
record=$("$SCX_GAMER" config status --root "$ROOT") || die "cannot read the install record" \
    "(scx_gamer config status failed); nothing was changed"
record_value() { sed -n "s/^$1=//p" <<<"$record"; }
MODE=$(record_value mode)

if [ "$DRY_RUN" -eq 1 ]; then
    for path in "${INSTALLED[@]}"; do
        [ -e "$ROOT$path" ] && note "would remove $ROOT$path"
    done
    for dir in "${CREATED_DIRS[@]}"; do
        [ -d "$ROOT$dir" ] && note "would remove $ROOT$dir if empty (INSTALL.sh created it)"
    done
    [ -e "$ROOT$MANIFEST_REL" ] && note "would remove $ROOT$MANIFEST_REL"
    exec "$SCX_GAMER" config uninstall --root "$ROOT" --dry-run
fi

confirm "Uninstall scx_gamer from $ROOT?"

if is_live_system; then
    if [ "$(record_value scx_scheduler)" = scx_gamer ] && systemctl is-active --quiet scx.service
    then
        note "stopping scx.service (it runs scx_gamer)"
        systemctl stop scx.service
    fi
    for unit in scx_gamer.service scx_gamer-companion.service; do
        if systemctl cat "$unit" >/dev/null 2>&1; then
            systemctl disable --now "$unit" || note "warning: could not stop $unit"
        fi
    done
fi

# One transaction in C++: either both files are reverted or neither is.
"$SCX_GAMER" config uninstall --root "$ROOT"

for path in "${INSTALLED[@]}"; do
    if [ -e "$ROOT$path" ] || [ -L "$ROOT$path" ]; then
        rm -f "$ROOT$path"
        remove_own_dirs "$path"
        note "removed $ROOT$path"
    fi
done
for dir in "${CREATED_DIRS[@]}"; do
    if [ -d "$ROOT$dir" ] && rmdir "$ROOT$dir" 2>/dev/null; then
        note "removed $ROOT$dir"
    fi
done
rm -f "$ROOT$MANIFEST_REL"
rmdir "$ROOT${MANIFEST_REL%/*}" 2>/dev/null || true

if is_live_system; then
    systemctl daemon-reload || note "warning: systemctl daemon-reload failed"
    systemctl reload dbus.service 2>/dev/null || true
    restore() { # what to do: systemctl VERB UNIT
        note "$1 $2 (as it was before INSTALL.sh)"
        systemctl "$1" "$2" || note "warning: systemctl $1 $2 failed"
    }
    case $MODE in
    replace-loader)
        [ "$(record_value loader_was_enabled)" != yes ] || restore enable scx_loader.service
        [ "$(record_value loader_was_active)" != yes ] || restore start scx_loader.service
        ;;
    scx-service)
        # /etc/default/scx names the previous scheduler again: scx.service starts that one.
        [ "$(record_value scx_was_enabled)" != no ] || restore disable scx.service
        [ "$(record_value scx_was_active)" != yes ] || restore start scx.service
        ;;
    esac
elif [ -n "$MODE" ]; then
    note "installed in $MODE mode; a staging tree: no unit was changed"
fi
note "done"

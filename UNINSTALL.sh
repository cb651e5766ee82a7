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
# On / it first stops scx_gamer: scx.service if SCX_SCHEDULER is scx_gamer, and
# scx_gamer.service. `scx_gamer config uninstall` then puts back the SCX_SCHEDULER/SCX_FLAGS lines
# that INSTALL.sh --activate replaced, removes scx_gamer from the scheduler list and
# [scheds.scx_gamer] from scx_loader's TOML (install then uninstall leaves both files
# byte-identical; backups stay). Last, the files in /var/lib/scx_gamer/installed-files go.

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

mapfile -t INSTALLED < <(manifest_entries)

if [ "$DRY_RUN" -eq 1 ]; then
    for path in "${INSTALLED[@]}"; do
        [ -e "$ROOT$path" ] && note "would remove $ROOT$path"
    done
    [ -e "$ROOT$MANIFEST_REL" ] && note "would remove $ROOT$MANIFEST_REL"
    exec "$SCX_GAMER" config uninstall --root "$ROOT" --dry-run
fi

confirm "Uninstall scx_gamer from $ROOT?"

if is_live_system; then
    scheduler=$("$SCX_GAMER" config status --root / | sed -n 's/^scx_scheduler=//p')
    if [ "$scheduler" = scx_gamer ] && systemctl is-active --quiet scx.service; then
        note "stopping scx.service (it runs scx_gamer)"
        systemctl stop scx.service
    fi
    if systemctl cat scx_gamer.service >/dev/null 2>&1; then
        systemctl disable --now scx_gamer.service || note "warning: could not stop scx_gamer.service"
    fi
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
rm -f "$ROOT$MANIFEST_REL"
rmdir "$ROOT${MANIFEST_REL%/*}" 2>/dev/null || true

if is_live_system; then
    systemctl daemon-reload || note "warning: systemctl daemon-reload failed"
    systemctl reload dbus.service 2>/dev/null || true
fi
note "done"

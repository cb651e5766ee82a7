#!/usr/bin/env bash
# Tests INSTALL.sh and UNINSTALL.sh on throw-away trees (--root), never on this machine's /.
#
#   tests/install/test-install.sh BUILD_DIR     (BUILD_DIR/bin/scx_gamer must exist)
#
# Prints one "ok N - ..." / "not ok N - ..." line per check (TAP) and exits non-zero if any
# failed. Needs root for the read-only-mount and setpriv checks (skipped otherwise).

# SPDX-License-Identifier: GPL-2.0-only
set -uo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
[ -x "$BUILD_DIR/bin/scx_gamer" ] || { echo "Bail out! no $BUILD_DIR/bin/scx_gamer"; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/scx_gamer-install-test.XXXXXX")
MOUNTS=()
cleanup() {
    local mount
    for mount in "${MOUNTS[@]}"; do umount "$mount" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT

TESTS=0
FAILED=0
ok() { TESTS=$((TESTS + 1)); echo "ok $TESTS - $1"; }
not_ok() {
    TESTS=$((TESTS + 1)) FAILED=$((FAILED + 1))
    echo "not ok $TESTS - $1"
    [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/#   /'
}
check() { # DESCRIPTION COMMAND...: ok if the command succeeds
    local description=$1 output
    shift
    if output=$("$@" 2>&1); then ok "$description"; else not_ok "$description" "$output"; fi
}
skip() { TESTS=$((TESTS + 1)); echo "ok $TESTS - $1 # SKIP $2"; }
succeeded() { # DESCRIPTION STATUS OUTPUT
    if [ "$2" -eq 0 ]; then ok "$1"; else not_ok "$1" "$3"; fi
}
failed() { # DESCRIPTION STATUS OUTPUT
    if [ "$2" -ne 0 ]; then ok "$1"; else not_ok "$1" "$3"; fi
}

install_sh() { "$REPO/INSTALL.sh" --build-dir "$BUILD_DIR" "$@"; }
uninstall_sh() { "$REPO/UNINSTALL.sh" --build-dir "$BUILD_DIR" "$@"; }

# /etc/default/scx as scx-scheds ships it.
STOCK_DEFAULT_SCX='# List of scx_schedulers: scx_beerland scx_bpfland scx_chaos scx_cosmos scx_flash scx_lavd scx_p2dq scx_rustland scx_rusty scx_tickless
SCX_SCHEDULER=scx_cosmos

# Set custom flags for each scheduler, below is an example of how to use
#SCX_FLAGS='"'"'-s 700 -S'"'"'
'

# A fresh system tree: the standard directories, the stock /etc/default/scx and an
# administrator's scx_loader config with comments, a trailing comment and no final newline.
new_root() {
    local root=$WORK/$1
    mkdir -p "$root"/etc/default "$root"/usr/bin "$root"/usr/lib/systemd/system \
        "$root"/usr/lib/systemd/user "$root"/usr/share/dbus-1/system.d \
        "$root"/usr/share/dbus-1/system-services "$root"/usr/share/polkit-1/actions "$root"/var/lib \
        "$root"/etc/xdg/autostart "$root"/usr/share/bash-completion/completions \
        "$root"/usr/share/zsh/site-functions "$root"/usr/share/fish/vendor_completions.d \
        "$root"/usr/share/man/man1 "$root"/usr/share/man/man8 "$root"/usr/share/dbus-1/interfaces \
        "$root"/usr/share/doc "$root"/usr/share/licenses
    printf '%s' "$STOCK_DEFAULT_SCX" >"$root/etc/default/scx"
    printf '# set by the Kernel Manager\ndefault_sched = "scx_lavd"   # boot\ndefault_mode = "Gaming"\n\n[scheds.scx_lavd]\ngaming_mode = ["--performance", "--pinned-slice-us", "500"]' \
        >"$root/etc/scx_loader.toml"
    echo "$root"
}

# Every path under the tree with its type, mode and content hash; backups left out unless asked.
snapshot() { # ROOT [with-backups]
    (cd "$1" && find . -printf '%y %m %p\n' | LC_ALL=C sort | while read -r type mode path; do
        case $path in *.bak.*) [ -n "${2:-}" ] || continue ;; esac
        if [ "$type" = f ]; then
            echo "$type $mode $path $(sha256sum <"$path" | cut -d' ' -f1)"
        else
            echo "$type $mode $path"
        fi
    done)
}

backups_in() { find "$1" -name '*.bak.*' | wc -l; }

same() { # DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "$(diff <(echo "$2") <(echo "$3"))"; fi
}

contains() { # DESCRIPTION TEXT NEEDLE
    if grep -qF -- "$3" <<<"$2"; then ok "$1"; else not_ok "$1" "expected '$3' in: $2"; fi
}

# ---- help and refusals ----

check "INSTALL.sh --help" install_sh --help
check "UNINSTALL.sh --help" uninstall_sh --help

root=$(new_root refusals)
before=$(snapshot "$root")
output=$(install_sh --root "$root" </dev/null 2>&1)
status=$?
failed "without --yes and no terminal, INSTALL.sh refuses" $status "$output"
contains "  ... and says to pass --yes" "$output" "pass --yes"
output=$(install_sh --root "$root" --yes --scx-flags "--slice-us 2000" 2>&1)
contains "--scx-flags without --activate is refused" "$output" "only apply with --activate"
output=$(install_sh --root "$root" --yes --profile lowlatency 2>&1)
contains "--profile without --activate is refused" "$output" "only apply with --activate"
output=$(install_sh --root "$root" --yes --activate --profile 'x;reboot' 2>&1)
contains "an unknown --profile is refused" "$output" "no such profile"
output=$(install_sh --root "$root" --yes --activate --scx-flags "--slice-us 5" 2>&1)
contains "invalid --scx-flags are refused by the flag table" "$output" "--slice-us: 5 is out of range"
same "refused runs changed nothing" "$before" "$(snapshot "$root")"

if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    # The checkout itself may not be readable by nobody (a clone in a 0700 temp directory):
    # run world-readable copies of the scripts.
    public=$(mktemp -d /tmp/scx_gamer-install-public.XXXXXX)
    chmod 0755 "$public"
    mkdir -p "$public/scripts"
    cp -a "$REPO/INSTALL.sh" "$REPO/UNINSTALL.sh" "$public/"
    cp -a "$REPO/scripts/lib" "$public/scripts/"
    chmod -R a+rX "$public"
    for script in INSTALL.sh UNINSTALL.sh; do
        output=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
            "$public/$script" --build-dir "$BUILD_DIR" --yes 2>&1)
        status=$?
        if [ $status -ne 0 ] && grep -q "must be run as root" <<<"$output"; then
            ok "$script as a non-root user on / is refused with a clear message"
        else
            not_ok "$script as a non-root user on / is refused with a clear message" "$output"
        fi
    done
    rm -rf "$public"
else
    skip "non-root on / is refused" "needs root and setpriv"
fi

# ---- dry run ----

root=$(new_root dry-run)
before=$(snapshot "$root" with-backups)
output=$(install_sh --root "$root" --dry-run 2>&1)
status=$?
succeeded "INSTALL.sh --dry-run succeeds" $status "$output"
contains "  ... lists the binary" "$output" "/usr/bin/scx_gamer -> $root/usr/bin/scx_gamer"
contains "  ... shows the list comment edit as a diff" "$output" "+# List of scx_schedulers: scx_beerland"
contains "  ... shows the TOML section as a diff" "$output" "+[scheds.scx_gamer]"
same "INSTALL.sh --dry-run changes nothing" "$before" "$(snapshot "$root" with-backups)"

# ---- install, install again, uninstall ----

root=$(new_root round-trip)
original=$(snapshot "$root")
cp "$root/etc/default/scx" "$WORK/default_scx.orig"
cp "$root/etc/scx_loader.toml" "$WORK/loader.orig"

output=$(install_sh --root "$root" --yes 2>&1)
status=$?
succeeded "INSTALL.sh installs" $status "$output"
check "  ... the binary" test -x "$root/usr/bin/scx_gamer"
check "  ... the D-Bus policy" test -f "$root/usr/share/dbus-1/system.d/org.cachyos.ScxGamer.conf"
check "  ... the activation file" test -f "$root/usr/share/dbus-1/system-services/org.cachyos.ScxGamer.service"
check "  ... the polkit policy" test -f "$root/usr/share/polkit-1/actions/org.cachyos.scxgamer.policy"
for unit in "$BUILD_DIR"/systemd/*.service; do
    [ -f "$unit" ] || continue
    name=${unit##*/}
    if grep -Eq '^WantedBy=.*(graphical-session|default)\.target' "$unit"; then
        check "  ... the user unit $name" test -f "$root/usr/lib/systemd/user/$name"
    else
        check "  ... the system unit $name" test -f "$root/usr/lib/systemd/system/$name"
    fi
done
manifest=$(grep -v '^#' "$root/var/lib/scx_gamer/installed-files")
contains "  ... recorded in the manifest" "$manifest" "/usr/bin/scx_gamer"
scx_status=$("$BUILD_DIR/bin/scx_gamer" config status --root "$root")
contains "  ... registered in /etc/default/scx's list" "$scx_status" "listed=yes"
contains "  ... without switching the scheduler" "$scx_status" "scx_scheduler=scx_cosmos"
contains "  ... with our section in the TOML scx_loader reads" "$scx_status" "loader_section=yes"
contains "  ... and default_sched untouched" "$(cat "$root/etc/scx_loader.toml")" 'default_sched = "scx_lavd"   # boot'

installed=$(snapshot "$root" with-backups)
backups=$(backups_in "$root")
output=$(install_sh --root "$root" --yes 2>&1)
status=$?
succeeded "INSTALL.sh again succeeds" $status "$output"
contains "  ... and has nothing to change" "$output" "nothing to change"
same "  ... no file changed, no new backup" "$installed" "$(snapshot "$root" with-backups)"
same "  ... backup count unchanged" "$backups" "$(backups_in "$root")"

output=$(uninstall_sh --root "$root" --dry-run 2>&1)
contains "UNINSTALL.sh --dry-run shows the removal" "$output" "-[scheds.scx_gamer]"
same "UNINSTALL.sh --dry-run changes nothing" "$installed" "$(snapshot "$root" with-backups)"

output=$(uninstall_sh --root "$root" --yes 2>&1)
status=$?
succeeded "UNINSTALL.sh uninstalls" $status "$output"
check "  ... /etc/default/scx is byte-identical" cmp "$WORK/default_scx.orig" "$root/etc/default/scx"
check "  ... scx_loader.toml is byte-identical" cmp "$WORK/loader.orig" "$root/etc/scx_loader.toml"
same "  ... the tree is as before (backups aside)" "$original" "$(snapshot "$root")"
check "  ... backups were left for the administrator" test "$(backups_in "$root")" -ge 2

# ---- --activate ----

root=$(new_root activate)
cp "$root/etc/default/scx" "$WORK/default_scx.orig"
output=$(install_sh --root "$root" --yes --activate --scx-flags "-s 3000 -a" 2>&1)
status=$?
succeeded "INSTALL.sh --activate" $status "$output"
contains "  ... sets SCX_SCHEDULER and canonical SCX_FLAGS" "$(cat "$root/etc/default/scx")" \
    "SCX_SCHEDULER=scx_gamer
SCX_FLAGS='--profile gaming --slice-us 3000 --mm-affinity'"
uninstall_sh --root "$root" --yes >/dev/null 2>&1
check "  ... UNINSTALL.sh puts SCX_SCHEDULER back byte for byte" cmp "$WORK/default_scx.orig" "$root/etc/default/scx"

# ---- failures midway leave every file as it was ----

n=0
while :; do
    root=$(new_root "fail-$n")
    before=$(snapshot "$root" with-backups)
    output=$(SCX_GAMER_INSTALL_FAIL_AFTER=$n install_sh --root "$root" --yes 2>&1)
    status=$?
    if [ $status -eq 0 ]; then
        break # n is past the last step
    fi
    after=$(snapshot "$root" with-backups)
    if [ "$before" = "$after" ] && grep -q "simulated failure" <<<"$output"; then
        ok "a failure after $n steps is undone completely"
    else
        not_ok "a failure after $n steps is undone completely" "$output
$(diff <(echo "$before") <(echo "$after"))"
    fi
    n=$((n + 1))
    [ $n -lt 50 ] || { not_ok "install has fewer than 50 steps"; break; }
done
[ $n -ge 3 ]
succeeded "fault injection covered $n steps" $? ""

if [ "$(id -u)" -eq 0 ]; then
    root=$(new_root read-only)
    # A real write error: the polkit directory is a read-only file system.
    if mount -t tmpfs -o ro,size=64k tmpfs "$root/usr/share/polkit-1/actions" 2>/dev/null; then
        MOUNTS+=("$root/usr/share/polkit-1/actions")
        before=$(snapshot "$root" with-backups)
        output=$(install_sh --root "$root" --yes 2>&1)
        status=$?
        failed "a read-only target makes INSTALL.sh fail" $status "$output"
        contains "  ... saying it undid everything" "$output" "everything done so far was undone"
        same "  ... and every file is as it was" "$before" "$(snapshot "$root" with-backups)"
        umount "$root/usr/share/polkit-1/actions"
    else
        skip "a read-only target" "cannot mount a tmpfs"
    fi
else
    skip "a read-only target" "needs root"
fi

echo "1..$TESTS"
[ $FAILED -eq 0 ] || { echo "# $FAILED of $TESTS failed"; exit 1; }

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

# A unit for the user manager: WantedBy a session target (the agent), or under systemd/user/.
is_user_unit() {
    case $1 in
    */systemd/user/*) return 0 ;;
    esac
    grep -Eq '^[[:space:]]*WantedBy=.*(graphical-session|default)\.target' "$1"
}

# What belongs with scxgamerctl: shell completions, the man page (if scdoc built it) and the
# notification agent's XDG autostart entry (for sessions without systemd user units).
scxgamerctl_extras() {
    local completions=$INSTALL_REPO/cli/completions
    [ -f "$completions/scxgamerctl.bash" ] &&
        printf '%s\t%s\t0644\n' "$completions/scxgamerctl.bash" \
            /usr/share/bash-completion/completions/scxgamerctl
    [ -f "$completions/_scxgamerctl" ] &&
        printf '%s\t%s\t0644\n' "$completions/_scxgamerctl" /usr/share/zsh/site-functions/_scxgamerctl
    [ -f "$completions/scxgamerctl.fish" ] &&
        printf '%s\t%s\t0644\n' "$completions/scxgamerctl.fish" \
            /usr/share/fish/vendor_completions.d/scxgamerctl.fish
    [ -f "$BUILD_DIR/man/scxgamerctl.1" ] &&
        printf '%s\t%s\t0644\n' "$BUILD_DIR/man/scxgamerctl.1" /usr/share/man/man1/scxgamerctl.1
    [ -f "$INSTALL_REPO/data/scxgamerctl-agent.desktop" ] &&
        printf '%s\t%s\t0644\n' "$INSTALL_REPO/data/scxgamerctl-agent.desktop" \
            /etc/xdg/autostart/scxgamerctl-agent.desktop
    return 0
}

# Prints "SOURCE<tab>DESTINATION<tab>MODE" for every file of the repo and build that exists; files
# other engineers have not written yet are simply skipped.
files_to_install() {
    local bin unit
    for bin in scx_gamer scxgamerctl; do
        [ -x "$BUILD_DIR/bin/$bin" ] && printf '%s\t%s\t0755\n' "$BUILD_DIR/bin/$bin" "/usr/bin/$bin"
    done
    [ -f "$BUILD_DIR/man/scx_gamer.8" ] &&
        printf '%s\t%s\t0644\n' "$BUILD_DIR/man/scx_gamer.8" /usr/share/man/man8/scx_gamer.8
    [ -f "$INSTALL_REPO/dbus/org.cachyos.ScxGamer.conf" ] &&
        printf '%s\t%s\t0644\n' "$INSTALL_REPO/dbus/org.cachyos.ScxGamer.conf" \
            /usr/share/dbus-1/system.d/org.cachyos.ScxGamer.conf
    [ -f "$INSTALL_REPO/dbus/org.cachyos.ScxGamer.service" ] &&
        printf '%s\t%s\t0644\n' "$INSTALL_REPO/dbus/org.cachyos.ScxGamer.service" \
            /usr/share/dbus-1/system-services/org.cachyos.ScxGamer.service
    [ -f "$INSTALL_REPO/polkit/org.cachyos.scxgamer.policy" ] &&
        printf '%s\t%s\t0644\n' "$INSTALL_REPO/polkit/org.cachyos.scxgamer.policy" \
            /usr/share/polkit-1/actions/org.cachyos.scxgamer.policy
    if [ -x "$BUILD_DIR/bin/scxgamerctl" ]; then
        scxgamerctl_extras
    fi
    for unit in "$INSTALL_REPO"/systemd/*.service "$INSTALL_REPO"/systemd/*.socket \
        "$INSTALL_REPO"/systemd/*.timer "$INSTALL_REPO"/systemd/user/*; do
        [ -f "$unit" ] || continue
        if is_user_unit "$unit"; then
            printf '%s\t%s\t0644\n' "$unit" "/usr/lib/systemd/user/${unit##*/}"
        else
            printf '%s\t%s\t0644\n' "$unit" "/usr/lib/systemd/system/${unit##*/}"
        fi
    done
    return 0
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

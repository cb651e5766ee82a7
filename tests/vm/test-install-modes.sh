#!/usr/bin/env bash
# In the VM with systemd as PID 1 (vm-run --systemd): `./INSTALL.sh --yes` follows what manages
# sched_ext, a Steam game gets what that mode promises, and `./UNINSTALL.sh --yes` leaves every
# file as it was (README.md, "Which mode?"). Three systems, one after the other:
#
#   scx_loader   a stand-in scx_loader.service (tests/integration/scx_loader_standin.py, enabled,
#                owning org.scx.Loader on the system bus): companion mode; the game puts the
#                loader in Gaming mode and its exit puts it back.
#   scx.service  the stand-in unit of tests/vm/fixtures, enabled and running another scheduler
#                (bpf_smoke hold): scx-service mode; scx_gamer runs under scx.service and detects
#                the game; uninstall starts the other scheduler again.
#   neither      own mode: scx_gamer.service runs scx_gamer and detects the game.
#
# "As it was": every file either script could write (see snapshot below), compared before
# INSTALL.sh and after UNINSTALL.sh (mode, owner, size, content hash, link target), and the names
# in every directory they could leave something in. The backups that config install keeps beside
# the files it edited (FILE.bak.TIMESTAMP) are the one allowed difference, and are listed.
# shellcheck source-path=SCRIPTDIR source=lib.sh

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
FIXTURES=$HERE/fixtures
BUILD_DIR=$(cd "$(dirname "${SCX_GAMER:?BUILD/bin/scx_gamer}")/.." && pwd)
OTHER_SCHEDULER=${BPF_SMOKE:?path to bpf_smoke (the other scheduler scx.service runs)}
GAME_BIN=${SYNTHETIC_GAME:?path to the synthetic game binary}
STANDIN=$REPO/tests/integration/scx_loader_standin.py

require_systemd_vm "I install into / and start services"

WORK=$(mktemp -d)
show() { sed 's/^/#   /'; }
is_active() { systemctl is-active --quiet "$1"; }
is_enabled() { systemctl is-enabled --quiet "$1" 2>/dev/null; }
not_active() { ! systemctl is-active --quiet "$1"; }
not_enabled() { ! systemctl is-enabled --quiet "$1" 2>/dev/null; }
gamer_attached() { state_is enabled && [ "$(sched_ops)" = gamer ]; }
# bpf_smoke loads the same BPF scheduler (ops "gamer"): the other scheduler is told apart by the
# process scx.service runs.
main_comm() { # UNIT: the command name of its main process
    local pid
    pid=$(systemctl show -P MainPID "$1")
    [ "$pid" != 0 ] && cat "/proc/$pid/comm" 2>/dev/null
}
on_bus() { busctl --system status org.cachyos.ScxGamer >/dev/null 2>&1; }
other_attached() { state_is enabled && [ "$(main_comm scx.service)" = bpf_smoke ]; }
# run DESCRIPTION COMMAND...: a check that shows the command's output when it fails; the output
# is kept in $RUN_OUT.
run() {
    local what=$1
    shift
    if RUN_OUT=$("$@" 2>&1); then pass "$what"; else fail "$what"; printf '%s\n' "$RUN_OUT" | show; fi
}

# What INSTALL.sh or UNINSTALL.sh could write, one line per entry (hashing every file of /etc,
# /usr/lib/systemd and the man directories over 9p took most of this test's time; these are
# the places either script can reach):
#   DESTS      the files the build installs: cmake --install's list, staged as INSTALL.sh stages
#              it (scripts/lib/install.sh); mode, owner, size and content hash of each
#   NAME_DIRS  every directory from those files up to /usr: the names in it, so a file or a
#              directory left behind (a completion directory INSTALL.sh created) is a new name
#   /etc       every name, recursively (a file config install or systemctl enable left anywhere)
#   TREES      what config install, systemctl enable and the D-Bus/polkit setup write: mode,
#              owner, size, link target and content hash of everything in them
mapfile -t DESTS < <(
    build=$BUILD_DIR
    # shellcheck source=../../scripts/lib/install.sh
    source "$REPO/scripts/lib/install.sh"
    BUILD_DIR=$build
    stage_build >&2
    files_to_install | cut -f2
    remove_stage
)
if [ "${#DESTS[@]}" -lt 5 ]; then
    fail "the list of files the build installs (cmake --install): ${#DESTS[@]} files"
    finish
fi
mapfile -t NAME_DIRS < <(for d in "${DESTS[@]}" /var/lib/scx_gamer/installed-files; do
    d=${d%/*}
    while [ -n "$d" ]; do
        echo "$d"
        d=${d%/*}
    done
done | LC_ALL=C sort -u)
TREES=(/etc/default /etc/scx_loader /etc/scx_loader.toml /etc/scx_gamer /etc/systemd /etc/dbus-1
    /etc/polkit-1 /etc/xdg/autostart /usr/share/dbus-1 /usr/share/polkit-1 /usr/lib/systemd/system
    /usr/lib/systemd/user /var/lib/scx_gamer)
echo "# watched: ${#DESTS[@]} installed files, ${#NAME_DIRS[@]} directories by name, /etc," \
    "${#TREES[@]} trees in full"
# snapshot FILE: few processes (every exec is slow under TCG). Only what exists is walked (find
# fails on a missing path, and set -e would end the test without a word); what appears later
# shows up in the next snapshot. A failing walk is a failed check.
snapshot() {
    local dirs=() trees=() files=() d start=$SECONDS
    for d in "${NAME_DIRS[@]}"; do if [ -d "$d" ]; then dirs+=("$d"); fi; done
    for d in "${TREES[@]}"; do if [ -e "$d" ] || [ -L "$d" ]; then trees+=("$d"); fi; done
    for d in "${DESTS[@]}"; do if [ -e "$d" ] || [ -L "$d" ]; then files+=("$d"); fi; done
    # A directory's size is left out: the overlay's copy-up changes it, and a backup beside a
    # file grows it; its entries are listed by name. In NAME_DIRS only the names (no stat of
    # each of /usr/share/man/man1's ~18k entries over 9p): the installed files there have their
    # own stat lines, and anything else left behind is a new name.
    local names_at
    if ! {
        find /etc -xdev -printf 'name %y %p %l\n' &&
            find "${dirs[@]}" -mindepth 1 -maxdepth 1 -printf 'name %p\n' &&
            names_at=$SECONDS &&
            find "${trees[@]}" "${files[@]}" -xdev \( -type d -printf 'stat %y %m %u:%g %p\n' \) -o \
                -printf 'stat %y %m %u:%g %s %p %l\n' &&
            find "${trees[@]}" "${files[@]}" -xdev -type f -print0 | xargs -0 -r sha256sum |
            sed 's/^/hash /'
    } >"$1.raw" 2>"$1.err"; then
        fail "snapshot of the watched files ($1)"
        show <"$1.err"
    fi
    LC_ALL=C sort -u "$1.raw" >"$1"
    rm -f "$1.raw" "$1.err"
    echo "# snapshot ${1##*/}: $(wc -l <"$1") lines, $((SECONDS - start)) s" \
        "(names $((${names_at:-$SECONDS} - start)) s)"
}
# UNINSTALL.sh left every watched file as SNAPSHOT had it, backups aside.
same_as_before() { # SNAPSHOT_FILE
    snapshot "$WORK/after"
    local changes diff
    changes=$(diff "$1" "$WORK/after" | grep '^[<>]') || true
    diff=$(grep -v '^> .*\.bak\.[0-9]' <<<"$changes") || true
    grep '^> ' <<<"$changes" | grep -o '/[^ ]*\.bak\.[0-9][^ ]*' | LC_ALL=C sort -u |
        sed 's/^/# backup kept: /' || true
    if [ -z "$diff" ]; then
        pass "every file is as it was before INSTALL.sh (config install's backups aside)"
    else
        fail "every file is as it was before INSTALL.sh (config install's backups aside)"
        printf '%s\n' "$diff" | head -n 40 | show
    fi
}

# A Steam game (SteamAppId in its environment, as Steam starts games), copied so that its name
# is its own. start_game sets GAME_PID.
start_game() {
    cp "$GAME_BIN" "$WORK/SteamGame"
    SteamAppId=480 "$WORK/SteamGame" --seconds 120 >/dev/null 2>&1 &
    GAME_PID=$!
}
stop_game() { kill "$GAME_PID" 2>/dev/null; wait "$GAME_PID" 2>/dev/null || true; }
journal_has() { journalctl --no-pager -o cat -u "$1" | grep -qF -- "$2"; }

# ---- scx_loader: companion mode ----------------------------------------------------------------
echo "# scx_loader (at $SECONDS s)"
allow_loader_standin
# Where the package puts it, so that systemctl enable/disable behave as on CachyOS.
cat >/usr/lib/systemd/system/scx_loader.service <<EOF
[Unit]
Description=scx_loader stand-in (tests/vm/test-install-modes.sh): org.scx.Loader running scx_lavd
[Service]
Type=dbus
BusName=org.scx.Loader
ExecStart=/usr/bin/python3 -m dbusmock --template $STANDIN -p '{"scheduler": "scx_lavd", "mode": 0}'
KillSignal=SIGINT
[Install]
WantedBy=multi-user.target
EOF
install -m 0644 "$FIXTURES/scx_loader.toml" /etc/scx_loader.toml
systemctl daemon-reload
run "systemctl enable --now scx_loader.service (stand-in)" systemctl enable --now scx_loader.service
loader_mode() {
    busctl --system get-property org.scx.Loader /org/scx/Loader org.scx.Loader SchedulerMode \
        2>/dev/null | awk '{print $2}'
}
loader_mode_is() { [ "$(loader_mode)" = "$1" ]; }
check "the stand-in owns org.scx.Loader on the system bus, Auto mode" wait_for 30 loader_mode_is 0
snapshot "$WORK/before-loader"

run "scx_gamer config detect" "$SCX_GAMER" config detect
check "config detect: manager=scx_loader" grep -qx manager=scx_loader <<<"$RUN_OUT"
check "config detect: mode=companion" grep -qx mode=companion <<<"$RUN_OUT"
run "INSTALL.sh --yes" "$REPO/INSTALL.sh" --yes --build-dir "$BUILD_DIR"
printf '%s\n' "$RUN_OUT" | grep -E 'managed by|to change it' | show
check "INSTALL.sh says it chose companion mode" grep -q "setting up companion mode" <<<"$RUN_OUT"
check "and how to change it" grep -q -- "--mode companion | replace-loader | manual" <<<"$RUN_OUT"
check "scx_gamer-companion.service is enabled" is_enabled scx_gamer-companion.service
check "scx_gamer-companion.service is active" wait_for 30 is_active scx_gamer-companion.service
check "scx_gamer.service is not enabled" not_enabled scx_gamer.service
check "scx_loader.service is still active" is_active scx_loader.service
check "the companion is on the system bus" \
    wait_for 30 on_bus

DOCTOR_STATUS=0
DOCTOR_JSON=$(setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
    "/usr/bin/scx_gamer" doctor --json 2>&1) || DOCTOR_STATUS=$?
doctor_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1" \
    <<<"$DOCTOR_JSON"; }
doctor_check() { # ID: its status
    python3 -c 'import json, sys
print(next((c["status"] for c in json.load(sys.stdin)["checks"] if c["id"] == sys.argv[1]), "none"))' \
        "$1" <<<"$DOCTOR_JSON"
}
echo "# scx_gamer doctor as nobody: exit $DOCTOR_STATUS"
"/usr/bin/scx_gamer" doctor 2>&1 | show || true
check "doctor as nobody: manager scx_loader" test "$(doctor_field manager)" = scx_loader
check "doctor as nobody: installed mode companion" test "$(doctor_field installed_mode)" = companion
check "doctor as nobody: the companion unit is active (ok)" test "$(doctor_check mode.active)" = ok
check "doctor as nobody: scx_gamer is on the bus (ok)" test "$(doctor_check daemon)" = ok
check "doctor as nobody: exit status is its JSON's, 0 or 3 (no failure)" \
    test "$DOCTOR_STATUS" = "$(doctor_field exit_status)" -a "$DOCTOR_STATUS" != 1

start_game
check "a Steam game switches scx_loader to Gaming mode" wait_for 60 loader_mode_is 1
stop_game
check "its exit switches it back to Auto" wait_for 60 loader_mode_is 0

run "UNINSTALL.sh --yes" "$REPO/UNINSTALL.sh" --yes --build-dir "$BUILD_DIR"
check "scx_gamer-companion.service is stopped" not_active scx_gamer-companion.service
check "scx_loader.service is still active, in Auto mode" loader_mode_is 0
same_as_before "$WORK/before-loader"

systemctl disable --now scx_loader.service >/dev/null 2>&1
rm -f /usr/lib/systemd/system/scx_loader.service /etc/dbus-1/system.d/org.scx.Loader-standin.conf
busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig
systemctl daemon-reload

# ---- scx.service: scx-service mode -------------------------------------------------------------
echo "# scx.service (at $SECONDS s)"
install -m 0644 "$FIXTURES/scx.service" /usr/lib/systemd/system/scx.service
{
    head -n 1 "$FIXTURES/default-scx"
    printf 'SCX_SCHEDULER=%s\n' "$OTHER_SCHEDULER"
    printf "SCX_FLAGS='hold 3600'\n"
} >/etc/default/scx
systemctl daemon-reload
run "systemctl enable --now scx.service (another scheduler)" systemctl enable --now scx.service
check "scx.service's scheduler (bpf_smoke) is attached" wait_for 60 other_attached
snapshot "$WORK/before-scx"

run "INSTALL.sh --yes" "$REPO/INSTALL.sh" --yes --build-dir "$BUILD_DIR"
check "INSTALL.sh says it chose scx-service mode" grep -q "setting up scx-service mode" <<<"$RUN_OUT"
check "/etc/default/scx: SCX_SCHEDULER=scx_gamer" grep -qx SCX_SCHEDULER=scx_gamer /etc/default/scx
check "scx.service runs scx_gamer's scheduler" wait_for 120 gamer_attached
check "scx_gamer is on the system bus" wait_for 30 on_bus
start_game
check "the Steam game is detected under scx.service" \
    wait_for 60 journal_has scx.service "game detected: SteamGame (pid $GAME_PID"
stop_game
run "UNINSTALL.sh --yes" "$REPO/UNINSTALL.sh" --yes --build-dir "$BUILD_DIR"
check "scx.service runs the other scheduler (bpf_smoke) again" wait_for 60 other_attached
check "scx.service is still enabled" is_enabled scx.service
same_as_before "$WORK/before-scx"

systemctl disable --now scx.service >/dev/null 2>&1
rm -f /usr/lib/systemd/system/scx.service /etc/default/scx
systemctl daemon-reload
check "sched_ext is disabled" wait_for 30 state_is disabled

# ---- neither: own mode -------------------------------------------------------------------------
echo "# neither (at $SECONDS s)"
snapshot "$WORK/before-own"
run "INSTALL.sh --yes" "$REPO/INSTALL.sh" --yes --build-dir "$BUILD_DIR"
check "INSTALL.sh says it chose own mode" grep -q "setting up own mode" <<<"$RUN_OUT"
check "scx_gamer.service is enabled" is_enabled scx_gamer.service
check "scx_gamer.service runs scx_gamer's scheduler" wait_for 120 gamer_attached
start_game
check "the Steam game is detected under scx_gamer.service" \
    wait_for 60 journal_has scx_gamer.service "game detected: SteamGame (pid $GAME_PID"
stop_game
run "UNINSTALL.sh --yes" "$REPO/UNINSTALL.sh" --yes --build-dir "$BUILD_DIR"
check "sched_ext is disabled" wait_for 30 state_is disabled
same_as_before "$WORK/before-own"

if [ "$failures" -ne 0 ]; then
    echo "# journal of the units:"
    journalctl --no-pager -o cat -u scx.service -u scx_gamer.service \
        -u scx_gamer-companion.service -u scx_loader.service | tail -n 60 | show
fi
rm -rf "$WORK"
finish

#!/usr/bin/env bash
# In the VM: the per-user agent's GameMode bridge with Feral's real gamemoded (Debian's gamemode
# package, seen through the host root). User `player` has an active logind session on tty1; as
# player, in that session's scope and on a session bus of theirs: gamemoded, then `scxgamerctl
# agent`, then `gamemoderun ./game`. polkit lets the agent register (allow_active).
# The game is registered with scx_gamer (reason registered:gamemode) and unregistered when it
# exits. Then the other order: a game GameMode has before the agent starts is registered too.
# Finally nobody else's process can be made a game through the same D-Bus call: the daemon's
# owner check refuses it, before polkit (which would allow player) is asked.
# shellcheck source-path=SCRIPTDIR source=lib.sh

# SPDX-License-Identifier: GPL-2.0-only
source "$(dirname "$0")/lib.sh"
require_systemd_vm "logind gives player an active session"
CTL=${SCXGAMERCTL:?path to scxgamerctl}
game_bin=${SYNTHETIC_GAME:?path to the synthetic game binary}
command -v gamemoded >/dev/null && command -v gamemoderun >/dev/null ||
    PATH=$PATH:/usr/games
command -v gamemoded >/dev/null || { fail "gamemoded is installed (scripts/bootstrap)"; finish; exit 1; }
command -v gamemoderun >/dev/null || { fail "gamemoderun is installed"; finish; exit 1; }
BUS=org.cachyos.ScxGamer
OBJ=/org/cachyos/ScxGamer
work=$(mktemp -d)
chmod 755 "$work"
cp "$game_bin" "$work/game"
chmod 755 "$work/game"

REPO=$(cd "$(dirname "$0")/../.." && pwd)
install -m 0644 "$REPO/dbus/org.cachyos.ScxGamer.conf" /usr/share/dbus-1/system.d/
install -m 0644 "$REPO/polkit/org.cachyos.scxgamer.policy" /usr/share/polkit-1/actions/
busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig

start_daemon --verbose || { fail "daemon starts"; finish; exit 1; }
check "the daemon owns $BUS" wait_for 30 busctl --system status "$BUS"

# A user at the machine: a login session on seat0's foreground VT, through PAM and logind.
check "player has an active local session" start_player_session 900
cleanup() { pkill -u player 2>/dev/null || true; systemctl stop player-seat 2>/dev/null || true; }
trap cleanup EXIT

# What player starts runs in that login's session scope, as what a login shell starts does: so
# polkit finds the callers in an active local session (register-game is allow_active). A process
# merely running with player's uid, in vmtest.service's cgroup, is in no session and no user
# slice, and polkit would want a password for it.
session=$(loginctl list-sessions --no-legend | awk '$3 == "player" { print $1; exit }')
scope_cgroup=/sys/fs/cgroup$(systemctl show -p ControlGroup --value "session-$session.scope")
check "player's session has its scope ($scope_cgroup)" test -w "$scope_cgroup/cgroup.procs"
# player's session bus: a dbus-daemon of their own (the user manager's may not be up yet).
session_socket=$work/session-bus
spawn_as_player() {
    echo "$BASHPID" >"$scope_cgroup/cgroup.procs"
    exec setpriv --reuid="$player_uid" --regid="$player_uid" --clear-groups -- \
        env HOME="$(getent passwd player | cut -d: -f6)" XDG_RUNTIME_DIR="/run/user/$player_uid" \
        DBUS_SESSION_BUS_ADDRESS="unix:path=$session_socket" "$@"
}
as_player() { (spawn_as_player "$@"); }
chown player "$work"
spawn_as_player dbus-daemon --session --nofork --address="unix:path=$session_socket" &
check "player's session bus is up" wait_for 20 test -S "$session_socket"
has_name() { as_player busctl --user status "$1" >/dev/null 2>&1; }
gamemode_log=$work/gamemoded.log
agent_log=$work/agent.log
listed() { busctl --system --json=short call "$BUS" "$OBJ" "$BUS" ListGames | grep -q "\[$1,"; }
not_listed() { ! listed "$1"; }

# -- GameMode first, then the agent, then a game.
spawn_as_player gamemoded >"$gamemode_log" 2>&1 &
check "gamemoded owns com.feralinteractive.GameMode" wait_for 30 has_name com.feralinteractive.GameMode
spawn_as_player "$CTL" agent --no-notify >"$agent_log" 2>&1 &
agent=$!
check "the agent runs with the GameMode bridge" wait_for 30 log_has "$agent_log" "GameMode bridge on"
(cd "$work" && spawn_as_player gamemoderun ./game --seconds 600 --threads 2) &
game=$!
check "GameMode registered the game" wait_for 60 log_has "$agent_log" "GameMode game $game registered"
check "scx_gamer treats it as a game, found through GameMode" \
    wait_for 60 log_has "$DAEMON_LOG" "game detected: game (pid $game, registered:gamemode)"
check "it is listed" listed "$game"
kill "$game"
check "when it exits, the game is gone from scx_gamer" \
    wait_for 60 log_has "$DAEMON_LOG" "game exited: game (pid $game)"
check "and not listed" wait_for 30 not_listed "$game"
kill "$agent"; wait "$agent" 2>/dev/null

# -- The agent after GameMode already has a game: it is listed and registered at start.
(cd "$work" && spawn_as_player gamemoderun ./game --seconds 600 --threads 1) &
early=$!
gamemode_has() { as_player busctl --user --json=short call com.feralinteractive.GameMode \
    /com/feralinteractive/GameMode com.feralinteractive.GameMode ListGames | grep -q "\[$1,"; }
check "GameMode has the game before the agent starts" wait_for 60 gamemode_has "$early"
spawn_as_player "$CTL" agent --no-notify >"$agent_log.2" 2>&1 &
agent=$!
check "the agent registers the game GameMode already had" \
    wait_for 60 log_has "$DAEMON_LOG" "game detected: game (pid $early, registered:gamemode)"
# -- GameMode leaving: its games are unregistered.
pkill -u player -x gamemoded
check "when GameMode goes, its game is unregistered" wait_for 60 not_listed "$early"
check "... while it still runs" kill -0 "$early"
kill "$early" 2>/dev/null
# -- GameMode after the agent: it is followed when it appears.
spawn_as_player gamemoded >>"$gamemode_log" 2>&1 &
check "gamemoded is back" wait_for 30 has_name com.feralinteractive.GameMode
(cd "$work" && spawn_as_player gamemoderun ./game --seconds 600 --threads 1) &
late=$!
check "a game of the new GameMode is registered" \
    wait_for 60 log_has "$DAEMON_LOG" "game detected: game (pid $late, registered:gamemode)"
kill "$late"
check "and unregistered when it exits" wait_for 60 not_listed "$late"

# -- Nobody makes another user's process a game: player asks for a root process. The daemon's
# owner check refuses it before polkit is asked (polkit would allow player: active session).
# gdbus shows the error's message; busctl prints only "Access denied" for this error name.
sleep 600 &
roots=$!
denied=$(as_player gdbus call --system --dest "$BUS" --object-path "$OBJ" \
    --method "$BUS.RegisterGameWithOptions" "$roots" "{'via': <'gamemode'>}" 2>&1 || true)
check "player cannot register root's process ($denied)" \
    grep -qF "AccessDenied: pid $roots is not a process of the caller" <<<"$denied"
check "... and it is not listed" not_listed "$roots"
kill "$roots"

kill "$agent" 2>/dev/null; wait "$agent" 2>/dev/null
stop_daemon TERM
check "daemon exits 0" test "$DAEMON_STATUS" -eq 0
if [ "$failures" -ne 0 ]; then
    show_log
    sed 's/^/#   agent: /' "$agent_log" "$agent_log.2" 2>/dev/null
    sed 's/^/#   gamemoded: /' "$gamemode_log"
fi
finish

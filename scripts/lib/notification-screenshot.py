#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Takes the screenshot in docs/notifications.md: the desktop notification that `scxgamerctl
agent` shows when a game is detected, drawn by a real notification daemon (dunst) on a virtual X
display (Xvfb).

Nothing of the machine's own is used. The script re-runs itself inside `dbus-run-session` (a
private session bus, for dunst and the agent), starts Xvfb and dunst, and reuses the integration
tests' machinery (tests/integration/dbus_test_env.py): a private system bus with the project's
bus policy and dbus_fixture_server, which hosts the real org.cachyos.ScxGamer service with a fake
controller. The real `scxgamerctl agent` connects to both buses; the fixture is told to detect a
game, the service emits GameDetected, the agent calls Notify, dunst draws it and `import` takes
the screenshot (trimmed to the notification).

Run as root from the source tree, after building (cmake --build --preset default):

    scripts/lib/notification-screenshot.py [--build-dir build] [--output docs/img/notification.png]

Needs (Debian): xvfb dunst imagemagick dbus-daemon python3-dbus python3-gi.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

SOURCE_DIR = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
IN_SESSION = "SCXG_SCREENSHOT_IN_SESSION"

# Looks like a desktop's notification, big enough to read in the documentation. timeout = 0: the
# notification stays until the screenshot is taken, however slow the machine.
DUNSTRC = """[global]
    font = DejaVu Sans 12
    width = 460
    origin = top-right
    offset = 16x16
    padding = 14
    horizontal_padding = 16
    frame_width = 2
    frame_color = "#8fa8c8"
    corner_radius = 6
    format = "<b>%s</b>\\n%b"
    icon_position = off

[urgency_normal]
    background = "#1f2430"
    foreground = "#f0f0f0"
    timeout = 0
"""


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", default=os.path.join(SOURCE_DIR, "build"),
                        help="build tree with bin/scxgamerctl and bin/dbus_fixture_server")
    parser.add_argument("--output", default=os.path.join(SOURCE_DIR, "docs", "img",
                                                         "notification.png"))
    parser.add_argument("--display", default=":99", help="X display for Xvfb (default :99)")
    parser.add_argument("--game", default="supertuxkart", help="name of the detected game")
    parser.add_argument("--profile", default="gaming", help="profile shown in the body")
    return parser.parse_args()


def require(*programs):
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        sys.exit(f"notification-screenshot: missing {', '.join(missing)} "
                 "(apt-get install xvfb dunst imagemagick)")


def start_xvfb(display):
    socket = f"/tmp/.X11-unix/X{display.lstrip(':')}"
    if os.path.exists(socket):
        sys.exit(f"notification-screenshot: display {display} is in use ({socket} exists); "
                 "pick another with --display")
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1024x768x24", "-br", "-nolisten",
                             "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not os.path.exists(socket):
        if xvfb.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"notification-screenshot: Xvfb did not start on {display}")
        time.sleep(0.05)
    return xvfb


def main():
    args = parse_args()
    if os.environ.get(IN_SESSION) != "1":
        require("dbus-run-session")
        env = dict(os.environ, **{IN_SESSION: "1"})
        os.execvpe("dbus-run-session",
                   ["dbus-run-session", "--", sys.executable, os.path.abspath(__file__),
                    *sys.argv[1:]], env)

    require("Xvfb", "dunst", "dunstctl", "import", "dbus-daemon")
    bin_dir = os.path.join(os.path.abspath(args.build_dir), "bin")
    os.environ["SCXG_FIXTURE_SERVER"] = os.path.join(bin_dir, "dbus_fixture_server")
    os.environ["SCXGAMERCTL"] = os.path.join(bin_dir, "scxgamerctl")
    for program in (os.environ["SCXG_FIXTURE_SERVER"], os.environ["SCXGAMERCTL"]):
        if not os.access(program, os.X_OK):
            sys.exit(f"notification-screenshot: {program} is missing; build first")

    sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
    sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
    import dbus  # noqa: E402 (python3-dbus, after the checks above)
    from dbus_test_env import (  # noqa: E402
        NOTIFICATIONS_NAME, SCXGAMERCTL, Fixture, PrivateBus, read_line, stop_process,
        wait_until)

    session_address = os.environ["DBUS_SESSION_BUS_ADDRESS"]
    work = tempfile.mkdtemp(prefix="scxg-screenshot-")
    started = []  # processes and buses to stop, last first
    try:
        xvfb = start_xvfb(args.display)
        started.append(lambda: stop_process(xvfb))

        dunstrc = os.path.join(work, "dunstrc")
        with open(dunstrc, "w", encoding="utf-8") as out:
            out.write(DUNSTRC)
        dunst_log = open(os.path.join(work, "dunst.log"), "w", encoding="utf-8")
        dunst = subprocess.Popen(["dunst", "-config", dunstrc],
                                 env=dict(os.environ, DISPLAY=args.display),
                                 stdout=dunst_log, stderr=dunst_log)
        started.append(dunst_log.close)
        started.append(lambda: stop_process(dunst))
        session = dbus.bus.BusConnection(session_address)
        started.append(session.close)
        wait_until(lambda: dunst.poll() is None and session.name_has_owner(NOTIFICATIONS_NAME),
                   what="dunst on the session bus")

        system = PrivateBus("system")
        started.append(system.close)
        fixture = Fixture(system)
        started.append(fixture.close)

        config_home = os.path.join(work, "config")  # no agent.toml: notifications on
        agent = subprocess.Popen([SCXGAMERCTL, "agent"],
                                 env=system.env(DBUS_SESSION_BUS_ADDRESS=session_address,
                                                XDG_CONFIG_HOME=config_home),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        started.append(lambda: stop_process(agent))
        line = read_line(agent.stderr, what="the agent to start")
        if "watching for games" not in line:
            raise AssertionError(f"the agent did not start: {line.strip()}")

        fixture.gamer.SetProfile(args.profile)
        fixture.control.DetectGame(dbus.UInt32(4242), args.game, f"/usr/games/{args.game}",
                                   f"rule:name={args.game}")

        def displayed():
            result = subprocess.run(["dunstctl", "count", "displayed"], capture_output=True,
                                    text=True, timeout=30)
            return result.returncode == 0 and result.stdout.strip() not in ("", "0")
        wait_until(displayed, what="dunst to display the notification")
        time.sleep(1)  # dunst maps the window, then draws it: let it finish

        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        # The whole screen, trimmed to the notification (the rest of the screen is black).
        subprocess.run(["import", "-display", args.display, "-window", "root", "-trim",
                        "+repage", args.output], check=True, timeout=60)
        print(f"notification-screenshot: wrote {args.output} "
              f"(\"Game detected: {args.game}\", \"scx_gamer profile: {args.profile}\")")
    finally:
        for stop in reversed(started):
            try:
                stop()
            except Exception as error:  # cleanup goes on
                print(f"notification-screenshot: cleanup: {error}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

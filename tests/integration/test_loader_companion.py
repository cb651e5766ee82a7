# SPDX-License-Identifier: GPL-2.0-only
"""Integration tests of companion mode (scx_gamer --loader-companion) against a stand-in
scx_loader: the real LoaderBusLink and LoaderCompanion, driven by loader_companion_driver with
synthetic game events, talk over a private bus to a python-dbusmock template
(scx_loader_standin.py) that owns org.scx.Loader and records the calls it gets.

No root needed: the private bus allows everything, and the driver finds it through
DBUS_SYSTEM_BUS_ADDRESS.

    SCXG_LOADER_DRIVER=build/bin/loader_companion_driver \\
        /usr/bin/python3 -m unittest -v test_loader_companion
"""

import json
import os
import subprocess
import unittest

import dbus

from dbus_test_env import PYTHON, TIMEOUT, PrivateBus, read_line, stop_process, wait_until

DRIVER = os.environ.get("SCXG_LOADER_DRIVER", "loader_companion_driver")
STANDIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scx_loader_standin.py")
LOADER_NAME = "org.scx.Loader"
LOADER_PATH = "/org/scx/Loader"
LOADER_INTERFACE = "org.scx.Loader"
MOCK_INTERFACE = "org.freedesktop.DBus.Mock"
GAMING = 1
POWERSAVE = 2


class StandIn:
    """scx_loader_standin.py on `bus`, started with the given template parameters."""

    def __init__(self, bus, **parameters):
        self.log_path = os.path.join(bus.directory, "standin.log")
        self.log = open(self.log_path, "a", encoding="utf-8")
        self.process = subprocess.Popen(
            [PYTHON, "-m", "dbusmock", "--template", STANDIN, "-p", json.dumps(parameters)],
            env=bus.env(DBUS_SYSTEM_BUS_ADDRESS=bus.address), stdout=self.log, stderr=self.log)
        bus.wait_for_name(LOADER_NAME, self.process)
        obj = bus.connection.get_object(LOADER_NAME, LOADER_PATH)
        self.mock = dbus.Interface(obj, MOCK_INTERFACE)
        self.properties = dbus.Interface(obj, "org.freedesktop.DBus.Properties")

    def calls(self, method=None):
        """(method, args) of every call so far, oldest first; only `method`'s when given."""
        out = []
        for _, name, args in self.mock.GetCalls():
            if method is None or str(name) == method:
                out.append((str(name), [unwrap(a) for a in args]))
        return out

    def state(self):
        props = self.properties.GetAll(LOADER_INTERFACE)
        return (str(props["CurrentScheduler"]), int(props["SchedulerMode"]),
                [str(a) for a in props["CurrentSchedulerArgs"]])

    def close(self):
        stop_process(self.process)
        self.log.close()


def unwrap(value):
    if isinstance(value, dbus.String):
        return str(value)
    if isinstance(value, (dbus.UInt32, dbus.Int32)):
        return int(value)
    if isinstance(value, dbus.Array):
        return [unwrap(v) for v in value]
    return value


class Driver:
    """loader_companion_driver: answers each command once the D-Bus calls it caused are done."""

    def __init__(self, bus):
        self.log_path = os.path.join(bus.directory, "driver.log")
        self.log = open(self.log_path, "w", encoding="utf-8")
        # The stand-in is on a session-type bus (no policy to write); the driver looks for
        # scx_loader on the system bus, so point that at it.
        env = bus.env(DBUS_SYSTEM_BUS_ADDRESS=bus.address)
        self.process = subprocess.Popen([DRIVER], env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self.log, text=True)

    def send(self, command):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        reply = read_line(self.process.stdout, what=f"the driver's answer to {command!r}").strip()
        if not reply.startswith("ok"):
            raise AssertionError(f"driver: {command!r} -> {reply!r}\n{self.read_log()}")
        return reply[3:]

    def finish(self):
        """Closes stdin (the driver stops as the daemon would) and returns its exit status."""
        self.process.stdin.close()
        return self.process.wait(timeout=TIMEOUT)

    def read_log(self):
        self.log.flush()
        with open(self.log_path, encoding="utf-8") as log:
            return log.read()

    def close(self):
        stop_process(self.process)
        self.log.close()


class LoaderCompanionTest(unittest.TestCase):

    def setUp(self):
        self.bus = PrivateBus("session")
        self.addCleanup(self.bus.close)

    def start_standin(self, **parameters):
        standin = StandIn(self.bus, **parameters)
        self.addCleanup(standin.close)
        return standin

    def start_driver(self):
        driver = Driver(self.bus)
        self.addCleanup(driver.close)
        return driver

    def test_holds_gaming_mode_while_games_run(self):
        loader = self.start_standin(scheduler="scx_lavd", mode=0)
        driver = self.start_driver()

        self.assertEqual(driver.send("start 100 Game.exe"), "held 1")
        holds = loader.calls("HoldScheduler")
        self.assertEqual(len(holds), 1)
        scheduler, mode, reason, app_id = holds[0][1]
        self.assertEqual((scheduler, mode, app_id), ("scx_lavd", GAMING, "org.cachyos.ScxGamer"))
        self.assertIn("Game.exe", reason)
        self.assertEqual(loader.state(), ("scx_lavd", GAMING, []))

        # A second game runs under the same hold; the first one leaving changes nothing.
        self.assertEqual(driver.send("start 200 Other"), "held 1")
        self.assertEqual(driver.send("exit 100"), "held 1")
        self.assertEqual(len(loader.calls("HoldScheduler")), 1)
        self.assertEqual(loader.calls("ReleaseScheduler"), [])

        self.assertEqual(driver.send("exit 200"), "none")
        self.assertEqual(loader.calls("ReleaseScheduler"), [("ReleaseScheduler", [1])])
        self.assertEqual(loader.state(), ("scx_lavd", 0, []))
        self.assertEqual(loader.calls("SwitchScheduler"), [])

    def test_switches_and_restores_without_holds(self):
        loader = self.start_standin(scheduler="scx_bpfland", mode=POWERSAVE, holds=False)
        driver = self.start_driver()

        self.assertEqual(driver.send("start 100 game"), "switched")
        self.assertEqual(loader.calls("SwitchScheduler"),
                         [("SwitchScheduler", ["scx_bpfland", GAMING])])
        self.assertEqual(driver.send("exit 100"), "none")
        self.assertEqual(loader.calls("SwitchScheduler"),
                         [("SwitchScheduler", ["scx_bpfland", GAMING]),
                          ("SwitchScheduler", ["scx_bpfland", POWERSAVE])])
        self.assertEqual(loader.state(), ("scx_bpfland", POWERSAVE, []))

    def test_restores_custom_arguments(self):
        loader = self.start_standin(scheduler="scx_bpfland", args=["-k", "-c", "0"], holds=False)
        driver = self.start_driver()
        self.assertEqual(driver.send("start 100 game"), "switched")
        self.assertEqual(driver.send("exit 100"), "none")
        self.assertEqual(loader.calls("SwitchSchedulerWithArgs"),
                         [("SwitchSchedulerWithArgs", ["scx_bpfland", ["-k", "-c", "0"]])])
        self.assertEqual(loader.state(), ("scx_bpfland", 0, ["-k", "-c", "0"]))

    def test_leaves_a_loader_changed_during_the_game_alone(self):
        loader = self.start_standin(scheduler="scx_lavd", mode=0, holds=False)
        driver = self.start_driver()
        self.assertEqual(driver.send("start 100 game"), "switched")
        # Someone else (a GUI) picks LowLatency while the game runs.
        dbus.Interface(self.bus.connection.get_object(LOADER_NAME, LOADER_PATH),
                       LOADER_INTERFACE).SwitchScheduler("scx_lavd", dbus.UInt32(3))
        self.assertEqual(driver.send("exit 100"), "none")
        self.assertEqual(loader.state(), ("scx_lavd", 3, []))
        self.assertEqual(len(loader.calls("SwitchScheduler")), 2)  # ours and theirs only

    def test_loader_that_starts_later_is_switched_when_it_appears(self):
        driver = self.start_driver()
        self.assertEqual(driver.send("start 100 game"), "none")
        self.assertEqual(driver.send("start 200 other"), "none")
        log = driver.read_log()
        self.assertEqual(log.count("scx_loader is not running"), 1, log)

        loader = self.start_standin(scheduler="scx_lavd", mode=0)
        self.assertEqual(driver.send("sync"), "held 1")
        self.assertEqual(len(loader.calls("HoldScheduler")), 1)
        self.assertEqual(driver.send("exit 100"), "held 1")
        self.assertEqual(driver.send("exit 200"), "none")
        self.assertEqual(loader.calls("ReleaseScheduler"), [("ReleaseScheduler", [1])])

    def test_loader_restarted_during_a_game_is_asked_again(self):
        first = self.start_standin(scheduler="scx_lavd", mode=0)
        driver = self.start_driver()
        self.assertEqual(driver.send("start 100 game"), "held 1")
        first.close()
        wait_until(lambda: not self.bus.has_owner(LOADER_NAME), what="the stand-in to leave")
        self.assertEqual(driver.send("sync"), "none")

        second = self.start_standin(scheduler="scx_lavd", mode=0)
        self.assertEqual(driver.send("sync"), "held 1")
        self.assertEqual(len(second.calls("HoldScheduler")), 1)
        self.assertEqual(driver.send("exit 100"), "none")
        self.assertEqual(second.calls("ReleaseScheduler"), [("ReleaseScheduler", [1])])

    def test_refused_hold_changes_nothing_and_is_logged(self):
        loader = self.start_standin(scheduler="scx_lavd", mode=0, refuse=["HoldScheduler"])
        driver = self.start_driver()
        self.assertEqual(driver.send("start 100 game"), "none")
        self.assertEqual(loader.calls("SwitchScheduler"), [])
        self.assertEqual(loader.state(), ("scx_lavd", 0, []))
        self.assertEqual(driver.send("exit 100"), "none")
        self.assertEqual(loader.calls("ReleaseScheduler"), [])
        self.assertIn("org.freedesktop.DBus.Error.Failed", driver.read_log())

    def test_nothing_to_do_when_the_loader_runs_no_scheduler(self):
        loader = self.start_standin(scheduler="unknown", mode=0)
        driver = self.start_driver()
        self.assertEqual(driver.send("start 100 game"), "none")
        self.assertEqual(driver.send("exit 100"), "none")
        self.assertEqual([c for c in loader.calls() if c[0] != "GetAll" and c[0] != "Get"], [])

    def test_stopping_while_a_game_runs_releases_the_hold(self):
        loader = self.start_standin(scheduler="scx_lavd", mode=0)
        driver = self.start_driver()
        self.assertEqual(driver.send("start 100 game"), "held 1")
        self.assertEqual(driver.finish(), 0)
        self.assertEqual(loader.calls("ReleaseScheduler"), [("ReleaseScheduler", [1])])
        self.assertEqual(loader.state(), ("scx_lavd", 0, []))

    def test_losing_the_bus_is_reported_and_survived(self):
        # The system bus restarting must not take the daemon down: the link reports the loss
        # (the daemon then connects again) and stopping afterwards fails quietly.
        self.start_standin(scheduler="scx_lavd", mode=0)
        driver = self.start_driver()
        self.assertEqual(driver.send("start 100 game"), "held 1")
        stop_process(self.bus.process)
        self.assertEqual(driver.send("wait-lost"), "lost", driver.read_log())
        self.assertEqual(driver.finish(), 0, driver.read_log())


if __name__ == "__main__":
    unittest.main()

# SPDX-License-Identifier: GPL-2.0-only
"""Integration tests of scx_gamer's D-Bus interface, bus policy, polkit checks and scxgamerctl.

Each test class starts private buses (dbus_test_env.py): the real DbusService runs inside
dbus_fixture_server with a fake controller, polkit and the notification daemon are
python-dbusmock templates. Run as root: non-root clients are made with setpriv, because root is
trusted without polkit.

    SCXG_FIXTURE_SERVER=build/bin/dbus_fixture_server SCXGAMERCTL=build/bin/scxgamerctl \\
        /usr/bin/python3 -m unittest -v test_dbus
"""

import configparser
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

import dbus

from dbus_test_env import (
    ACTION_APPLY_FLAGS, ACTION_DELETE_LEARNED, ACTION_PERSIST, ACTION_REGISTER_GAME,
    ACTION_SET_PROFILE, BUS_NAME,
    CONTROL_NAME,
    INTERFACE, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH, OBJECT_PATH, SCXGAMERCTL, SOURCE_DIR,
    TIMEOUT, Fixture, MockService, PolkitMock, PrivateBus, SignalRecorder, as_nobody, end,
    gdbus_call, parse_json_lines, read_line, run_ctl, sleeper, stop_process, unwrap, wait_until)

INTERFACE_XML = os.path.join(SOURCE_DIR, "dbus", "org.cachyos.ScxGamer.xml")
ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied"
INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"
PERSIST_FAILED = "org.cachyos.ScxGamer.Error.PersistFailed"
PERSIST = {"persist": True}
# What the fake's persist() fails with after FailPersist, like the daemon on a read-only /etc.
READ_ONLY_ETC = ("cannot create a temporary file for /etc/default/scx: "
                 "Read-only file system")
NOT_RUNNING_HINT = "scx_gamer is not running (start it with: systemctl start scx_gamer)"
FAKE_PROFILES = {
    "auto": [],
    "gaming": ["--slice-us", "5000", "--mm-affinity"],
    "lowlatency": ["--slice-us", "1000", "--game-slice-us", "500"],
    "powersave": ["--primary-domain", "powersave"],
}


def error_name(exception):
    return exception.get_dbus_name()


def interface_description(root):
    """Members of org.cachyos.ScxGamer in an introspection document, as comparable values."""
    node = next(i for i in root.iter("interface") if i.get("name") == INTERFACE)

    def emits_changed(element):
        for annotation in element.findall("annotation"):
            if annotation.get("name") == "org.freedesktop.DBus.Property.EmitsChangedSignal":
                return annotation.get("value")
        return "true"

    return {
        "methods": {
            m.get("name"): [(a.get("name"), a.get("type"), a.get("direction", "in"))
                            for a in m.findall("arg")]
            for m in node.findall("method")},
        "signals": {
            s.get("name"): [(a.get("name"), a.get("type")) for a in s.findall("arg")]
            for s in node.findall("signal")},
        "properties": {
            p.get("name"): (p.get("type"), p.get("access"), emits_changed(p))
            for p in node.findall("property")},
    }


class SystemBusTestCase(unittest.TestCase):
    """A private system bus with the project's policy, a polkit mock and the fixture server."""

    with_polkit = True

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            # Only root may own org.cachyos.ScxGamer under the policy, and only root can run
            # clients as another user.
            raise unittest.SkipTest("the D-Bus tests need root")
        cls.bus = PrivateBus("system")
        cls.polkit = PolkitMock(cls.bus) if cls.with_polkit else None
        cls.fixture = Fixture(cls.bus)

    @classmethod
    def tearDownClass(cls):
        # Shown by ctest only when a test failed.
        sys.stderr.write(f"--- fixture log ---\n{cls.fixture.read_log()}")
        cls.fixture.close()
        if cls.polkit:
            cls.polkit.close()
        cls.bus.close()

    def setUp(self):
        # Every test starts from the same state: profile auto, no games, nothing allowed.
        gamer = self.fixture.gamer
        if str(self.fixture.properties.Get(INTERFACE, "Profile")) != "auto":
            gamer.SetProfile("auto")
        for game in gamer.ListGames():
            self.fixture.control.ExitGame(game[0])
        if self.polkit:
            self.polkit.allow()
            self.polkit.mock.ClearCalls()
        self.fixture.control.ClearCalls()

    def restart_polkit(self):
        if self.polkit:
            self.polkit.close()
        type(self).polkit = PolkitMock(self.bus)

    def property(self, name):
        return unwrap(self.fixture.properties.Get(INTERFACE, name))


class DaemonApiTest(SystemBusTestCase):
    """Every method and property, called by root (trusted without polkit)."""

    def test_introspection_matches_the_interface_xml(self):
        live = ET.fromstring(str(self.fixture.object.Introspect(
            dbus_interface="org.freedesktop.DBus.Introspectable")))
        declared = ET.parse(INTERFACE_XML).getroot()
        self.assertEqual(interface_description(live), interface_description(declared))

    def test_busctl_introspect_matches_the_interface_xml(self):
        result = subprocess.run(
            ["busctl", f"--address={self.bus.address}", "introspect", "--no-pager", BUS_NAME,
             OBJECT_PATH, INTERFACE], capture_output=True, text=True, timeout=TIMEOUT, check=True)
        rows = {}
        for line in result.stdout.splitlines():
            if line.startswith("."):
                # NAME TYPE SIGNATURE RESULT/VALUE FLAGS; a value may contain spaces.
                words = line.split()
                name, kind, signature = words[:3]
                rows[name[1:]] = (kind, signature, words[3] if kind == "method" else None,
                                  words[-1])
        declared = interface_description(ET.parse(INTERFACE_XML).getroot())
        expected = {}
        for name, args in declared["methods"].items():
            ins = "".join(t for _, t, d in args if d == "in") or "-"
            outs = "".join(t for _, t, d in args if d == "out") or "-"
            expected[name] = ("method", ins, outs, "-")
        for name, args in declared["signals"].items():
            expected[name] = ("signal", "".join(t for _, t in args) or "-", None, "-")
        for name, (type_, _access, emits) in declared["properties"].items():
            expected[name] = ("property", type_, None, "const" if emits == "const"
                              else "emits-change")
        self.assertEqual(rows, expected)

    def test_get_stats_has_the_documented_keys_and_types(self):
        stats = self.fixture.gamer.GetStats()
        expected = {
            "uptime_s": dbus.UInt64, "scheduler_state": dbus.String, "profile": dbus.String,
            "nr_game_threads": dbus.UInt64, "nr_dispatched": dbus.UInt64,
            "nr_direct_dispatched": dbus.UInt64, "nr_kicks": dbus.UInt64,
            "game_pid": dbus.UInt32, "game_name": dbus.String, "nr_games": dbus.UInt64,
            "game_wakeup_p50_us": dbus.UInt64, "game_wakeup_p99_us": dbus.UInt64,
            "game_wakeup_p999_us": dbus.UInt64,
            "busy_ratio": dbus.Double,  # the fake's double, for the conversion
        }
        for key, type_ in expected.items():
            with self.subTest(key=key):
                self.assertIsInstance(stats[key], type_)
        self.assertEqual(stats["game_pid"], 0)
        self.assertEqual(stats["profile"], "auto")
        self.assertEqual(stats["busy_ratio"], 0.25)

    def test_get_stats_follows_the_current_game(self):
        self.fixture.control.DetectGame(dbus.UInt32(4242), "Game.exe", "/games/Game.exe",
                                        "wine-exe")
        stats = self.fixture.gamer.GetStats()
        self.assertEqual((stats["game_pid"], stats["game_name"]), (4242, "Game.exe"))

    def test_properties(self):
        everything = unwrap(self.fixture.properties.GetAll(INTERFACE))
        self.assertEqual(everything, {
            "Profile": "auto", "Flags": [], "SchedulerState": "enabled",
            "DetectionMethod": "lsm", "Version": self.fixture.version})

    def test_properties_are_read_only(self):
        with self.assertRaises(dbus.DBusException) as raised:
            self.fixture.properties.Set(INTERFACE, "Profile", "gaming")
        self.assertIn(error_name(raised.exception),
                      (ACCESS_DENIED, "org.freedesktop.DBus.Error.PropertyReadOnly"))
        self.assertEqual(self.property("Profile"), "auto")

    def test_list_profiles(self):
        self.assertEqual(unwrap(self.fixture.gamer.ListProfiles()), FAKE_PROFILES)

    def test_set_profile_applies_live(self):
        self.assertEqual(self.fixture.gamer.SetProfile("gaming"), "live")
        self.assertEqual(self.property("Profile"), "gaming")
        self.assertEqual(self.property("Flags"), FAKE_PROFILES["gaming"])
        self.assertEqual(self.fixture.calls(), ["set_profile gaming"])

    def test_set_profile_rejects_an_unknown_profile(self):
        with self.assertRaises(dbus.DBusException) as raised:
            self.fixture.gamer.SetProfile("nope")
        self.assertEqual(error_name(raised.exception), "org.cachyos.ScxGamer.Error.UnknownProfile")
        self.assertIn('"nope"', raised.exception.get_dbus_message())
        self.assertEqual(self.property("Profile"), "auto")

    def test_apply_flags_reports_live_or_reattach(self):
        self.assertEqual(self.fixture.gamer.ApplyFlags(["--slice-us", "5000"]), "live")
        self.assertEqual(self.property("Flags"), ["--slice-us", "5000"])
        self.assertEqual(self.fixture.gamer.ApplyFlags(["--exit-dump-len", "4096"]), "reattach")
        self.assertEqual(self.fixture.calls(),
                         ["apply_flags --slice-us 5000", "apply_flags --exit-dump-len 4096"])

    def test_apply_flags_errors_name_the_flag(self):
        cases = {
            ("--slice-us", "5"): ["--slice-us", "out of range"],
            ("--no-such-flag",): ["unknown flag", "--no-such-flag"],
            ("--slice-us",): ["--slice-us"],
        }
        for flags, fragments in cases.items():
            with self.subTest(flags=flags):
                with self.assertRaises(dbus.DBusException) as raised:
                    self.fixture.gamer.ApplyFlags(list(flags))
                self.assertEqual(error_name(raised.exception),
                                 "org.cachyos.ScxGamer.Error.InvalidFlags")
                for fragment in fragments:
                    self.assertIn(fragment, raised.exception.get_dbus_message())
        self.assertEqual(self.property("Flags"), [])

    def options(self, **values):
        return dbus.Dictionary(values, signature="sv")

    def test_set_profile_with_persist_saves_after_switching(self):
        gamer = self.fixture.gamer
        self.assertEqual(gamer.SetProfileWithOptions("gaming", self.options(persist=True)),
                         "live")
        self.assertEqual(self.property("Profile"), "gaming")
        self.assertEqual(self.fixture.calls(),
                         ["set_profile gaming",
                          "persist profile=gaming --slice-us 5000 --mm-affinity"])

    def test_with_options_without_persist_only_changes(self):
        gamer = self.fixture.gamer
        self.assertEqual(gamer.SetProfileWithOptions("lowlatency", self.options()), "live")
        self.assertEqual(gamer.SetProfileWithOptions("gaming", self.options(persist=False)),
                         "live")
        self.assertEqual(gamer.ApplyFlagsWithOptions(["--exit-dump-len", "4096"],
                                                     self.options(persist=False)), "reattach")
        self.assertEqual(self.fixture.calls(), ["set_profile lowlatency", "set_profile gaming",
                                                "apply_flags --exit-dump-len 4096"])

    def test_apply_flags_with_persist_saves_after_applying(self):
        self.assertEqual(self.fixture.gamer.ApplyFlagsWithOptions(
            ["--slice-us", "5000"], self.options(persist=True)), "live")
        self.assertEqual(self.property("Flags"), ["--slice-us", "5000"])
        self.assertEqual(self.fixture.calls(),
                         ["apply_flags --slice-us 5000", "persist profile= --slice-us 5000"])

    def test_bad_options_are_invalid_args_and_change_nothing(self):
        cases = {
            "unknown option": self.options(persist=True, reboot=True),
            "string for persist": self.options(persist="yes"),
            "integer for persist": self.options(persist=dbus.UInt32(1)),
        }
        for what, options in cases.items():
            for call in (lambda: self.fixture.gamer.SetProfileWithOptions("gaming", options),
                         lambda: self.fixture.gamer.ApplyFlagsWithOptions(["-s", "700"],
                                                                          options)):
                with self.subTest(what=what):
                    with self.assertRaises(dbus.DBusException) as raised:
                        call()
                    self.assertEqual(error_name(raised.exception), INVALID_ARGS)
        self.assertEqual(self.fixture.calls(), [])
        self.assertEqual(self.property("Profile"), "auto")

    def test_invalid_args_messages_say_what_is_wrong(self):
        with self.assertRaises(dbus.DBusException) as raised:
            self.fixture.gamer.SetProfileWithOptions("gaming", self.options(reboot=True))
        self.assertIn('unknown option "reboot" (known: persist)',
                      raised.exception.get_dbus_message())
        with self.assertRaises(dbus.DBusException) as raised:
            self.fixture.gamer.SetProfileWithOptions("gaming", self.options(persist="yes"))
        self.assertIn("persist must be a boolean (b)", raised.exception.get_dbus_message())

    def test_unknown_profile_or_flag_is_not_saved(self):
        with self.assertRaises(dbus.DBusException) as raised:
            self.fixture.gamer.SetProfileWithOptions("nope", self.options(persist=True))
        self.assertEqual(error_name(raised.exception), "org.cachyos.ScxGamer.Error.UnknownProfile")
        with self.assertRaises(dbus.DBusException) as raised:
            self.fixture.gamer.ApplyFlagsWithOptions(["-s", "5"], self.options(persist=True))
        self.assertEqual(error_name(raised.exception), "org.cachyos.ScxGamer.Error.InvalidFlags")
        # Both were refused before the controller (and polkit) were asked: nothing was saved.
        self.assertEqual(self.fixture.calls(), [])

    def test_a_failed_save_says_the_change_was_applied_but_not_saved(self):
        self.fixture.control.FailPersist(READ_ONLY_ETC)
        self.addCleanup(self.fixture.control.FailPersist, "")
        with self.assertRaises(dbus.DBusException) as raised:
            self.fixture.gamer.SetProfileWithOptions("gaming", self.options(persist=True))
        self.assertEqual(error_name(raised.exception), PERSIST_FAILED)
        message = raised.exception.get_dbus_message()
        self.assertIn("applied to the running scheduler but not saved", message)
        self.assertIn(READ_ONLY_ETC, message)
        self.assertEqual(self.property("Profile"), "gaming")
        with self.assertRaises(dbus.DBusException) as raised:
            self.fixture.gamer.ApplyFlagsWithOptions(["-s", "700"], self.options(persist=True))
        self.assertEqual(error_name(raised.exception), PERSIST_FAILED)
        self.assertEqual(self.property("Flags"), ["--slice-us", "700"])
        self.assertEqual(self.fixture.calls(), ["set_profile gaming", "persist failed",
                                                "apply_flags -s 700", "persist failed"])

    def test_list_games(self):
        self.fixture.control.DetectGame(dbus.UInt32(4242), "Game.exe", "/games/Game.exe",
                                        "steam-app-id")
        games = unwrap(self.fixture.gamer.ListGames())
        self.assertEqual(len(games), 1)
        pid, name, exe, reason, detected_at_us = games[0]
        self.assertEqual((pid, name, exe, reason), (4242, "Game.exe", "/games/Game.exe",
                                                    "steam-app-id"))
        self.assertGreater(detected_at_us, 0)

    def test_register_and_unregister_game(self):
        game = sleeper()
        self.addCleanup(end, game)
        self.fixture.gamer.RegisterGame(dbus.UInt32(game.pid))
        games = {g[0]: g for g in unwrap(self.fixture.gamer.ListGames())}
        self.assertEqual(games[game.pid][1], "sleep")
        self.assertEqual(games[game.pid][3], "registered")
        self.fixture.gamer.UnregisterGame(dbus.UInt32(game.pid))
        self.assertEqual(unwrap(self.fixture.gamer.ListGames()), [])
        with self.assertRaises(dbus.DBusException) as raised:
            self.fixture.gamer.UnregisterGame(dbus.UInt32(game.pid))
        self.assertEqual(error_name(raised.exception), "org.cachyos.ScxGamer.Error.NotRegistered")

    def test_learned_profiles(self):
        (listed,) = unwrap(self.fixture.gamer.ListLearnedProfiles())
        self.assertEqual(listed["key"], "steam-620")
        self.assertEqual(listed["game"], "portal2_linux")
        self.assertEqual(listed["flags"], ["--slice-us", "4000", "--mm-affinity"])
        self.assertEqual(listed["before_flags"], ["--slice-us", "2000"])
        self.assertEqual((listed["objective_before_us"], listed["objective_after_us"]),
                         (812.5, 420.1))
        self.assertEqual((listed["trials"], listed["windows"]), (14, 120))
        self.assertEqual((listed["source"], listed["single_config"], listed["applied"]),
                         ("autotune", False, False))
        self.assertEqual(unwrap(self.fixture.gamer.GetLearnedProfile("steam-620")), listed)
        self.assertIn('key = "steam-620"', self.fixture.gamer.ExportLearnedProfile("steam-620"))
        for method in ("GetLearnedProfile", "ExportLearnedProfile", "DeleteLearnedProfile"):
            with self.subTest(method=method):
                with self.assertRaises(dbus.DBusException) as raised:
                    getattr(self.fixture.gamer, method)("steam-1")
                self.assertEqual(error_name(raised.exception),
                                 "org.cachyos.ScxGamer.Error.UnknownLearnedProfile")
        self.fixture.control.ClearCalls()
        self.fixture.gamer.DeleteLearnedProfile("steam-620")
        self.assertEqual(self.fixture.calls(), ["delete_learned_profile steam-620"])

    def test_register_game_for_a_missing_process_fails(self):
        with self.assertRaises(dbus.DBusException) as raised:
            self.fixture.gamer.RegisterGame(dbus.UInt32(0x7ffffff0))
        self.assertEqual(error_name(raised.exception), "org.cachyos.ScxGamer.Error.Failed")
        self.assertIn("no process", raised.exception.get_dbus_message())


class BusPolicyTest(SystemBusTestCase):
    """dbus/org.cachyos.ScxGamer.conf under a deny-by-default system bus."""

    def call_as_nobody(self, destination, path, method, *args):
        argv = as_nobody(["gdbus", "call", "--address", self.bus.address, "--dest", destination,
                          "--object-path", path, "--method", method, "--", *args])
        result = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT)
        return result.returncode == 0, result.stdout + result.stderr

    def test_nobody_may_read(self):
        calls = [
            (f"{INTERFACE}.GetStats",),
            (f"{INTERFACE}.ListProfiles",),
            (f"{INTERFACE}.ListGames",),
            (f"{INTERFACE}.ListLearnedProfiles",),
            (f"{INTERFACE}.GetLearnedProfile", "steam-620"),
            (f"{INTERFACE}.ExportLearnedProfile", "steam-620"),
            ("org.freedesktop.DBus.Introspectable.Introspect",),
            ("org.freedesktop.DBus.Peer.Ping",),
            ("org.freedesktop.DBus.Properties.Get", INTERFACE, "Version"),
            ("org.freedesktop.DBus.Properties.GetAll", INTERFACE),
        ]
        for method, *args in calls:
            with self.subTest(method=method):
                ok, output = self.call_as_nobody(BUS_NAME, OBJECT_PATH, method, *args)
                self.assertTrue(ok, output)
        self.assertEqual(self.polkit.checks(), [])

    def test_nobody_may_not_set_properties_or_call_unlisted_members(self):
        calls = [
            ("org.freedesktop.DBus.Properties.Set", INTERFACE, "Profile", "<'gaming'>"),
            (f"{INTERFACE}.NoSuchMethod",),
            ("org.cachyos.ScxGamer.Other.Method",),
        ]
        for method, *args in calls:
            with self.subTest(method=method):
                ok, output = self.call_as_nobody(BUS_NAME, OBJECT_PATH, method, *args)
                self.assertFalse(ok)
                self.assertIn(ACCESS_DENIED, output)
        self.assertEqual(self.property("Profile"), "auto")

    def test_nobody_may_not_own_the_name(self):
        ok, output = self.call_as_nobody(
            "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.RequestName",
            BUS_NAME, "0")
        self.assertFalse(ok)
        self.assertIn(ACCESS_DENIED, output)

    def test_privileged_methods_reach_the_daemon_for_polkit_to_judge(self):
        # The bus lets the call through; the daemon's polkit check refuses it.
        ok, output = gdbus_call(self.bus, "SetProfile", "gaming", nobody=True)
        self.assertFalse(ok)
        self.assertTrue(output.startswith(ACCESS_DENIED), output)
        self.assertEqual([c["action"] for c in self.polkit.checks()], [ACTION_SET_PROFILE])


class PolkitTest(SystemBusTestCase):
    """Callers other than root: every privileged method asks polkit, asynchronously."""

    def registered_pid(self):
        game = sleeper()
        self.addCleanup(end, game)
        self.fixture.gamer.RegisterGame(dbus.UInt32(game.pid))  # root: no polkit
        self.polkit.mock.ClearCalls()
        self.fixture.control.ClearCalls()
        return game.pid

    def cases(self):
        """(method, gdbus args, action, details, expected controller call prefix)."""
        game = sleeper()
        self.addCleanup(end, game)
        return [
            ("SetProfile", ["gaming"], ACTION_SET_PROFILE, {"profile": "gaming"},
             "set_profile gaming"),
            ("ApplyFlags", ["['--slice-us', '5000']"], ACTION_APPLY_FLAGS,
             {"flags": "--slice-us 5000"}, "apply_flags --slice-us 5000"),
            ("RegisterGame", [str(game.pid)], ACTION_REGISTER_GAME, {"pid": str(game.pid)},
             f"register_game {game.pid} :"),
            ("DeleteLearnedProfile", ["steam-620"], ACTION_DELETE_LEARNED, {"key": "steam-620"},
             "delete_learned_profile steam-620"),
        ]

    def test_arguments_that_would_fail_never_reach_polkit(self):
        """A call that would fail anyway prompts nobody: refused before polkit is asked."""
        self.polkit.allow()
        cases = [
            ("SetProfile", ["nope"], "org.cachyos.ScxGamer.Error.UnknownProfile"),
            ("SetProfile", ["x" * 100000], "org.cachyos.ScxGamer.Error.UnknownProfile"),
            ("ApplyFlags", ["['--no-such-flag']"], "org.cachyos.ScxGamer.Error.InvalidFlags"),
            ("ApplyFlags", ["[" + ", ".join(["'-v'"] * 65) + "]"],
             "org.cachyos.ScxGamer.Error.InvalidFlags: 65 arguments (at most 64)"),
            ("ApplyFlags", ["['--slice-us', '" + "1" * 5000 + "']"],
             "org.cachyos.ScxGamer.Error.InvalidFlags: an argument of 5000 bytes"),
            ("RegisterGame", ["0"], "org.cachyos.ScxGamer.Error.Failed"),
            ("RegisterGame", ["4194304"], "org.cachyos.ScxGamer.Error.Failed"),
            ("DeleteLearnedProfile", ["../../etc/passwd"],
             "org.cachyos.ScxGamer.Error.UnknownLearnedProfile"),
        ]
        for method, args, error in cases:
            with self.subTest(method=method, args=args[0][:40]):
                self.polkit.mock.ClearCalls()
                ok, output = gdbus_call(self.bus, method, *args, nobody=True, interactive=True)
                self.assertFalse(ok, output)
                self.assertIn(error, output)
                self.assertEqual(self.polkit.checks(), [])
        self.assertEqual(self.fixture.calls(), [])

    def test_allowed_actions_reach_the_controller(self):
        for method, args, action, details, call in self.cases():
            with self.subTest(method=method):
                self.polkit.allow(action)
                self.polkit.mock.ClearCalls()
                self.fixture.control.ClearCalls()
                ok, output = gdbus_call(self.bus, method, *args, nobody=True)
                self.assertTrue(ok, output)
                # gdbus has left by now, which may already have dropped its registration.
                calls = [c for c in self.fixture.calls() if not c.startswith("client_vanished")]
                self.assertEqual(len(calls), 1, calls)
                self.assertTrue(calls[0].startswith(call), calls)
                (check,) = self.polkit.checks()
                self.assertEqual(check["action"], action)
                self.assertEqual(check["subject_kind"], "system-bus-name")
                self.assertTrue(check["subject"]["name"].startswith(":"), check)
                self.assertEqual(check["details"], details)

    def test_denied_actions_never_reach_the_controller(self):
        for method, args, action, _details, _call in self.cases():
            with self.subTest(method=method):
                self.polkit.allow()  # nothing
                self.polkit.mock.ClearCalls()
                ok, output = gdbus_call(self.bus, method, *args, nobody=True)
                self.assertFalse(ok)
                self.assertTrue(output.startswith(ACCESS_DENIED), output)
                self.assertEqual([c["action"] for c in self.polkit.checks()], [action])
                self.assertEqual(self.fixture.calls(), [])

    def test_unregister_game_needs_the_register_game_action(self):
        pid = self.registered_pid()
        ok, output = gdbus_call(self.bus, "UnregisterGame", str(pid), nobody=True)
        self.assertFalse(ok)
        self.assertTrue(output.startswith(ACCESS_DENIED), output)
        self.assertEqual(self.fixture.calls(), [])
        self.polkit.allow(ACTION_REGISTER_GAME)
        ok, output = gdbus_call(self.bus, "UnregisterGame", str(pid), nobody=True)
        self.assertTrue(ok, output)
        self.assertEqual(self.fixture.calls(), [f"unregister_game {pid}"])

    def test_other_actions_do_not_grant_each_other(self):
        self.polkit.allow(ACTION_SET_PROFILE, ACTION_REGISTER_GAME)
        ok, output = gdbus_call(self.bus, "ApplyFlags", "['--slice-us', '5000']", nobody=True)
        self.assertFalse(ok)
        self.assertTrue(output.startswith(ACCESS_DENIED), output)
        self.assertEqual(self.fixture.calls(), [])

    def persist_cases(self):
        """(method, gdbus args, details, expected controller calls) with persist=true."""
        return [
            ("SetProfileWithOptions", ["gaming", "{'persist': <true>}"],
             {"profile": "gaming", "persist": "true"},
             ["set_profile gaming", "persist profile=gaming --slice-us 5000 --mm-affinity"]),
            ("ApplyFlagsWithOptions", ["['--slice-us', '5000']", "{'persist': <true>}"],
             {"flags": "--slice-us 5000", "persist": "true"},
             ["apply_flags --slice-us 5000", "persist profile= --slice-us 5000"]),
        ]

    def test_persisting_needs_the_persist_action(self):
        for method, args, details, calls in self.persist_cases():
            with self.subTest(method=method, allowed=True):
                self.polkit.allow(ACTION_PERSIST)
                self.polkit.mock.ClearCalls()
                self.fixture.control.ClearCalls()
                ok, output = gdbus_call(self.bus, method, *args, nobody=True)
                self.assertTrue(ok, output)
                self.assertEqual(self.fixture.calls(), calls)
                (check,) = self.polkit.checks()
                self.assertEqual(check["action"], ACTION_PERSIST)
                self.assertEqual(check["details"], details)

    def test_the_change_actions_do_not_grant_persisting(self):
        for method, args, _details, _calls in self.persist_cases():
            with self.subTest(method=method):
                self.polkit.allow(ACTION_SET_PROFILE, ACTION_APPLY_FLAGS)
                self.polkit.mock.ClearCalls()
                ok, output = gdbus_call(self.bus, method, *args, nobody=True)
                self.assertFalse(ok)
                self.assertTrue(output.startswith(ACCESS_DENIED), output)
                self.assertEqual([c["action"] for c in self.polkit.checks()], [ACTION_PERSIST])
                self.assertEqual(self.fixture.calls(), [])

    def test_with_options_without_persist_needs_the_plain_action(self):
        cases = [("SetProfileWithOptions", ["gaming", "{'persist': <false>}"],
                  ACTION_SET_PROFILE),
                 ("ApplyFlagsWithOptions", ["['--slice-us', '5000']", "@a{sv} {}"],
                  ACTION_APPLY_FLAGS)]
        for method, args, action in cases:
            with self.subTest(method=method):
                self.polkit.allow(action)
                self.polkit.mock.ClearCalls()
                self.fixture.control.ClearCalls()
                ok, output = gdbus_call(self.bus, method, *args, nobody=True)
                self.assertTrue(ok, output)
                self.assertEqual([c["action"] for c in self.polkit.checks()], [action])
                self.assertEqual(len(self.fixture.calls()), 1, self.fixture.calls())

    def test_invalid_options_are_refused_before_polkit_is_asked(self):
        self.polkit.allow(ACTION_PERSIST, ACTION_SET_PROFILE)
        for options in ("{'persist': <'yes'>}", "{'bogus': <true>}"):
            with self.subTest(options=options):
                ok, output = gdbus_call(self.bus, "SetProfileWithOptions", "gaming", options,
                                        nobody=True)
                self.assertFalse(ok)
                self.assertTrue(output.startswith(INVALID_ARGS), output)
        self.assertEqual(self.polkit.checks(), [])
        self.assertEqual(self.fixture.calls(), [])

    def test_polkit_unreachable_means_access_denied(self):
        self.polkit.close()
        self.addCleanup(self.restart_polkit)
        wait_until(lambda: not self.bus.has_owner("org.freedesktop.PolicyKit1"),
                   what="polkit to leave the bus")
        ok, output = gdbus_call(self.bus, "SetProfile", "gaming", nobody=True)
        self.assertFalse(ok)
        self.assertTrue(output.startswith(ACCESS_DENIED), output)
        self.assertIn("polkit", output)
        self.assertEqual(self.fixture.calls(), [])

    def test_root_is_trusted_without_asking_polkit(self):
        gamer = self.fixture.gamer
        self.assertEqual(gamer.SetProfile("gaming"), "live")
        self.assertEqual(gamer.ApplyFlags(["--slice-us", "5000"]), "live")
        self.registered_pid()
        self.assertEqual(self.polkit.checks(), [])
        # Even with no polkit at all.
        self.polkit.close()
        self.addCleanup(self.restart_polkit)
        self.assertEqual(gamer.SetProfile("lowlatency"), "live")
        ok, output = gdbus_call(self.bus, "SetProfile", "gaming")  # root, separate process
        self.assertTrue(ok, output)

    def test_the_interactive_flag_is_passed_on(self):
        self.polkit.allow(ACTION_SET_PROFILE)
        ok, output = gdbus_call(self.bus, "SetProfile", "gaming", nobody=True, interactive=True)
        self.assertTrue(ok, output)
        ok, output = gdbus_call(self.bus, "SetProfile", "auto", nobody=True, interactive=False)
        self.assertTrue(ok, output)
        self.assertEqual([c["flags"] for c in self.polkit.checks()], [1, 0])

    def test_a_challenge_without_interaction_asks_for_it(self):
        self.polkit.answer_with_challenge()
        self.addCleanup(self.restart_polkit)
        ok, output = gdbus_call(self.bus, "SetProfile", "gaming", nobody=True)
        self.assertFalse(ok)
        self.assertTrue(output.startswith(
            "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"), output)
        self.assertEqual(self.fixture.calls(), [])

    def test_calls_waiting_for_polkit_are_bounded_per_caller(self):
        """One caller parks at most 4 checks with polkit: more are refused at once."""
        self.polkit.mock.AddMethod(
            "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization", "(sa{sv})sa{ss}us",
            "(bba{ss})", "import time; time.sleep(1); ret = (False, False, {})")
        self.addCleanup(self.restart_polkit)
        script = """
import sys, dbus, dbus.mainloop.glib
from gi.repository import GLib
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.bus.BusConnection(sys.argv[1])
gamer = dbus.Interface(bus.get_object("org.cachyos.ScxGamer", "/org/cachyos/ScxGamer"),
                       "org.cachyos.ScxGamer")
loop, results = GLib.MainLoop(), []
def done(outcome):
    results.append(outcome)
    if len(results) == 6:
        loop.quit()
for _ in range(6):
    gamer.SetProfile("gaming", reply_handler=lambda *a: done("ok"), timeout=60,
                     error_handler=lambda e: done(e.get_dbus_name()))
GLib.timeout_add_seconds(50, loop.quit)
loop.run()
print(" ".join(results))
"""
        result = subprocess.run(as_nobody([sys.executable, "-c", script, self.bus.address]),
                                capture_output=True, text=True, timeout=TIMEOUT * 4,
                                env=self.bus.env())
        self.assertEqual(result.returncode, 0, result.stderr)
        outcomes = result.stdout.split()
        # The two over the limit are answered first, without waiting for polkit.
        self.assertEqual(outcomes[:2], ["org.freedesktop.DBus.Error.LimitsExceeded"] * 2, outcomes)
        self.assertEqual(outcomes[2:], ["org.freedesktop.DBus.Error.AccessDenied"] * 4, outcomes)
        self.assertEqual(len(self.polkit.checks()), 4)
        # Once answered, the caller's slots are free again.
        ok, output = gdbus_call(self.bus, "SetProfile", "gaming", nobody=True)
        self.assertTrue(output.startswith("org.freedesktop.DBus.Error.AccessDenied"), output)

    def test_a_challenge_despite_interaction_is_a_refusal(self):
        # polkit answers so when no authentication agent could ask the caller (real polkitd
        # with none in the session does, see tests/vm/test-dbus-security.sh): asking the
        # caller to allow interaction, which it did, would be wrong.
        self.polkit.answer_with_challenge()
        self.addCleanup(self.restart_polkit)
        ok, output = gdbus_call(self.bus, "SetProfile", "gaming", nobody=True, interactive=True)
        self.assertFalse(ok)
        self.assertTrue(output.startswith("org.freedesktop.DBus.Error.AccessDenied"), output)
        self.assertIn("no authentication agent", output)
        self.assertEqual(self.fixture.calls(), [])

    def test_a_pending_check_does_not_block_the_daemon(self):
        self.polkit.allow(ACTION_SET_PROFILE)
        self.polkit.mock.SimulateHangActions([ACTION_SET_PROFILE])
        self.addCleanup(self.polkit.mock.SimulateHangActions, dbus.Array([], signature="s"))
        waiting = subprocess.Popen(
            as_nobody(["gdbus", "call", "--address", self.bus.address, "--dest", BUS_NAME,
                       "--object-path", OBJECT_PATH, "--method", f"{INTERFACE}.SetProfile",
                       "--timeout", str(int(TIMEOUT)), "gaming"]),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(stop_process, waiting)
        wait_until(lambda: bool(self.polkit.mock.HaveHangingCalls()), what="the polkit check")
        # While polkit has not answered, the daemon serves everyone else.
        self.assertEqual(self.fixture.gamer.GetStats()["profile"], "auto")
        self.assertEqual(self.fixture.gamer.SetProfile("lowlatency"), "live")
        self.assertEqual(self.fixture.calls(), ["set_profile lowlatency"])
        self.polkit.mock.ReleaseHangingCalls()
        out, err = waiting.communicate(timeout=TIMEOUT)
        self.assertEqual(waiting.returncode, 0, err)
        self.assertEqual(self.fixture.calls(), ["set_profile lowlatency", "set_profile gaming"])


class RegistrationTest(SystemBusTestCase):
    """A registration belongs to the client that made it and ends when it leaves the bus."""

    def vanished_owners(self):
        return [c.split()[1] for c in self.fixture.calls() if c.startswith("client_vanished ")]

    def registering_owner(self, pid):
        for call in self.fixture.calls():
            words = call.split()
            if words[0] == "register_game" and words[1] == str(pid):
                return words[2]
        return None

    def listed_pids(self):
        return [g[0] for g in unwrap(self.fixture.gamer.ListGames())]

    def test_registration_is_dropped_when_a_short_lived_client_exits(self):
        recorder = SignalRecorder(self.bus.connection)
        self.addCleanup(recorder.close)
        game = sleeper()
        self.addCleanup(end, game)
        ok, output = gdbus_call(self.bus, "RegisterGame", str(game.pid))  # gdbus exits at once
        self.assertTrue(ok, output)
        owner = self.registering_owner(game.pid)
        wait_until(lambda: owner in self.vanished_owners(), what="the client to be noticed gone")
        self.assertNotIn(game.pid, self.listed_pids())
        recorder.wait_for(lambda e: e[0] == "GameExited" and e[1] == game.pid, "GameExited")

    def test_registration_lasts_while_the_client_is_connected(self):
        client = dbus.bus.BusConnection(self.bus.address)
        gamer = dbus.Interface(client.get_object(BUS_NAME, OBJECT_PATH), INTERFACE)
        game = sleeper()
        self.addCleanup(end, game)
        gamer.RegisterGame(dbus.UInt32(game.pid))
        owner = str(client.get_unique_name())
        self.assertEqual(self.registering_owner(game.pid), owner)
        # A round trip through the daemon after the registration: still there.
        gamer.GetStats()
        self.assertIn(game.pid, self.listed_pids())
        self.assertEqual(self.vanished_owners(), [])
        client.close()
        wait_until(lambda: owner in self.vanished_owners(), what="the client to be noticed gone")
        self.assertNotIn(game.pid, self.listed_pids())

    def test_a_client_only_takes_its_own_registrations_along(self):
        first = dbus.bus.BusConnection(self.bus.address)
        second = dbus.bus.BusConnection(self.bus.address)
        self.addCleanup(second.close)
        games = [sleeper(), sleeper()]
        for game in games:
            self.addCleanup(end, game)
        for connection, game in zip((first, second), games):
            dbus.Interface(connection.get_object(BUS_NAME, OBJECT_PATH),
                           INTERFACE).RegisterGame(dbus.UInt32(game.pid))
        owner = str(first.get_unique_name())
        first.close()
        wait_until(lambda: owner in self.vanished_owners(), what="the first client gone")
        self.assertEqual(self.listed_pids(), [games[1].pid])

    def test_a_client_gone_before_polkit_answered_loses_the_registration(self):
        # The client leaves while its check is pending, so it is gone before the daemon starts
        # watching it: the daemon must notice that too.
        self.polkit.allow(ACTION_REGISTER_GAME)
        self.polkit.mock.SimulateHangActions([ACTION_REGISTER_GAME])
        self.addCleanup(self.polkit.mock.SimulateHangActions, dbus.Array([], signature="s"))
        game = sleeper()
        self.addCleanup(end, game)
        client = subprocess.Popen(
            as_nobody(["gdbus", "call", "--address", self.bus.address, "--dest", BUS_NAME,
                       "--object-path", OBJECT_PATH, "--method", f"{INTERFACE}.RegisterGame",
                       "--timeout", str(int(TIMEOUT)), str(game.pid)]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: bool(self.polkit.mock.HaveHangingCalls()), what="the polkit check")
        (check,) = self.polkit.checks()
        owner = check["subject"]["name"]
        client.kill()
        client.wait()
        wait_until(lambda: not self.bus.has_owner(owner), what="the client to leave the bus")
        self.polkit.mock.ReleaseHangingCalls()
        wait_until(lambda: owner in self.vanished_owners(), what="the departed client noticed")
        self.assertEqual(self.registering_owner(game.pid), owner)
        self.assertNotIn(game.pid, self.listed_pids())

    def test_registration_by_an_authorized_user_is_dropped_too(self):
        self.polkit.allow(ACTION_REGISTER_GAME)
        game = sleeper()
        self.addCleanup(end, game)
        ok, output = gdbus_call(self.bus, "RegisterGame", str(game.pid), nobody=True)
        self.assertTrue(ok, output)
        owner = self.registering_owner(game.pid)
        wait_until(lambda: owner in self.vanished_owners(), what="the client to be noticed gone")
        self.assertNotIn(game.pid, self.listed_pids())


class SignalsTest(SystemBusTestCase):
    """Signals as a plain subscriber sees them."""

    def setUp(self):
        super().setUp()
        self.recorder = SignalRecorder(self.bus.connection)
        self.addCleanup(self.recorder.close)

    def test_game_detected_and_exited(self):
        self.fixture.control.DetectGame(dbus.UInt32(777), "Hades.exe", "/games/Hades.exe",
                                        "steam-app-id")
        detected = self.recorder.wait_for(lambda e: e[0] == "GameDetected", "GameDetected")
        self.assertEqual(detected, ("GameDetected", 777, "Hades.exe", "/games/Hades.exe",
                                    "steam-app-id"))
        self.fixture.control.ExitGame(dbus.UInt32(777))
        exited = self.recorder.wait_for(lambda e: e[0] == "GameExited", "GameExited")
        self.assertEqual(exited, ("GameExited", 777, "Hades.exe"))

    def test_registration_is_announced(self):
        game = sleeper()
        self.addCleanup(end, game)
        self.fixture.gamer.RegisterGame(dbus.UInt32(game.pid))
        detected = self.recorder.wait_for(
            lambda e: e[0] == "GameDetected" and e[1] == game.pid, "GameDetected")
        self.assertEqual(detected[2], "sleep")
        self.assertEqual(detected[4], "registered")

    def test_properties_changed_on_profile_change(self):
        self.fixture.gamer.SetProfile("gaming")
        event = self.recorder.wait_for(lambda e: e[0] == "PropertiesChanged", "PropertiesChanged")
        self.assertEqual(event[1], INTERFACE)
        self.assertEqual(event[2], {"Profile": "gaming", "Flags": FAKE_PROFILES["gaming"]})

    def test_properties_changed_for_state_and_detection(self):
        self.fixture.control.SetSchedulerState("disabling")
        self.addCleanup(self.fixture.control.SetSchedulerState, "enabled")
        self.recorder.wait_for(
            lambda e: e[0] == "PropertiesChanged" and e[2] == {"SchedulerState": "disabling"},
            "SchedulerState change")
        self.fixture.control.SetDetectionMethod("tracepoint")
        self.addCleanup(self.fixture.control.SetDetectionMethod, "lsm")
        self.recorder.wait_for(
            lambda e: e[0] == "PropertiesChanged" and e[2] == {"DetectionMethod": "tracepoint"},
            "DetectionMethod change")

    def test_unknown_property_names_from_the_daemon_are_skipped(self):
        # The fake reports "ThisProperty" next to Profile and Flags after ApplyFlags.
        self.fixture.gamer.ApplyFlags(["--slice-us", "5000"])
        event = self.recorder.wait_for(lambda e: e[0] == "PropertiesChanged", "PropertiesChanged")
        self.assertEqual(event[2], {"Profile": "", "Flags": ["--slice-us", "5000"]})


class CliTest(SystemBusTestCase):
    """scxgamerctl against the fixture: output, --json, exit codes."""

    def assert_one_line_error(self, result):
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertNotIn("terminate called", result.stderr)
        return lines[0]

    def test_status(self):
        result = run_ctl(["status"], self.bus)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"scx_gamer {self.fixture.version}", result.stdout)
        self.assertRegex(result.stdout, r"Profile:\s+auto")
        self.assertRegex(result.stdout, r"Game:\s+none")

    def test_status_json(self):
        self.fixture.control.DetectGame(dbus.UInt32(4242), "Game.exe", "/games/Game.exe",
                                        "wine-exe")
        for args in (["--json", "status"], ["status", "--json"]):
            with self.subTest(args=args):
                result = run_ctl(args, self.bus)
                self.assertEqual(result.returncode, 0, result.stderr)
                status = json.loads(result.stdout)
                self.assertEqual(status["version"], self.fixture.version)
                self.assertEqual(status["profile"], "auto")
                self.assertEqual(status["flags"], [])
                self.assertEqual(status["scheduler_state"], "enabled")
                self.assertEqual(status["detection_method"], "lsm")
                self.assertEqual(status["game"]["pid"], 4242)
                self.assertEqual(status["game"]["name"], "Game.exe")
                self.assertEqual(status["stats"]["nr_kicks"], 789)
                self.assertEqual(status["stats"]["game_wakeup_p99_us"], 410)

    def test_profiles_games_and_stats_json(self):
        self.fixture.gamer.SetProfile("gaming")
        self.fixture.control.DetectGame(dbus.UInt32(31), "A.exe", "/a/A.exe", "rule:a")
        profiles = json.loads(run_ctl(["--json", "profiles"], self.bus).stdout)
        self.assertEqual(profiles, {"active": "gaming", "profiles": FAKE_PROFILES})
        games = json.loads(run_ctl(["--json", "games"], self.bus).stdout)
        self.assertEqual([(g["pid"], g["name"], g["exe"], g["reason"]) for g in games],
                         [(31, "A.exe", "/a/A.exe", "rule:a")])
        self.assertGreater(games[0]["detected_at_us"], 0)
        stats = json.loads(run_ctl(["--json", "stats"], self.bus).stdout)
        self.assertEqual(stats["game_pid"], 31)
        self.assertEqual(stats["busy_ratio"], 0.25)

    def test_learned(self):
        listed = json.loads(run_ctl(["--json", "learned", "list"], self.bus).stdout)
        self.assertEqual([p["key"] for p in listed], ["steam-620"])
        self.assertEqual(listed[0]["flags"], ["--slice-us", "4000", "--mm-affinity"])
        shown = run_ctl(["learned", "show", "steam-620", "--json"], self.bus)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertEqual(json.loads(shown.stdout), listed[0])
        human = run_ctl(["learned", "show", "steam-620"], self.bus)
        self.assertRegex(human.stdout, r"Flags:\s+--slice-us 4000 --mm-affinity")
        self.assertRegex(human.stdout, r"Objective:\s+812\.5 -> 420\.1")
        table = run_ctl(["learned", "list"], self.bus)
        self.assertRegex(table.stdout, r"^  steam-620\s+812\.5 ->\s+420\.1\s+--slice-us 4000")
        exported = run_ctl(["learned", "export", "steam-620"], self.bus)
        self.assertEqual(exported.stdout, 'key = "steam-620"\n')
        self.fixture.control.ClearCalls()
        deleted = run_ctl(["learned", "delete", "steam-620"], self.bus)
        self.assertEqual(deleted.returncode, 0, deleted.stderr)
        self.assertIn("steam-620 deleted", deleted.stdout)
        self.assertEqual(self.fixture.calls(), ["delete_learned_profile steam-620"])
        missing = run_ctl(["learned", "show", "steam-1"], self.bus)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("no learned profile", self.assert_one_line_error(missing))
        self.assertEqual(run_ctl(["learned", "show"], self.bus).returncode, 2)
        self.assertEqual(run_ctl(["learned"], self.bus).returncode, 2)

    def test_human_listings(self):
        self.fixture.gamer.SetProfile("gaming")
        result = run_ctl(["profiles"], self.bus)
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stdout, r"\* gaming\s+--slice-us 5000 --mm-affinity")
        self.assertEqual(run_ctl(["games"], self.bus).stdout.strip(), "No games running.")
        self.assertRegex(run_ctl(["stats"], self.bus).stdout, r"nr_kicks\s+789")

    def test_set_profile(self):
        result = run_ctl(["set-profile", "gaming"], self.bus)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("gaming", result.stdout)
        self.assertEqual(self.property("Profile"), "gaming")
        result = run_ctl(["--json", "set-profile", "auto"], self.bus)
        self.assertEqual(json.loads(result.stdout),
                         {"profile": "auto", "mode": "live", "persisted": False})
        self.assertEqual(self.fixture.calls(), ["set_profile gaming", "set_profile auto"])

    def test_set_profile_persist(self):
        result = run_ctl(["set-profile", "gaming", "--persist"], self.bus)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(),
                         "Profile set to gaming (applied live) and saved for the next start.")
        result = run_ctl(["--json", "set-profile", "--persist", "lowlatency"], self.bus)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout),
                         {"profile": "lowlatency", "mode": "live", "persisted": True})
        self.assertEqual(self.fixture.calls(), [
            "set_profile gaming", "persist profile=gaming --slice-us 5000 --mm-affinity",
            "set_profile lowlatency",
            "persist profile=lowlatency --slice-us 1000 --game-slice-us 500"])

    def test_apply_flags_persist(self):
        for args in (["apply-flags", "--persist", "--", "--slice-us", "5000"],
                     ["apply-flags", "--persist", "--slice-us", "5000"]):
            with self.subTest(args=args):
                self.fixture.control.ClearCalls()
                result = run_ctl(args, self.bus)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertIn("applied live) and saved for the next start", result.stdout)
                self.assertEqual(self.fixture.calls(), ["apply_flags --slice-us 5000",
                                                        "persist profile= --slice-us 5000"])
        result = run_ctl(["--json", "apply-flags", "--persist", "-s", "700"], self.bus)
        self.assertEqual(json.loads(result.stdout),
                         {"mode": "live", "flags": ["--slice-us", "700"], "persisted": True})

    def test_persist_after_the_separator_is_a_scheduler_flag(self):
        result = run_ctl(["apply-flags", "--", "--persist"], self.bus)
        self.assertEqual(result.returncode, 1)
        # Refused as an unknown scheduler flag, before polkit and the controller are asked.
        self.assertIn('unknown flag "--persist"', self.assert_one_line_error(result))
        self.assertEqual(self.fixture.calls(), [])

    def test_persist_failures_exit_1_with_one_line(self):
        self.fixture.control.FailPersist(READ_ONLY_ETC)
        self.addCleanup(self.fixture.control.FailPersist, "")
        result = run_ctl(["set-profile", "gaming", "--persist"], self.bus)
        self.assertEqual(result.returncode, 1)
        line = self.assert_one_line_error(result)
        self.assertIn("applied to the running scheduler but not saved", line)
        self.assertIn(READ_ONLY_ETC, line)
        self.assertEqual(self.property("Profile"), "gaming")
        self.polkit.allow(ACTION_SET_PROFILE)
        result = run_ctl(["set-profile", "lowlatency", "--persist"], self.bus, nobody=True)
        self.assertEqual(result.returncode, 1)
        self.assertIn("Not authorized", self.assert_one_line_error(result))
        self.assertEqual([c["action"] for c in self.polkit.checks()], [ACTION_PERSIST])

    def test_set_profile_failures_exit_1_with_one_line(self):
        result = run_ctl(["set-profile", "nope"], self.bus)
        self.assertEqual(result.returncode, 1)
        self.assertIn('unknown profile "nope"', self.assert_one_line_error(result))
        result = run_ctl(["set-profile", "gaming"], self.bus, nobody=True)
        self.assertEqual(result.returncode, 1)
        self.assertIn("Not authorized", self.assert_one_line_error(result))
        # The unknown profile was refused before polkit and the controller were asked.
        self.assertEqual(self.fixture.calls(), [])

    def test_apply_flags(self):
        result = run_ctl(["apply-flags", "--", "--slice-us", "5000"], self.bus)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("applied live", result.stdout)
        result = run_ctl(["--json", "apply-flags", "--exit-dump-len", "4096"], self.bus)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout),
                         {"mode": "reattach", "flags": ["--exit-dump-len", "4096"],
                          "persisted": False})
        result = run_ctl(["apply-flags", "--", "--slice-us", "5"], self.bus)
        self.assertEqual(result.returncode, 1)
        self.assertIn("--slice-us: 5 is out of range", self.assert_one_line_error(result))

    def test_no_ask_password_clears_the_interactive_flag(self):
        self.polkit.allow(ACTION_SET_PROFILE)
        self.assertEqual(run_ctl(["set-profile", "gaming"], self.bus, nobody=True).returncode, 0)
        self.assertEqual(run_ctl(["--no-ask-password", "set-profile", "auto"], self.bus,
                                 nobody=True).returncode, 0)
        self.assertEqual([c["flags"] for c in self.polkit.checks()], [1, 0])

    def test_interactive_authorization_hint(self):
        self.polkit.answer_with_challenge()
        self.addCleanup(self.restart_polkit)
        result = run_ctl(["--no-ask-password", "set-profile", "gaming"], self.bus, nobody=True)
        self.assertEqual(result.returncode, 1)
        self.assertIn("--no-ask-password", self.assert_one_line_error(result))

    def test_usage_errors_exit_2(self):
        for args in ([], ["bogus"], ["--bogus", "status"], ["stats", "--watch", "0"],
                     ["stats", "--watch", "x"], ["set-profile"], ["set-profile", "a", "b"],
                     ["apply-flags"], ["apply-flags", "--"], ["launch"], ["launch", "-x"],
                     ["agent", "--bogus"]):
            with self.subTest(args=args):
                result = run_ctl(args, self.bus)
                self.assertEqual(result.returncode, 2, result.stdout + result.stderr)
                self.assertTrue(result.stderr.strip())
        self.assertEqual(self.fixture.calls(), [])

    def test_help_exits_0(self):
        for args in (["--help"], ["--version"], ["status", "--help"], ["launch", "--help"],
                     ["apply-flags", "--help"], ["apply-flags", "--persist", "--help"],
                     ["agent", "-h"]):
            with self.subTest(args=args):
                result = run_ctl(args, self.bus)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertTrue(result.stdout.strip())

    def test_daemon_not_running_exits_3(self):
        empty = PrivateBus("system")
        self.addCleanup(empty.close)
        for args in (["status"], ["--json", "games"], ["set-profile", "gaming"],
                     ["apply-flags", "--", "-s", "5000"], ["monitor"]):
            with self.subTest(args=args):
                result = run_ctl(args, empty)
                self.assertEqual(result.returncode, 3, result.stderr)
                self.assertEqual(result.stderr.strip(), NOT_RUNNING_HINT)
        no_bus = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent/bus")
        result = run_ctl(["status"], env=no_bus)
        self.assertEqual(result.returncode, 3, result.stderr)

    def test_never_activates_the_daemon(self):
        # Every call goes out with NO_AUTO_START (docs/security.md, "Who may start scx_gamer"). On
        # a bus whose activation file for our name runs a marker command, no command creates the
        # marker; busctl, which allows auto-start, does, so this check can fail.
        directory = tempfile.mkdtemp(prefix="scxg-activation-")
        self.addCleanup(shutil.rmtree, directory, True)
        marker = os.path.join(directory, "activated")
        services = os.path.join(directory, "services")
        os.mkdir(services)
        with open(os.path.join(services, BUS_NAME + ".service"), "w", encoding="utf-8") as out:
            # It fails, so that the bus answers at once instead of waiting for the name.
            out.write(f"[D-BUS Service]\nName={BUS_NAME}\n"
                      f"Exec=/bin/sh -c 'echo >>{marker}; exit 1'\n")
        config = os.path.join(directory, "bus.conf")
        with open(config, "w", encoding="utf-8") as out:
            # A session-type bus runs Exec itself (a system bus would need its setuid helper).
            out.write(f"""<busconfig>
  <type>session</type>
  <listen>unix:path={os.path.join(directory, "bus_socket")}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{services}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
""")
        daemon = subprocess.Popen(["dbus-daemon", f"--config-file={config}", "--nofork",
                                   "--nopidfile", "--print-address=1"],
                                  stdout=subprocess.PIPE, text=True)
        self.addCleanup(daemon.wait)
        self.addCleanup(daemon.terminate)
        address = daemon.stdout.readline().strip()
        self.assertTrue(address, "dbus-daemon did not start")
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=address)
        for args in (["status"], ["--json", "games"], ["profiles"], ["stats"], ["monitor"],
                     ["learned", "list"], ["learned", "show", "k"],
                     ["--no-ask-password", "set-profile", "gaming"],
                     ["--no-ask-password", "set-profile", "--persist", "gaming"],
                     ["--no-ask-password", "apply-flags", "--", "-s", "5000"],
                     ["--no-ask-password", "learned", "delete", "k"]):
            with self.subTest(args=args):
                result = run_ctl(args, env=env)
                self.assertEqual(result.returncode, 3, result.stderr)
                self.assertEqual(result.stderr.strip(), NOT_RUNNING_HINT)
                self.assertFalse(os.path.exists(marker), "the bus activated the daemon")
        result = run_ctl(["launch", "--", "true"], env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertFalse(os.path.exists(marker), "launch made the bus activate the daemon")
        subprocess.run(["busctl", f"--address={address}", "call", BUS_NAME, OBJECT_PATH,
                        INTERFACE, "GetStats"], capture_output=True, timeout=TIMEOUT)
        self.assertTrue(os.path.exists(marker), "the activation file was not used: no evidence")

    def test_stats_watch_until_interrupted(self):
        watcher = subprocess.Popen([SCXGAMERCTL, "--json", "stats", "--watch", "1"],
                                   env=self.bus.env(), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        self.addCleanup(stop_process, watcher)
        for _ in range(2):
            self.assertEqual(json.loads(read_line(watcher.stdout))["nr_kicks"], 789)
        watcher.send_signal(signal.SIGINT)
        self.assertEqual(watcher.wait(timeout=TIMEOUT), 0)

    def test_monitor_follows_events_until_interrupted(self):
        monitor = subprocess.Popen([SCXGAMERCTL, "--json", "monitor"], env=self.bus.env(),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(stop_process, monitor)
        state = json.loads(read_line(monitor.stdout, what="the monitor's first line"))
        self.assertEqual(state["event"], "State")
        self.assertEqual(state["profile"], "auto")
        self.fixture.control.DetectGame(dbus.UInt32(99), "Doom.exe", "/g/Doom.exe", "wine-exe")
        self.assertEqual(json.loads(read_line(monitor.stdout)), {
            "event": "GameDetected", "pid": 99, "name": "Doom.exe", "exe": "/g/Doom.exe",
            "reason": "wine-exe"})
        self.fixture.control.ExitGame(dbus.UInt32(99))
        self.assertEqual(json.loads(read_line(monitor.stdout)),
                         {"event": "GameExited", "pid": 99, "name": "Doom.exe"})
        self.fixture.gamer.SetProfile("gaming")
        self.assertEqual(json.loads(read_line(monitor.stdout)), {
            "event": "PropertiesChanged",
            "changed": {"profile": "gaming", "flags": FAKE_PROFILES["gaming"]}})
        monitor.send_signal(signal.SIGINT)
        self.assertEqual(monitor.wait(timeout=TIMEOUT), 0)

    def test_launch_registers_the_command_while_it_runs(self):
        # The command waits until it sees itself registered, prints the game list and exits 7.
        script = ('for i in $(seq 600); do "$0" --json games | grep -q "\\"pid\\":$$," && break; '
                  'sleep 0.05; done; echo $$; "$0" --json games; exit 7')
        result = run_ctl(["launch", "--", "sh", "-c", script, SCXGAMERCTL], self.bus)
        self.assertEqual(result.returncode, 7, result.stderr)
        pid_line, games_line = result.stdout.strip().splitlines()[-2:]
        pid = int(pid_line)
        games = {g["pid"]: g for g in json.loads(games_line)}
        self.assertEqual(games[pid]["reason"], "registered:launch")
        self.assertEqual(games[pid]["name"], "sh")  # the command's name, registered before exec
        # scxgamerctl has exited: its registration is gone.
        owner = next(c.split()[2] for c in self.fixture.calls()
                     if c.startswith(f"register_game {pid} "))
        wait_until(lambda: f"client_vanished {owner}" in self.fixture.calls(),
                   what="the launcher to be noticed gone")
        self.assertNotIn(pid, [g[0] for g in unwrap(self.fixture.gamer.ListGames())])

    def test_launch_exit_status(self):
        cases = [(["sh", "-c", "exit 0"], 0), (["sh", "-c", "exit 42"], 42),
                 (["sh", "-c", "kill -TERM $$"], 128 + signal.SIGTERM),
                 (["/nonexistent/game"], 127)]
        for command, expected in cases:
            with self.subTest(command=command):
                result = run_ctl(["launch", *command], self.bus)
                self.assertEqual(result.returncode, expected, result.stderr)

    def test_launch_runs_the_game_without_the_daemon(self):
        empty = PrivateBus("system")
        self.addCleanup(empty.close)
        result = run_ctl(["launch", "--", "sh", "-c", "echo running; exit 5"], empty)
        self.assertEqual(result.returncode, 5)
        self.assertEqual(result.stdout.strip(), "running")
        self.assertIn(NOT_RUNNING_HINT, result.stderr)


class NotificationAgentTest(SystemBusTestCase):
    """scxgamerctl agent: system-bus signals to session-bus notifications."""

    with_polkit = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.session = PrivateBus("session")
        cls.notifications = MockService(cls.session, "notification_daemon", NOTIFICATIONS_NAME,
                                        NOTIFICATIONS_PATH)

    @classmethod
    def tearDownClass(cls):
        cls.notifications.close()
        cls.session.close()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        # A fresh notification server: ids start at 1 again.
        self.notifications.mock.Reset()
        self.notifications.mock.ClearCalls()
        self.config_home = tempfile.mkdtemp(prefix="scxg-agent-config-")
        self.addCleanup(shutil.rmtree, self.config_home, ignore_errors=True)

    def agent_env(self):
        return self.bus.env(DBUS_SESSION_BUS_ADDRESS=self.session.address,
                            XDG_CONFIG_HOME=self.config_home)

    def write_config(self, text):
        os.makedirs(os.path.join(self.config_home, "scx_gamer"))
        with open(os.path.join(self.config_home, "scx_gamer", "agent.toml"), "w",
                  encoding="utf-8") as config:
            config.write(text)

    def notify_calls(self):
        return [unwrap(args) for args in self.notifications.calls("Notify")]

    def run_agent(self, *args):
        """`scxgamerctl agent ARGS`, run until it exits: for the cases where it does not stay."""
        return subprocess.run([SCXGAMERCTL, "agent", *args], env=self.agent_env(),
                              capture_output=True, text=True, timeout=TIMEOUT)

    def start_agent(self):
        agent = subprocess.Popen([SCXGAMERCTL, "agent"], env=self.agent_env(),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(stop_process, agent)
        line = read_line(agent.stderr, what="the agent to start")
        self.assertIn("watching for games", line)
        return agent

    def test_notifies_and_replaces_the_previous_notification(self):
        agent = self.start_agent()
        self.fixture.control.DetectGame(dbus.UInt32(1001), "Alpha.exe", "/g/Alpha.exe",
                                        "wine-exe")
        wait_until(lambda: len(self.notify_calls()) >= 1, what="the first notification")
        self.fixture.gamer.SetProfile("gaming")
        self.fixture.control.ExitGame(dbus.UInt32(1001))
        wait_until(lambda: len(self.notify_calls()) >= 2, what="the second notification")
        self.fixture.control.DetectGame(dbus.UInt32(1002), "Beta.exe", "/g/Beta.exe", "rule:b")
        wait_until(lambda: len(self.notify_calls()) >= 3, what="the third notification")

        calls = self.notify_calls()
        # (app_name, replaces_id, app_icon, summary, body, actions, hints, expire_timeout)
        self.assertEqual([(c[0], c[3], c[4]) for c in calls], [
            ("scx_gamer", "Game detected: Alpha.exe", "scx_gamer profile: auto"),
            ("scx_gamer", "Game exited: Alpha.exe", "scx_gamer profile: gaming"),
            ("scx_gamer", "Game detected: Beta.exe", "scx_gamer profile: gaming"),
        ])
        # The mock hands out id 1 for the first notification; later ones replace it.
        self.assertEqual([c[1] for c in calls], [0, 1, 1])
        agent.send_signal(signal.SIGTERM)
        self.assertEqual(agent.wait(timeout=TIMEOUT), 0)

    def test_only_one_agent_runs_per_session(self):
        self.start_agent()
        second = self.run_agent()
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertIn("already runs", second.stderr)
        self.fixture.control.DetectGame(dbus.UInt32(1004), "Delta.exe", "/g/Delta.exe", "x")
        wait_until(lambda: len(self.notify_calls()) >= 1, what="a notification")
        # Give a duplicate agent every chance to show up: one more round trip through the
        # daemon and the notification server, then still exactly one notification.
        self.fixture.gamer.GetStats()
        self.notifications.mock.GetCalls()
        self.assertEqual(len(self.notify_calls()), 1)

    def test_no_notify_option_opts_out(self):
        # With the GameMode bridge off too, the agent has nothing to do.
        self.write_config("gamemode = false\n")
        result = self.run_agent("--no-notify")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("--no-notify", result.stderr)
        self.assertEqual(self.notify_calls(), [])

    def test_config_file_opts_out(self):
        self.write_config("# no popups while playing\nnotify = false\ngamemode = false\n")
        result = self.run_agent()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("agent.toml", result.stderr)
        self.assertEqual(self.notify_calls(), [])

    def test_config_file_with_notify_true_keeps_notifying(self):
        self.write_config("notify = true\n")
        self.start_agent()
        self.fixture.control.DetectGame(dbus.UInt32(1003), "Gamma.exe", "/g/Gamma.exe", "x")
        wait_until(lambda: len(self.notify_calls()) >= 1, what="a notification")

    def test_control_character_in_a_comment_is_an_error_not_a_hang(self):
        # Found by tests/fuzz/fuzz_loader_toml: toml11 4.4 never returned on this.
        self.write_config("#\x01\n# notify = false\n")
        result = self.run_agent()
        self.assertEqual(result.returncode, 1)
        self.assertIn("agent.toml:1:2: control character", result.stderr)
        self.assertEqual(self.notify_calls(), [])

    def test_malformed_config_is_an_error(self):
        self.write_config("notify = maybe\n")
        result = self.run_agent()
        self.assertEqual(result.returncode, 1)
        self.assertIn("agent.toml", result.stderr)
        self.assertEqual(self.notify_calls(), [])


class LifecycleTest(SystemBusTestCase):
    """Owning the name and letting it go."""

    with_polkit = False

    def test_a_second_instance_cannot_take_the_name(self):
        second = subprocess.run([os.environ.get("SCXG_FIXTURE_SERVER", "dbus_fixture_server")],
                                env=self.bus.env(), capture_output=True, text=True,
                                timeout=TIMEOUT)
        self.assertEqual(second.returncode, 1)
        self.assertIn("org.freedesktop.DBus.Error.FileExists", second.stderr)
        self.assertTrue(self.bus.has_owner(BUS_NAME))

    def test_quitting_releases_the_name_and_exits_cleanly(self):
        fixture = self.fixture
        fixture.control.Quit()
        self.assertEqual(fixture.process.wait(timeout=TIMEOUT), 0)
        fixture.close()
        self.assertFalse(self.bus.has_owner(BUS_NAME))
        self.assertFalse(self.bus.has_owner(CONTROL_NAME))
        # Later tests in this class (none today) would need a new one.
        type(self).fixture = Fixture(self.bus)

    def setUp(self):
        pass  # no state to reset, and the fixture may be gone


def help_text(*args):
    result = subprocess.run([SCXGAMERCTL, *args, "--help"], capture_output=True, text=True,
                            timeout=TIMEOUT, check=True)
    return result.stdout


def commands_and_options():
    """Subcommands and options as scxgamerctl --help shows them: {None: global, cmd: [...]}."""
    top = help_text()
    section = top.split("Subcommands:", 1)[1]
    commands = re.findall(r"^\s{2}([a-z][a-z-]+)\s", section, re.MULTILINE)
    options = {None: re.findall(r"(--[a-z][a-z-]+)", top.split("Subcommands:", 1)[0])}
    for command in commands:
        text = help_text(command)
        text = text.split("Options:", 1)[1] if "Options:" in text else ""
        options[command] = re.findall(r"(--[a-z][a-z-]+)", text.split("Exit status:", 1)[0])
    return commands, options


class CompletionsTest(unittest.TestCase):
    """Shell completions and the man page list what --help lists."""

    FILES = ["scxgamerctl.bash", "_scxgamerctl", "scxgamerctl.fish"]

    @classmethod
    def setUpClass(cls):
        cls.commands, cls.options = commands_and_options()

    def test_help_lists_the_commands(self):
        self.assertEqual(sorted(self.commands), sorted([
            "status", "set-profile", "apply-flags", "profiles", "games", "stats", "monitor",
            "launch", "agent", "learned"]))
        self.assertIn("--json", self.options[None])
        self.assertIn("--no-ask-password", self.options[None])
        self.assertIn("--watch", self.options["stats"])
        self.assertIn("--no-notify", self.options["agent"])
        self.assertIn("--persist", self.options["set-profile"])
        self.assertIn("--persist", self.options["apply-flags"])

    def completion(self, name):
        with open(os.path.join(SOURCE_DIR, "cli", "completions", name), encoding="utf-8") as f:
            return f.read()

    def test_every_completion_file_knows_every_command_and_option(self):
        words = set(self.commands)
        for options in self.options.values():
            words.update(options)
        for name in self.FILES:
            text = self.completion(name)
            for word in sorted(words):
                with self.subTest(file=name, word=word):
                    bare = word.lstrip("-")
                    # fish spells options as "-l watch"; the others write them out.
                    if name.endswith(".fish") and word.startswith("--"):
                        self.assertRegex(text, rf"-l {re.escape(bare)}\b")
                    else:
                        self.assertRegex(text, rf"(?<![\w-]){re.escape(word)}(?![\w-])")

    def test_completion_scripts_parse(self):
        checks = [("bash", "scxgamerctl.bash"), ("zsh", "_scxgamerctl"),
                  ("fish", "scxgamerctl.fish")]
        for shell, name in checks:
            with self.subTest(shell=shell):
                if not shutil.which(shell):
                    self.skipTest(f"{shell} is not installed")
                path = os.path.join(SOURCE_DIR, "cli", "completions", name)
                result = subprocess.run([shell, "-n", path], capture_output=True, text=True)
                self.assertEqual(result.returncode, 0, result.stderr)

    def test_bash_completion_completes_commands_and_options(self):
        path = os.path.join(SOURCE_DIR, "cli", "completions", "scxgamerctl.bash")
        script = (f"source {path}\n"
                  "COMP_WORDS=(scxgamerctl st); COMP_CWORD=1; _scxgamerctl; "
                  "echo \"${COMPREPLY[*]}\"\n"
                  "COMP_WORDS=(scxgamerctl stats --w); COMP_CWORD=2; _scxgamerctl; "
                  "echo \"${COMPREPLY[*]}\"\n")
        result = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                                timeout=TIMEOUT)
        first, second = result.stdout.splitlines()
        self.assertEqual(sorted(first.split()), ["stats", "status"])
        self.assertEqual(second.split(), ["--watch"])

    def test_man_page_documents_every_command_and_option(self):
        with open(os.path.join(SOURCE_DIR, "docs", "man", "scxgamerctl.1.scd"),
                  encoding="utf-8") as f:
            text = f.read()
        for word in sorted(set(self.commands).union(*map(set, self.options.values()))):
            with self.subTest(word=word):
                self.assertIn(word, text)
        for code in ("0", "1", "2", "3"):
            self.assertRegex(text, rf"\*{code}\*")

    def test_man_page_builds(self):
        if not shutil.which("scdoc"):
            self.skipTest("scdoc is not installed")
        with open(os.path.join(SOURCE_DIR, "docs", "man", "scxgamerctl.1.scd"),
                  encoding="utf-8") as source:
            result = subprocess.run(["scdoc"], stdin=source, capture_output=True, text=True,
                                    timeout=TIMEOUT)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(".TH \"scxgamerctl\" \"1\"", result.stdout)


class ShippedFilesTest(unittest.TestCase):
    """Policy, activation, unit and desktop files as installed."""

    def path(self, *parts):
        return os.path.join(SOURCE_DIR, *parts)

    def unit_path(self, name):
        # The unit's source; CMake only fills in the bindir (@CMAKE_INSTALL_FULL_BINDIR@).
        return self.path("systemd", name + ".in")

    def test_polkit_policy_is_valid_against_the_dtd(self):
        dtd = "/usr/share/polkit-1/policyconfig-1.dtd"
        if not os.path.exists(dtd):
            self.skipTest("polkit's DTD is not installed")
        result = subprocess.run(
            ["xmllint", "--noout", "--nonet", "--dtdvalid", dtd,
             self.path("polkit", "org.cachyos.scxgamer.policy")],
            capture_output=True, text=True, timeout=TIMEOUT)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn("validity error", result.stderr)

    def test_polkit_defaults(self):
        root = ET.parse(self.path("polkit", "org.cachyos.scxgamer.policy")).getroot()
        defaults = {a.get("id"): {d.tag: d.text for d in a.find("defaults")}
                    for a in root.findall("action")}
        keep = "auth_admin_keep"
        self.assertEqual(defaults, {
            ACTION_SET_PROFILE: {"allow_any": keep, "allow_inactive": keep, "allow_active": "yes"},
            ACTION_APPLY_FLAGS: {"allow_any": keep, "allow_inactive": keep, "allow_active": keep},
            ACTION_REGISTER_GAME: {"allow_any": keep, "allow_inactive": keep,
                                   "allow_active": "yes"},
            # Saving edits /etc: an administrator even for the person at the machine.
            ACTION_PERSIST: {"allow_any": keep, "allow_inactive": keep, "allow_active": keep},
            ACTION_DELETE_LEARNED: {"allow_any": keep, "allow_inactive": keep,
                                    "allow_active": "yes"},
        })

    def test_action_ids_agree_everywhere(self):
        with open(self.path("daemon", "dbus", "names.h"), encoding="utf-8") as names:
            in_daemon = set(re.findall(r'"(org\.cachyos\.scxgamer\.[a-z-]+)"', names.read()))
        root = ET.parse(self.path("polkit", "org.cachyos.scxgamer.policy")).getroot()
        in_policy = {a.get("id") for a in root.findall("action")}
        with open(self.path("polkit", "50-scxgamer-gamemode.rules.example"),
                  encoding="utf-8") as rules:
            in_rules = set(re.findall(r'"(org\.cachyos\.scxgamer\.[a-z-]+)"', rules.read()))
        self.assertEqual(in_daemon, {ACTION_SET_PROFILE, ACTION_APPLY_FLAGS,
                                     ACTION_REGISTER_GAME, ACTION_PERSIST, ACTION_DELETE_LEARNED})
        self.assertEqual(in_policy, in_daemon)
        # The example relaxes everything but saving into /etc.
        self.assertEqual(in_rules, in_daemon - {ACTION_PERSIST})

    def test_rules_example_allows_the_group_in_active_local_sessions_only(self):
        node = shutil.which("node")
        if not node:
            self.skipTest("node is not installed")
        with open(self.path("polkit", "50-scxgamer-gamemode.rules.example"),
                  encoding="utf-8") as rules:
            source = rules.read()
        harness = """
const rules = [];
const polkit = {Result: {YES: "yes", NOT_HANDLED: null}, addRule: (f) => rules.push(f)};
%s
const subject = (groups, local, active) =>
    ({local, active, isInGroup: (g) => groups.includes(g)});
const ask = (id, s) => rules.map((f) => f({id}, s)).find((r) => r !== null) ?? "default";
const out = {};
for (const id of %s) {
    out[id] = [ask(id, subject(["gamemode"], true, true)), ask(id, subject([], true, true)),
               ask(id, subject(["gamemode"], false, true)),
               ask(id, subject(["gamemode"], true, false))];
}
out.other = ask("org.freedesktop.login1.reboot", subject(["gamemode"], true, true));
console.log(JSON.stringify(out));
""" % (source, json.dumps([ACTION_SET_PROFILE, ACTION_APPLY_FLAGS, ACTION_REGISTER_GAME,
                           ACTION_PERSIST]))
        result = subprocess.run([node, "-e", harness], capture_output=True, text=True,
                                timeout=TIMEOUT)
        self.assertEqual(result.returncode, 0, result.stderr)
        verdicts = json.loads(result.stdout)
        for action in (ACTION_SET_PROFILE, ACTION_APPLY_FLAGS, ACTION_REGISTER_GAME):
            self.assertEqual(verdicts[action], ["yes", "default", "default", "default"], action)
        self.assertEqual(verdicts[ACTION_PERSIST], ["default"] * 4)
        self.assertEqual(verdicts["other"], "default")

    def test_activation_file(self):
        parser = configparser.ConfigParser(interpolation=None)
        parser.optionxform = str
        parser.read(self.path("dbus", "org.cachyos.ScxGamer.service"))
        # The alias that only `systemctl enable scx_gamer.service` creates: activation starts
        # scx_gamer only where an administrator enabled it (docs/security.md).
        self.assertEqual(dict(parser["D-BUS Service"]), {
            "Name": BUS_NAME, "Exec": "/bin/false", "User": "root",
            "SystemdService": "dbus-org.cachyos.ScxGamer.service"})
        unit = configparser.ConfigParser(interpolation=None, strict=False)
        unit.optionxform = str
        self.assertTrue(unit.read(self.unit_path("scx_gamer.service")))
        self.assertEqual(unit["Install"]["Alias"], "dbus-org.cachyos.ScxGamer.service")

    def test_units_never_displace_another_scheduler(self):
        # A start of our units (D-Bus activation included) must not stop the system's scheduler:
        # no Conflicts= with scx.service or scx_loader.service; the daemon refuses instead (69).
        for name in ("scx_gamer.service", "scx_gamer-companion.service"):
            unit = configparser.ConfigParser(interpolation=None, strict=False)
            unit.optionxform = str
            self.assertTrue(unit.read(self.unit_path(name)))
            conflicts = unit["Unit"].get("Conflicts", "").split()
            with self.subTest(unit=name):
                self.assertNotIn("scx.service", conflicts)
                self.assertNotIn("scx_loader.service", conflicts)
        unit = configparser.ConfigParser(interpolation=None, strict=False)
        unit.optionxform = str
        self.assertTrue(unit.read(self.unit_path("scx_gamer.service")))
        self.assertEqual(unit["Service"]["RestartPreventExitStatus"], "69")

    def test_bus_policy_lets_only_root_own_and_never_allows_set(self):
        root = ET.parse(self.path("dbus", "org.cachyos.ScxGamer.conf")).getroot()
        owners = [(p.get("user"), p.get("context")) for p in root.findall("policy")
                  if any(a.get("own") for a in p.findall("allow"))]
        self.assertEqual(owners, [("root", None)])
        for rule in root.iter("allow"):
            self.assertNotEqual(rule.get("send_member"), "Set")
            if rule.get("send_interface") == "org.freedesktop.DBus.Properties":
                self.assertIn(rule.get("send_member"), ("Get", "GetAll"))
        declared = interface_description(ET.parse(INTERFACE_XML).getroot())
        allowed = {a.get("send_member") for a in root.iter("allow")
                   if a.get("send_interface") == INTERFACE}
        self.assertEqual(allowed, set(declared["methods"]))

    def test_interface_xml_documents_every_member(self):
        with open(INTERFACE_XML, encoding="utf-8") as xml:
            text = xml.read()
        declared = interface_description(ET.parse(INTERFACE_XML).getroot())
        members = [*declared["methods"], *declared["signals"], *declared["properties"]]
        for member in members:
            with self.subTest(member=member):
                # A comment that starts with the member's name, right before its element.
                pattern = (rf"<!--\s*{member}:(?:(?!-->).)*-->\s*"
                           rf"<(method|signal|property) name=\"{member}\"")
                self.assertRegex(text, re.compile(pattern, re.DOTALL))

    def test_agent_unit_and_autostart_entry(self):
        unit = configparser.ConfigParser(interpolation=None, strict=False)
        unit.optionxform = str
        self.assertTrue(unit.read(self.unit_path("scxgamerctl-agent.service")))
        self.assertIn("scxgamerctl agent", unit["Service"]["ExecStart"])
        self.assertEqual(unit["Install"]["WantedBy"], "graphical-session.target")
        entry = configparser.ConfigParser(interpolation=None)
        entry.optionxform = str
        entry.read(self.path("data", "scxgamerctl-agent.desktop"))
        desktop = entry["Desktop Entry"]
        self.assertEqual(desktop["Type"], "Application")
        self.assertTrue(desktop["Exec"].startswith("scxgamerctl agent"))
        validator = shutil.which("desktop-file-validate")
        if validator:
            result = subprocess.run([validator, self.path("data", "scxgamerctl-agent.desktop")],
                                    capture_output=True, text=True)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


if __name__ == "__main__":
    unittest.main()

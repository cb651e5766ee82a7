# SPDX-License-Identifier: GPL-2.0-only
"""Private D-Bus environments for scx_gamer's integration tests.

Everything a test talks to is started here and stopped at the end of the test class: a real
dbus-daemon with a system-type configuration that includes the project's bus policy
(dbus/org.cachyos.ScxGamer.conf), python-dbusmock standing in for polkit and for the desktop
notification daemon, and dbus_fixture_server, which hosts the real DbusService with a fake
controller. Nothing touches the machine's own buses.

Waits use generous timeouts and never assert how long something took.
"""

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import dbus
import dbus.mainloop.glib
from gi.repository import GLib

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)

SOURCE_DIR = os.environ.get(
    "SCXG_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
FIXTURE_SERVER = os.environ.get("SCXG_FIXTURE_SERVER", "dbus_fixture_server")
SCXGAMERCTL = os.environ.get("SCXGAMERCTL", "scxgamerctl")
PYTHON = sys.executable

BUS_NAME = "org.cachyos.ScxGamer"
OBJECT_PATH = "/org/cachyos/ScxGamer"
INTERFACE = "org.cachyos.ScxGamer"
CONTROL_NAME = "org.cachyos.ScxGamerTest"
CONTROL_PATH = "/org/cachyos/ScxGamerTest"
POLKIT_NAME = "org.freedesktop.PolicyKit1"
POLKIT_PATH = "/org/freedesktop/PolicyKit1/Authority"
NOTIFICATIONS_NAME = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"
MOCK_INTERFACE = "org.freedesktop.DBus.Mock"

ACTION_SET_PROFILE = "org.cachyos.scxgamer.set-profile"
ACTION_APPLY_FLAGS = "org.cachyos.scxgamer.apply-flags"
ACTION_REGISTER_GAME = "org.cachyos.scxgamer.register-game"
ACTION_PERSIST = "org.cachyos.scxgamer.persist"
ACTION_DELETE_LEARNED = "org.cachyos.scxgamer.delete-learned-profile"

NOBODY = 65534
TIMEOUT = 30.0  # seconds; generous, only bounds a hang


def wait_until(predicate, timeout=TIMEOUT, what="condition"):
    """Runs the GLib main context until predicate() is true; raises AssertionError on timeout."""
    context = GLib.MainContext.default()
    deadline = time.monotonic() + timeout
    while True:
        while context.pending():
            context.iteration(False)
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        context.iteration(False)
        time.sleep(0.01)


def read_line(stream, timeout=TIMEOUT, what="a line"):
    """Reads one line from a subprocess pipe without blocking forever."""
    ready, _, _ = select.select([stream], [], [], timeout)
    if not ready:
        raise AssertionError(f"timed out waiting for {what}")
    return stream.readline()


def stop_process(process):
    if process is None:
        return
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for pipe in (process.stdin, process.stdout, process.stderr):
        if pipe:
            pipe.close()


def as_nobody(argv):
    """argv run as uid/gid 65534 without supplementary groups: a client polkit must judge."""
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv]


SYSTEM_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>{bus_type}</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <!-- The default policy of Debian's system.conf: deny by default. -->
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <!-- The test's own stand-ins, owned and driven by root (the test). -->
  <policy user="root">
    <allow own="org.freedesktop.PolicyKit1"/>
    <allow send_destination="org.freedesktop.PolicyKit1"/>
    <allow own="org.freedesktop.Notifications"/>
    <allow send_destination="org.freedesktop.Notifications"/>
    <allow own="org.cachyos.ScxGamerTest"/>
    <allow send_destination="org.cachyos.ScxGamerTest"/>
  </policy>
  <!-- What the project installs to /usr/share/dbus-1/system.d/. -->
  <include>{project_policy}</include>
</busconfig>
"""

SESSION_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class PrivateBus:
    """A dbus-daemon of its own; `kind` is "system" (with the project's policy) or "session"."""

    def __init__(self, kind="system"):
        self.kind = kind
        self.directory = tempfile.mkdtemp(prefix=f"scxg-{kind}-bus-")
        # Clients running as nobody must reach the socket.
        os.chmod(self.directory, 0o755)
        socket = os.path.join(self.directory, "bus_socket")
        config = os.path.join(self.directory, "bus.conf")
        template = SYSTEM_BUS_CONFIG if kind == "system" else SESSION_BUS_CONFIG
        with open(config, "w", encoding="utf-8") as out:
            out.write(template.format(
                bus_type=kind, socket=socket,
                project_policy=os.path.join(SOURCE_DIR, "dbus", "org.cachyos.ScxGamer.conf")))
        self.log_path = os.path.join(self.directory, "dbus-daemon.log")
        self.log = open(self.log_path, "w", encoding="utf-8")
        self.process = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile",
             "--print-address=1"],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        address = read_line(self.process.stdout, what="dbus-daemon's address").strip()
        if not address:
            raise AssertionError(f"dbus-daemon did not start: {self.read_log()}")
        self.address = address
        self.connection = dbus.bus.BusConnection(self.address)

    def read_log(self):
        with open(self.log_path, encoding="utf-8") as log:
            return log.read()

    def has_owner(self, name):
        return bool(self.connection.name_has_owner(name))

    def wait_for_name(self, name, process=None):
        def owned():
            if process is not None and process.poll() is not None:
                raise AssertionError(f"{name}'s owner exited early")
            return self.has_owner(name)
        wait_until(owned, what=f"{name} on the bus")

    def env(self, **extra):
        env = dict(os.environ)
        variable = "DBUS_SYSTEM_BUS_ADDRESS" if self.kind == "system" else "DBUS_SESSION_BUS_ADDRESS"
        env[variable] = self.address
        env.update(extra)
        return env

    def close(self):
        try:
            self.connection.close()
        except dbus.DBusException:
            pass
        stop_process(self.process)
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)


class MockService:
    """A python-dbusmock template (polkitd, notification_daemon) on a private bus."""

    def __init__(self, bus, template, name, path):
        self.bus = bus
        self.name = name
        self.path = path
        self.log_path = os.path.join(bus.directory, f"{template}.log")
        self.log = open(self.log_path, "w", encoding="utf-8")
        argv = [PYTHON, "-m", "dbusmock", "--template", template]
        if bus.kind == "system":
            argv.append("--system")
        self.process = subprocess.Popen(argv, env=bus.env(), stdout=self.log, stderr=self.log)
        bus.wait_for_name(name, self.process)
        self.mock = dbus.Interface(bus.connection.get_object(name, path), MOCK_INTERFACE)

    def calls(self, method):
        return [args for _, args in self.mock.GetMethodCalls(method)]

    def close(self):
        stop_process(self.process)
        self.log.close()


class PolkitMock(MockService):
    def __init__(self, bus):
        super().__init__(bus, "polkitd", POLKIT_NAME, POLKIT_PATH)

    def allow(self, *actions):
        self.mock.SetAllowed(dbus.Array(actions, signature="s"))

    def checks(self):
        """CheckAuthorization calls so far: dicts with subject, action, details, flags."""
        out = []
        for subject, action, details, flags, _cancellation in self.calls("CheckAuthorization"):
            out.append({
                "subject_kind": str(subject[0]),
                "subject": {str(k): str(v) for k, v in subject[1].items()},
                "action": str(action),
                "details": {str(k): str(v) for k, v in details.items()},
                "flags": int(flags),
            })
        return out

    def answer_with_challenge(self):
        """From now on polkit answers "not yet: authentication would help" to every check."""
        self.mock.AddMethod(
            "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization", "(sa{sv})sa{ss}us",
            "(bba{ss})", "ret = (False, True, {})")


class Fixture:
    """dbus_fixture_server: the real DbusService with a FakeController, and its test controls."""

    def __init__(self, bus, version="9.8.7-test"):
        self.bus = bus
        self.version = version
        self.log_path = os.path.join(bus.directory, "fixture.log")
        self.log = open(self.log_path, "w", encoding="utf-8")
        self.process = subprocess.Popen([FIXTURE_SERVER, version], env=bus.env(),
                                        stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = read_line(self.process.stdout, what="the fixture server")
        if line.strip() != "ready":
            raise AssertionError(f"fixture server failed to start: {self.read_log()}")
        self.control = dbus.Interface(bus.connection.get_object(CONTROL_NAME, CONTROL_PATH),
                                      CONTROL_NAME)
        self.object = bus.connection.get_object(BUS_NAME, OBJECT_PATH)
        self.gamer = dbus.Interface(self.object, INTERFACE)
        self.properties = dbus.Interface(self.object, "org.freedesktop.DBus.Properties")

    def read_log(self):
        with open(self.log_path, encoding="utf-8") as log:
            return log.read()

    def calls(self):
        return [str(call) for call in self.control.Calls()]

    def close(self):
        stop_process(self.process)
        self.log.close()


def gdbus_call(bus, method, *args, nobody=False, interactive=False, env=None):
    """Calls a method of org.cachyos.ScxGamer with gdbus, optionally as nobody and with the
    ALLOW_INTERACTIVE_AUTHORIZATION flag. Returns (ok, output): output is the GVariant text of the
    reply, or "ERROR_NAME: message"."""
    argv = ["gdbus", "call", "--address", bus.address, "--dest", BUS_NAME,
            "--object-path", OBJECT_PATH, "--method", f"{INTERFACE}.{method}",
            "--timeout", str(int(TIMEOUT))]
    if interactive:
        argv.append("--interactive")
    argv.append("--")
    argv.extend(args)
    if nobody:
        argv = as_nobody(argv)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT * 2, env=env)
    if result.returncode == 0:
        return True, result.stdout.strip()
    prefix = "GDBus.Error:"
    text = result.stderr.strip()
    if prefix in text:
        text = text[text.index(prefix) + len(prefix):]
    return False, text


def run_ctl(args, bus=None, nobody=False, env=None, input_text=None, timeout=TIMEOUT * 2):
    """Runs scxgamerctl; returns the CompletedProcess."""
    argv = [SCXGAMERCTL, *args]
    if nobody:
        argv = as_nobody(argv)
    if env is None:
        env = bus.env() if bus else dict(os.environ)
    # No terminal on stdin: scxgamerctl would otherwise start pkttyagent for privileged calls.
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout,
                          input=input_text,
                          stdin=subprocess.DEVNULL if input_text is None else None)


class SignalRecorder:
    """Records the signals of org.cachyos.ScxGamer seen by a plain dbus-python subscriber."""

    def __init__(self, connection):
        self.events = []
        self._matches = [
            connection.add_signal_receiver(
                self._on_detected, signal_name="GameDetected", dbus_interface=INTERFACE,
                bus_name=BUS_NAME, path=OBJECT_PATH),
            connection.add_signal_receiver(
                self._on_exited, signal_name="GameExited", dbus_interface=INTERFACE,
                bus_name=BUS_NAME, path=OBJECT_PATH),
            connection.add_signal_receiver(
                self._on_properties, signal_name="PropertiesChanged",
                dbus_interface="org.freedesktop.DBus.Properties", bus_name=BUS_NAME,
                path=OBJECT_PATH),
        ]
        # Make sure the match rules are in place before the test acts: a round trip to the bus
        # daemon after AddMatch orders them.
        connection.get_unique_name()
        connection.call_blocking("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                 "org.freedesktop.DBus", "GetId", "", [])

    def _on_detected(self, pid, name, exe, reason):
        self.events.append(("GameDetected", int(pid), str(name), str(exe), str(reason)))

    def _on_exited(self, pid, name):
        self.events.append(("GameExited", int(pid), str(name)))

    def _on_properties(self, interface, changed, invalidated):
        self.events.append(("PropertiesChanged", str(interface),
                            {str(k): unwrap(v) for k, v in changed.items()},
                            [str(name) for name in invalidated]))

    def wait_for(self, predicate, what):
        return wait_until(lambda: next((e for e in self.events if predicate(e)), None),
                          what=what)

    def close(self):
        for match in self._matches:
            match.remove()


def unwrap(value):
    """dbus-python values as plain Python values."""
    if isinstance(value, (dbus.String, dbus.ObjectPath, dbus.Signature)):
        return str(value)
    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, (dbus.Byte, dbus.Int16, dbus.UInt16, dbus.Int32, dbus.UInt32,
                          dbus.Int64, dbus.UInt64)):
        return int(value)
    if isinstance(value, dbus.Double):
        return float(value)
    if isinstance(value, (dbus.Array, list)):
        return [unwrap(v) for v in value]
    if isinstance(value, (dbus.Struct, tuple)):
        return tuple(unwrap(v) for v in value)
    if isinstance(value, (dbus.Dictionary, dict)):
        return {unwrap(k): unwrap(v) for k, v in value.items()}
    return value


def parse_json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def sleeper():
    """A harmless long-running process to register as a game; the caller kills it.

    Popen returns once exec has closed the child's close-on-exec fds, which the kernel does
    before it renames the task: wait until /proc shows "sleep" so the name is settled.

    It runs as nobody, the unprivileged caller of these tests: only a process's owner (or root)
    may register it as a game."""
    process = subprocess.Popen(as_nobody(["sleep", "600"]) if os.getuid() == 0 else ["sleep", "600"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{process.pid}/comm") as comm:
                if comm.read().strip() == "sleep":
                    break
        except OSError:
            pass
        time.sleep(0.005)
    return process


def end(process):
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait()

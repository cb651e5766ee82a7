#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""D-Bus checks against the real scx_gamer daemon, run inside the sched_ext VM by
tests/vm/test-dbus-security.sh, test-dbus-hostile.sh and test-dbus-injection.sh.

Each subcommand prints one line per check, "ok - WHAT" or "not ok - WHAT" (the calling script
numbers and counts them, see py_checks in lib.sh), and "# ..." lines that explain a failure.
It exits 0 when it could run its checks, whatever they found; anything else is a crash.

  unprivileged     as a user polkit does not allow: every method the interface XML marks with a
                   polkit action is refused and changes nothing; every other method and every
                   property can be read; the bus policy refuses owning the name and Set.
  name-squat       as a user other than root: owning org.cachyos.ScxGamer is refused (also
                   while the daemon does not run).
  wait-allowed A   waits (bounded) until polkit allows this user action A (rules just written).
  allowed          as a user a polkit rule allows everything but persisting: every privileged
                   method succeeds and does what it says; persisting is still refused.
  hostile          as root: huge, empty, malformed, out-of-range and wrongly typed arguments
                   get D-Bus errors; the daemon stays up and its state does not change.
  raw-utf8         as root, through a raw socket: strings that are not valid UTF-8 (and other
                   malformed messages) never reach the daemon.
  injection FILE   as root: profile names and flags with shell syntax, sent with persist, are
                   refused; FILE (the daemon's /etc/default file) is byte-identical afterwards.

The interface is read from dbus/org.cachyos.ScxGamer.xml, so a new method is checked (or the
checks fail, saying they do not know how to call it) without editing this list.
"""

import os
import socket
import struct
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import dbus
import dbus.lowlevel

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
XML_PATH = os.path.join(REPO, "dbus", "org.cachyos.ScxGamer.xml")
POLICY_PATH = os.path.join(REPO, "polkit", "org.cachyos.scxgamer.policy")

BUS_NAME = "org.cachyos.ScxGamer"
OBJECT_PATH = "/org/cachyos/ScxGamer"
INTERFACE = "org.cachyos.ScxGamer"
PROPERTIES = "org.freedesktop.DBus.Properties"
ERROR_PREFIX = "org.cachyos.ScxGamer.Error."
ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied"
INTERACTIVE_REQUIRED = "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"
INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"
UNKNOWN_PROFILE = ERROR_PREFIX + "UnknownProfile"
INVALID_FLAGS = ERROR_PREFIX + "InvalidFlags"
FAILED = ERROR_PREFIX + "Failed"
NOT_REGISTERED = ERROR_PREFIX + "NotRegistered"
ACTION_PREFIX = "org.cachyos.scxgamer."
ACTION_PERSIST = ACTION_PREFIX + "persist"
CALL_TIMEOUT = 120.0  # seconds; only bounds a hang (TCG is slow)
MIB = 1024 * 1024


# ---- output ----

class Report:
    def __init__(self):
        self.failed = 0

    def check(self, ok, what, *details):
        print(("ok - " if ok else "not ok - ") + what, flush=True)
        if not ok:
            self.failed += 1
            for detail in details:
                for line in str(detail).splitlines() or [""]:
                    print("#   " + line[:400], flush=True)
        return ok

    def note(self, text):
        print("# " + text, flush=True)


def short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"...({len(text)} chars)"


# ---- the interface, from the XML ----

class Method:
    def __init__(self, name, in_types, doc):
        self.name = name
        self.in_types = in_types
        self.doc = doc
        self.action = None
        # "polkit action: A", or "polkit action: P when persist is true, otherwise A": the
        # action of a call without options.
        marker = "polkit action:"
        if marker in doc:
            words = doc.split(marker, 1)[1].split()
            if "otherwise" in words:
                words = words[words.index("otherwise") + 1:]
            self.action = words[0].rstrip(".,")

    @property
    def privileged(self):
        return self.action is not None


def interface():
    """(methods by name, property names) of org.cachyos.ScxGamer, with each method's doc
    comment (the comment right before it), which names its polkit action."""
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    root = ET.parse(XML_PATH, parser=parser).getroot()
    node = next(i for i in root.iter("interface") if i.get("name") == INTERFACE)
    methods, properties, doc = {}, [], ""
    for child in node:
        if child.tag is ET.Comment:
            doc = child.text or ""
            continue
        if child.tag == "method":
            types = [a.get("type") for a in child.iter("arg") if a.get("direction", "in") == "in"]
            methods[child.get("name")] = Method(child.get("name"), types, doc)
        elif child.tag == "property":
            properties.append(child.get("name"))
        doc = ""
    return methods, properties


def implicit_answer(action_id):
    """What polkit's defaults give a caller in no session (allow_any) for the action."""
    root = ET.parse(POLICY_PATH).getroot()
    for action in root.iter("action"):
        if action.get("id") == action_id:
            return action.find("defaults").findtext("allow_any").strip()
    return None


# ---- calls ----

class Bus:
    """A private connection to the system bus; call() returns ("ok", args) or (error, text)."""

    def __init__(self):
        self.conn = dbus.SystemBus(private=True)

    def call(self, member, signature="", args=(), interactive=False, interface_name=INTERFACE,
             destination=BUS_NAME, path=OBJECT_PATH, timeout=CALL_TIMEOUT):
        msg = dbus.lowlevel.MethodCallMessage(destination, path, interface_name, member)
        msg.set_allow_interactive_authorization(interactive)
        if signature:
            msg.append(signature=signature, *args)
        try:
            reply = self.conn.send_message_with_reply_and_block(msg, timeout)
        except dbus.exceptions.DBusException as e:
            return e.get_dbus_name() or "?", e.get_dbus_message() or ""
        return "ok", reply.get_args_list()

    def get(self, prop):
        status, out = self.call("Get", "ss", (INTERFACE, prop), interface_name=PROPERTIES)
        if status != "ok":
            raise RuntimeError(f"Get {prop}: {status}: {out}")
        return out[0]

    def close(self):
        self.conn.close()


def plain(value):
    """dbus-python values as plain Python, for comparing and printing."""
    if isinstance(value, (dbus.Array, list, tuple, dbus.Struct)):
        return [plain(v) for v in value]
    if isinstance(value, (dbus.Dictionary, dict)):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (dbus.Boolean, bool)):
        return bool(value)
    if isinstance(value, (int,)):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def read_file(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def snapshot(bus, methods, files=()):
    """What a refused or failed call must not change: the daemon's profile, flags, state,
    games, learned profiles, the live BPF tunables, the scheduler's attachment, and FILES."""
    state = {}
    for prop in ("Profile", "Flags", "SchedulerState"):
        state[prop] = plain(bus.get(prop))
    status, out = bus.call("GetStats")
    stats = plain(out[0]) if status == "ok" else {"error": status}
    state["tunables"] = {k: v for k, v in stats.items() if k.startswith("bpf_")}
    status, out = bus.call("ListGames")
    state["games"] = sorted(g[0] for g in plain(out[0])) if status == "ok" else status
    if "ListLearnedProfiles" in methods:
        status, out = bus.call("ListLearnedProfiles")
        state["learned"] = sorted(p.get("key") for p in plain(out[0])) if status == "ok" else status
    for name in ("state", "enable_seq"):
        state["sched_ext_" + name] = (read_file("/sys/kernel/sched_ext/" + name) or b"").decode()
    for path in files:
        state[path] = read_file(path)
    return state


def diff(before, after):
    return "; ".join(f"{k}: {short(before.get(k), 120)} -> {short(after.get(k), 120)}"
                     for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k))


def daemon_alive(bus):
    status, out = bus.call("GetNameOwner", "s", (BUS_NAME,), interface_name="org.freedesktop.DBus",
                           destination="org.freedesktop.DBus", path="/org/freedesktop/DBus")
    return status == "ok", out


# ---- sample arguments ----

def child_process():
    """A process of the caller's own, to register as a game."""
    return subprocess.Popen(["sleep", "600"])


def privileged_calls(methods, own_pid):
    """Valid calls of every privileged method, and how to tell that each did what it says
    (None: the reply alone tells). Unknown privileged methods are reported by the caller."""
    persist_off = {"persist": dbus.Boolean(False)}
    table = {
        "SetProfile": ("s", ("lowlatency",), lambda b: b.get("Profile") == "lowlatency"),
        "SetProfileWithOptions": ("sa{sv}", ("powersave", persist_off),
                                  lambda b: b.get("Profile") == "powersave"),
        "ApplyFlags": ("as", (["--slice-us", "3000"],),
                       lambda b: "3000" in [str(f) for f in b.get("Flags")]),
        "ApplyFlagsWithOptions": ("asa{sv}", (["--game-slice-us", "700"], persist_off),
                                  lambda b: "700" in [str(f) for f in b.get("Flags")]),
        "RegisterGame": ("u", (dbus.UInt32(own_pid),), None),
        "RegisterGameWithOptions": ("ua{sv}", (dbus.UInt32(own_pid), {"via": dbus.String("launch")}),
                                    None),
        "UnregisterGame": ("u", (dbus.UInt32(own_pid),), None),
        # Authorized, it reaches the learned profiles; there is none by that name.
        "DeleteLearnedProfile": ("s", ("no-such-game",), None),
    }
    return {name: table.get(name) for name, m in methods.items() if m.privileged}


# What a persisting call is refused as, and the calls that persist.
PERSIST_CALLS = [
    ("SetProfileWithOptions", "sa{sv}", ("lowlatency", {"persist": dbus.Boolean(True)})),
    ("ApplyFlagsWithOptions", "asa{sv}", (["--slice-us", "4000"], {"persist": dbus.Boolean(True)})),
]
DEFAULT_FILES = ["/etc/default/scx", "/etc/default/scx_gamer"]


def refusal_for(action_id, interactive):
    """The error a caller in no session gets for ACTION_ID: polkit's allow_any default is
    auth_admin*, so polkit offers a password prompt; without the interaction flag the daemon
    asks the caller to allow one, with it (and no agent to ask) the call is refused."""
    answer = implicit_answer(action_id)
    if answer and answer.startswith("auth_") and not interactive:
        return INTERACTIVE_REQUIRED
    return ACCESS_DENIED


# ---- subcommands ----

def cmd_unprivileged(report):
    methods, properties = interface()
    bus = Bus()
    uid = os.getuid()
    report.check(uid != 0, f"runs as a user other than root (uid {uid})")
    game = child_process()
    try:
        calls = privileged_calls(methods, game.pid)
        for name, sample in calls.items():
            if not report.check(sample is not None, f"the test knows how to call {name}",
                                f"add {name} to privileged_calls() in {__file__}"):
                continue
            sig, args, _ = sample
            for interactive in (False, True):
                before = snapshot(bus, methods, DEFAULT_FILES)
                status, text = bus.call(name, sig, args, interactive=interactive)
                after = snapshot(bus, methods, DEFAULT_FILES)
                want = refusal_for(methods[name].action, interactive)
                how = "with" if interactive else "without"
                report.check(status == want, f"{name} {how} interaction: refused with {want}",
                             f"got {status}: {text}")
                report.check(before == after, f"{name} {how} interaction: nothing changed",
                             diff(before, after))
        for name, sig, args in PERSIST_CALLS:
            if name not in methods:
                continue
            for interactive in (False, True):
                before = snapshot(bus, methods, DEFAULT_FILES)
                status, text = bus.call(name, sig, args, interactive=interactive)
                after = snapshot(bus, methods, DEFAULT_FILES)
                want = refusal_for(ACTION_PERSIST, interactive)
                how = "with" if interactive else "without"
                report.check(status == want,
                             f"{name} persist=true {how} interaction: refused with {want}",
                             f"got {status}: {text}")
                report.check(before == after,
                             f"{name} persist=true {how} interaction: nothing changed, "
                             "/etc/default untouched", diff(before, after))

        # Reading is open to everyone.
        read_args = {"s": "no-such-game"}
        for name, method in methods.items():
            if method.privileged:
                continue
            if not report.check(all(t in read_args for t in method.in_types),
                                f"the test knows how to call {name}",
                                f"add its argument types to read_args in {__file__}"):
                continue
            sig = "".join(method.in_types)
            args = tuple(read_args[t] for t in method.in_types)
            status, text = bus.call(name, sig, args)
            # A daemon error (e.g. no such learned profile) still means the call got through.
            reached = status == "ok" or status.startswith(ERROR_PREFIX)
            report.check(reached, f"unprivileged {name} is answered by the daemon",
                         f"got {status}: {text}")
        for prop in properties:
            status, text = bus.call("Get", "ss", (INTERFACE, prop), interface_name=PROPERTIES)
            report.check(status == "ok", f"unprivileged Get {prop}", f"got {status}: {text}")
        status, text = bus.call("GetAll", "s", (INTERFACE,), interface_name=PROPERTIES)
        report.check(status == "ok" and set(plain(text[0])) == set(properties),
                     "unprivileged GetAll returns every property", f"got {status}: {short(text)}")
        status, text = bus.call("Introspect", interface_name="org.freedesktop.DBus.Introspectable")
        report.check(status == "ok", "unprivileged Introspect", f"got {status}: {short(text)}")

        # The bus policy, before the daemon sees anything.
        before = snapshot(bus, methods)
        status, text = bus.call("Set", "ssv", (INTERFACE, "Profile", dbus.String("lowlatency",
                                                                                 variant_level=1)),
                                interface_name=PROPERTIES)
        report.check(status == ACCESS_DENIED, "Properties.Set is refused by the bus policy",
                     f"got {status}: {text}")
        status, text = bus.call("NoSuchMethod")
        report.check(status == ACCESS_DENIED,
                     "a member the policy does not list is refused by the bus", f"got {status}")
        report.check(snapshot(bus, methods) == before, "and nothing changed")
    finally:
        game.kill()
        game.wait()
    name_squat(report, bus)
    bus.close()


def name_squat(report, bus):
    for flags in (0, 1 | 2 | 4):  # plain; allow replacement | replace existing | do not queue
        status, text = bus.call("RequestName", "su", (BUS_NAME, dbus.UInt32(flags)),
                                interface_name="org.freedesktop.DBus",
                                destination="org.freedesktop.DBus", path="/org/freedesktop/DBus")
        report.check(status == ACCESS_DENIED,
                     f"uid {os.getuid()}: RequestName {BUS_NAME} (flags {flags}) is refused",
                     f"got {status}: {text}")


def cmd_name_squat(report):
    bus = Bus()
    report.check(os.getuid() != 0, f"runs as a user other than root (uid {os.getuid()})")
    name_squat(report, bus)
    bus.close()


def cmd_wait_allowed(report, action_id, seconds=120):
    """polkit reloads rules when /etc/polkit-1/rules.d changes; wait until it has."""
    bus = Bus()
    subject = ("system-bus-name", {"name": bus.conn.get_unique_name()})
    deadline = time.monotonic() + seconds
    allowed = False
    while not allowed and time.monotonic() < deadline:
        status, out = bus.call("CheckAuthorization", "(sa{sv})sa{ss}us",
                               (subject, action_id, {}, dbus.UInt32(0), ""),
                               interface_name="org.freedesktop.PolicyKit1.Authority",
                               destination="org.freedesktop.PolicyKit1",
                               path="/org/freedesktop/PolicyKit1/Authority")
        allowed = status == "ok" and bool(out[0][0])
        if not allowed:
            time.sleep(0.2)
    report.check(allowed, f"polkit allows uid {os.getuid()} {action_id} (the rule is loaded)")
    bus.close()


def cmd_allowed(report):
    methods, _ = interface()
    bus = Bus()
    game = child_process()
    try:
        calls = privileged_calls(methods, game.pid)
        order = sorted(calls, key=lambda n: n == "UnregisterGame")  # after RegisterGame
        for name in order:
            sample = calls[name]
            if not report.check(sample is not None, f"the test knows how to call {name}"):
                continue
            sig, args, effect = sample
            status, text = bus.call(name, sig, args)
            if name == "DeleteLearnedProfile":
                ok = status == ERROR_PREFIX + "UnknownLearnedProfile"
                report.check(ok, f"{name} passes polkit (then: no such learned profile)",
                             f"got {status}: {text}")
                continue
            report.check(status == "ok", f"{name} allowed by the polkit rule succeeds",
                         f"got {status}: {text}")
            if effect:
                report.check(effect(bus), f"{name} did what it says",
                             f"Profile {bus.get('Profile')}, Flags {plain(bus.get('Flags'))}")
            if name == "RegisterGame":
                status, out = bus.call("ListGames")
                pids = [g[0] for g in plain(out[0])] if status == "ok" else []
                report.check(game.pid in pids, "the registered process is listed as a game",
                             f"ListGames: {status} {short(out, 200)}")
            if name == "UnregisterGame":
                status, out = bus.call("ListGames")
                pids = [g[0] for g in plain(out[0])] if status == "ok" else []
                report.check(game.pid not in pids, "the unregistered process is no game")
        # The rule grants everything but persist: saving in /etc still needs an administrator.
        for name, sig, args in PERSIST_CALLS:
            if name not in methods:
                continue
            before = snapshot(bus, methods, DEFAULT_FILES)
            status, text = bus.call(name, sig, args, interactive=True)
            after = snapshot(bus, methods, DEFAULT_FILES)
            report.check(status == ACCESS_DENIED,
                         f"{name} persist=true is still refused (the rule leaves out persist)",
                         f"got {status}: {text}")
            report.check(before == after, f"{name} persist=true changed nothing",
                         diff(before, after))
    finally:
        game.kill()
        game.wait()
    bus.close()


def hostile_cases(own_pid, sentinel_key):
    """(description, method, signature, args, acceptable replies). "ok" in the acceptable
    replies means a successful no-op is fine too (the state check decides)."""
    u32 = dbus.UInt32
    huge = "g" * MIB
    flags_then_bad = ["--slice-us", "1000"] * 2500 + ["--no-such-flag"]
    cases = [
        ("1 MiB profile name", "SetProfile", "s", (huge,), {UNKNOWN_PROFILE}),
        ("empty profile name", "SetProfile", "s", ("",), {UNKNOWN_PROFILE}),
        ("profile name with a newline", "SetProfile", "s", ("gaming\nlowlatency",),
         {UNKNOWN_PROFILE}),
        ("profile name with control characters", "SetProfile", "s", ("\x01\x1b[2J\x7f",),
         {UNKNOWN_PROFILE}),
        ("profile name in other case", "SetProfile", "s", ("LOWLATENCY",), {UNKNOWN_PROFILE}),
        ("profile name with a path", "SetProfile", "s", ("../lowlatency",), {UNKNOWN_PROFILE}),
        ("non-ASCII profile name", "SetProfile", "s", ("l\u00f6wlatency\u202e\U0001f3ae",),
         {UNKNOWN_PROFILE}),
        ("unknown option", "SetProfileWithOptions", "sa{sv}",
         ("lowlatency", {"bogus": dbus.Boolean(True)}), {INVALID_ARGS}),
        ("1 MiB option name", "SetProfileWithOptions", "sa{sv}",
         ("lowlatency", {huge: dbus.Boolean(True)}), {INVALID_ARGS}),
        ("persist as a string", "SetProfileWithOptions", "sa{sv}",
         ("lowlatency", {"persist": dbus.String("true")}), {INVALID_ARGS}),
        ("persist as a number", "SetProfileWithOptions", "sa{sv}",
         ("lowlatency", {"persist": u32(1)}), {INVALID_ARGS}),
        ("persist as an array", "ApplyFlagsWithOptions", "asa{sv}",
         (["--slice-us", "3000"], {"persist": dbus.Array([True], signature="b")}),
         {INVALID_ARGS}),
        ("persist as a nested variant", "ApplyFlagsWithOptions", "asa{sv}",
         (["--slice-us", "3000"], {"persist": dbus.Boolean(True, variant_level=2)}),
         {INVALID_ARGS}),
        ("no flags (a no-op)", "ApplyFlags", "as", (dbus.Array([], signature="s"),),
         {"ok", INVALID_FLAGS}),
        ("empty options (a no-op)", "ApplyFlagsWithOptions", "asa{sv}",
         (dbus.Array([], signature="s"), dbus.Dictionary({}, signature="sv")),
         {"ok", INVALID_FLAGS}),
        ("a flag without its value", "ApplyFlags", "as", (["--slice-us"],), {INVALID_FLAGS}),
        ("a 1 MiB flag", "ApplyFlags", "as", (["--" + huge],), {INVALID_FLAGS}),
        ("a 1 MiB value", "ApplyFlags", "as", (["--slice-us", "1" * MIB],), {INVALID_FLAGS}),
        ("5000 valid flags, then an unknown one", "ApplyFlags", "as", (flags_then_bad,),
         {INVALID_FLAGS}),
        ("10000 unknown flags", "ApplyFlags", "as", (["--bogus"] * 10000,), {INVALID_FLAGS}),
        ("10000 empty strings", "ApplyFlags", "as", ([""] * 10000,), {INVALID_FLAGS}),
        ("value above the range", "ApplyFlags", "as", (["--slice-us", "100001"],),
         {INVALID_FLAGS}),
        ("value below the range", "ApplyFlags", "as", (["--slice-us", "99"],), {INVALID_FLAGS}),
        ("value beyond 64 bits", "ApplyFlags", "as",
         (["--slice-us", "99999999999999999999999"],), {INVALID_FLAGS}),
        ("negative value", "ApplyFlags", "as", (["--slice-us", "-1000"],), {INVALID_FLAGS}),
        ("hex value", "ApplyFlags", "as", (["--slice-us", "0x1000"],), {INVALID_FLAGS}),
        ("value with spaces", "ApplyFlags", "as", (["--slice-us", " 3000 "],), {INVALID_FLAGS}),
        ("full-width digits", "ApplyFlags", "as", (["--slice-us", "\uff13\uff10\uff10\uff10"],),
         {INVALID_FLAGS}),
        ("value for a switch", "ApplyFlags", "as", (["--mm-affinity=maybe"],), {INVALID_FLAGS}),
        ("CPU beyond the limit", "ApplyFlags", "as", (["--primary-domain", "0-99999999"],),
         {INVALID_FLAGS}),
        # Every item alone is valid; together they name each CPU thousands of times.
        ("a 1 MiB CPU list of whole ranges", "ApplyFlags", "as",
         (["--primary-domain", ",".join(["0-8191"] * (MIB // 7))],), {INVALID_FLAGS}),
        ("RegisterGame pid 0", "RegisterGame", "u", (u32(0),), {FAILED}),
        ("RegisterGame pid 2^32-1", "RegisterGame", "u", (u32(2**32 - 1),), {FAILED}),
        ("RegisterGame pid 2^31", "RegisterGame", "u", (u32(2**31),), {FAILED}),
        ("UnregisterGame pid 0", "UnregisterGame", "u", (u32(0),), {NOT_REGISTERED}),
        ("UnregisterGame pid 2^32-1", "UnregisterGame", "u", (u32(2**32 - 1),),
         {NOT_REGISTERED}),
        ("UnregisterGame of a process that is no game", "UnregisterGame", "u", (u32(own_pid),),
         {NOT_REGISTERED}),
        # Wrong argument types: the signature is the contract.
        ("SetProfile with a number", "SetProfile", "u", (u32(5),), {INVALID_ARGS}),
        ("SetProfile with no argument", "SetProfile", "", (), {INVALID_ARGS}),
        ("SetProfile with two strings", "SetProfile", "ss", ("gaming", "x"), {INVALID_ARGS}),
        ("ApplyFlags with a string", "ApplyFlags", "s", ("--slice-us 3000",), {INVALID_ARGS}),
        ("ApplyFlags with an array of arrays", "ApplyFlags", "aas", ([["--slice-us", "3000"]],),
         {INVALID_ARGS}),
        ("SetProfileWithOptions with a{ss}", "SetProfileWithOptions", "sa{ss}",
         ("lowlatency", {"persist": "true"}), {INVALID_ARGS}),
        ("RegisterGame with a string", "RegisterGame", "s", (str(own_pid),), {INVALID_ARGS}),
        ("RegisterGame with a negative int32", "RegisterGame", "i", (dbus.Int32(-1),),
         {INVALID_ARGS}),
        ("RegisterGame with a uint64", "RegisterGame", "t", (dbus.UInt64(own_pid),),
         {INVALID_ARGS}),
        ("GetStats with an argument", "GetStats", "s", ("x",), {"ok", INVALID_ARGS}),
    ]
    if sentinel_key is not None:
        for method in ("DeleteLearnedProfile", "GetLearnedProfile", "ExportLearnedProfile"):
            # Never a file outside the learned profiles' directory.
            cases.append((f"{method} with a path out of the profiles directory", method, "s",
                          (sentinel_key,),
                          {ERROR_PREFIX + "UnknownLearnedProfile", FAILED}))
            cases.append((f"{method} with a 1 MiB key", method, "s", (huge,),
                          {ERROR_PREFIX + "UnknownLearnedProfile", FAILED}))
            cases.append((f"{method} with an empty key", method, "s", ("",),
                          {ERROR_PREFIX + "UnknownLearnedProfile", FAILED}))
    return cases


def cmd_hostile(report, daemon_pid, sentinel):
    methods, _ = interface()
    bus = Bus()
    alive_before, owner = daemon_alive(bus)
    report.check(alive_before, f"the daemon owns {BUS_NAME}", owner)
    me = os.getpid()
    sentinel_key = None
    sentinel_data = read_file(sentinel) if sentinel else None
    if sentinel and "DeleteLearnedProfile" in methods:
        # A key that would name SENTINEL if it were used as a path: profiles/<key>.toml
        sentinel_key = "../" * 12 + sentinel[1:].removesuffix(".toml")
    for what, name, sig, args, acceptable in hostile_cases(me, sentinel_key):
        if name not in methods:
            report.note(f"skipped (no {name} in the interface): {what}")
            continue
        before = snapshot(bus, methods)
        status, text = bus.call(name, sig, args)
        after = snapshot(bus, methods)
        answers = " or ".join(sorted(acceptable))
        report.check(status in acceptable, f"{what}: {name} answers {answers}",
                     f"got {status}: {short(text, 300)}")
        if status != "ok":
            report.check("\n" not in text and len(text) <= 4096,
                         f"{what}: the error message is one line of at most 4 KiB",
                         f"{len(text)} chars: {short(text, 200)}")
        report.check(before == after, f"{what}: state unchanged", diff(before, after))
        alive = os.path.exists(f"/proc/{daemon_pid}") and daemon_alive(bus)[0]
        if not report.check(alive, f"{what}: the daemon is still up"):
            return
    if sentinel:
        report.check(read_file(sentinel) == sentinel_data,
                     f"{sentinel} (a learned-profile key's path target) is untouched")

    # The caller's own pid and the daemon's: valid registrations, undone again.
    for what, pid in (("the caller's own pid", me), ("the daemon's own pid", daemon_pid)):
        before = snapshot(bus, methods)
        status, text = bus.call("RegisterGame", "u", (dbus.UInt32(pid),))
        report.check(status == "ok", f"RegisterGame {what} succeeds (root may)",
                     f"got {status}: {text}")
        status, text = bus.call("UnregisterGame", "u", (dbus.UInt32(pid),))
        report.check(status == "ok", f"UnregisterGame {what} succeeds", f"got {status}: {text}")
        after = snapshot(bus, methods)
        report.check(before == after, f"after RegisterGame+UnregisterGame of {what}: state as "
                     "before", diff(before, after))
        report.check(daemon_alive(bus)[0], f"{what}: the daemon is still up")
    bus.close()


# ---- raw D-Bus, to send what libdbus refuses to build ----

class RawMessage:
    """Little-endian D-Bus marshalling of a method call, by hand: it lets a test put bytes
    into a string that no D-Bus library would send."""

    def __init__(self):
        self.buf = bytearray()

    def align(self, n):
        self.buf += b"\0" * (-len(self.buf) % n)

    def byte(self, v):
        self.buf += bytes([v])

    def u32(self, v):
        self.align(4)
        self.buf += struct.pack("<I", v)

    def string(self, raw):  # s and o: raw bytes, not checked
        self.u32(len(raw))
        self.buf += raw + b"\0"

    def signature(self, raw):
        self.byte(len(raw))
        self.buf += raw + b"\0"


def raw_method_call(serial, member, body_sig, body, destination=BUS_NAME.encode(),
                    path=OBJECT_PATH.encode(), interface_name=INTERFACE.encode()):
    """BODY: bytes already marshalled for BODY_SIG (starting 8-aligned)."""
    fields = RawMessage()
    entries = [(1, b"o", path), (2, b"s", interface_name), (3, b"s", member),
               (6, b"s", destination)]
    if body_sig:
        entries.append((8, b"g", body_sig))
    for code, sig, value in entries:
        fields.align(8)
        fields.byte(code)
        fields.signature(sig)
        if sig == b"g":
            fields.signature(value)
        else:
            fields.string(value)
    header = RawMessage()
    header.buf += b"l" + bytes([1, 0, 1])  # little endian, METHOD_CALL, no flags, version 1
    header.buf += struct.pack("<II", len(body), serial)
    header.u32(len(fields.buf))
    # The fields array's elements are 8-aligned relative to the message start (offset 16).
    header.buf += fields.buf
    header.align(8)
    return bytes(header.buf) + body


def string_body(raw):
    m = RawMessage()
    m.string(raw)
    return bytes(m.buf)


class RawConnection:
    def __init__(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(CALL_TIMEOUT)
        self.sock.connect(os.environ.get("DBUS_SYSTEM_BUS_ADDRESS",
                                         "unix:path=/run/dbus/system_bus_socket")
                          .split("path=", 1)[1].split(",")[0])
        uid_hex = str(os.getuid()).encode().hex().encode()
        self.sock.sendall(b"\0AUTH EXTERNAL " + uid_hex + b"\r\n")
        line = self._line()
        if not line.startswith(b"OK"):
            raise RuntimeError(f"bus authentication failed: {line!r}")
        self.sock.sendall(b"BEGIN\r\n")
        self.pending = b""
        self.serial = 0
        self.send(b"Hello", b"", b"", destination=b"org.freedesktop.DBus",
                  path=b"/org/freedesktop/DBus", interface_name=b"org.freedesktop.DBus")
        kind, _ = self.reply()
        if kind != "return":
            raise RuntimeError(f"Hello failed: {kind}")

    def _line(self):
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = self.sock.recv(1)
            if not chunk:
                raise RuntimeError("bus closed the connection during authentication")
            data += chunk
        return data

    def send(self, member, sig, body, **where):
        self.serial += 1
        self.sock.sendall(raw_method_call(self.serial, member, sig, body, **where))
        return self.serial

    def _read(self, n):
        while len(self.pending) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.pending += chunk
        data, self.pending = self.pending[:n], self.pending[n:]
        return data

    def reply(self):
        """Next reply or error to us: ("return" | "error: NAME" | "closed", serial)."""
        while True:
            try:
                fixed = self._read(16)
            except (EOFError, ConnectionResetError):
                return "closed", None
            _, kind, _, _, body_len, _, fields_len = struct.unpack("<cBBBIII", fixed)
            padded = fields_len + (-fields_len % 8)
            fields = self._read(padded)
            self._read(body_len)
            info = parse_fields(fields[:fields_len])
            if kind == 2:
                return "return", info.get(5)
            if kind == 3:
                return "error: " + info.get(4, "?"), info.get(5)
            # signals (NameAcquired) and anything else: skip

    def close(self):
        self.sock.close()


def parse_fields(data):
    """Header fields we need: 4 ERROR_NAME (s), 5 REPLY_SERIAL (u)."""
    out, pos = {}, 0
    while pos < len(data):
        pos += -(pos + 16) % 8  # 8-aligned relative to the message (fields start at 16)
        if pos >= len(data):
            break
        code = data[pos]
        sig_len = data[pos + 1]
        sig = data[pos + 2:pos + 2 + sig_len]
        pos += 3 + sig_len
        if sig in (b"s", b"o"):
            pos += -(pos + 16) % 4
            (n,) = struct.unpack_from("<I", data, pos)
            out[code] = data[pos + 4:pos + 4 + n].decode(errors="replace")
            pos += 5 + n
        elif sig == b"g":
            n = data[pos]
            out[code] = data[pos + 1:pos + 1 + n].decode()
            pos += 2 + n
        elif sig == b"u":
            pos += -(pos + 16) % 4
            (out[code],) = struct.unpack_from("<I", data, pos)
            pos += 4
        else:
            break
    return out


def cmd_raw_utf8(report, daemon_pid):
    methods, _ = interface()
    bus = Bus()
    # A well-formed raw call first: proves the hand-made messages are right, so a dropped
    # connection below is the bus refusing the content, not a marshalling mistake.
    conn = RawConnection()
    conn.send(b"SetProfile", b"s", string_body(b"no-such-profile"))
    kind, _ = conn.reply()
    conn.close()
    report.check(kind == "error: " + UNKNOWN_PROFILE,
                 "a hand-marshalled SetProfile with a valid string reaches the daemon",
                 f"got {kind}")
    bad = [
        ("a lone continuation byte", b"s", string_body(b"gam\x80ing")),
        ("0xff", b"s", string_body(b"gaming\xff")),
        ("an overlong encoding of '/'", b"s", string_body(b"\xc0\xafetc")),
        ("a UTF-16 surrogate", b"s", string_body(b"\xed\xa0\x80")),
        ("a code point above U+10FFFF", b"s", string_body(b"\xf4\x90\x80\x80")),
        ("a truncated sequence", b"s", string_body(b"gaming\xe2\x82")),
        ("an embedded NUL", b"s", string_body(b"gaming\0lowlatency")),
        ("a string longer than the message", b"s", struct.pack("<I", 0xFFFFFF00) + b"abc\0"),
    ]
    for what, sig, body in bad:
        before = snapshot(bus, methods)
        conn = RawConnection()
        conn.send(b"SetProfile", sig, body)
        kind, _ = conn.reply()
        conn.close()
        after = snapshot(bus, methods)
        # dbus-daemon validates every message it receives and drops a client that sends an
        # invalid one; should one ever pass, the daemon must answer it with an error.
        report.check(kind == "closed" or kind.startswith("error: "),
                     f"SetProfile with {what}: the bus drops the sender (or an error comes back)",
                     f"got {kind}")
        report.note(f"SetProfile with {what}: {kind}")
        report.check(before == after, f"SetProfile with {what}: state unchanged",
                     diff(before, after))
        report.check(os.path.exists(f"/proc/{daemon_pid}") and daemon_alive(bus)[0],
                     f"SetProfile with {what}: the daemon is still up")
    bus.close()


INJECTED_PROFILES = [
    "gaming; touch {m}", "gaming\ntouch {m}", "$(touch {m})", "`touch {m}`",
    "gaming' ; touch {m} ; '", 'gaming" ; touch {m} ; "', "gaming && touch {m}",
    "gaming | touch {m}", "gaming > {m}", "gaming --slice-us 100", "gaming\nSCX_SCHEDULER=evil",
    "gaming\rSCX_FLAGS=--verbose", "${{IFS}}touch${{IFS}}{m}", "gaming\\", "*", "--profile",
    "-", "gaming #", "l" * MIB,
]
INJECTED_FLAGS = [
    ["--slice-us", "3000; touch {m}"], ["--slice-us", "$(touch {m})"],
    ["--slice-us", "`touch {m}`"],
    ["--slice-us=3000;touch {m}"], ["--slice-us", "3000", "; touch {m}"],
    ["--slice-us", "3000\nSCX_SCHEDULER=evil"], ["--slice-us", "3000'"], ["--slice-us", '3000"'],
    ["--primary-domain", "0-1 --verbose"], ["--primary-domain", "0\nSCX_SCHEDULER=evil"],
    ["--primary-domain", "all'"], ["--primary-domain", 'all"'],
    ["--primary-domain", "$(touch {m})"],
    ["--primary-domain", "`touch {m}`"], ["--primary-domain", "*"], ["--primary-domain", "0;1"],
    ["--primary-domain", "all\\"], ["--primary-domain", "0-1\r"], ["--primary-domain", "0" * MIB],
    ["--verbose=$(touch {m})"], ["--verbose", "; touch {m}"], ["--mm-affinity=true\n--verbose"],
    ["--rules", "/tmp/x;touch {m}"], ["--stats-socket", "$(touch {m})"], ["--profile", "gaming"],
    ["--slice-us\n--verbose"], ["--slice-us", "1" * MIB],
]


def cmd_injection(report, path):
    methods, _ = interface()
    bus = Bus()
    marker = "/run/scxgamer-injected"
    original = read_file(path)
    report.note(f"{path}: " + ("absent" if original is None else f"{len(original)} bytes") +
                " before the calls")
    directory = os.path.dirname(path)
    listing = sorted(os.listdir(directory))
    persist = {"persist": dbus.Boolean(True)}
    cases = [("SetProfileWithOptions", "sa{sv}", (p.format(m=marker), persist), UNKNOWN_PROFILE)
             for p in INJECTED_PROFILES]
    cases += [("ApplyFlagsWithOptions", "asa{sv}", ([f.format(m=marker) for f in flags], persist),
               INVALID_FLAGS) for flags in INJECTED_FLAGS]
    for name, sig, args, want in cases:
        before = snapshot(bus, methods)
        status, text = bus.call(name, sig, args)
        after = snapshot(bus, methods)
        what = f"{name}({short(args[0], 50)}, persist)"
        report.check(status == want, f"{what} is refused with {want}", f"got {status}: {text}")
        report.check(before == after, f"{what}: state unchanged", diff(before, after))
        report.check(read_file(path) == original, f"{what}: {path} byte-identical")
    report.check(sorted(os.listdir(directory)) == listing,
                 f"no file appeared in {directory} (no backup: nothing was written)",
                 f"now: {sorted(set(os.listdir(directory)) - set(listing))}")
    report.check(not os.path.exists(marker), f"{marker} was never created")
    bus.close()


def main(argv):
    report = Report()
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    command, args = argv[0], argv[1:]
    if command == "unprivileged":
        cmd_unprivileged(report)
    elif command == "name-squat":
        cmd_name_squat(report)
    elif command == "wait-allowed":
        cmd_wait_allowed(report, args[0])
    elif command == "allowed":
        cmd_allowed(report)
    elif command == "hostile":
        cmd_hostile(report, int(args[0]), args[1] if len(args) > 1 else None)
    elif command == "raw-utf8":
        cmd_raw_utf8(report, int(args[0]))
    elif command == "injection":
        cmd_injection(report, args[0])
    else:
        print(f"dbus_checks.py: unknown command {command!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

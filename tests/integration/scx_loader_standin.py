# SPDX-License-Identifier: GPL-2.0-only
"""A python-dbusmock template standing in for scx_loader's org.scx.Loader in the companion-mode
tests (test_loader_companion.py): it keeps CurrentScheduler/SchedulerMode/CurrentSchedulerArgs
the way scx_loader does when switched or held, and records every call (GetMethodCalls).

Parameters (python3 -m dbusmock --template THIS_FILE -p JSON):
    scheduler  the scheduler it runs at start ("scx_lavd"; "unknown" for none)
    mode       its mode number at start (0)
    args       its arguments at start ([]: started by mode)
    holds      whether it has HoldScheduler/ReleaseScheduler (true; false: an older scx_loader)
    refuse     method names that answer org.freedesktop.DBus.Error.Failed, as a polkit denial
"""

import dbus

BUS_NAME = "org.scx.Loader"
MAIN_OBJ = "/org/scx/Loader"
MAIN_IFACE = "org.scx.Loader"
SYSTEM_BUS = True

FAILED = "org.freedesktop.DBus.Error.Failed"


def _run(mock, scheduler, mode, args):
    mock.props[MAIN_IFACE]["CurrentScheduler"] = dbus.String(scheduler)
    mock.props[MAIN_IFACE]["SchedulerMode"] = dbus.UInt32(mode)
    mock.props[MAIN_IFACE]["CurrentSchedulerArgs"] = dbus.Array(args, signature="s")


def _snapshot(mock):
    props = mock.props[MAIN_IFACE]
    return (str(props["CurrentScheduler"]), int(props["SchedulerMode"]),
            [str(a) for a in props["CurrentSchedulerArgs"]])


def _refuse_if_asked(mock, method):
    if method in mock.refuse:
        raise dbus.exceptions.DBusException(f"{method} refused by the stand-in", name=FAILED)


def switch_scheduler(mock, scheduler, mode):
    _refuse_if_asked(mock, "SwitchScheduler")
    if mock.holds_active:
        raise dbus.exceptions.DBusException("holds are active", name=FAILED)
    _run(mock, scheduler, mode, [])


def switch_scheduler_with_args(mock, scheduler, args):
    _refuse_if_asked(mock, "SwitchSchedulerWithArgs")
    if mock.holds_active:
        raise dbus.exceptions.DBusException("holds are active", name=FAILED)
    _run(mock, scheduler, 0, list(args))


def hold_scheduler(mock, scheduler, mode, _reason, _app_id):
    _refuse_if_asked(mock, "HoldScheduler")
    if not mock.holds_active:
        mock.pre_hold = _snapshot(mock)
    mock.next_cookie += 1
    mock.holds_active.append((mock.next_cookie, str(scheduler), int(mode)))
    _run(mock, scheduler, mode, [])
    return dbus.UInt32(mock.next_cookie)


def release_scheduler(mock, cookie):
    _refuse_if_asked(mock, "ReleaseScheduler")
    remaining = [hold for hold in mock.holds_active if hold[0] != cookie]
    if len(remaining) == len(mock.holds_active):
        raise dbus.exceptions.DBusException(f"no active hold with cookie {cookie}", name=FAILED)
    mock.holds_active = remaining
    if remaining:
        _, scheduler, mode = remaining[-1]
        _run(mock, scheduler, mode, [])
    else:
        _run(mock, *mock.pre_hold)


def load(mock, parameters):
    mock.refuse = set(parameters.get("refuse", []))
    mock.holds_active = []
    mock.next_cookie = 0
    mock.pre_hold = None
    mock.AddProperties(MAIN_IFACE, {
        "CurrentScheduler": dbus.String(parameters.get("scheduler", "scx_lavd")),
        "SchedulerMode": dbus.UInt32(parameters.get("mode", 0)),
        "CurrentSchedulerArgs": dbus.Array(parameters.get("args", []), signature="s"),
    })
    mock.AddMethod(MAIN_IFACE, "SwitchScheduler", "su", "", switch_scheduler)
    mock.AddMethod(MAIN_IFACE, "SwitchSchedulerWithArgs", "sas", "", switch_scheduler_with_args)
    if parameters.get("holds", True):
        mock.AddMethod(MAIN_IFACE, "HoldScheduler", "suss", "u", hold_scheduler)
        mock.AddMethod(MAIN_IFACE, "ReleaseScheduler", "u", "", release_scheduler)

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""detect_trace.breakdown on a trace recorded in the VM (two launches of bench/detectbench under
scx_gamer, MTTCG). The expected times were read off the trace by hand, not computed by the
module; see the comments."""
import os
import unittest

import detect_trace

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata",
                       "detect-trace-2-launches.txt")
GAME = "/work/main/build/bin/gamebench"
DAEMON_TIDS, BUS_TIDS = {164}, {159}

# Per launch: execve, daemon woken, daemon runs, dbus-daemon woken, dbus-daemon runs, client
# woken, client runs (seconds in the trace).
LAUNCH_1 = (6.451562, 6.456331, 6.457126, 6.464410, 6.466604, 6.469160, 6.469606)
LAUNCH_2 = (6.778703, 6.785375, 6.787672, 6.795612, 6.796698, 6.798188, 6.798626)
# sched_process_exec of each launch: the kernel's exec finished.
EXEC_DONE = (6.461200, 6.790758)


def segments(times):
    return [round((b - a) * 1e3, 3) for a, b in zip(times, times[1:])]


class BreakdownTest(unittest.TestCase):
    def setUp(self):
        with open(FIXTURE) as f:
            self.lines = f.read().splitlines()

    def test_each_segment_is_the_gap_between_its_two_events(self):
        found = detect_trace.breakdown(self.lines, GAME, DAEMON_TIDS, BUS_TIDS)
        self.assertEqual((found["launches"], found["complete"]), (2, 2))
        self.assertEqual([row["segment"] for row in found["segments"]],
                         [key for key, _ in detect_trace.SEGMENTS])
        for row, one, two in zip(found["segments"], segments(LAUNCH_1), segments(LAUNCH_2)):
            # Nearest rank of two values: p50 is the smaller, p90 and above the larger.
            self.assertAlmostEqual(row["p50"], min(one, two), places=3, msg=row["segment"])
            self.assertAlmostEqual(row["max"], max(one, two), places=3, msg=row["segment"])
            self.assertAlmostEqual(row["p99"], max(one, two), places=3, msg=row["segment"])
        totals = [(LAUNCH_1[-1] - LAUNCH_1[0]) * 1e3, (LAUNCH_2[-1] - LAUNCH_2[0]) * 1e3]
        self.assertAlmostEqual(found["total_ms"]["p50"], min(totals), places=3)
        self.assertAlmostEqual(found["total_ms"]["max"], max(totals), places=3)
        # The daemon's work (woken -> signal sent) left out, launch by launch.
        without = [t - (l[3] - l[2]) * 1e3 for t, l in zip(totals, (LAUNCH_1, LAUNCH_2))]
        self.assertAlmostEqual(found["without_daemon_work_ms"]["max"], max(without), places=3)

    def test_the_kernels_exec_ends_at_sched_process_exec(self):
        took = sorted((done - launch[0]) * 1e3 for done, launch in zip(EXEC_DONE,
                                                                       (LAUNCH_1, LAUNCH_2)))
        found = detect_trace.kernel_exec(self.lines, GAME)
        self.assertEqual(found["launches"], 2)
        self.assertAlmostEqual(found["p50"], took[0], places=3)
        self.assertAlmostEqual(found["max"], took[1], places=3)
        self.assertEqual(detect_trace.breakdown(self.lines, GAME, DAEMON_TIDS, BUS_TIDS)
                         ["kernel_exec_ms"], found)
        self.assertIsNone(detect_trace.kernel_exec(self.lines, "/usr/bin/other-game"))

    def test_a_launch_missing_a_step_is_counted_but_not_measured(self):
        # Drop the switch to dbus-daemon in the second launch.
        lines = [l for l in self.lines if "6.796698:" not in l]
        found = detect_trace.breakdown(lines, GAME, DAEMON_TIDS, BUS_TIDS)
        self.assertEqual((found["launches"], found["complete"]), (2, 1))
        self.assertEqual([row["max"] for row in found["segments"]], segments(LAUNCH_1))

    def test_other_threads_do_not_count_as_the_daemon_or_the_bus(self):
        found = detect_trace.breakdown(self.lines, GAME, {99999}, BUS_TIDS)
        self.assertEqual((found["launches"], found["complete"]), (2, 0))
        self.assertEqual(found["segments"], [])
        found = detect_trace.breakdown(self.lines, GAME, DAEMON_TIDS, {99999})
        self.assertEqual(found["complete"], 0)

    def test_only_the_games_execve_starts_a_launch(self):
        found = detect_trace.breakdown(self.lines, "/usr/bin/other-game", DAEMON_TIDS, BUS_TIDS)
        self.assertEqual(found["launches"], 0)


if __name__ == "__main__":
    unittest.main()

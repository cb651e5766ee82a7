#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Interrupts per second from /proc/interrupts over a window: one parser for vm.idle_interrupts
(tests/vm/test-idle-interrupts.sh) and the benchmark's idle pass (bench/lib/guest-bench.py).

As a module: totals() and rates(seconds). As a program: irq_rates.py SECONDS [--lines FILE]
prints "LOC TOTAL" (per second, rounded down) and, with --lines, writes every line's rate
("LABEL RATE", highest first, zeros left out) to FILE."""
import argparse
import sys
import time


def totals():
    """{label: count summed over the CPUs} from /proc/interrupts."""
    out = {}
    with open("/proc/interrupts") as f:
        ncpus = len(f.readline().split())
        for line in f:
            label, _, rest = line.partition(":")
            total = 0
            for field in rest.split()[:ncpus]:
                if not field.isdigit():
                    break  # the controller's name and the line's description follow the counts
                total += int(field)
            out[label.strip()] = total
    return out


def rates(seconds):
    """{label: interrupts per second} over `seconds` from now."""
    before = totals()
    time.sleep(seconds)
    after = totals()
    return {k: (v - before.get(k, 0)) / seconds for k, v in after.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seconds", type=float, help="length of the window")
    parser.add_argument("--lines", metavar="FILE", help="write each line's rate there")
    a = parser.parse_args()
    if a.seconds <= 0:
        parser.error("the window must be longer than 0 s")
    per_line = rates(a.seconds)
    if a.lines:
        with open(a.lines, "w") as out:
            for label, rate in sorted(per_line.items(), key=lambda kv: -kv[1]):
                if rate:
                    out.write("%s %.1f\n" % (label, rate))
    print(int(per_line.get("LOC", 0)), int(sum(per_line.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main())

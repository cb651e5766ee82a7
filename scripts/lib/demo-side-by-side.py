#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""The demo's closing side-by-side (scripts/demo): the same synthetic game and background load,
one short run under EEVDF and one under scx_gamer, and their frame misses and input latency.

Runs where sched_ext exists (the VM, or the machine itself), as root. It measures nothing of
its own: the runs are the benchmark's (bench/lib/guest-bench.py: gamebench beside loadgen, the
real scx_gamer daemon), planned and read with bench/run-vm-bench's own plan, metrics and number
format, only shorter and once each. So the figures are real measurements of this run, and as
noisy as one short run in a VM is: docs/benchmarks.md has the benchmark.

    demo-side-by-side.py BUILD_DIR [--duration S] [--warmup S]
"""
import argparse
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ beside bench/run-vm-bench on a --no-vm run
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUEST_BENCH = os.path.join(ROOT, "bench", "lib", "guest-bench.py")

# (run-vm-bench metric key, what the table calls it, unit shown); the first two are what the
# demo is about, the last says how much of any difference the VM itself could account for.
SHOWN = [
    ("miss_pct", "frame deadline misses", "%"),
    ("input_p99", "input latency p99", "ms"),
    ("input_p50", "input latency p50", "ms"),
    ("fps", "frames presented", "fps"),
    ("loops_per_s", "background CPU hog loops", "/s"),
    ("floor_p99", "noise floor: RT thread wake-up p99", "ms"),
]


def load_run_vm_bench():
    """bench/run-vm-bench as a module (it has no .py suffix; its main() does not run)."""
    path = os.path.join(ROOT, "bench", "run-vm-bench")
    loader = importlib.machinery.SourceFileLoader("run_vm_bench", path)
    spec = importlib.util.spec_from_loader("run_vm_bench", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def say(msg):
    print("    " + msg, flush=True)


def print_table(rvb, results, duration, info):
    """The two runs side by side; False if either run was not valid."""
    scheds = ("eevdf", "scx_gamer")
    rows = []
    for key, label, shown_unit in SHOWN:
        _, _, unit, better, fn = next(m for m in rvb.METRICS if m[0] == key)
        vals = [rvb.metric_values([results[s]], fn) for s in scheds]
        cells = [rvb.fmt_num(v[0], unit) + " " + shown_unit if v else "–" for v in vals]
        ratio = ("x%.2f" % (vals[1][0] / vals[0][0])) if all(vals) and vals[0][0] else ""
        rows.append(("%s %s" % (label, "(lower is better)" if better == "lower"
                                else "(higher is better)"), cells[0], cells[1], ratio))
    w = max(len(r[0]) for r in rows)
    print()
    say("%-*s  %12s  %12s  %s" % (w, "", "EEVDF", "scx_gamer", "scx_gamer/EEVDF"))
    for label, e, g, ratio in rows:
        say("%-*s  %12s  %12s  %s" % (w, label, e, g, ratio))
    print()
    bad = [(s, results[s]) for s in scheds if not results[s].get("valid")]
    for s, r in bad:
        say("note: the %s run had problems: %s" % (rvb.scheduler_label(s),
                                                    "; ".join(r.get("problems", []))))
    where = "this VM" if info.get("in_vm") else "this machine"
    say("Measured just now: one short run each (%g s), in %s with %d CPUs. A demo, not the" % (
        duration, where, info["nproc"]))
    say("benchmark: single runs vary. The benchmark (repeated runs, medians, ratios, more")
    say("metrics) is bench/run-vm-bench; its latest results are in docs/benchmarks.md.")
    return not bad


def main():
    ap = argparse.ArgumentParser(prog="demo-side-by-side.py")
    ap.add_argument("build_dir")
    ap.add_argument("--duration", type=float, default=5, help="measured seconds per run")
    ap.add_argument("--warmup", type=float, default=2, help="seconds before the window opens")
    args = ap.parse_args()

    rvb = load_run_vm_bench()
    # The benchmark's own plan: eevdf then scx_gamer, once each, load scaled to the CPUs here.
    # --no-mttcg and --no-build only keep prepare() from asking vm-run or cmake anything: this
    # already runs where the measurement happens, from a finished build.
    a = rvb.parse_args(["--schedulers", "eevdf,scx_gamer", "--repeat", "1",
                        "--duration", str(args.duration), "--warmup", str(args.warmup),
                        "--smp", str(os.cpu_count() or 1), "--detect", "0", "--detect-trace", "0",
                        "--no-bpf-stats", "--no-build", "--no-mttcg",
                        "--build-dir", args.build_dir])
    tools = rvb.prepare(a)
    tools.pop("bpftool", None)  # only used for the BPF overhead figures, which the demo omits
    plan = rvb.make_plan(a, tools)

    say("gamebench: %g fps, %g%% of each frame's budget as render work, %g Hz input; "
        "loadgen: %d CPU hogs + %d fork/exec churners" % (
            a.fps, a.work_pct, a.input_hz, plan["load_cpu"], plan["load_fork"]))
    say("each run: %g s warm-up, %g s measured" % (a.warmup, a.duration))
    say("calibrating gamebench's work unit on the idle machine...")

    results, info = {}, None
    t0 = time.monotonic()
    with tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.Popen(["/usr/bin/python3", GUEST_BENCH],
                                env=dict(os.environ, GAMEBENCH_PLAN=json.dumps(plan)),
                                stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
                                text=True, cwd="/tmp")
        for line in proc.stdout:
            tag, _, body = line.rstrip("\n").partition(" ")
            if tag == "@@INFO":
                info = json.loads(body)
                if info.get("calibration"):
                    say("calibrated: %.1f work units per microsecond" % (
                        info["calibration"]["units_per_us"]))
            elif tag == "@@PROGRESS":
                p = json.loads(body)
                if p.get("phase"):  # the benchmark's detection pass: not planned here
                    continue
                what = ("no sched_ext scheduler" if p["scheduler"] == "eevdf" else
                        "the daemon, --profile %s; the game detected first" % a.profile)
                say("[%d/%d] %s (%s): game + load for %g s..." % (
                    p["index"] + 1, p["total"], rvb.scheduler_label(p["scheduler"]), what,
                    a.warmup + a.duration))
            elif tag == "@@RESULT":
                r = json.loads(body)
                results[r["scheduler"]] = r
                say("      done (%.0f s since the start of the side-by-side)" % (
                    time.monotonic() - t0))
        rc = proc.wait()
        if rc != 0 or len(results) != 2:
            err.seek(0)
            sys.stderr.write(err.read()[-3000:])
    if info is None or len(results) != 2:
        print("demo: the side-by-side did not run (guest-bench.py exit status %d)" % rc,
              file=sys.stderr)
        return 1

    return 0 if print_table(rvb, results, a.duration, info) else 1


if __name__ == "__main__":
    sys.exit(main())

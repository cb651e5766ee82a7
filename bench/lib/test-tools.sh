#!/usr/bin/env bash
# Host-side checks of gamebench and loadgen (no VM, no sched_ext needed): they start, calibrate,
# measure, write well-formed JSON with every number present, reject bad options, and loadgen's
# load really runs. Usage: test-tools.sh GAMEBENCH LOADGEN

# SPDX-License-Identifier: GPL-2.0-only
set -euo pipefail
gamebench=$1 loadgen=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$gamebench" --help | grep -q -- --work-pct || fail "gamebench --help"
st=0; "$gamebench" --fps 0 2>/dev/null || st=$?
[ "$st" -eq 2 ] || fail "gamebench --fps 0 exit $st, want 2"
st=0; "$gamebench" --fps nan 2>/dev/null || st=$?
[ "$st" -eq 2 ] || fail "gamebench --fps nan exit $st, want 2"
st=0; "$loadgen" --bogus 2>/dev/null || st=$?
[ "$st" -eq 2 ] || fail "loadgen --bogus exit $st, want 2"

st=0; "$gamebench" --present "$tmp/none.sock" --duration 1 2>"$tmp/err" || st=$?
[ "$st" -eq 1 ] || fail "gamebench --present to no compositor: exit $st, want 1"
grep -q "none.sock" "$tmp/err" || fail "gamebench --present to no compositor: no message naming it"
st=0; "$gamebench" --present "$tmp/$(printf 'x%.0s' {1..120})" 2>/dev/null || st=$?
[ "$st" -eq 2 ] || fail "gamebench --present with a too long path: exit $st, want 2"

# A compositor process and the game handing it every frame.
"$gamebench" --compositor "$tmp/c.sock" --duration 1 --warmup 0.2 --json "$tmp/c.json" \
    --ready-file "$tmp/c.ready" --quiet &
comp=$!
for _ in $(seq 100); do [ -e "$tmp/c.ready" ] && break; sleep 0.1; done
[ -e "$tmp/c.ready" ] || fail "the compositor never bound its socket"
"$gamebench" --duration 1 --warmup 0.2 --present "$tmp/c.sock" --json "$tmp/g.json" \
    --ready-file "$tmp/ready" >"$tmp/g.txt" || fail "gamebench run"
wait "$comp" || fail "the compositor exited with $?"
[ ! -e "$tmp/c.sock" ] || fail "the compositor left its socket behind"
"$loadgen" --cpu 1 --fork 1 --duration 1 --json "$tmp/l.json" >"$tmp/l.txt" || fail "loadgen run"
python3 - "$tmp/g.json" "$tmp/l.json" "$tmp/ready" "$tmp/c.json" <<'PY'
import json, sys
g = json.load(open(sys.argv[1])); l = json.load(open(sys.argv[2])); r = json.load(open(sys.argv[3]))
c = json.load(open(sys.argv[4]))
assert g["schema"] == "scx_gamer.gamebench/1", g["schema"]
assert r["units_per_us"] > 0 and r["frame_units"] > 0, r
def dist(d, name, min_count):
    for k in ("count", "min", "mean", "p50", "p90", "p99", "p99_9", "max", "hist"):
        assert k in d, (name, k)
    assert d["count"] >= min_count, (name, d["count"])
    assert d["min"] <= d["p50"] <= d["p90"] <= d["p99"] <= d["p99_9"] <= d["max"], (name, d)
    assert sum(n for _, n in d["hist"]) == d["count"], name
dist(g["input"]["latency_us"], "input", 500)
dist(g["frames"]["frame_time_us"], "frame_time", 60)
dist(g["audio"]["completion_us"], "audio", 100)
for t in ("render", "audio", "device", "input"):
    dist(g["wakeup_latency_us"][t], "wake " + t, 60)
assert g["input"]["events_received"] == g["input"]["events_sent"] - g["input"]["lost"], g["input"]
assert g["config"]["device_policy"] == "SCHED_OTHER", g["config"]
dist(g["input_rt"]["latency_us"], "input_rt", 150)
dist(g["wakeup_latency_us"]["rt_device"], "wake rt_device", 150)
assert g["jobs"]["workers"] == 2, g["jobs"]
dist(g["jobs"]["start_us"], "jobs start", 60)
dist(g["jobs"]["fan_in_us"], "jobs fan-in", 60)
# Every frame of the window reaches the compositor unless the socket was full (counted).
assert c["schema"] == "scx_gamer.gamebench-compositor/1" and c["ended"], c
dist(c["present_wake_us"], "present", 1)
assert c["frames"] + g["frames"]["presents_dropped"] == g["frames"]["frames"], (c["frames"], g["frames"])
assert l["schema"] == "scx_gamer.loadgen/1" and l["ok"], l
assert l["cpu"]["loops"] > 0 and l["fork"]["forks"] > 0, l
print("ok: gamebench and loadgen JSON complete")
PY

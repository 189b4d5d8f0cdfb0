#!/usr/bin/env python3
"""Hot spots of a JFR recording of the relay: CPU samples, allocations, lock waits and parks.

Usage: python3 bench/jfr_hotspots.py RECORDING.jfr [TOP]
Standard library only; needs the JDK's `jfr` tool on PATH.
"""
import collections
import json
import subprocess
import sys


def events(recording, names):
    out = subprocess.run(["jfr", "print", "--json", "--stack-depth", "64", "--events", ",".join(names), recording],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["recording"]["events"]


def frame_name(frame):
    m = frame["method"]
    return "%s.%s" % (m["type"]["name"].replace("/", "."), m["name"])


def frames(event):
    st = event["values"].get("stackTrace")
    return [frame_name(f) for f in st["frames"]] if st else []


def first_own(fs, prefixes=("io.towerrelay.", "org.apache.hc.")):
    """The first frame in our code or HttpCore5's: where the cost is decided."""
    for f in fs:
        if f.startswith(prefixes):
            return f
    return fs[0] if fs else "?"


def thread(event):
    t = event["values"].get("sampledThread") or event["values"].get("eventThread") or {}
    name = t.get("javaName") or t.get("osName") or "?"
    return name.rstrip("0123456789").rstrip("-")


def table(title, counter, total, top, unit="samples"):
    print("\n## %s (%d %s)" % (title, total, unit))
    for key, n in counter.most_common(top):
        print("%6.1f%%  %s" % (100.0 * n / max(total, 1), key))


def main():
    recording = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 15

    cpu = events(recording, ["jdk.ExecutionSample"])
    by_top = collections.Counter(frames(e)[0] if frames(e) else "?" for e in cpu)
    by_own = collections.Counter(first_own(frames(e)) for e in cpu)
    by_thread = collections.Counter(thread(e) for e in cpu)
    table("CPU samples by thread", by_thread, len(cpu), top)
    table("CPU samples by top frame", by_top, len(cpu), top)
    table("CPU samples by first relay/HttpCore5 frame", by_own, len(cpu), top)

    alloc = events(recording, ["jdk.ObjectAllocationSample"])
    weight = collections.Counter()
    for e in alloc:
        fs = frames(e)
        key = "%s  <- %s" % (e["values"]["objectClass"]["name"].replace("/", "."), first_own(fs))
        weight[key] += e["values"].get("weight", 0)
    total = sum(weight.values())
    print("\n## Allocation (sampled weight, %.1f MiB in all) by class <- first relay/HttpCore5 frame" % (total / 2**20))
    for key, w in weight.most_common(top):
        print("%6.1f%%  %8.1f MiB  %s" % (100.0 * w / max(total, 1), w / 2**20, key))

    locks = events(recording, ["jdk.JavaMonitorEnter", "jdk.ThreadPark"])
    waits = collections.Counter()
    for e in locks:
        d = e["values"].get("duration", "PT0S")
        waits["%s %s  <- %s" % (e["type"].split(".")[-1], thread(e), first_own(frames(e)))] += 1
    table("Blocking on reactor threads (monitor enters and parks over the JFR threshold)",
          collections.Counter({k: v for k, v in waits.items() if "dispatch" in k}), sum(
              v for k, v in waits.items() if "dispatch" in k), top, "events")


if __name__ == "__main__":
    main()

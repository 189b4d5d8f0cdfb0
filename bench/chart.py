#!/usr/bin/env python3
"""Draws the benchmark chart (PNG) from a run's results.json: medians over rounds, one colour per target.

Usage: bench/.venv/bin/python bench/chart.py RESULTS.json OUT.png
"""
import json
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLOURS = {"direct": "#9e9e9e", "relay": "#d62728", "nginx": "#2ca02c", "apache": "#9467bd", "haproxy": "#1f77b4"}
HTTP_TESTS = [("small-keepalive", "small\nkeep-alive"), ("small-close", "small\nclose"),
              ("64k-keepalive", "64 KiB\nkeep-alive"), ("64k-close", "64 KiB\nclose")]


def median(samples, key):
    values = [v for v in samples.get(key, []) if v is not None]
    return statistics.median(values) if values else float("nan")


def bars(ax, groups, targets, value, title, ylabel, log=False):
    width = 0.8 / len(targets)
    for i, target in enumerate(targets):
        xs = [g + (i - (len(targets) - 1) / 2) * width for g in range(len(groups))]
        ys = [value(key, target) for key, _ in groups]
        ax.bar(xs, ys, width, label=target, color=COLOURS.get(target, None))
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([label for _, label in groups], fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    if log:
        ax.set_yscale("log")
    ax.grid(axis="y", alpha=0.3)


def main():
    results = json.load(open(sys.argv[1]))
    out = sys.argv[2]
    s = results["samples"]
    o = results["options"]
    targets = o["targets"]
    proxies = [t for t in targets if t != "direct"]
    panels = [p for p in ("http", "ws", "idle") if p in o["phases"]]
    rows = {"http": 2, "ws": 2, "idle": 1}
    n = sum(rows[p] for p in panels) or 1
    fig, axes = plt.subplots(n, 1, figsize=(9, 3.0 * n))
    axes = list(axes) if n > 1 else [axes]
    k = 0
    if "http" in panels:
        bars(axes[k], HTTP_TESTS, targets, lambda t, x: median(s, "http/%s/%s/rps" % (t, x)),
             "HTTP requests/s (wrk -t2 -c64)", "requests/s")
        axes[k].legend(fontsize=8, ncol=len(targets))
        bars(axes[k + 1], HTTP_TESTS, targets, lambda t, x: median(s, "http/%s/%s/p99_us" % (t, x)) / 1000,
             "HTTP p99 latency", "ms", log=True)
        k += 2
    if "ws" in panels:
        groups = [("%d-sockets" % c, "%d socket%s" % (c, "" if c == 1 else "s")) for c in o["ws_sockets"]]
        bars(axes[k], groups, targets, lambda t, x: median(s, "ws/%s/%s/events_per_s" % (t, x)),
             "WebSocket job events delivered per second (backend pushes as fast as allowed)", "events/s")
        axes[k].legend(fontsize=8, ncol=len(targets))

        def added(t, x):
            return max(0.001, (median(s, "ws/%s/%s/p99_us" % (t, x)) - median(s, "ws/%s/direct/p99_us" % t)) / 1000)

        bars(axes[k + 1], groups, proxies, added,
             "WebSocket added p99 latency over direct at %d events/s (1 ms goal dashed)" % o["paced_events_per_s"],
             "ms (log)", log=True)
        axes[k + 1].axhline(1.0, color="black", linestyle="--", linewidth=0.8)
        k += 2
    if "idle" in panels:
        idle = o["idle_sockets"]
        ax = axes[k]
        for i, p in enumerate(proxies):
            held = median(s, "idle/%d-sockets/%s/rss_kib" % (idle, p))
            if held == held:  # not NaN: it held them all
                ax.bar(i, held / 1024, color=COLOURS.get(p))
                continue
            # It gave out before holding them all: its RSS then, hatched, with how many it held.
            failed = median(s, "idle/%d-sockets/%s/failed_after_sockets" % (idle, p))
            at = median(s, "idle/%d-sockets/%s/rss_at_failure_kib" % (idle, p)) / 1024
            if failed == failed:
                ax.bar(i, at, color="white", edgecolor=COLOURS.get(p), hatch="//")
                ax.text(i, at, "gave out after %s" % format(int(failed), ","), ha="center", va="bottom", fontsize=8)
        ax.set_xticks(range(len(proxies)))
        ax.set_xticklabels(proxies)
        ax.axhline(256, color="black", linestyle="--", linewidth=0.8)
        ax.set_title("RSS holding %s idle WebSockets (256 MiB goal dashed)" % format(idle, ","), fontsize=10)
        ax.set_ylabel("MiB", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(axis="y", alpha=0.3)
    cores = results["machine"].get("cores", "?")
    fig.suptitle("tower-relay vs NGINX, Apache, HAProxy and direct, loopback, %s cores (medians of %d rounds)"
                 % (cores, o["rounds"]), fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main()

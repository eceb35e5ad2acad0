#!/usr/bin/env python3
"""Plots serve_bench.py's CSVs: throughput and latency (TTFT, ITL p50/p99) against
concurrency. Needs matplotlib (pip install matplotlib).
Usage: scripts/plot_serve_bench.py serve_bench.csv serve_bench.png"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    source, target = sys.argv[1], sys.argv[2]
    with open(source) as f:
        rows = list(csv.DictReader(f))
    c = [int(r["concurrency"]) for r in rows]
    col = lambda name: [float(r[name]) for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(c, col("tokens_per_s"), "o-")
    left.set_xlabel("concurrent clients")
    left.set_ylabel("generated tokens/s")
    left.set_title("throughput")
    for name, style in [("ttft_p50_s", "o-"), ("ttft_p99_s", "o--"), ("itl_p50_s", "s-"), ("itl_p99_s", "s--")]:
        right.plot(c, [v * 1000 for v in col(name)], style, label=name.replace("_s", "").replace("_", " "))
    right.set_xlabel("concurrent clients")
    right.set_ylabel("ms")
    right.set_yscale("log")
    right.set_title("latency")
    right.legend()
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(target, dpi=100)
    print("wrote", target)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""plot_bench.py RESULTS.csv OUT_DIR: the plots of a bench sweep (scripts/bench_sweep.sh).

decode_vs_groups.png   decode time per token against the KV group count G at each
                       tp and context (MQA at G = 1, MHA at G = H: the GQA paper's
                       Figure 6 on this machine's scale)
decode_vs_tp.png       decode time per token against tp, one line per G, longest context
decode_vs_batch.png    decode tokens/s (batch / median step time) against batch size,
                       one line per tp
kv_bytes_by_strategy.png  KV-cache bytes per rank against G, strategy group vs
                       replicate, at the largest tp run with both
Rows are grouped by the fields that vary; where a configuration was measured
more than once the last row wins.
"""
import csv
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def load(path):
    rows = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            shape = dict(item.split("=") for item in row["shape"].split(","))
            for key in ("tp", "batch", "context_tokens", "threads_per_rank"):
                row[key] = int(row[key])
            for key in ("decode_ms_per_token", "kv_bytes_per_token_per_rank"):
                row[key] = float(row[key])
            # Throughput from the median step, as robust to outliers as the times.
            row["median_tokens_per_s"] = 1e3 / row["decode_ms_per_token"]
            row["h"], row["g"] = int(shape["h"]), int(shape["g"])
            rows.append(row)
    return rows


def group_label(g, h):
    return "MQA" if g == 1 else "MHA" if g == h else f"GQA-{g}"


def select(rows, **fields):
    return [r for r in rows if all(r[k] == v for k, v in fields.items())]


def series(rows, x, y):
    """x -> y, the last row for each x, sorted by x."""
    points = {r[x]: r[y] for r in rows}
    xs = sorted(points)
    return xs, [points[v] for v in xs]


def group_axis(ax, gs, h):
    ax.set_xscale("log", base=2)
    ax.set_xticks(gs)
    ax.set_xticklabels([f"{g}\n{group_label(g, h)}" for g in gs])
    ax.set_xlabel("KV groups G")


def title(ax, rows, text):
    shape = re.sub(r"g=\d+,?", "", rows[0]["shape"])
    ax.set_title(f"{text}\nrandom model {shape}, {rows[0]['weight_dtype']} weights", fontsize=9)


def save(fig, out, name):
    fig.tight_layout()
    fig.savefig(out / name, dpi=90)
    plt.close(fig)
    print(f"plot_bench: wrote {out / name}")


def plot_groups(rows, out):
    base = select(rows, strategy="group", batch=1)
    if len({r["g"] for r in base}) < 2:
        return
    h = base[0]["h"]
    fig, ax = plt.subplots(figsize=(6, 4))
    for tp in sorted({r["tp"] for r in base}):
        for context in sorted({r["context_tokens"] for r in base}):
            xs, ys = series(select(base, tp=tp, context_tokens=context), "g", "decode_ms_per_token")
            if len(xs) > 1:
                ax.plot(xs, ys, marker="o", label=f"tp {tp}, context {context}")
    group_axis(ax, sorted({r["g"] for r in base}), h)
    ax.set_ylabel("decode ms per token")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    title(ax, base, "Decode time per token against KV groups (batch 1)")
    save(fig, out, "decode_vs_groups.png")


def plot_tp(rows, out):
    base = select(rows, strategy="group", batch=1)
    if len({r["tp"] for r in base}) < 2:
        return
    context = max(r["context_tokens"] for r in base)
    base = select(base, context_tokens=context)
    h = base[0]["h"]
    fig, ax = plt.subplots(figsize=(6, 4))
    for g in sorted({r["g"] for r in base}):
        xs, ys = series(select(base, g=g), "tp", "decode_ms_per_token")
        ax.plot(xs, ys, marker="o", label=group_label(g, h))
    tps = sorted({r["tp"] for r in base})
    ax.set_xticks(tps)
    ax.set_xticklabels([f"{tp}\n({select(base, tp=tp)[0]['threads_per_rank']} thr/rank)" for tp in tps])
    ax.set_xlabel("tensor-parallel ranks")
    ax.set_ylabel("decode ms per token")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    title(ax, base, f"Decode time per token against tp (context {context}, batch 1)")
    save(fig, out, "decode_vs_tp.png")


def plot_batch(rows, out):
    batched = [r for r in rows if r["strategy"] == "group" and r["batch"] > 1]
    if not batched:
        return
    g, context = batched[0]["g"], batched[0]["context_tokens"]
    base = select(rows, strategy="group", g=g, context_tokens=context)
    fig, ax = plt.subplots(figsize=(6, 4))
    for tp in sorted({r["tp"] for r in base}):
        xs, ys = series(select(base, tp=tp), "batch", "median_tokens_per_s")
        ax.plot(xs, ys, marker="o", label=f"tp {tp}")
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted({r["batch"] for r in base}))
    ax.set_xticklabels([str(b) for b in sorted({r["batch"] for r in base})])
    ax.set_xlabel("batch (sequences decoded together)")
    ax.set_ylabel("decode tokens/s (batch / median step)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    title(ax, base, f"Decode throughput against batch ({group_label(g, base[0]['h'])}, context {context})")
    save(fig, out, "decode_vs_batch.png")


def plot_strategy(rows, out):
    replicated = select(rows, strategy="replicate")
    if not replicated:
        return
    tp = max(r["tp"] for r in replicated)
    base = select(rows, tp=tp, batch=1)
    h = base[0]["h"]
    gs = sorted({r["g"] for r in select(base, strategy="replicate")})
    fig, ax = plt.subplots(figsize=(6, 4))
    width = 0.38
    for i, strategy in enumerate(("group", "replicate")):
        # Per token and rank: the cache allocated for one position of one sequence.
        _, ys = series([r for r in select(base, strategy=strategy) if r["g"] in gs], "g",
                       "kv_bytes_per_token_per_rank")
        ax.bar([j + (i - 0.5) * width for j in range(len(gs))], [y / 1024 for y in ys], width, label=strategy)
    ax.set_xticks(range(len(gs)))
    ax.set_xticklabels([f"{g}\n{group_label(g, h)}" for g in gs])
    ax.set_xlabel("KV groups G")
    ax.set_ylabel("KV-cache KiB per token per rank")
    ax.legend(fontsize=8)
    title(ax, base, f"KV cache per rank by sharding strategy (tp {tp})")
    save(fig, out, "kv_bytes_by_strategy.png")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: plot_bench.py RESULTS.csv OUT_DIR")
    rows = load(sys.argv[1])
    if not rows:
        sys.exit(f"plot_bench: no rows in {sys.argv[1]}")
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for plot in (plot_groups, plot_tp, plot_batch, plot_strategy):
        plot(rows, out)


if __name__ == "__main__":
    main()

"""The table and figures of docs/paper, from paper.csv and bench.csv, laid out
like the GQA paper's: quality vs time per step for MHA / GQA-G / MQA (its
figure 3), quality vs uptraining fraction alpha per method (figure 5), and
decode time vs number of groups (figure 6)."""
import csv
import pathlib

METHODS = ["mean", "first", "random"]
PAPER_ALPHA = 0.05  # the paper's uptraining fraction


def read(out):
    def rows(name):
        with open(pathlib.Path(out) / name, newline="") as f:
            return [{k: v if k == "method" else float(v) for k, v in r.items()} for r in csv.DictReader(f)]
    return rows("paper.csv"), rows("bench.csv")


def label(g, heads=8):
    return "MHA" if g == heads else "MQA" if g == 1 else f"GQA-{g}"


def write_table(quality, bench, settings, path):
    alphas = sorted({r["alpha"] for r in quality})
    ppl = {(r["kv_groups"], r["method"], r["alpha"]): r["perplexity"] for r in quality}
    head = "| model | G | K/V init | " + " | ".join(f"α = {a:.1%}" for a in alphas) + " |"
    lines = ["Perplexity on tinystories-valid-30k.txt (`groupshard eval`, windows of 256, "
             f"{int(quality[0]['eval_tokens'])} tokens) after uptraining for a fraction α of the original "
             f"{settings['original_steps']} steps at batch {settings['batch']} × 256 tokens.", "",
             head, "|---|---:|---|" + "---:|" * len(alphas)]
    for g, method in dict.fromkeys((r["kv_groups"], r["method"]) for r in quality):
        cells = " | ".join(f"{ppl[(g, method, a)]:.3f}" for a in alphas)
        lines.append(f"| {label(g)} | {int(g)} | {'original' if method == 'mha' else method} | {cells} |")
    tps = sorted({int(r["tp"]) for r in bench})
    context = int(bench[0]["context"])
    lines += ["", f"Decode step time (median, ms) at context {context}, batch 1, random weights of "
              "tinystories-mha-1m's shape (`groupshard bench`); KV bytes per token per rank.", "",
              "| model | G | " + " | ".join(f"tp {t} ms/step | tp {t} KV B/token/rank" for t in tps) + " |",
              "|---|---:|" + "---:|---:|" * len(tps)]
    by = {(r["kv_groups"], int(r["tp"])): r for r in bench}
    for g in sorted({r["kv_groups"] for r in bench}, reverse=True):
        cells = " | ".join(f"{by[(g, t)]['decode_step_ms']:.3f} | {int(by[(g, t)]['kv_bytes_per_token_per_rank'])}"
                           for t in tps)
        lines.append(f"| {label(g)} | {int(g)} | {cells} |")
    if settings.get("minutes") is not None:
        lines += ["", f"reproduce.py ran {settings['minutes']} minutes."]
    pathlib.Path(path).write_text("\n".join(lines) + "\n")


def draw(quality, bench, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = pathlib.Path(out)
    ppl = {(r["kv_groups"], r["method"], r["alpha"]): r["perplexity"] for r in quality}
    alphas = sorted({r["alpha"] for r in quality})
    groups = sorted({r["kv_groups"] for r in quality if r["method"] != "mha"}, reverse=True)
    heads = next(r["kv_groups"] for r in quality if r["method"] == "mha")
    step = {(r["kv_groups"], int(r["tp"])): r["decode_step_ms"] for r in bench}

    # Figure 3: quality vs time, mean-pooled and uptrained at the paper's alpha, against the untrained conversion.
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for alpha, style in ((0.0, dict(facecolors="none")), (PAPER_ALPHA, {})):
        xs, ys = [], []
        for g in [heads] + groups:
            xs.append(step[(g, 1)])
            ys.append(ppl[(g, "mha" if g == heads else "mean", alpha)])
            ax.annotate(label(g), (xs[-1], ys[-1]), textcoords="offset points", xytext=(5, 4), fontsize=8)
        ax.scatter(xs, ys, edgecolors="C0", s=40, label=f"α = {alpha:.0%}" if alpha == 0 else f"α = {alpha:.1%}",
                   **style)
    ax.set_xlabel(f"decode time per step, tp 1, context {int(bench[0]['context'])} (ms)")
    ax.set_ylabel("perplexity (lower is better)")
    ax.set_yscale("log")
    ax.set_title("MHA vs GQA-G vs MQA (mean pooling)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "quality_vs_time.png", dpi=110)

    # Figure 5: quality vs alpha, one panel per G, one line per method, MHA's own uptraining as the control.
    fig, axes = plt.subplots(1, len(groups), figsize=(4.4 * len(groups), 4), sharey=True)
    x = [a * 100 for a in alphas]
    for ax, g in zip(axes, groups):
        for method, marker in zip(METHODS, "osd"):
            ax.plot(x, [ppl[(g, method, a)] for a in alphas], marker=marker, label=method)
        ax.plot(x, [ppl[(heads, "mha", a)] for a in alphas], "k--", label="MHA (uptrained too)")
        ax.set_xlabel("uptraining α (% of original steps)")
        ax.set_title(label(g))
        ax.set_yscale("log")
    axes[0].set_ylabel("perplexity (log scale)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "quality_vs_alpha.png", dpi=110)

    # Figure 6: time vs G at each tp.
    fig, ax = plt.subplots(figsize=(6, 4.2))
    bench_groups = sorted({r["kv_groups"] for r in bench})
    for tp in sorted({int(r["tp"]) for r in bench}):
        ax.plot(bench_groups, [step[(g, tp)] for g in bench_groups], marker="o", label=f"tp {tp}")
    ax.set_xscale("log", base=2)
    ax.set_xticks(bench_groups, [f"{int(g)}\n{label(g)}" for g in bench_groups])
    ax.set_xlabel("KV groups G")
    ax.set_ylabel("decode time per step (ms)")
    ax.set_ylim(bottom=0)
    ax.set_title(f"decode time vs G, context {int(bench[0]['context'])}, batch 1")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "time_vs_groups.png", dpi=110)

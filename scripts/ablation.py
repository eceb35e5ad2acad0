#!/usr/bin/python3
"""The GQA paper's ablation on the real TinyStories models in ../shared/models.

Every model is converted to each smaller KV-group count G by `mean`, `first` and
`random` (`groupshard convert`), each result is scored by `groupshard eval --json`
on the validation text, and its KV-cache bytes per token come from
`groupshard info --json`. Writes OUT/ablation.csv, OUT/ablation.md (the table) and
OUT/ablation.png (perplexity vs G, one line per method; KV bytes per token on a
second axis).
"""
import argparse
import csv
import json
import pathlib
import subprocess
import sys

METHODS = ["mean", "first", "random"]
MODELS = [
    # (label, checkpoint); stories260K is GQA-4, tinystories-mha-1m is MHA (G = H = 8).
    ("stories260K", "../shared/models/stories260K/stories260K.bin"),
    ("tinystories-mha-1m", "../shared/models/tinystories-mha-1m/model.bin"),
]
TOKENIZER = "../shared/models/tok512/tokenizer.bin"
TEXT = "../shared/data/tinystories-valid-30k.txt"


def groupshard(binary, *args):
    done = subprocess.run([binary, *args], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"groupshard {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def model_facts(binary, checkpoint):
    info = json.loads(groupshard(binary, "info", "--model", checkpoint, "--json"))
    return info["model"], info["plan"]["ranks"][0]["kv_bytes_per_token"]


def perplexity(binary, checkpoint, context):
    args = ["eval", "--model", checkpoint, "--tokenizer", TOKENIZER, "--text", TEXT, "--json"]
    if context:
        args += ["--context", str(context)]
    return json.loads(groupshard(binary, *args))


def smaller_groups(n_heads, n_groups):
    return [g for g in range(n_groups - 1, 0, -1) if n_heads % g == 0 and n_groups % g == 0]


def run(binary, out, context, seed):
    rows = []
    for label, checkpoint in MODELS:
        config, kv_bytes = model_facts(binary, checkpoint)
        heads, groups = config["n_heads"], config["n_kv_heads"]
        score = perplexity(binary, checkpoint, context)
        rows.append(dict(model=label, method="original", kv_groups=groups, tokens=score["tokens"],
                         nll=score["nll"], perplexity=score["perplexity"], kv_bytes_per_token=kv_bytes))
        print(f"{label} original G={groups}: ppl {score['perplexity']:.3f}", file=sys.stderr)
        for g in smaller_groups(heads, groups):
            for method in METHODS:
                converted = out / "checkpoints" / f"{label}-g{g}-{method}"
                groupshard(binary, "convert", "--model", checkpoint, "--tokenizer", TOKENIZER,
                           "--out", str(converted), "--kv-groups", str(g), "--method", method,
                           "--seed", str(seed), "--force")
                _, kv_bytes = model_facts(binary, str(converted))
                score = perplexity(binary, str(converted), context)
                rows.append(dict(model=label, method=method, kv_groups=g, tokens=score["tokens"],
                                 nll=score["nll"], perplexity=score["perplexity"],
                                 kv_bytes_per_token=kv_bytes))
                print(f"{label} {method} G={g}: ppl {score['perplexity']:.3f}", file=sys.stderr)
    return rows


def write_csv(rows, path):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for key in ("kv_groups", "tokens", "kv_bytes_per_token"):
            r[key] = int(r[key])
        for key in ("nll", "perplexity"):
            r[key] = float(r[key])
    return rows


def write_table(rows, path):
    lines = ["| model | G | method | KV bytes/token | NLL (nats/token) | perplexity |",
             "|---|---:|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['kv_groups']} | {r['method']} | {r['kv_bytes_per_token']} "
                     f"| {r['nll']:.4f} | {r['perplexity']:.3f} |")
    pathlib.Path(path).write_text("\n".join(lines) + "\n")


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(r["model"] for r in rows))
    fig, axes = plt.subplots(1, len(models), figsize=(6 * len(models), 4.2), squeeze=False)
    for ax, model in zip(axes[0], models):
        mine = [r for r in rows if r["model"] == model]
        original = next(r for r in mine if r["method"] == "original")
        for method, marker in zip(METHODS, "osd"):
            points = sorted((r["kv_groups"], r["perplexity"]) for r in mine if r["method"] == method)
            points.append((original["kv_groups"], original["perplexity"]))
            ax.plot([g for g, _ in points], [p for _, p in points], marker=marker, label=method)
        ax.scatter([original["kv_groups"]], [original["perplexity"]], color="black", zorder=5,
                   label=f"original (G={original['kv_groups']})")
        ax.set_xscale("log", base=2)
        groups = sorted({r["kv_groups"] for r in mine})
        ax.set_xticks(groups, [str(g) for g in groups])
        ax.set_yscale("log")
        ax.set_xlabel("KV groups G")
        ax.set_ylabel("perplexity (log scale)")
        ax.set_title(f"{model}: conversion without uptraining")
        kv = ax.twinx()
        by_g = sorted({(r["kv_groups"], r["kv_bytes_per_token"]) for r in mine})
        kv.bar([g for g, _ in by_g], [b for _, b in by_g], width=[0.25 * g for g, _ in by_g],
               alpha=0.2, color="gray")
        kv.set_ylabel("KV-cache bytes per token (bars)")
        ax.set_zorder(kv.get_zorder() + 1)
        ax.patch.set_visible(False)
        ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groupshard", default="build/launch/groupshard")
    parser.add_argument("--out", default="ablation-results", type=pathlib.Path)
    parser.add_argument("--context", type=int, default=0, help="eval window (0 = the model's context)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--replot", action="store_true", help="redraw from OUT/ablation.csv without running")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.replot:
        rows = read_csv(args.out / "ablation.csv")
    else:
        rows = run(args.groupshard, args.out, args.context, args.seed)
        write_csv(rows, args.out / "ablation.csv")
    write_table(rows, args.out / "ablation.md")
    plot(rows, args.out / "ablation.png")
    print((args.out / "ablation.md").read_text())


if __name__ == "__main__":
    main()

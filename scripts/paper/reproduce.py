#!/usr/bin/python3
"""The GQA paper in miniature on tinystories-mha-1m (MHA-8): convert to G = 4, 2,
1 by mean / first / random, uptrain each for a fraction alpha (0, 2.5, 5, 10 %) of the original
steps, score every model with `groupshard eval`, time decode per G with
`groupshard bench` at a long context (tp 1 and 2), and write OUT/paper.csv,
OUT/bench.csv, OUT/paper.md and the plots (plots.py). MHA itself is uptrained
too, as the control: the same extra training without any conversion.
"""
import argparse
import csv
import json
import multiprocessing
import pathlib
import subprocess
import sys
import time

import plots
from tokenizer import Tokenizer, encode_stories
from uptrain import ORIGINAL_STEPS, uptrain

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
MODEL = SHARED / "models/tinystories-mha-1m/model.bin"
TOKENIZER = SHARED / "models/tok512/tokenizer.bin"
TRAIN = SHARED / "data/tinystories-train.txt"
VALID = SHARED / "data/tinystories-valid-30k.txt"
HEADS = 8
GROUPS = [4, 2, 1]
METHODS = ["mean", "first", "random"]
# tinystories-mha-1m's shape, with random weights: decode time depends on the shape only.
BENCH_SHAPE = "h=8,g={g},d=16,layers=4,ffn=344,vocab=512"
BENCH_ROUNDS = 3


def run(*command):
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed:\n{done.stderr}")
    return done.stdout


def groupshard(args, tp, *command):
    return run(ROOT / "scripts/mpirun.sh", "-np", tp, args.groupshard, *command)


def evaluate(args, model_dir):
    out = groupshard(args, 1, "eval", "--model", model_dir, "--tokenizer", TOKENIZER, "--text", VALID,
                     "--threads", 1, "--json")
    return json.loads(out.strip().splitlines()[-1])


def sweep(args, g, method, stream):
    """Converts MHA to (g, method), uptrains it for every alpha, and scores each model."""
    converted = args.work / f"g{g}-{method}-a0"
    # G = 8 'converts' MHA to itself: the same weights in the HF layout uptrain reads.
    run(args.groupshard, "convert", "--model", MODEL, "--tokenizer", TOKENIZER, "--out", converted,
        "--kv-groups", g, "--method", "mean" if method == "mha" else method, "--seed", args.seed, "--force")
    rows = []
    for alpha in args.alphas:
        directory, record = converted, dict(steps=0, tokens=0, seconds=0.0)
        if alpha > 0:
            directory = args.work / f"g{g}-{method}-a{alpha:g}"
            record = uptrain(converted, directory, alpha, stream, batch=args.batch, threads=1)
        score = evaluate(args, directory)
        assert score["kv_groups"] == g, f"{directory}: the engine sees G = {score['kv_groups']}, not {g}"
        rows.append(dict(kv_groups=g, method=method, alpha=alpha, steps=record["steps"],
                         train_tokens=record["tokens"], train_seconds=record["seconds"],
                         eval_tokens=score["tokens"], nll=round(score["nll"], 6),
                         perplexity=round(score["perplexity"], 4)))
        print(f"G={g} {method} alpha={alpha:g}: ppl {score['perplexity']:.3f}", file=sys.stderr, flush=True)
    return rows


def quality_rows(args):
    """One process per core, each sweeping whole conversions (one thread each)."""
    stream = encode_stories(TRAIN, Tokenizer(TOKENIZER))
    jobs = [(args, HEADS, "mha", stream)] + [(args, g, m, stream) for g in GROUPS for m in METHODS]
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        return [row for rows in pool.starmap(sweep, jobs) for row in rows]


def bench_rows(args):
    """Decode step time per (G, tp): the fastest of ROUNDS medians, rounds interleaved over the
    cases, because on a shared machine a round that loses the cores to other work is slow."""
    cases = [(g, tp) for tp in (1, 2) for g in [HEADS] + GROUPS]
    runs = {case: [] for case in cases}
    for round_ in range(BENCH_ROUNDS):
        for g, tp in cases:
            out = args.work / f"bench-g{g}-tp{tp}-{round_}.json"
            groupshard(args, tp, "bench", "--random-model", BENCH_SHAPE.format(g=g), "--context", args.context,
                       "--batch", 1, "--gen-tokens", args.gen_tokens, "--repeat", 3, "--threads", 2 // tp,
                       "--json", out)
            runs[(g, tp)].append(json.loads(out.read_text())[0])
    rows = []
    for (g, tp), results in runs.items():
        best = min(results, key=lambda r: r["decode_step_median_ms"])
        rows.append(dict(kv_groups=g, tp=tp, context=best["context_tokens"],
                         decode_step_ms=round(best["decode_step_median_ms"], 4),
                         rounds_ms=" ".join(f"{r['decode_step_median_ms']:.3f}" for r in results),
                         kv_bytes_per_token_per_rank=best["kv_bytes_per_token_per_rank"],
                         kv_replication=best["kv_replication"]))
        print(f"bench G={g} tp={tp}: {rows[-1]['rounds_ms']} ms/step", file=sys.stderr, flush=True)
    return rows


def write_csv(rows, path):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groupshard", default=str(ROOT / "build/launch/groupshard"))
    parser.add_argument("--out", default=ROOT / "docs/paper", type=pathlib.Path)
    parser.add_argument("--work", default=ROOT / "paper-work", type=pathlib.Path, help="checkpoints")
    parser.add_argument("--batch", type=int, default=4, help="uptraining sequences of 256 tokens per step")
    parser.add_argument("--alphas", type=float, nargs="+", default=[0.0, 0.025, 0.05, 0.10],
                        help="uptraining fractions of the original 1,042 steps (0 = converted only)")
    parser.add_argument("--jobs", type=int, default=2, help="conversions uptrained at once (one thread each)")
    parser.add_argument("--context", type=int, default=2048, help="bench: KV-cache positions before decoding")
    parser.add_argument("--gen-tokens", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1, help="convert --method random's seed")
    parser.add_argument("--replot", action="store_true", help="redraw from OUT's CSVs without running")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    args.work.mkdir(parents=True, exist_ok=True)
    run_record = args.out / "run.json"  # the settings a --replot must describe
    if not args.replot:
        started = time.time()
        write_csv(quality_rows(args), args.out / "paper.csv")
        write_csv(bench_rows(args), args.out / "bench.csv")
        run_record.write_text(json.dumps(dict(batch=args.batch, original_steps=ORIGINAL_STEPS, seed=args.seed,
                                              minutes=round((time.time() - started) / 60, 1)), indent=2) + "\n")
    quality, bench = plots.read(args.out)
    plots.write_table(quality, bench, json.loads(run_record.read_text()), args.out / "paper.md")
    plots.draw(quality, bench, args.out)
    print((args.out / "paper.md").read_text())


if __name__ == "__main__":
    main()

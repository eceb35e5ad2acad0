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
from uptrain import uptrain

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
BENCH_ROUNDS = 5


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


def convert(args, g, method):
    out = args.work / f"g{g}-{method}-a0"
    # G = 8 'converts' MHA to itself: the same weights in the HF layout uptrain reads.
    run(args.groupshard, "convert", "--model", MODEL, "--tokenizer", TOKENIZER, "--out", out,
        "--kv-groups", g, "--method", "mean" if method == "mha" else method, "--seed", args.seed, "--force")
    return out


def uptrain_and_score(args, g, method, alpha, stream):
    """One model of the sweep: the conversion uptrained for alpha (none for 0), scored by the engine."""
    directory, record = args.work / f"g{g}-{method}-a0", dict(steps=0, tokens=0, seconds=0.0)
    if alpha > 0:
        converted, directory = directory, args.work / f"g{g}-{method}-a{alpha:g}"
        record = uptrain(converted, directory, alpha, stream, batch=args.batch, threads=1,
                         original_steps=args.original_steps)
    score = evaluate(args, directory)
    assert score["kv_groups"] == g, f"{directory}: the engine sees G = {score['kv_groups']}, not {g}"
    print(f"G={g} {method} alpha={alpha:g}: ppl {score['perplexity']:.3f}", file=sys.stderr, flush=True)
    return dict(kv_groups=g, method=method, alpha=alpha, steps=record["steps"], train_tokens=record["tokens"],
                train_seconds=record["seconds"], eval_tokens=score["tokens"], nll=round(score["nll"], 6),
                perplexity=round(score["perplexity"], 4))


def quality_rows(args):
    """Every (conversion, alpha) is one task; --jobs processes (one thread each) take the
    longest first."""
    conversions = [(HEADS, "mha")] + [(g, m) for g in GROUPS for m in METHODS]
    for g, method in conversions:
        convert(args, g, method)
    stream = encode_stories(TRAIN, Tokenizer(TOKENIZER))
    tasks = sorted(((args, g, m, a, stream) for g, m in conversions for a in args.alphas), key=lambda t: -t[3])
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        rows = pool.starmap(uptrain_and_score, tasks, chunksize=1)
    return sorted(rows, key=lambda r: (conversions.index((r["kv_groups"], r["method"])), r["alpha"]))


def bench_rows(args):
    """Decode step time per (G, tp): the fastest of BENCH_ROUNDS medians, rounds interleaved over the
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
    # The original run, 1,042 steps of 32 x 256 tokens, scaled to fit an hour on 2 shared cores.
    parser.add_argument("--original-steps", type=int, default=521, help="steps of the scaled original run")
    parser.add_argument("--batch", type=int, default=4, help="sequences of 256 tokens per step")
    parser.add_argument("--alphas", type=float, nargs="+", default=[0.0, 0.025, 0.05, 0.10],
                        help="uptraining fractions of --original-steps (0 = converted only)")
    parser.add_argument("--jobs", type=int, default=3, help="models uptrained at once (one thread each)")
    parser.add_argument("--context", type=int, default=2048, help="bench: KV-cache positions before decoding")
    parser.add_argument("--gen-tokens", type=int, default=32)
    parser.add_argument("--seed", type=int, default=1, help="convert --method random's seed")
    parser.add_argument("--bench-only", action="store_true", help="re-time decode only, keep OUT/paper.csv")
    parser.add_argument("--replot", action="store_true", help="redraw from OUT's CSVs without running")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    args.work.mkdir(parents=True, exist_ok=True)
    run_record = args.out / "run.json"  # the settings a --replot must describe
    if args.bench_only:
        write_csv(bench_rows(args), args.out / "bench.csv")
    elif not args.replot:
        started = time.time()
        write_csv(quality_rows(args), args.out / "paper.csv")
        write_csv(bench_rows(args), args.out / "bench.csv")
        run_record.write_text(json.dumps(dict(batch=args.batch, original_steps=args.original_steps, seed=args.seed,
                                              minutes=round((time.time() - started) / 60, 1)), indent=2) + "\n")
    quality, bench = plots.read(args.out)
    plots.write_table(quality, bench, json.loads(run_record.read_text()), args.out / "paper.md")
    plots.draw(quality, bench, args.out)
    print((args.out / "paper.md").read_text())


if __name__ == "__main__":
    main()

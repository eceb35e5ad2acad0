#!/usr/bin/python3
"""The training-side forward against the engine, on the same model and tokens.

The engine prints no logits, so this compares what `groupshard eval --json`
reports from them: the mean NLL per token of the text in non-overlapping windows
that each start with BOS. PyTorch computes the same windows in float64 from the
same file; the two must agree within --tolerance (1e-4 nats/token) at every tp.
A wrong rotary layout, GQA head mapping or norm moves it by far more than that.
Exit 0 when all agree, 1 otherwise; prints one JSON line per tp.
"""
import argparse
import json
import pathlib
import subprocess
import sys

import torch

import hf_io
from model import Llama
from tokenizer import BOS, Tokenizer

ROOT = pathlib.Path(__file__).resolve().parents[2]


def torch_nll(model_dir, tokens, context):
    config, tensors = hf_io.read_model(model_dir)
    model = Llama(config, tensors).double().eval()
    total = 0.0
    with torch.no_grad():
        for begin in range(0, len(tokens), context):
            window = torch.tensor(tokens[begin:begin + context])
            inputs = torch.cat([torch.tensor([BOS]), window[:-1]])[None]
            logp = model(inputs)[0].log_softmax(-1)
            total -= logp.gather(1, window[:, None]).sum().item()
    return total / len(tokens)


def engine_eval(groupshard, model_dir, tokenizer, text, context, max_tokens, tp):
    command = [str(ROOT / "scripts/mpirun.sh"), "-np", str(tp), groupshard, "eval", "--model", str(model_dir),
               "--tokenizer", tokenizer, "--text", text, "--context", str(context),
               "--max-tokens", str(max_tokens), "--threads", "1", "--json"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="HF directory")
    parser.add_argument("--groupshard", default=str(ROOT / "build/launch/groupshard"))
    parser.add_argument("--tokenizer", default=str(ROOT / "../shared/models/tok512/tokenizer.bin"))
    parser.add_argument("--text", default=str(ROOT / "../shared/data/tinystories-valid-30k.txt"))
    parser.add_argument("--context", type=int, default=64)
    parser.add_argument("--max-tokens", type=int, default=512)
    parser.add_argument("--tp", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--tolerance", type=float, default=1e-4)
    args = parser.parse_args()

    text = open(args.text, encoding="utf-8", newline="").read()
    tokens = Tokenizer(args.tokenizer).encode(text, bos=False)[:args.max_tokens]
    ours = torch_nll(args.model, tokens, args.context)
    ok = True
    for tp in args.tp:
        engine = engine_eval(args.groupshard, args.model, args.tokenizer, args.text, args.context,
                             args.max_tokens, tp)
        same_tokens = engine["tokens"] == len(tokens)
        diff = abs(engine["nll"] - ours)
        ok &= same_tokens and diff <= args.tolerance
        print(json.dumps(dict(tp=tp, kv_groups=engine["kv_groups"], tokens=engine["tokens"],
                              torch_nll=ours, engine_nll=engine["nll"], abs_diff=diff,
                              agree=same_tokens and diff <= args.tolerance)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""uptrain: the GQA paper's step two. Continues pre-training a converted model
(a Hugging Face directory, as `groupshard convert` writes it) for a fraction
alpha of the original pre-training steps, with the original recipe of
tinystories-mha-1m (its README): AdamW (0.9, 0.95), weight decay 0.1 on matrices,
lr 1e-3 with linear warm-up over the first 100/1042 of the steps then cosine
decay to 1e-4, grad-clip 1.0, dropout 0.1, random windows of the training
stream. The batch is scaled down (default 4 x 256 tokens, not 32 x 256) so the
paper's sweep fits in an hour on 2 cores; alpha stays a fraction of the 1,042
steps. Seeded: the same arguments write byte-identical checkpoint files.
Writes OUT (config.json, model.safetensors, the tokenizer) and OUT/uptrain.json.
"""
import argparse
import json
import math
import pathlib
import time

import torch

import hf_io
from model import Llama
from tokenizer import Tokenizer, encode_stories

ROOT = pathlib.Path(__file__).resolve().parents[2]
ORIGINAL_STEPS = 1042
WARMUP_FRACTION = 100 / 1042
LR, MIN_LR, WEIGHT_DECAY, BETAS, CLIP = 1e-3, 1e-4, 0.1, (0.9, 0.95), 1.0


def learning_rate(step, steps):
    warmup = max(1, round(steps * WARMUP_FRACTION))
    if step < warmup:
        return LR * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return MIN_LR + 0.5 * (LR - MIN_LR) * (1 + math.cos(math.pi * progress))


def windows(stream, starts, seq_len):
    x = torch.stack([stream[s:s + seq_len] for s in starts.tolist()])
    y = torch.stack([stream[s + 1:s + seq_len + 1] for s in starts.tolist()])
    return x, y


def loss_of(model, x, y):
    logits = model(x)
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def uptrain(model_dir, out_dir, alpha, stream, batch=4, seq_len=256, seed=1337, threads=2,
            original_steps=ORIGINAL_STEPS):
    """Trains round(alpha * original_steps) steps; returns the uptrain.json record."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)  # dropout masks
    sampler = torch.Generator().manual_seed(seed)  # window starts
    config, tensors = hf_io.read_model(model_dir)
    dtype = next(iter(tensors.values())).dtype
    model = Llama(config, tensors)
    params = dict(model.weights.items())
    optimizer = torch.optim.AdamW(
        [{"params": [p for p in params.values() if p.dim() >= 2], "weight_decay": WEIGHT_DECAY},
         {"params": [p for p in params.values() if p.dim() < 2], "weight_decay": 0.0}],
        lr=LR, betas=BETAS)
    stream = torch.as_tensor(stream, dtype=torch.long)
    steps = round(alpha * original_steps)
    started = time.time()
    first_batch, initial_loss = None, None
    for step in range(steps):
        x, y = windows(stream, torch.randint(0, len(stream) - seq_len - 1, (batch,), generator=sampler), seq_len)
        if first_batch is None:
            first_batch = (x, y)
            model.eval()
            with torch.no_grad():
                initial_loss = loss_of(model, x, y).item()
            model.train()
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, steps)
        optimizer.zero_grad(set_to_none=True)
        loss_of(model, x, y).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        optimizer.step()
    final_loss = None
    if first_batch is not None:
        # The training loss, without dropout, on the first batch it trained on.
        model.eval()
        with torch.no_grad():
            final_loss = loss_of(model, *first_batch).item()
    hf_io.write_model(out_dir, config, model.state(dtype), tokenizer_from=model_dir)
    record = dict(model=str(model_dir), alpha=alpha, steps=steps, batch=batch, seq_len=seq_len,
                  tokens=steps * batch * seq_len, seed=seed, initial_loss=initial_loss,
                  final_loss=final_loss, seconds=round(time.time() - started, 1))
    (pathlib.Path(out_dir) / "uptrain.json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="HF directory (groupshard convert's output)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--alpha", type=float, required=True, help="fraction of the original 1,042 steps")
    parser.add_argument("--data", default=str(ROOT / "../shared/data/tinystories-train.txt"))
    parser.add_argument("--tokenizer", default=str(ROOT / "../shared/models/tok512/tokenizer.bin"))
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq-len", type=int, default=256)
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    stream = encode_stories(args.data, Tokenizer(args.tokenizer))
    record = uptrain(args.model, args.out, args.alpha, stream, args.batch, args.seq_len, args.seed, args.threads)
    print(json.dumps(record))


if __name__ == "__main__":
    main()

"""Reads and writes the Hugging Face directories `groupshard convert` writes
(config.json + one model.safetensors), without the safetensors package, which
Debian 12 does not ship. The format is 8 bytes of header length (little-endian),
a JSON header of {name: {dtype, shape, data_offsets}}, then the raw tensors.
"""
import json
import pathlib
import shutil
import struct

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
NAMES = {v: k for k, v in DTYPES.items()}
# The tokenizers convert copies beside the checkpoint; uptrain copies them on.
TOKENIZER_FILES = ("tokenizer.bin", "tokenizer.model")


def read_safetensors(path):
    data = pathlib.Path(path).read_bytes()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_len])
    body = data[8 + header_len:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = bytearray(body[begin:end])  # writable copy, so frombuffer does not warn
        dtype = DTYPES[info["dtype"]]
        tensors[name] = torch.frombuffer(raw, dtype=dtype).reshape(info["shape"]).clone() if raw else \
            torch.zeros(info["shape"], dtype=dtype)
    return tensors


def write_safetensors(path, tensors):
    """Tensors in sorted name order, as the safetensors library writes them."""
    header, chunks, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        raw = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)


def read_model(directory):
    directory = pathlib.Path(directory)
    config = json.loads((directory / "config.json").read_text())
    return config, read_safetensors(directory / "model.safetensors")


def write_model(directory, config, tensors, tokenizer_from=None):
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    write_safetensors(directory / "model.safetensors", tensors)
    for name in TOKENIZER_FILES if tokenizer_from else ():
        source = pathlib.Path(tokenizer_from) / name
        if source.exists():
            shutil.copyfile(source, directory / name)


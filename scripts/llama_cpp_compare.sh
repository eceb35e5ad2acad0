#!/usr/bin/env bash
# Sets up llama.cpp (PyPI's llama-cpp-python, built from its bundled source for
# this CPU) and gguf in a temporary virtual environment, writes a random GGUF of
# groupshard's bench shape and times batched decode and prefill on it
# (scripts/llama_cpp_compare.py). Nothing is installed outside the temporary
# folder, and nothing of llama.cpp enters the repository. Building llama.cpp on
# 2 cores takes a while; set LLAMA_VENV to reuse an environment between runs.
#
# Usage: scripts/llama_cpp_compare.sh [f32|bf16] [extra llama_cpp_compare.py flags]
# Compare with, in the same round on the same machine:
#   scripts/mpirun.sh -np 1 build/launch/groupshard bench --random-model SHAPE \
#       --batch 1,4,8 --context 128 --gen-tokens 8 --repeat 2 --threads 2 \
#       --weight-dtype DTYPE --prefill-chunk 128,512
set -euo pipefail
dtype="${1:-f32}"
shift || true
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d -t groupshard-llamacpp.XXXXXX)"
trap 'rm -rf "$work"' EXIT
venv="${LLAMA_VENV:-$work/venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  # GGML_NATIVE: build for this CPU, as groupshard's -march=native. Only the
  # library (no llava, tools, examples or tests): 140 build steps, about an hour
  # on 2 shared cores. Pinned to the version the README's figures came from.
  CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF" \
    CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
    "$venv/bin/pip" install --quiet llama-cpp-python==0.3.36 gguf==0.19.0 numpy
fi
"$venv/bin/python" "$here/llama_cpp_compare.py" --dtype "$dtype" --gguf "$work/model-$dtype.gguf" "$@"

#!/usr/bin/env bash
# The GQA paper in miniature, from nothing: installs what it needs (PyTorch and
# matplotlib from Debian), builds the engine, then converts tinystories-mha-1m
# to G = 4, 2, 1 (mean / first / random), uptrains each for alpha = 0, 2.5, 5,
# 10 % of the original steps, evaluates and benchmarks with groupshard, and
# writes docs/paper/ (CSV, Markdown table, PNG plots). Checkpoints go to
# paper-work/ (ignored by git). Extra arguments go to reproduce.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS=0
scripts/install_deps.sh python3-torch python3-numpy python3-matplotlib
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc)" --target groupshard
# Debian's own python3, the one python3-torch installs into.
/usr/bin/python3 scripts/paper/reproduce.py "$@"
echo "reproduce.sh: $((SECONDS / 60)) min $((SECONDS % 60)) s in all" >&2

#!/usr/bin/env bash
# Reproduces the GQA paper's conversion ablation on the real TinyStories models:
# installs what it needs, builds, then writes OUT (default ablation-results/) with
# ablation.csv, ablation.md and ablation.png. README's copy lives in docs/ablation/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh python3-matplotlib
scripts/build.sh
# Debian's own python3, the one python3-matplotlib installs into.
/usr/bin/python3 scripts/ablation.py --out "${1:-ablation-results}"

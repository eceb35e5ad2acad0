#!/usr/bin/env bash
# scripts/serve_bench.sh [OUT_DIR] [serve_bench.py flags...]: starts `groupshard serve`
# on stories260K (np 2 unless --np is given), runs serve_bench.py at concurrency 1,
# 4, 16 and 64 and writes OUT_DIR/serve_bench.csv, OUT_DIR/serve_bench_requests.csv
# and (with matplotlib) OUT_DIR/serve_bench.png.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-benchmarks/results}
shift || true
mkdir -p "$out"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
python3 scripts/serve_bench.py --concurrency 1,4,16,64 --server-args "--max-batch 64" \
  --csv "$out/serve_bench.csv" "$@"
if python3 -c "import matplotlib" 2>/dev/null; then
  python3 scripts/plot_serve_bench.py "$out/serve_bench.csv" "$out/serve_bench.png"
else
  echo "serve_bench: matplotlib not installed (pip install matplotlib): no PNG"
fi

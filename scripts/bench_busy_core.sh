#!/usr/bin/env bash
# Decode with a core taken: bench's decode step at 2 threads on a quiet machine,
# then with a second process spinning on one core, back to back, and the ratio.
# (Issue 12's target: the busy run keeps at least 40% of the quiet speed.)
#
# Usage: GS=build/launch/groupshard scripts/bench_busy_core.sh [bench flags...]
# Default flags: TinyLlama-1.1B shape, batch 1, context 128, bf16 weights.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
gs="${GS:-build/launch/groupshard}"
flags=("$@")
if [ ${#flags[@]} -eq 0 ]; then
  flags=(--random-model h=32,g=4,d=64,layers=22,ffn=5632,vocab=32000 --batch 1 --context 128
         --gen-tokens 16 --repeat 2 --weight-dtype bf16)
fi
work="$(mktemp -d)"
burner=""
trap '[ -n "$burner" ] && kill "$burner" 2>/dev/null; rm -rf "$work"' EXIT

run() {  # $1: JSON file
  "$here/mpirun.sh" -np 1 "$gs" bench "${flags[@]}" --threads 2 --json "$1" >/dev/null 2>&1
}
step_ms() {  # median decode step of the first record
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["decode_step_median_ms"])' "$1"
}

run "$work/quiet.json"
sh -c 'while :; do :; done' &
burner=$!
run "$work/busy.json"
kill "$burner"
burner=""
quiet=$(step_ms "$work/quiet.json")
busy=$(step_ms "$work/busy.json")
python3 - "$quiet" "$busy" <<'PY'
import sys
quiet, busy = map(float, sys.argv[1:])
print(f"decode step, 2 threads: quiet {quiet:.1f} ms, one core busy {busy:.1f} ms")
print(f"busy / quiet step time {busy / quiet:.2f}; speed kept {quiet / busy:.0%} (target >= 40%)")
PY

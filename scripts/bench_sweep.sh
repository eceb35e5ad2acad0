#!/usr/bin/env bash
# bench_sweep.sh [OUT_DIR]: runs `groupshard bench` on random models across the
# tensor-parallel degree, the KV group count G and the context length, appends
# every row to OUT_DIR/results.csv (started afresh) and renders the plots
# (scripts/plot_bench.py) into OUT_DIR. Default OUT_DIR: bench-results/.
#
# Three sweeps, all at batch 1 unless said:
#   1. G = 1 .. H (MQA .. MHA) at each context, for each tp: decode time per token
#      against G, the shape of the GQA paper's Figure 6, and against tp;
#   2. the same G at the largest tp and the longest context with strategy
#      replicate: KV bytes per rank by strategy;
#   3. batch sizes at one G and context, for each tp.
# The defaults finish in a few minutes on 2 cores; every setting can be changed
# through the environment:
#   GS=build/launch/groupshard  SWEEP_TPS="1 2"  SWEEP_GROUPS="1 2 4 8 16"
#   SWEEP_SHAPE="d=64,layers=4,ffn=1024,vocab=4096" (without h and g)  SWEEP_HEADS=16
#   SWEEP_CONTEXTS=1024,4096  SWEEP_BATCHES=1,4,16  SWEEP_BATCH_G=4  SWEEP_BATCH_CONTEXT=512
#   SWEEP_GEN_TOKENS=16  SWEEP_WARMUP=1  SWEEP_REPEAT=5  SWEEP_PLOTS=1 (0: CSV only)
# (decode steps are cheap next to the prefill that fills the cache, so many are
# timed: the plots use medians, which a burst of other work on the machine moves
# less than means)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-bench-results}
gs=${GS:-$root/build/launch/groupshard}
tps=${SWEEP_TPS:-"1 2"}
groups=${SWEEP_GROUPS:-"1 2 4 8 16"}
heads=${SWEEP_HEADS:-16}
shape=${SWEEP_SHAPE:-"d=64,layers=4,ffn=1024,vocab=4096"}
contexts=${SWEEP_CONTEXTS:-1024,4096}
batches=${SWEEP_BATCHES:-1,4,16}
batch_g=${SWEEP_BATCH_G:-4}
batch_context=${SWEEP_BATCH_CONTEXT:-512}
timing=(--gen-tokens "${SWEEP_GEN_TOKENS:-16}" --warmup "${SWEEP_WARMUP:-1}" --repeat "${SWEEP_REPEAT:-5}")

[ -x "$gs" ] || { echo "bench_sweep: no groupshard at $gs (build first, or set GS)" >&2; exit 1; }
mkdir -p "$out"
csv=$out/results.csv
rm -f "$csv"

# bench TP G STRATEGY BATCHES CONTEXTS: one bench run, its rows appended to the CSV.
bench() {
  echo "bench_sweep: tp $1, G $2, $3, batch $4, context $5" >&2
  "$root/scripts/mpirun.sh" -np "$1" "$gs" bench --random-model "h=$heads,g=$2,$shape" \
    --strategy "$3" --batch "$4" --context "$5" "${timing[@]}" --csv "$csv" >/dev/null
}

max_tp=1
for tp in $tps; do
  [ "$tp" -gt "$max_tp" ] && max_tp=$tp
  for g in $groups; do bench "$tp" "$g" group 1 "$contexts"; done
done
if [ "$max_tp" -gt 1 ]; then
  for g in $groups; do bench "$max_tp" "$g" replicate 1 "${contexts##*,}"; done
fi
for tp in $tps; do bench "$tp" "$batch_g" group "$batches" "$batch_context"; done
echo "bench_sweep: $(($(wc -l <"$csv") - 1)) rows in $csv" >&2

if [ "${SWEEP_PLOTS:-1}" = 1 ]; then
  # Debian's python3-matplotlib lives in Debian's python, which a python3 earlier
  # on PATH (pyenv, a venv) would not see.
  py=python3
  [ -x /usr/bin/python3 ] && py=/usr/bin/python3
  if ! "$py" -c 'import matplotlib' 2>/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "bench_sweep: installing python3-matplotlib" >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-matplotlib
  fi
  "$py" "$root/scripts/plot_bench.py" "$csv" "$out"
fi

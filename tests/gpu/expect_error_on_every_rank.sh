#!/usr/bin/env bash
# expect_error_on_every_rank.sh WHERE REGEX MPIRUN... -np N -- GROUPSHARD ARGS...:
# runs every rank through a shell that reports its exit code, and passes when every
# one of the N ranks exits 1, the output has exactly one error line and it matches
# REGEX (one clear message, not one per rank), and nothing hangs. WHERE says where
# the case applies: no-gpu (skipped, exit 77, where a GPU is present) or gpu
# (skipped where none is). `-np gpus+1` starts one rank more than the GPUs here.
set -u
where=$1
pattern=$2
shift 2
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then has_gpu=1; else has_gpu=0; fi
if [ "$where" = no-gpu ] && [ "$has_gpu" = 1 ]; then echo "skipped: a GPU is present"; exit 77; fi
if [ "$where" = gpu ] && [ "$has_gpu" = 0 ]; then echo "skipped: no NVIDIA GPU on this machine"; exit 77; fi
launcher=()
while [ "$1" != "--" ]; do launcher+=("$1"); shift; done
shift
# -np gpus+1: one rank more than this machine's GPUs.
if [ "$has_gpu" = 1 ]; then
  gpus=$(nvidia-smi -L | grep -c '^GPU')
  for i in "${!launcher[@]}"; do [ "${launcher[$i]}" = "gpus+1" ] && launcher[$i]=$((gpus + 1)); done
fi
np=$(printf '%s\n' "${launcher[@]}" | grep -A1 -x -- -np | tail -1)
output=$(timeout 120 "${launcher[@]}" sh -c '"$0" "$@"; echo "rank ${OMPI_COMM_WORLD_RANK:-0} exit code $?"' "$@" 2>&1)
code=$?
printf '%s\n' "$output"
[ "$code" -ne 124 ] || { echo "FAIL: timed out: a rank hung"; exit 1; }
exits=$(grep -cE '^rank [0-9]+ exit code 1$' <<<"$output")
[ "$exits" -eq "$np" ] || { echo "FAIL: $exits of $np ranks exited with code 1"; exit 1; }
errors=$(grep -c 'error' <<<"$output")
[ "$errors" -eq 1 ] || { echo "FAIL: $errors error lines, expected one"; exit 1; }
grep -qE -- "$pattern" <<<"$output" || { echo "FAIL: output does not match /$pattern/"; exit 1; }
echo "ok: every one of $np ranks exited 1, one error line matching /$pattern/"

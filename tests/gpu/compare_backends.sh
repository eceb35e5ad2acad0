#!/usr/bin/env bash
# compare_backends.sh COMMAND...: runs COMMAND (a `groupshard generate ... --json`)
# with --backend cpu and with --backend cuda and passes when both give the same
# tokens. Skipped (exit 77) without a GPU.
set -u
if ! { command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; }; then
  echo "skipped: no NVIDIA GPU on this machine"
  exit 77
fi
cpu=$(timeout 240 "$@" --backend cpu) || { echo "FAIL: the CPU run failed"; exit 1; }
gpu=$(timeout 240 "$@" --backend cuda) || { echo "FAIL: the CUDA run failed"; exit 1; }
printf 'cpu:  %s\ncuda: %s\n' "$cpu" "$gpu"
if [ "$cpu" != "$gpu" ]; then echo "FAIL: the CUDA backend's tokens differ from the CPU backend's"; exit 1; fi
echo "ok: identical tokens"

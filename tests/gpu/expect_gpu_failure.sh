#!/usr/bin/env bash
# expect_gpu_failure.sh REGEX COMMAND...: expect_failure.sh where an NVIDIA GPU is
# present; skipped (exit 77) where none is.
set -u
if ! { command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; }; then
  echo "skipped: no NVIDIA GPU on this machine"
  exit 77
fi
exec "$(dirname "$0")/../cli/expect_failure.sh" "$@"

#!/usr/bin/env bash
# expect_no_gpu_error.sh REGEX COMMAND...: on a machine without an NVIDIA GPU,
# COMMAND must fail within the time limit with output matching REGEX, once per
# rank at most; where a GPU is present the case does not apply (exit 77: skipped).
set -u
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  echo "skipped: a GPU is present, so --backend cuda does not fail here"
  exit 77
fi
exec "$(dirname "$0")/../cli/expect_failure.sh" "$@"

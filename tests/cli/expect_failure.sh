#!/usr/bin/env bash
# expect_failure.sh REGEX COMMAND...: passes when COMMAND exits non-zero within the
# time limit (no rank hangs) and its output matches REGEX (the error names the problem).
set -u
pattern=$1
shift
output=$(timeout 120 "$@" 2>&1)
code=$?
printf '%s\n' "$output"
if [ "$code" -eq 0 ]; then echo "FAIL: exit code 0, expected an error"; exit 1; fi
if [ "$code" -eq 124 ]; then echo "FAIL: timed out: a rank hung"; exit 1; fi
if ! grep -qE -- "$pattern" <<<"$output"; then echo "FAIL: output does not match /$pattern/"; exit 1; fi
echo "ok: exit code $code, message matches /$pattern/"

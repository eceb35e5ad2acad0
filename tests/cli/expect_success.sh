#!/usr/bin/env bash
# expect_success.sh REGEX COMMAND...: passes when COMMAND exits 0 within the time
# limit and its output (stdout and stderr, across lines) matches REGEX. CTest's
# PASS_REGULAR_EXPRESSION alone ignores the exit status; mpirun exits non-zero
# when any rank does, so exit 0 here means exit 0 on every rank.
set -u
pattern=$1
shift
output=$(timeout 150 "$@" 2>&1)
code=$?
printf '%s\n' "$output"
if [ "$code" -eq 124 ]; then echo "FAIL: timed out: a rank hung"; exit 1; fi
if [ "$code" -ne 0 ]; then echo "FAIL: exit code $code, expected 0 on every rank"; exit 1; fi
if ! grep -qzE -- "$pattern" <<<"$output"; then echo "FAIL: output does not match /$pattern/"; exit 1; fi
echo "ok: exit code 0, output matches /$pattern/"

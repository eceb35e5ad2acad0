#!/usr/bin/env bash
# compare_greedy.sh NAIVE MODEL PROMPT N LAUNCH...: `LAUNCH generate` on MODEL
# with the tokenizer the conversion put beside it must exit 0 on every rank and
# give the greedy ids the test's own naive implementation (NAIVE) computes from
# the same files.
set -u
naive=$1 model=$2 prompt=$3 n=$4
shift 4
fail() { echo "FAIL: $*"; exit 1; }

[ -f "$model/tokenizer.bin" ] || fail "no tokenizer.bin in $model"
expected=$("$naive" "$model" "$model/tokenizer.bin" "$prompt" "$n") || fail "the naive reference failed"
output=$(timeout 150 "$@" generate --model "$model" --prompt "$prompt" --max-tokens "$n" --ignore-eos --json 2>&1)
code=$?
printf '%s\n' "$output"
[ "$code" -eq 0 ] || fail "exit code $code, expected 0 on every rank"
grep -qF "\"tokens\":[$expected]" <<<"$output" || fail "expected the naive reference's tokens [$expected]"
echo "ok: greedy tokens match the naive reference [$expected]"

#!/usr/bin/env bash
# compare_perplexity.sh NAIVE MODEL TOKENIZER TEXT MAX_TOKENS CONTEXT LAUNCH...:
# `LAUNCH eval --json` (groupshard, alone or under mpirun) must exit 0 on every
# rank and report the perplexity the test's own naive implementation (NAIVE,
# double precision) computes, within 1e-4 relative (the engine computes in f32).
set -u
naive=$1 model=$2 tokenizer=$3 text=$4 max_tokens=$5 context=$6
shift 6
fail() { echo "FAIL: $*"; exit 1; }

expected=$("$naive" "$model" "$tokenizer" "$text" "$max_tokens" "$context") || fail "the naive reference failed"
output=$(timeout 150 "$@" eval --model "$model" --tokenizer "$tokenizer" --text "$text" \
         --max-tokens "$max_tokens" --context "$context" --json 2>&1)
code=$?
printf '%s\n' "$output"
[ "$code" -eq 0 ] || fail "exit code $code, expected 0 on every rank"
windows=$(( (max_tokens + context - 1) / context ))
grep -qE "\"context\":$context,.*\"tokens\":$max_tokens,.*\"windows\":$windows" <<<"$output" ||
  fail "expected context $context, $max_tokens tokens in $windows windows"
reported=$(grep -oP '"perplexity":\K[0-9.eE+-]+' <<<"$output") || fail "no perplexity in the output"
awk -v a="$reported" -v b="$expected" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-4 * b) }' ||
  fail "perplexity $reported, the naive reference gives $expected"
echo "ok: perplexity $reported, naive reference $expected"

#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS] [TARGET...]: builds the libFuzzer targets of tests/fuzz
# with clang (ASan + UBSan) in build-fuzz/, seeds them from ../shared/models,
# replays the kept regression inputs, then fuzzes each target for SECONDS
# (default 60). Prints the executions run per target; exits non-zero on a finding
# (the input is saved in build-fuzz/findings/TARGET/).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors hf_config hf_checkpoint llama2c_checkpoint llama2c_tokenizer run_config
                                     prompt_ids random_model_shape api_request eval_pairs tokenizer_config)
models=../shared/models
build=build-fuzz

CC=clang CXX=clang++ cmake -S tests/fuzz -B $build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build $build -j "$(nproc)"

# Seeds: written from the real models, copied from the real files, or typed here.
seeds=$build/seeds
rm -rf $seeds
$build/make_fuzz_seeds $models $seeds
mkdir -p $seeds/llama2c_tokenizer $seeds/run_config $seeds/prompt_ids $seeds/random_model_shape $seeds/api_request \
         $seeds/eval_pairs $seeds/tokenizer_config
for t5 in tests/t5/data/*/; do cp "$t5/config.json" "$seeds/hf_config/t5_$(basename "$t5").json"; done
cp $models/stories260K/tok512.bin $seeds/llama2c_tokenizer/
head -c 4096 $models/llama2-tokenizer/tokenizer.bin >$seeds/llama2c_tokenizer/llama2_head.bin
cp configs/*.yaml tests/cli/data/*.yaml $seeds/run_config/
printf '1,403,407' >$seeds/prompt_ids/three
printf '1' >$seeds/prompt_ids/one
printf '%s' '-1,+2, 3,2147483648' >$seeds/prompt_ids/edges
printf 'h=8,g=2,d=8,layers=2,ffn=48,vocab=64' >$seeds/random_model_shape/tiny
printf 'h=32,g=8,d=128,layers=8,ffn=5632,vocab=32000' >$seeds/random_model_shape/llama
printf 't5:h=8,g=2,d=64,enc_layers=2,dec_layers=2,ffn=1024,vocab=32128,buckets=32' >$seeds/random_model_shape/t5
cp tests/t5/data/pairs.jsonl $seeds/eval_pairs/
printf '%s' '{"chat_template": "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"}' \
  >$seeds/tokenizer_config/chatml
printf '%s' '{"chat_template": [{"name": "default", "template": "<|start_header_id|>"}, {"name": "tool_use", "template": "[INST]"}]}' \
  >$seeds/tokenizer_config/named
printf '%s' '{"add_bos_token": true, "chat_template": "[INST] <<SYS>>\n{{ system }}\n<</SYS>>"}' >$seeds/tokenizer_config/llama2
printf '%s' '{"model":"stories260K","prompt":"Once upon a time","max_tokens":20,"temperature":0.7,"top_p":0.9,"top_k":40,"seed":3,"stop":["\n","The end"],"stream":true}' >$seeds/api_request/completion
printf '%s' '{"prompt":[1,403,407],"n":1,"logprobs":null,"return_token_ids":true}' >$seeds/api_request/ids
printf '%s' '{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi"}]}],"max_completion_tokens":9}' >$seeds/api_request/chat

# The scratch folders of the targets that read a folder (tests/fuzz/input_file.h).
export TMPDIR=$PWD/$build/tmp
rm -rf "$TMPDIR"
mkdir -p "$TMPDIR"

# ASan's default allocator limit reports a lying size as a finding rather than
# letting the machine swap; the same limit applies to every target.
export ASAN_OPTIONS=allocator_may_return_null=0:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
summary=()
for t in "${targets[@]}"; do
  bin=$build/fuzz_$t
  findings=$build/findings/$t
  corpus=$build/corpus/$t
  mkdir -p "$findings" "$corpus"
  regressions=tests/fuzz/regressions/$t
  if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
    echo "== $t: replaying $(ls "$regressions" | wc -l) regression inputs"
    "$bin" "$regressions"/* >"$build/$t.regressions.log" 2>&1 ||
      { cat "$build/$t.regressions.log"; echo "FAIL: $t regression input"; status=1; continue; }
  fi
  echo "== $t: fuzzing ${seconds}s"
  log=$build/$t.log
  if "$bin" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
      -timeout=10 -artifact_prefix="$findings/" -print_final_stats=1 \
      "$corpus" "$seeds/$t" >"$log" 2>&1; then
    runs=$(grep -oP 'stat::number_of_executed_units:\s*\K[0-9]+' "$log" || echo "?")
    summary+=("$t: $runs executions in ${seconds}s, no finding")
  else
    tail -n 60 "$log"
    summary+=("$t: FINDING, input in $findings/")
    status=1
  fi
done
printf '%s\n' "${summary[@]}"
exit $status

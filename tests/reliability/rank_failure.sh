#!/usr/bin/env bash
# rank_failure.sh RUN_DIR NP RANK ALLOW_S COMMAND...: COMMAND runs groupshard on NP
# ranks under mpirun with libdying_rank preloaded, which makes RANK fail (GS_TEST_DIE).
# Passes when the failure happened, mpirun exits non-zero within ALLOW_S seconds of
# it, none of the NP rank processes is left, and one line of the output names the
# failed rank and this host. Prints the time from the failure to the end of the job.
set -u
run_dir=$1 np=$2 rank=$3 allow_ms=$(($4 * 1000))
shift 4
fail() { echo "FAIL: $*"; exit 1; }
now_ms() { date +%s%3N; }

rm -rf "$run_dir" && mkdir -p "$run_dir" || fail "cannot create $run_dir"
output=$(timeout 60 "$@" 2>&1)
code=$?
ended=$(now_ms)
printf '%s\n' "$output"
[ -f "$run_dir/died_ms" ] || fail "rank $rank never failed: GS_TEST_DIE did not trigger"
[ "$code" -ne 124 ] || fail "the job hung for 60 s after rank $rank failed"
[ "$code" -ne 0 ] || fail "exit code 0 although rank $rank failed"
elapsed=$((ended - $(cat "$run_dir/died_ms")))
[ "$elapsed" -le "$allow_ms" ] || fail "the job ended $elapsed ms after rank $rank failed, more than $4 s"
pids=("$run_dir"/rank*.pid)
[ ${#pids[@]} -eq "$np" ] || fail "expected $np ranks to start, found ${#pids[@]} pid files"
# Every rank gone within ALLOW_S of the failure: mpirun's SIGKILL of the others lands
# as it exits, and a process unmapping gigabytes can take a moment to vanish.
deadline=$(( $(cat "$run_dir/died_ms") + allow_ms ))
for f in "${pids[@]}"; do
  # Gone: no such process, or a zombie (dead; a container's init may never reap it).
  while state=$(ps -o stat= -p "$(cat "$f")") && [ -n "$state" ] && [[ $state != Z* ]] &&
        [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
  [ -z "$state" ] || [[ $state == Z* ]] || fail "$(basename "$f" .pid) (pid $(cat "$f"), state $state) is still running $4 s after the failure"
done
host=$(hostname)
grep -E "rank $rank\b" <<<"$output" | grep -qF "$host" ||
  fail "no line of the output names rank $rank and host $host"
echo "ok: rank $rank of $np failed; every rank gone ${elapsed} ms later (exit code $code)"

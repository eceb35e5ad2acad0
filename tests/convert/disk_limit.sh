#!/usr/bin/env bash
# disk_limit.sh WORK LAUNCH...: `convert --force` onto an existing output under a
# file-size limit (RLIMIT_FSIZE, as a full disk or a quota would stop it) must
# exit non-zero with a clear message, leave the previous output byte for byte as
# it was and leave nothing beside it; without the limit, --force replaces the
# checkpoint and keeps the user's other files. LAUNCH is the groupshard command
# (alone or under mpirun) up to the subcommand; the model is stories260K.
set -u
work=$1
shift
launch=("$@")
stories=$(dirname "$0")/../../../shared/models/stories260K
fail() { echo "FAIL: $*"; exit 1; }

rm -rf "$work" && mkdir -p "$work" || fail "cannot create $work"
out=$work/out
convert=(convert --model "$stories/stories260K.bin" --tokenizer "$stories/tok512.bin" --out "$out" --method mean)
"${launch[@]}" "${convert[@]}" --kv-groups 2 >/dev/null || fail "the first conversion failed"
echo "notes of the user" >"$out/NOTES.txt"
before=$(cd "$out" && sha256sum -- *)

# 256 KiB: enough for config.json and the tokenizer, not for the 1 MB of weights.
# Open MPI's shared-memory files count against the limit too, so the job keeps
# its PMIx store in memory (gds hash) and talks over TCP rather than a
# shared-memory segment; only groupshard's own output then meets the limit.
output=$(ulimit -f 256
         export PMIX_MCA_gds=hash OMPI_MCA_btl=self,tcp
         timeout 120 "${launch[@]}" "${convert[@]}" --kv-groups 1 --force 2>&1)
code=$?
printf '%s\n' "$output"
[ "$code" -ne 0 ] || fail "exit code 0 under a 256 KiB file-size limit"
[ "$code" -ne 124 ] || fail "timed out"
[ "$code" -ne $((128 + 25)) ] || fail "killed by SIGXFSZ, no message"
grep -q "File too large" <<<"$output" || fail "the message does not say the file was too large"
grep -q "the previous .*out is unchanged" <<<"$output" || fail "the message does not say --out is unchanged"
after=$(cd "$out" && sha256sum -- *)
[ "$before" = "$after" ] || fail "the previous output changed: before
$before
after
$after"
leftovers=$(ls -A "$work" | grep -vx out)
[ -z "$leftovers" ] || fail "left beside --out: $leftovers"

# Without the limit --force replaces the checkpoint and keeps NOTES.txt.
"${launch[@]}" "${convert[@]}" --kv-groups 1 --force >/dev/null || fail "--force without a limit failed"
grep -q '"num_key_value_heads": 1' "$out/config.json" || fail "--force did not replace config.json"
[ -f "$out/NOTES.txt" ] || fail "--force lost the user's NOTES.txt"
leftovers=$(ls -A "$work" | grep -vx out)
[ -z "$leftovers" ] || fail "left beside --out: $leftovers"
echo "ok: exit code $code, clear message, previous output unchanged, nothing left beside it"

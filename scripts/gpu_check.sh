#!/usr/bin/env bash
# The GPU check, in one command, for a machine with an NVIDIA GPU, nvcc 13, CMake,
# ninja and PyTorch but no Debian packages and no network (the device machine):
#   bash scripts/gpu_check.sh [OUT_DIR]
# Needs .gpu-deps/ from scripts/gpu_prepare.sh (carried with the working tree). It
# unpacks the dependencies, builds groupshard with CUDA, runs the GPU tests (each
# CUDA op against the reference backend, greedy argmax and the bf16 KV cache
# included; the NCCL channel, its event timing and its watchdog at np 1; the bad
# input cases; CUDA vs CPU greedy tokens at tp 1, 2 and 4 with ranks sharing the GPU
# through the host-staged MPI channel, and NCCL at tp 1; the bf16 KV cache's
# perplexity against the CPU's) and the GPU decode benchmark beside its PyTorch
# peer, writing gpu_check.log and bench JSON to OUT_DIR.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-${OUT:-gpu-check-out}}")
mkdir -p "$out"
exec > >(tee "$out/gpu_check.log") 2>&1
start=$SECONDS
deps=$PWD/.gpu-deps
root=/tmp/gsroot
[ -d "$deps" ] || { echo "gpu_check: no $deps: run scripts/gpu_prepare.sh where the network is, and carry .gpu-deps"; exit 1; }
nvidia-smi -L || { echo "gpu_check: no NVIDIA GPU here"; exit 1; }

echo "== unpacking $(ls "$deps"/*.deb | wc -l) packages into $root"
rm -rf "$root" && mkdir -p "$root"
for f in "$deps"/*.deb; do dpkg-deb -x "$f" "$root"; done
lib=$root/usr/lib/x86_64-linux-gnu
blas=$(ls -d "$lib"/openblas-openmp "$lib"/openblas-pthread 2>/dev/null | head -1)
export OPAL_PREFIX=$root/usr  # Open MPI finds its plugins and help files relative to this
export PATH=$root/usr/bin:$PATH
export LD_LIBRARY_PATH=$lib:$lib/openmpi/lib:$blas:${LD_LIBRARY_PATH:-}
export PKG_CONFIG=$root/usr/bin/pkgconf PKG_CONFIG_SYSROOT_DIR=$root
export PKG_CONFIG_PATH=$blas/pkgconfig:$lib/pkgconfig:$root/usr/share/pkgconfig
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# The test models live beside the repository as ../shared; the device machine gets the carried copy.
[ -d ../shared/models ] || { mkdir -p ../shared && cp -r "$deps/shared/models" ../shared/; }

# NCCL from PyTorch's wheel when the toolkit has none.
nccl_args=()
if ! ls /usr/local/cuda/lib64/libnccl.so* >/dev/null 2>&1; then
  nccl=$(python3 -c 'import nvidia.nccl, os; print(os.path.dirname(nvidia.nccl.__file__))' 2>/dev/null || true)
  [ -n "$nccl" ] && nccl_args=(-DNCCL_INCLUDE_DIR="$nccl/include" -DNCCL_LIBRARY="$(ls "$nccl"/lib/libnccl.so* | head -1)")
  [ -n "$nccl" ] && export LD_LIBRARY_PATH=$nccl/lib:$LD_LIBRARY_PATH
fi

echo "== configure and build ($(nproc) cores)"
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DGROUPSHARD_CUDA=ON -DGROUPSHARD_NATIVE=ON \
  -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_PREFIX_PATH="$root/usr;$lib/cmake" \
  -DMPI_CXX_SKIP_MPICXX=ON -DMPI_CXX_HEADER_DIR="$lib/openmpi/include" -DMPI_CXX_LIB_NAMES=mpi \
  -DMPI_mpi_LIBRARY="$lib/openmpi/lib/libmpi.so" -DMPIEXEC_EXECUTABLE="$root/usr/bin/orterun" \
  -DGROUPSHARD_BENCHMARKS=OFF "${nccl_args[@]}" || exit 1
cmake --build build-gpu -j "$(nproc)" || exit 1
echo "build done at $((SECONDS - start)) s"

status=0
echo "== GPU tests (CTest)"
ctest --test-dir build-gpu -R "cuda|Cuda|gpu|kv_dtype|collectives" --output-on-failure -j 4 || status=1

GS=build-gpu/launch/groupshard
MPIRUN=(orterun --oversubscribe --bind-to none)
# f32 weights and an f32 KV cache: the CPU backend's greedy tokens exactly (greedy
# ids are picked on the GPU: only they leave it).
for model in ../shared/models/stories260K/stories260K.bin ../shared/models/random-h8g2/model.bin; do
  args=(generate --model "$model" --prompt-ids 1,403,407,260 --max-tokens 48 --ignore-eos --json)
  want=$("${MPIRUN[@]}" -np 1 $GS "${args[@]}" --backend cpu)
  for case in "1 mpi" "2 mpi" "4 mpi" "1 nccl" "1 nccl --cuda-graphs" "1 mpi --cuda-graphs"; do
    set -- $case
    got=$(timeout 300 "${MPIRUN[@]}" -np "$1" $GS "${args[@]}" --backend cuda --kv-dtype f32 --collectives "$2" ${3:-})
    if [ "$got" == "$want" ]; then echo "ok: $model cuda np $case = cpu"; else
      echo "FAIL: $model cuda np $case: $got (cpu: $want)"; status=1; fi
  done
  # bf16 weights, and the CUDA default bf16 KV cache: reported, not required to match.
  got=$(timeout 300 "${MPIRUN[@]}" -np 2 $GS "${args[@]}" --backend cuda --collectives mpi --weight-dtype bf16)
  echo "bf16 weights, bf16 KV, np 2: $got"
  got=$(timeout 300 "${MPIRUN[@]}" -np 1 $GS "${args[@]}" --backend cuda)
  echo "f32 weights, bf16 KV (default), np 1: $got"
done

echo "== bf16 KV cache: perplexity within 0.02 nats/token of the CPU's f32 cache"
text=$out/eval_text.txt
for i in 1 2 3 4 5 6 7 8; do
  echo "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her"
  echo "friends. One day, she saw a big red ball under a tree and ran to get it, but the ball was stuck."
done > "$text"
eval_args=(eval --model ../shared/models/stories260K/stories260K.bin --tokenizer ../shared/models/stories260K/tok512.bin
           --text "$text" --max-tokens 400 --json)
nll_cpu=$("${MPIRUN[@]}" -np 1 $GS "${eval_args[@]}" --backend cpu | python3 -c 'import json,sys; print(json.load(sys.stdin)["nll"])')
for np_kv in "1 bf16" "2 bf16" "1 f32"; do
  set -- $np_kv
  nll=$(timeout 300 "${MPIRUN[@]}" -np "$1" $GS "${eval_args[@]}" --backend cuda --collectives mpi --kv-dtype "$2" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["nll"])')
  if python3 -c "import sys; sys.exit(0 if abs($nll - $nll_cpu) <= 0.02 else 1)"; then
    echo "ok: nll cuda np $1 kv $2 $nll vs cpu $nll_cpu"
  else echo "FAIL: nll cuda np $1 kv $2 $nll vs cpu $nll_cpu"; status=1; fi
done

echo "== bench: TinyLlama-1.1B shape, bf16, batch 1/32/128"
for graphs in "" --cuda-graphs; do
timeout 300 "${MPIRUN[@]}" -np 1 $GS bench --backend cuda --weight-dtype bf16 $graphs \
  --random-model h=32,g=4,d=64,layers=22,ffn=5632,vocab=32000 --batch 1,32,128 --context 128 \
  --gen-tokens 32 --repeat 3 --json "$out/bench_cuda${graphs:+_graphs}.json" || status=1
done
echo "== PyTorch peer, same shape and batches"
timeout 300 python3 scripts/gpu_torch_peer.py --batch 1,32,128 --context 128 --gen-tokens 32 \
  --json "$out/bench_torch.json" || status=1
echo "gpu_check: finished in $((SECONDS - start)) s, status $status"
exit $status

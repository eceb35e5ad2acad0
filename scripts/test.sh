#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine; CI runs exactly this.
#   1. install the Debian packages;
#   2. the Release build in build/ and CTest on it: unit tests, multi-rank tests
#      under mpirun at 1, 2, 3, 4 and 8 ranks, CLI, rank-failure and file-size-limit tests;
#   3. every fuzz target for 15 s (scripts/fuzz.sh);
#   4. the multi-threaded kernel tests under TSan (build-tsan/);
#   5. the whole suite built with ASan + UBSan (build-sanitize/) and CTest on it.
# scripts/test.sh [--release | --sanitize] [CTEST ARGS...]
#   --release   steps 1-3 only;  --sanitize   steps 1, 4 and 5 only.
# CTEST ARGS go to both CTest runs (e.g. -R engine_mpi).
set -euo pipefail
cd "$(dirname "$0")/.."
release=true
sanitize=true
case "${1:-}" in
  --release) sanitize=false; shift ;;
  --sanitize) release=false; shift ;;
esac
scripts/install_deps.sh

if $release; then
  scripts/build.sh
  # Multi-rank tests oversubscribe the cores already: run them one at a time.
  ctest --test-dir build --output-on-failure -j 1 "$@"
  scripts/fuzz.sh 15
fi
$sanitize || exit 0

# TSan on the multi-threaded kernel tests: clang with LLVM's OpenMP runtime, whose
# Archer tool tells TSan about OpenMP's synchronisation (GCC's libgomp cannot).
CC=clang CXX=clang++ cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGROUPSHARD_SANITIZE=thread \
  -DGROUPSHARD_CUDA=OFF -DGROUPSHARD_BENCHMARKS=OFF
cmake --build build-tsan -j "$(nproc)" --target kernels_test
archer=$(dirname "$(dirname "$(clang -print-resource-dir)")")/libarcher.so
OMP_NUM_THREADS=4 OPENBLAS_NUM_THREADS=1 OMP_TOOL_LIBRARIES=$archer \
  TSAN_OPTIONS="halt_on_error=1 ignore_noninstrumented_modules=1" build-tsan/tests/kernels/kernels_test

# ASan + UBSan on the whole suite, CPU code only (CUDA's device code is not
# instrumented, and the GPU tests skip without a GPU anyway). -O1 with line tables
# only (-g1), as ASan advises, and assert() live (no -DNDEBUG): half the compile
# time of -O2 -g, which keeps the whole run (about 50 min on 2 cores) inside CI's 90.
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
  -DGROUPSHARD_SANITIZE=address -DGROUPSHARD_CUDA=OFF -DGROUPSHARD_BENCHMARKS=OFF
cmake --build build-sanitize -j "$(nproc)"
# Open MPI's own allocations are never freed before exit, so leak checking
# would report the library, not groupshard. The rank-failure tests preload a
# library ahead of ASan's runtime, which ASan accepts only with the link-order
# check off.
export ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-sanitize --output-on-failure -j 1 --timeout 1200 "$@"

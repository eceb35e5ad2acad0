#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: install, build, run CTest
# (unit tests, multi-rank tests under mpirun at 1, 2, 3, 4 and 8 ranks, CLI tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
# Multi-rank tests oversubscribe the cores already: run them one at a time.
ctest --test-dir build --output-on-failure -j 1 "$@"

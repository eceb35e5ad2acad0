#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install, build, and generate from the
# default model (stories260K, GQA-4) on 2 ranks.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
scripts/mpirun.sh -np 2 build/launch/groupshard generate --config configs/stories260K.yaml \
  --prompt "Once upon a time" "$@"

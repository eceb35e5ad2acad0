#!/usr/bin/env bash
# Prepares, on a Debian 12 machine with network, what scripts/gpu_check.sh needs on
# a GPU machine that has nvcc, CMake and ninja but no Debian packages and no network:
# the .deb files of groupshard's build and run dependencies (Open MPI, yaml-cpp,
# OpenBLAS, sentencepiece, nlohmann-json, CLI11, GoogleTest, pkgconf), downloaded
# into .gpu-deps/ with the test models (ignored by git; carry it with the working
# tree, under 60 MiB).
set -euo pipefail
cd "$(dirname "$0")/.."
out=.gpu-deps
packages=(
  openmpi-bin openmpi-common libopenmpi3 libopenmpi-dev libpmix2 libpmix-dev libhwloc15 libhwloc-dev
  libevent-core-2.1-7 libevent-pthreads-2.1-7 libevent-2.1-7 libevent-dev libfabric1 libucx0 libibverbs1
  librdmacm1 libnl-3-200 libnl-route-3-200 libpsm2-2 libpsm-infinipath1 libnuma1 libmunge2 libibverbs-dev
  libyaml-cpp0.7 libyaml-cpp-dev
  libopenblas0 libopenblas0-pthread libopenblas-dev libopenblas-pthread-dev libgfortran5
  libsentencepiece0 libsentencepiece-dev libprotobuf-lite32
  nlohmann-json3-dev libcli11-dev libgtest-dev googletest
  pkgconf pkgconf-bin libpkgconf3
)
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
(cd "$out.tmp" && apt-get download "${packages[@]}" >/dev/null)
# The test models: the device machine gets the repository alone, not ../shared.
mkdir -p "$out.tmp/shared/models"
cp -r ../shared/models/stories260K ../shared/models/random-h8g2 ../shared/models/tok512 "$out.tmp/shared/models/"
rm -rf "$out" && mv "$out.tmp" "$out"
grep -qx "/$out/" .git/info/exclude 2>/dev/null || echo "/$out/" >> .git/info/exclude
size=$(du -sm "$out" | cut -f1)
echo "gpu_prepare: $(ls "$out"/*.deb | wc -l) packages and the test models, ${size} MiB in $out/"
[ "$size" -le 60 ] || { echo "gpu_prepare: $out is over 60 MiB" >&2; exit 1; }

#!/usr/bin/env bash
# Installs the Debian 12 packages groupshard builds and tests with (as root, or via sudo),
# plus any packages named as arguments (e.g. python3-matplotlib for the plot scripts).
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  openmpi-bin libopenmpi-dev
  libopenblas-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libsentencepiece-dev
  libgtest-dev libbenchmark-dev
  libcpp-httplib-dev python3 chromium  # serve: HTTP server; its end-to-end tests; the playground test (~30 s to install)
  clang libclang-rt-14-dev libomp-14-dev  # fuzz targets (libFuzzer), TSan with OpenMP (Archer)
  "$@"
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all packages present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install_deps: installing ${missing[*]}"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"

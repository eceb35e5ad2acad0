#!/usr/bin/env bash
# Runs a Python script of the paper tests with Debian's python3 when PyTorch is
# installed; otherwise exits 77, which CTest reports as skipped, with the reason.
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "SKIP: PyTorch is not installed (scripts/install_deps.sh python3-torch installs it)"
  exit 77
fi
exec /usr/bin/python3 "$@"

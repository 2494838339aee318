#!/usr/bin/env bash
# Installs what nabla needs to build, test and run its main job on Debian 12 (run as root).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libopenblas-dev zlib1g-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  openmpi-bin libopenmpi-dev
  dataset-fashion-mnist
  python3-onnx python3-numpy doxygen
  pybind11-dev python3-dev python3-sklearn python3-pytest python3-pandas  # the Python package (python/)
  clang libclang-rt-14-dev  # the libFuzzer targets (scripts/fuzz.sh)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
fi

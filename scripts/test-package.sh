#!/usr/bin/env bash
# Uses nabla as a C++ user would: installs the build into a temporary prefix, builds examples/ from
# outside the repository with find_package(nabla) and runs them, compiles xor.cpp again with only
# pkg-config's flags, and checks how the CMake package answers for components it lacks.
# Usage: scripts/test-package.sh [BUILD_DIR]   (default: build)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
build="$(realpath "${1:-$repo/build}")"
tmp="$(mktemp -d /tmp/nabla-package.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
cd "$tmp"

cmake --install "$build" --prefix "$prefix" > install.log
for header in "$prefix"/include/nabla/*.hpp; do  # the umbrella header must name every public header
  name="$(basename "$header")"
  [ "$name" = nabla.hpp ] || grep -q "\"nabla/$name\"" "$prefix/include/nabla/nabla.hpp" ||
    { echo "include/nabla/nabla.hpp does not include nabla/$name"; exit 1; }
done

echo "== examples, built with find_package(nabla CONFIG REQUIRED)"
cmake -S "$repo/examples" -B examples -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" > configure.log
cmake --build examples -j 2 > build.log || { cat build.log; exit 1; }

echo "== xor"
./examples/xor | tee xor.txt
grep -q "accuracy 100%" xor.txt
echo "== custom_loop"
./examples/custom_loop | tee loop.txt
awk '/loss/ { if (n++ && $NF >= last) bad = 1; last = $NF } END { exit bad || n < 2 }' loop.txt ||
  { echo "custom_loop: the loss did not decrease at every report"; exit 1; }
echo "== csv_regression"
./examples/csv_regression | tee regression.txt
grep -q "test RMSE" regression.txt
echo "== fashion_mnist"
./examples/fashion_mnist "$tmp/fashion.nabla"
"$prefix/bin/nabla" info --model "$tmp/fashion.nabla" > /dev/null  # the installed program reads it

echo "== xor, built with pkg-config --cflags --libs nabla"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
# shellcheck disable=SC2046  # the flags are meant to split into words
g++ "$repo/examples/xor.cpp" -o xor-pkg-config $(pkg-config --cflags --libs nabla)
./xor-pkg-config | grep "accuracy 100%"

echo "== components: cpu is found, an absent one (rocm) fails with a message"
mkdir components
cat > components/CMakeLists.txt <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(components LANGUAGES CXX)
find_package(nabla CONFIG REQUIRED COMPONENTS ${WANTED})
CMAKE
cmake -S components -B components/cpu -DWANTED=cpu -DCMAKE_PREFIX_PATH="$prefix" > /dev/null
if cmake -S components -B components/rocm -DWANTED=rocm -DCMAKE_PREFIX_PATH="$prefix" > rocm.log 2>&1 ||
   ! grep -q "has no component 'rocm'" rocm.log; then
  cat rocm.log; echo "find_package(nabla COMPONENTS rocm) should fail, naming the component"; exit 1
fi
echo "package test passed"

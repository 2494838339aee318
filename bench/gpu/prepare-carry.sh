#!/usr/bin/env bash
# Gathers, on this Debian machine, what bench/gpu/run.sh needs on a GPU machine that has the CUDA
# toolkit, CMake, Ninja and PyTorch but none of Debian's -dev packages, into .carry/ (git-ignored),
# which the device session carries along with the working tree:
#   .carry/deps.tar.xz    headers and CMake packages of CLI11, nlohmann_json, zlib and OpenBLAS;
#                         GoogleTest's sources (built there by its own compiler); OpenBLAS and its
#                         Fortran runtime, which nabla opens at run time; pkg-config, which finds
#                         OpenBLAS; zlib to link against
#   .carry/fashion-mnist/ the data set of the main job
# xz brings it within the carry's 64 MiB. Usage: bash bench/gpu/prepare-carry.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
arch=x86_64-linux-gnu
stage="$(mktemp -d /tmp/nabla-carry.XXXXXX)"
trap 'rm -rf "$stage"' EXIT
deps="$stage/deps"
mkdir -p "$deps/include" "$deps/lib/pkgconfig" "$deps/runtime" "$deps/share/cmake" "$deps/bin" "$deps/src"

cp -r /usr/include/CLI /usr/include/nlohmann /usr/include/zlib.h /usr/include/zconf.h "$deps/include/"
cp -r "/usr/include/$arch/openblas-pthread" "$deps/include/openblas"
cp -r /usr/share/cmake/CLI11 /usr/share/cmake/nlohmann_json "$deps/share/cmake/"
cp -r /usr/src/googletest "$deps/src/"

# Linked while building: zlib (the machine has its own libz.so.1 to run with) and pkg-config's library.
cp -L "/lib/$arch/libz.so.1" "/lib/$arch/libpkgconf.so.3" "$deps/lib/"
ln -s libz.so.1 "$deps/lib/libz.so"
cp -L /usr/bin/pkgconf "$deps/bin/pkg-config"
# Opened while running: OpenBLAS (the CPU side of the tests) and the Fortran runtime it needs.
cp -L "/usr/lib/$arch/libopenblas.so.0" "/lib/$arch/libgfortran.so.5" "/lib/$arch/libquadmath.so.0" "$deps/runtime/"
cat > "$deps/lib/pkgconfig/openblas.pc" <<'PC'
prefix=${pcfiledir}/../..
includedir=${prefix}/include/openblas
libdir=${prefix}/runtime

Name: openblas
Description: OpenBLAS 0.3.21 from Debian 12, carried to the GPU machine
Version: 0.3.21
Libs: -L${libdir} -lopenblas
Cflags: -I${includedir}
PC

rm -rf .carry
mkdir -p .carry/fashion-mnist
tar -C "$stage" -cf - deps | xz -6 -T2 > .carry/deps.tar.xz
cp /usr/share/datasets/fashion-mnist/*.gz .carry/fashion-mnist/
du -sh .carry/deps.tar.xz .carry/fashion-mnist .carry

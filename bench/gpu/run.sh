#!/usr/bin/env bash
# The GPU session's one script, for an H200 (sm_90) machine with the CUDA toolkit, CMake, Ninja and
# PyTorch but none of Debian's -dev packages:
#   1. builds nabla with its CUDA backend against the dependencies in .carry/
#      (made beforehand by bench/gpu/prepare-carry.sh, and carried with the working tree)
#   2. runs the CUDA tests
#   3. times `nabla bench --device cuda` in fp32, tf32 and bf16 against PyTorch eager and PyTorch
#      with the step captured in a CUDA graph, at batch 128, 1024, 16384 and 262144
#      (784-256-128-10, ReLU, softmax cross-entropy, SGD), and prints the ratios
#   4. trains the Fashion-MNIST main job on the GPU: test accuracy and wall time
#   5. runs the rest of the test suite
# Everything is written to $OUT (default out/gpu): run.log (all of it), summary.md, the tests' XML,
# the benchmarks' JSON lines, the training logs. Every stage has a time limit, so that the whole
# stays within 10 minutes, and a failed stage does not stop the later ones.
set -uo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-out/gpu}"
mkdir -p "$out"
exec > >(tee "$out/run.log") 2>&1

stage() { printf '\n== %s (at %d s)\n' "$*" "$SECONDS"; }
# Runs a command under a time limit in seconds; reports a failure and carries on.
limited() {
    local seconds=$1 status
    shift
    timeout "$seconds" "$@"
    status=$?
    [ "$status" -eq 124 ] && echo "!! out of time after $seconds s: $*"
    [ "$status" -eq 0 ] || [ "$status" -eq 124 ] || echo "!! exit status $status: $*"
    return "$status"
}

stage "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv || echo "no nvidia-smi"
nvcc --version | tail -2
cmake --version | head -1
echo "ninja $(ninja --version)"
c++ --version | head -1
python3 -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, torch.cuda.is_available())'

stage "dependencies from .carry/"
work="$(mktemp -d /tmp/nabla-gpu.XXXXXX)"
deps="$work/deps"
tar -C "$work" -xJf .carry/deps.tar.xz || { echo "no .carry/deps.tar.xz: run bench/gpu/prepare-carry.sh first"; exit 1; }
# OpenBLAS is found through the carried openblas.pc alone, by this machine's pkg-config or the carried one.
export PKG_CONFIG_LIBDIR="$deps/lib/pkgconfig"
pkg_config="$(command -v pkg-config || true)"
if [ -z "$pkg_config" ]; then
    pkg_config="$deps/bin/pkg-config-carried"
    printf '#!/bin/sh\nLD_LIBRARY_PATH="%s/lib" exec "%s/bin/pkg-config" "$@"\n' "$deps" "$deps" > "$pkg_config"
    chmod +x "$pkg_config"
fi
# nabla opens OpenBLAS (and OpenBLAS its Fortran runtime) at run time: the carried ones.
run_nabla() { LD_LIBRARY_PATH="$deps/runtime${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"; }
export NABLA_DATASETS="$PWD/.carry/fashion-mnist"

stage "GoogleTest, built by this machine's compiler"
{ cmake -S "$deps/src/googletest" -B "$work/gtest" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_INSTALL_PREFIX="$deps" -DCMAKE_INSTALL_LIBDIR=lib &&
  cmake --build "$work/gtest" --target install; } > "$out/gtest-build.log" 2>&1 ||
    tail -20 "$out/gtest-build.log"

stage "nabla with its CUDA backend for sm_90"
build=build-gpu
limited 120 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNABLA_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
    -DNABLA_MPI=OFF -DNABLA_BUILD_BENCH=OFF -DNABLA_INSTALL=OFF -DCMAKE_PREFIX_PATH="$deps" \
    -DZLIB_INCLUDE_DIR="$deps/include" -DZLIB_LIBRARY="$deps/lib/libz.so" -DPKG_CONFIG_EXECUTABLE="$pkg_config" \
    > "$out/configure.log" 2>&1 || { tail -40 "$out/configure.log"; exit 1; }
grep "nabla: CUDA backend" "$out/configure.log"
limited 360 ninja -C "$build" -j "$(nproc)" nabla_cli nabla_tests > "$out/build.log" 2>&1 ||
    { tail -60 "$out/build.log"; exit 1; }
echo "built at $SECONDS s"
nabla="$build/tools/nabla"

stage "CUDA tests"
cuda_tests='*Cuda*:Device.*:*FloatGradCheck*'
run_nabla limited 240 "$build/tests/nabla_tests" --gtest_filter="$cuda_tests" --gtest_output="xml:$out/cuda-tests.xml" \
    > "$out/cuda-tests.log" 2>&1
grep -v '^\[ RUN\|^\[       OK\|^\[----------\]\|^$' "$out/cuda-tests.log"

stage "benchmark: nabla"
batches="128 1024 16384 262144"
: > "$out/nabla-bench.jsonl"
for batch in $batches; do
    for precision in fp32 tf32 bf16; do
        run_nabla limited 60 "$nabla" bench --device cuda --precision "$precision" --batch "$batch" --seconds 2 --json |
            tee -a "$out/nabla-bench.jsonl"
    done
done

stage "benchmark: PyTorch, eager and CUDA graph"
limited 300 python3 bench/gpu/torch_gpu_bench.py --batches "${batches// /,}" --seconds 2 | tee "$out/torch-bench.jsonl"
python3 bench/gpu/compare_gpu.py "$out/nabla-bench.jsonl" "$out/torch-bench.jsonl" | tee "$out/bench.md"

stage "Fashion-MNIST main job on the GPU"
for precision in fp32 tf32; do
    TIMEFORMAT="fashion-mnist on cuda, $precision: %R s wall" && time run_nabla limited 180 "$nabla" train \
        --data fashion-mnist:train --test fashion-mnist:test --hidden 256,128 --device cuda --precision "$precision" \
        --save "$out/fashion-$precision.nabla" --log "$out/fashion-$precision.csv" 2>&1 | tee "$out/fashion-$precision.log"
done
echo "the fp32 model, evaluated on each device:"
run_nabla limited 60 "$nabla" eval --model "$out/fashion-fp32.nabla" --data fashion-mnist:test --device cuda --json
run_nabla limited 60 "$nabla" eval --model "$out/fashion-fp32.nabla" --data fashion-mnist:test --device cpu --json

stage "the rest of the test suite"
run_nabla limited 180 "$build/tests/nabla_tests" --gtest_filter="-$cuda_tests" --gtest_brief=1 > "$out/other-tests.log" 2>&1
tail -5 "$out/other-tests.log"

stage "summary"
{
    echo "# nabla on $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"
    echo
    echo "CUDA tests:"
    grep -h '^\[==========\] [0-9]* tests\|^\[  PASSED  \]\|^\[  FAILED  \]\|^\[  SKIPPED \] [0-9]' "$out/cuda-tests.log"
    echo
    cat "$out/bench.md"
    echo
    grep -h "test accuracy" "$out"/fashion-*.log
    grep -h "s wall" "$out/run.log" | grep -v TIMEFORMAT
} > "$out/summary.md" 2>/dev/null
cat "$out/summary.md"
echo "done at $SECONDS s"

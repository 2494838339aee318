#!/usr/bin/env bash
# The one script for a GPU machine (an H200, sm_90, with the CUDA toolkit, CMake, Ninja and PyTorch
# but none of Debian's -dev packages and no network). Its stages come in the order of what matters
# most, each under a hard time limit:
#   1. build nabla with its CUDA backend against the dependencies in .carry/
#      (made beforehand by bench/gpu/prepare-carry.sh, carried with the working tree)
#   2. the GPU tests, with NABLA_REQUIRE_GPU=1: a GPU that cannot be used fails them, not skips
#   3. the Fashion-MNIST main job with --device cuda: test accuracy and wall time
#   4. `nabla bench --device cuda` in fp32, tf32 and bf16 against PyTorch eager and PyTorch with
#      the step in a CUDA graph (784-256-128-10, ReLU, softmax cross-entropy, SGD), and the ratios
#   5. the rest of the test suite, in whatever time is left
# The limits, with the time a stage gets to stop, add up to 540 s (9 minutes: a device gives 10
# minutes a command and 15 in all, its start-up included). Each stage appends its result to
# $OUT/report.md as it ends, so a run cut short still reports what it finished; $OUT (default
# out/gpu) also gets run.log (all the output) and each stage's own logs. A stage that fails does
# not stop the later ones.
set -uo pipefail
cd "$(dirname "$0")/../.."
export OUT="${OUT:-out/gpu}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
export REPORT="$OUT/report.md"
exec > >(tee -a "$OUT/run.log") 2>&1

# The stages' limits add up to 510 s; the last stage takes what they leave of 524 s; and a stage
# that overruns its limit gets 2 s to stop before it is killed (8 stages: 16 s). 540 s in all.
budget=524 grace=2
limit_machine=30 limit_setup=60 limit_build=170 limit_gpu_tests=60 limit_fashion=80 limit_bench_nabla=55
limit_bench_torch=55

# Stage NAME LIMIT FUNCTION: runs FUNCTION (exported) in its own shell under a hard time limit.
# The report gets NAME as the stage starts, FUNCTION's results as it writes them, and the stage's
# outcome as it ends. FUNCTION returns 3 when it had nothing to run on (no build).
stage() {
    local name=$1 limit=$2 function=$3 start=$SECONDS status
    printf '\n== %s (limit %d s, at %d s)\n' "$name" "$limit" "$SECONDS"
    printf -- '- **%s** (limit %d s, from %d s)\n' "$name" "$limit" "$SECONDS" >> "$REPORT"
    # In the background, so that the trap below can stop it: `timeout` runs a stage in a process
    # group of its own, which the signal that ends this script would not reach.
    timeout --kill-after=$grace "$limit" bash -o pipefail -c "$function" &
    stage_pid=$!
    wait $stage_pid
    status=$?
    local took=$((SECONDS - start)) result
    case $status in
        0) result="ok" ;;
        3) result="skipped" ;;
        124 | 137) result="OUT OF TIME" ;;
        *) result="FAILED (exit status $status)" ;;
    esac
    printf -- '  - %s, %d s\n\n' "$result" "$took" >> "$REPORT"
    echo "-- $name: $result, $took s"
}

# Cut short (the device's limit, ^C): the running stage ends too, and the report says so.
stage_pid=
trap 'echo "  - cut short at $SECONDS s" >> "$REPORT"; [ -n "$stage_pid" ] && kill -TERM $stage_pid 2>/dev/null
      exit 143' TERM INT HUP

# The carried dependencies unpack beside the build, at a fixed place, so that a second run (or a
# rehearsal) rebuilds only what changed.
export WORK="$PWD/build-gpu-deps" BUILD="$PWD/build-gpu"
export DEPS="$WORK/deps"
mkdir -p "$WORK"
export NABLA_DATASETS="$PWD/.carry/fashion-mnist"
export NABLA="$BUILD/tools/nabla" TESTS="$BUILD/tests/nabla_tests"
export GPU_TESTS='*Cuda*:Device.*:*FloatGradCheck*'

# nabla opens OpenBLAS (and OpenBLAS its Fortran runtime) at run time: the carried ones.
run_nabla() { LD_LIBRARY_PATH="$DEPS/runtime${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"; }
# A line of a stage's results in the report.
note() { echo "  $*" >> "$REPORT"; }
# Stops a stage that needs what the build makes when the build did not make it.
need_build() {
    [ -x "$NABLA" ] && [ -x "$TESTS" ] && return 0
    note "nabla was not built"
    return 3
}
# gtest's summary lines of a log, for the report.
gtest_summary() { grep -h '^\[==========\] [0-9]* tests\|^\[  PASSED  \]\|^\[  SKIPPED \] [0-9]\|^\[  FAILED  \]' "$1"; }
export -f run_nabla note need_build gtest_summary

echo "# nabla on a GPU machine, $(date -u '+%Y-%m-%d %H:%M UTC'); stages planned within $((budget + 8 * grace)) s" >> "$REPORT"
echo >> "$REPORT"

machine() {
    {
        echo "  GPU: $(timeout 8 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 |
            head -4 | paste -sd ';' -)"
        echo "  nvcc: $(timeout 5 nvcc --version 2>&1 | tail -1)"
        echo "  PyTorch: $(timeout 15 python3 -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda,
            "available:", torch.cuda.is_available())' 2>&1 | tail -1)"
    } | tee -a "$REPORT"
}

setup() {
    tar -C "$WORK" -xJf .carry/deps.tar.xz || { note "no .carry/deps.tar.xz: run bench/gpu/prepare-carry.sh first"; return 1; }
    # GoogleTest, built by this machine's compiler.
    { cmake -S "$DEPS/src/googletest" -B "$WORK/gtest" -G Ninja -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX="$DEPS" -DCMAKE_INSTALL_LIBDIR=lib &&
        cmake --build "$WORK/gtest" --target install; } > "$OUT/gtest-build.log" 2>&1 ||
        { tail -20 "$OUT/gtest-build.log"; note "GoogleTest did not build: see gtest-build.log"; return 1; }
}

build() {
    # OpenBLAS is found through the carried openblas.pc alone, by this machine's pkg-config or the carried one.
    export PKG_CONFIG_LIBDIR="$DEPS/lib/pkgconfig"
    local pkg_config
    pkg_config="$(command -v pkg-config || true)"
    if [ -z "$pkg_config" ]; then
        pkg_config="$DEPS/bin/pkg-config-carried"
        printf '#!/bin/sh\nLD_LIBRARY_PATH="%s/lib" exec "%s/bin/pkg-config" "$@"\n' "$DEPS" "$DEPS" > "$pkg_config"
        chmod +x "$pkg_config"
    fi
    cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNABLA_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
        -DNABLA_MPI=OFF -DNABLA_BUILD_BENCH=OFF -DNABLA_INSTALL=OFF -DCMAKE_PREFIX_PATH="$DEPS" \
        -DZLIB_INCLUDE_DIR="$DEPS/include" -DZLIB_LIBRARY="$DEPS/lib/libz.so" -DPKG_CONFIG_EXECUTABLE="$pkg_config" \
        > "$OUT/configure.log" 2>&1 ||
        { tail -40 "$OUT/configure.log"; note "configuring failed: see configure.log"; return 1; }
    grep "nabla: CUDA backend\|nabla: NCCL\|nabla: no NCCL" "$OUT/configure.log" | sed 's/^-- /  /' >> "$REPORT"
    ninja -C "$BUILD" -j "$(nproc)" nabla_cli nabla_tests > "$OUT/build.log" 2>&1 ||
        { tail -60 "$OUT/build.log"; note "the build failed: see build.log"; return 1; }
}

gpu_tests() {
    need_build || return
    NABLA_REQUIRE_GPU=1 run_nabla "$TESTS" --gtest_filter="$GPU_TESTS" --gtest_output="xml:$OUT/gpu-tests.xml" \
        > "$OUT/gpu-tests.log" 2>&1
    local status=$?
    grep -v '^\[ RUN\|^\[       OK\|^\[----------\]\|^$' "$OUT/gpu-tests.log" | tail -60
    {
        grep -h '^\[==========\] [0-9]* tests\|^\[  PASSED  \]\|^\[  SKIPPED \] [0-9]\|^\[  FAILED  \] [0-9]' \
            "$OUT/gpu-tests.log"
        # The first failures, and why, once each.
        sed -n '/^\[  FAILED  \] [0-9]* tests\?, listed below/,$p' "$OUT/gpu-tests.log" | grep '^\[  FAILED  \] [A-Z]' |
            head -10
        grep -h 'NABLA_REQUIRE_GPU=1 and no usable GPU' "$OUT/gpu-tests.log" | sort -u | head -3
    } | sed 's/^/  /' >> "$REPORT"
    return $status
}

fashion() {
    need_build || return
    local precision status=0
    for precision in fp32 tf32; do
        local log="$OUT/fashion-$precision"
        TIMEFORMAT="%R" && { time run_nabla "$NABLA" train --data fashion-mnist:train --test fashion-mnist:test \
            --hidden 256,128 --device cuda --precision "$precision" --save "$log.nabla" --log "$log.csv" \
            > "$log.log" 2>&1; } 2> "$log.time" || status=1
        tail -3 "$OUT/fashion-$precision.log"
        {
            echo "  $precision, $(cat "$OUT/fashion-$precision.time" 2>/dev/null) s wall:"
            grep -h "test accuracy\|error" "$OUT/fashion-$precision.log" | tail -2 | sed 's/^/    /'
        } >> "$REPORT"
    done
    echo "  the fp32 model evaluated on the GPU, then the CPU:" >> "$REPORT"
    for device in cuda cpu; do
        run_nabla "$NABLA" eval --model "$OUT/fashion-fp32.nabla" --data fashion-mnist:test --device $device --json \
            2>&1 | tail -1 | sed 's/^/    /' >> "$REPORT" || status=1
    done
    return $status
}

bench_nabla() {
    need_build || return
    local batch precision status=0
    : > "$OUT/nabla-bench.jsonl"
    for batch in 128 1024 16384 262144; do
        for precision in fp32 tf32 bf16; do
            timeout 12 bash -c 'run_nabla "$NABLA" bench --device cuda --precision "$1" --batch "$2" --seconds 1 \
                --json' _ "$precision" "$batch" 2>&1 | tee -a "$OUT/nabla-bench.jsonl" || status=1
        done
    done
    grep -c '^{' "$OUT/nabla-bench.jsonl" | sed 's/^/  configurations timed: /; s/$/ of 12/' >> "$REPORT"
    grep -v '^{' "$OUT/nabla-bench.jsonl" | sort -u | head -3 | sed 's/^/  /' >> "$REPORT"
    return $status
}

bench_torch() {
    python3 -u bench/gpu/torch_gpu_bench.py --batches 128,1024,16384,262144 --seconds 1 > "$OUT/torch-bench.jsonl" \
        2> "$OUT/torch-bench.err"
    local status=$?
    tail -3 "$OUT/torch-bench.err"
    [ $status -eq 0 ] || echo "  PyTorch: $(tail -1 "$OUT/torch-bench.err")" >> "$REPORT"
    if grep -q '^{' "$OUT/nabla-bench.jsonl" 2>/dev/null && grep -q '^{' "$OUT/torch-bench.jsonl"; then
        python3 bench/gpu/compare_gpu.py "$OUT/nabla-bench.jsonl" "$OUT/torch-bench.jsonl" > "$OUT/bench.md" &&
            cat "$OUT/bench.md" >> "$REPORT"
    fi
    return $status
}

other_tests() {
    need_build || return
    run_nabla "$TESTS" --gtest_filter="-$GPU_TESTS" --gtest_brief=1 > "$OUT/other-tests.log" 2>&1
    local status=$?
    tail -5 "$OUT/other-tests.log"
    gtest_summary "$OUT/other-tests.log" | sed 's/^/  /' >> "$REPORT"
    return $status
}
export -f machine setup build gpu_tests fashion bench_nabla bench_torch other_tests

stage "machine" $limit_machine machine
stage "dependencies and GoogleTest" $limit_setup setup
stage "build (CUDA, sm_90)" $limit_build build
stage "GPU tests (NABLA_REQUIRE_GPU=1)" $limit_gpu_tests gpu_tests
stage "Fashion-MNIST, --device cuda" $limit_fashion fashion
stage "benchmark: nabla" $limit_bench_nabla bench_nabla
stage "benchmark: PyTorch, and the ratios" $limit_bench_torch bench_torch
left=$((budget - SECONDS))
if [ $left -ge 20 ]; then
    stage "the rest of the test suite" $left other_tests
else
    printf -- '- **the rest of the test suite**: not run (%d s of the budget left)\n\n' "$left" >> "$REPORT"
fi
echo "done at $SECONDS s" | tee -a "$REPORT"

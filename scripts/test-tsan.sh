#!/usr/bin/env bash
# Runs the thread-safety tests under ThreadSanitizer, in a build of their own (build-tsan): any race
# it reports fails the run. OpenBLAS is not instrumented, so the tests keep it to one thread (no
# worker threads of its own) and TSan sees every product on the thread that asked for it.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNABLA_SANITIZE=thread -DNABLA_BUILD_BENCH=OFF > /dev/null
cmake --build build-tsan --target nabla_tests -j "$(nproc)"
TSAN_OPTIONS=halt_on_error=1 ./build-tsan/tests/nabla_tests --gtest_filter='ThreadSafety*:ProductSplit*'

#!/usr/bin/env bash
# Runs the thread-safety tests under ThreadSanitizer, in a build of their own (build-tsan): any race
# it reports fails the run. OpenBLAS is not instrumented; the tests keep it to one thread, and
# scripts/tsan.supp silences reports inside it (third-party code only).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNABLA_SANITIZE=thread -DNABLA_BUILD_BENCH=OFF > /dev/null
cmake --build build-tsan --target nabla_tests -j "$(nproc)"
TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/scripts/tsan.supp" \
  ./build-tsan/tests/nabla_tests --gtest_filter='ThreadSafety*'

#!/usr/bin/env bash
# The README's test command: installs the dependencies, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"
bash tests/mpi/run_mpi_tests.sh build/tools/nabla  # data-parallel training under mpirun
bash scripts/test-package.sh   # the installed package, as a C++ user builds against it
bash scripts/test-tsan.sh      # the thread-safety tests under ThreadSanitizer
# The whole suite again under AddressSanitizer and UBSan (options and suppressions: tests/sanitizers/).
# -O1 -g1 (line tables, all a report needs) compiles in half the time of -O2 -g.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DNABLA_SANITIZE=address,undefined -DNABLA_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j "$(nproc)"
(source tests/sanitizers/env.sh && ctest --test-dir build-asan --output-on-failure -j "$(nproc)")
bash scripts/bad-inputs.sh >/dev/null  # bad input of every kind: a one-line error, no file left
bash scripts/fuzz.sh 60        # each parser under libFuzzer for a minute
doxygen Doxyfile               # API docs of include/nabla: any warning fails

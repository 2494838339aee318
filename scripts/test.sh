#!/usr/bin/env bash
# The README's test command: installs the dependencies, builds, and runs every test stage. Every
# stage runs even when an earlier one failed; a summary of the stages ends the output, and the
# exit status is non-zero if any stage failed.
set -uo pipefail
cd "$(dirname "$0")/.."

names=() results=() failed=0

# stage NAME COMMAND...: runs one stage, records whether it passed and how long it took.
stage() {
  local name=$1 start=$SECONDS status
  shift
  echo
  echo "==== $name"
  ( set -euo pipefail; "$@" )
  status=$?
  names+=("$name")
  if [ "$status" -eq 0 ]; then
    results+=("passed   $(( SECONDS - start )) s")
  else
    results+=("FAILED   $(( SECONDS - start )) s (exit $status)")
    failed=1
  fi
}

ctest_release() { ctest --test-dir build --output-on-failure -j "$(nproc)"; }

# The whole suite again under AddressSanitizer and UBSan (options and suppressions: tests/sanitizers/),
# but the runs under each OpenBLAS kernel family and the sweep of product shapes and thread counts,
# which check bits, not memory (the default kernel's run of those tests is part of the suite). -O1 -g1 (line tables, all a report needs) compiles in
# half the time of -O2 -g.
asan_ubsan() {
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    -DNABLA_SANITIZE=address,undefined -DNABLA_BUILD_BENCH=OFF -DNABLA_PYTHON=OFF >/dev/null
  cmake --build build-asan -j "$(nproc)"
  source tests/sanitizers/env.sh
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)" -E '^EveryBlasKernel[.]|^ProductSplit[.]EveryThreadCount'
}

stage "install dependencies" bash scripts/install-deps.sh
stage "build" bash scripts/build.sh
stage "unit and CLI tests (ctest; each OpenBLAS kernel family)" ctest_release
stage "data-parallel training under mpirun" bash tests/mpi/run_mpi_tests.sh build/tools/nabla
stage "the installed package, built against" bash scripts/test-package.sh
stage "ThreadSanitizer" bash scripts/test-tsan.sh
stage "AddressSanitizer and UBSan" asan_ubsan
stage "Python package (pytest; scikit-learn's estimator checks)" bash scripts/test-python.sh
stage "bad inputs: one-line errors, no file left" bash -c 'bash scripts/bad-inputs.sh >/dev/null'
stage "fuzzers, 45 s each" bash scripts/fuzz.sh 45
stage "API docs (any warning fails)" doxygen Doxyfile

echo
echo "==== summary"
for i in "${!names[@]}"; do printf '%-60s %s\n' "${names[$i]}" "${results[$i]}"; done
if [ "$failed" -ne 0 ]; then
  echo "test.sh: some stages failed"
  exit 1
fi
echo "test.sh: every stage passed"

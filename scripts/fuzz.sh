#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang, AddressSanitizer and UBSan into build-fuzz/, then
# runs each for SECONDS (default 60), starting from the committed seeds in fuzz/corpus/. A finding
# leaves its input as build-fuzz/crash-* (or leak-, timeout-, oom-) and fails the script; fix it and
# add the input to tests/data/fuzz-regressions/FORMAT/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}

CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DNABLA_FUZZ=ON -DNABLA_SANITIZE=address,undefined \
  -DNABLA_BUILD_TESTS=OFF -DNABLA_BUILD_BENCH=OFF -DNABLA_BUILD_CLI=OFF >/dev/null
# The build's log is shown only when it fails: clang warns about OpenBLAS's C headers.
if ! cmake --build build-fuzz -j "$(nproc)" --target csv_fuzz idx_fuzz model_fuzz nbd_fuzz >build-fuzz/build.log 2>&1; then
  cat build-fuzz/build.log
  exit 1
fi
source tests/sanitizers/env.sh

# The fuzzer adds the inputs it finds to its corpus folder: a scratch copy keeps the committed
# seeds small.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# run_target FORMAT MAX_LEN: prints the run's statistics, or the end of its log on a finding.
run_target() {
  local format=$1 max_len=$2 log="build-fuzz/${1}_fuzz.log"
  cp -r "fuzz/corpus/$format" "$scratch/$format"
  echo "== ${format}_fuzz, ${seconds} s"
  if ! "build-fuzz/fuzz/${format}_fuzz" "$scratch/$format" -max_total_time="$seconds" -max_len="$max_len" \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix=build-fuzz/ >"$log" 2>&1; then
    tail -n 60 "$log"
    return 1
  fi
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+ +DONE' "$log"
}

# Every target runs even after a finding in another; the script fails if any found something.
status=0
run_target csv 4096 || status=1
run_target idx 4096 || status=1
run_target model 8192 || status=1
run_target nbd 8192 || status=1
exit "$status"

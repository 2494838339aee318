#!/usr/bin/env bash
# Runs the thread-safety tests under ThreadSanitizer, in a build of their own (build-tsan): any race
# it reports fails the run. Besides ThreadSafety* and ProductSplit*: the CSV reader's parts and
# medians on several threads, processes-as-threads training together (DataParallel*), and a stream's
# background reader beside training (Streamed*). OpenBLAS is not instrumented, but it runs single-threaded inside the
# parts of nabla's own thread pool, which is, like the threads that call it. (The fork test is left
# out: TSan does not support starting threads in the child of a multi-threaded fork; so is the
# sweep of product shapes and thread counts, which checks bits, not races, and is slow under TSan;
# and the CSV tests of line ends at part boundaries, whose threads run the same parts code as
# CsvReadInParts.) -O1 -g1 (line tables, all a report needs) compiles in half the time of -O2 -g.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DNABLA_SANITIZE=thread -DNABLA_BUILD_BENCH=OFF -DNABLA_PYTHON=OFF > /dev/null
cmake --build build-tsan --target nabla_tests -j "$(nproc)"
TSAN_OPTIONS=halt_on_error=1 ./build-tsan/tests/nabla_tests --gtest_filter='ThreadSafety*:ProductSplit*:DataTest.Csv*Parts*:DataTest.CsvMediansOfMany*:DataParallel*:Streamed.GivesTheSameBits*:Streamed.ADamagedBlock*:-ProductSplit.AForkedChild*:ProductSplit.EveryThreadCount*:DataTest.CsvCrlfLinesInParts*:DataTest.CsvLongLastLine*'

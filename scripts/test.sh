#!/usr/bin/env bash
# The README's test command: installs the dependencies, builds, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"
bash scripts/test-package.sh   # the installed package, as a C++ user builds against it
bash scripts/test-tsan.sh      # the thread-safety tests under ThreadSanitizer
doxygen Doxyfile               # API docs of include/nabla: any warning fails

#!/usr/bin/env bash
# The Python package: its pytest suite (python/tests: scikit-learn's estimator checks, inputs, model
# files with the CLI, bitwise agreement with the CLI, Ctrl-C, the backpropagation example) from the
# build tree, then an import of the package as `cmake --install` lays it out. Fails, never skips,
# where pybind11 is installed but the module was not built.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
python=/usr/bin/python3
module=$(ls "$build"/python/nabla/_nabla*.so 2>/dev/null | head -n 1 || true)
if [ -z "$module" ]; then
  if dpkg-query -W -f='${Status}' pybind11-dev 2>/dev/null | grep -q "install ok installed"; then
    echo "test-python.sh: pybind11 is installed but $build/python/nabla/_nabla*.so was not built (NABLA_PYTHON?)" >&2
    exit 1
  fi
  echo "test-python.sh: pybind11-dev is not installed, so the Python package was not built: nothing to test"
  exit 0
fi
PYTHONPATH="$PWD/$build/python" NABLA_CLI="$PWD/$build/tools/nabla" \
  "$python" -m pytest -q -p no:cacheprovider python/tests

prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" > /dev/null
PYTHONPATH="$prefix/lib/python3/dist-packages" "$python" -c \
  "import nabla, os, sys; assert nabla.__file__.startswith(sys.argv[1]), nabla.__file__; print('installed package imports:', os.path.dirname(nabla.__file__))" "$prefix"

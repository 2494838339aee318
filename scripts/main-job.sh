#!/usr/bin/env bash
# The README's main job: installs the dependencies, builds, trains 784-256-128-10 on
# Fashion-MNIST, prints the test accuracy, and writes the model and its learning curve to out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
mkdir -p out
./build/tools/nabla train --data fashion-mnist:train --test fashion-mnist:test \
  --hidden 256,128 --save out/fashion.nabla --log out/fashion-metrics.csv --plot out/fashion-curve.svg "$@"

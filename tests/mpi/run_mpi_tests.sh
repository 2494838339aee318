#!/usr/bin/env bash
# Data-parallel `nabla train` under mpirun (docs/distributed.md), as scripts/test.sh runs it:
#  1. 2 and 4 processes train the weights of one process: 50 steps on a CSV file whose classes are
#     missing from some processes' shares and whose features need standardising (also with the sums
#     overlapping the backward pass), a regression, and Fashion-MNIST to the same test accuracy;
#     only the first process prints and writes;
#  2. a process killed mid-run ends the job within seconds, the model file untouched, and --resume
#     then finishes with the weights of an uninterrupted run (with dropout);
#  3. bad data in one process's share ends the whole job at once, with the loader's one-line error;
#  4. a .nbd file (nabla convert) trains the weights its CSV file trains, in 2 and 4 processes, and
#     streamed (--stream) the weights of one process.
# Usage: tests/mpi/run_mpi_tests.sh [NABLA]   (default: build/tools/nabla). About a minute.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
nabla="$(realpath "${1:-$repo/build/tools/nabla}")"
if ! command -v mpirun > /dev/null; then
  echo "SKIP: mpirun not found; scripts/install-deps.sh installs Open MPI (openmpi-bin, libopenmpi-dev)"
  exit 0
fi
scratch="$(mktemp -d /tmp/nabla-mpi.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"

mpi=(mpirun --allow-run-as-root --oversubscribe)  # root in containers; more processes than cores
fail() { echo "FAIL: $*"; exit 1; }
# `nabla ARGS...` in N processes; a job that hangs fails instead of holding up the suite.
on() { local processes=$1; shift; timeout --kill-after=5 120 "${mpi[@]}" -np "$processes" "$nabla" "$@"; }
# Models with the same parameters; exit status 77 (no onnx module) skips the comparison, saying so.
same_weights() {
  local status=0
  /usr/bin/python3 "$repo/tests/mpi/same_weights.py" "$nabla" "$@" || status=$?
  [ "$status" = 77 ] || return "$status"
}
# The pid of rank R of the job running now: the process whose environment holds both this test run's
# mark (inherited through mpirun) and that rank.
export NABLA_MPI_TEST_RUN="$scratch"
rank_pid() {
  local rank=$1 environ variables
  for environ in /proc/[0-9]*/environ; do
    variables="$(tr '\0' '\n' 2> /dev/null < "$environ")" || continue
    grep -qx "NABLA_MPI_TEST_RUN=$scratch" <<< "$variables" &&
      grep -qx "OMPI_COMM_WORLD_RANK=$rank" <<< "$variables" && basename "$(dirname "$environ")"
  done
  return 0
}

# 1000 rows: features around very different means, and three classes in blocks of rows, so that each
# of four processes' shares lacks a class or two; and a regression target of the same features.
awk 'BEGIN {
  srand(7); split("cat dog eel", names, " "); print "f1,f2,f3,f4,f5,label"
  for (i = 0; i < 1000; i++) {
    k = int(i * 3 / 1000)
    for (j = 0; j < 5; j++) printf "%.4f,", 100 * j + (j == k ? 1.5 : 0) + rand() - 0.5
    print names[k + 1]
  }
}' > classes.csv
awk 'BEGIN {
  srand(8); print "f1,f2,f3,f4,y"
  for (i = 0; i < 1000; i++) {
    y = 40
    for (j = 0; j < 4; j++) { x = 10 * j + rand(); y += (j + 1) * x; printf "%.4f,", x }
    printf "%.4f\n", y + 0.1 * rand()
  }
}' > regression.csv

echo "== 1, 2 and 4 processes train the same weights (50 steps)"
steps=(--hidden "16,8" --batch 100 --epochs 5 --seed 11)  # 10 steps an epoch
"$nabla" train --data classes.csv "${steps[@]}" -q --save one.nabla > /dev/null
on 2 train --data classes.csv "${steps[@]}" --save two.nabla > two.out
on 4 train --data classes.csv "${steps[@]}" -q --save four.nabla > /dev/null
on 4 train --data classes.csv "${steps[@]}" -q --overlap-sums --save four-overlapped.nabla > /dev/null
same_weights 1e-5 one.nabla two.nabla four.nabla four-overlapped.nabla
if [ "$(grep -c '^epoch 5/5' two.out)" != 1 ] || [ "$(grep -c '^model saved' two.out)" != 1 ]; then
  cat two.out; fail "the first process alone should print"
fi
"$nabla" train --data regression.csv --task regression --target y "${steps[@]}" -q --save one-regression.nabla > /dev/null
on 2 train --data regression.csv --task regression --target y "${steps[@]}" -q --save two-regression.nabla > /dev/null
same_weights 1e-5 one-regression.nabla two-regression.nabla

echo "== a .nbd file trains as its CSV does: each process reads only its share's blocks"
"$nabla" convert --data classes.csv --output classes.nbd > /dev/null
on 2 train --data classes.nbd "${steps[@]}" -q --save two-nbd.nabla > /dev/null
on 4 train --data classes.nbd "${steps[@]}" -q --save four-nbd.nabla > /dev/null
same_weights 0 two.nabla two-nbd.nabla
same_weights 0 four.nabla four-nbd.nabla

echo "== a stream (train --stream) trains the weights of one process in 2 and 4, each reading only its share"
"$nabla" train --data classes.nbd --stream "${steps[@]}" -q --save one-stream.nabla > /dev/null
on 2 train --data classes.nbd --stream "${steps[@]}" -q --save two-stream.nabla > /dev/null
on 4 train --data classes.nbd --stream "${steps[@]}" -q --save four-stream.nabla > /dev/null
same_weights 1e-5 one-stream.nabla two-stream.nabla four-stream.nabla

fashion="${NABLA_DATASETS:-/usr/share/datasets/fashion-mnist}/train-images-idx3-ubyte.gz"
if [ -f "$fashion" ]; then
  echo "== Fashion-MNIST, one epoch: 1 and 2 processes reach the same test accuracy"
  epoch=(--data fashion-mnist:train --test fashion-mnist:test --hidden 32 --epochs 1 -q)
  "$nabla" train "${epoch[@]}" --save fashion-one.nabla | tee fashion-one.out
  on 2 train "${epoch[@]}" --save fashion-two.nabla | tee fashion-two.out
  accuracy() { sed -n 's/^test accuracy: \([0-9.]*\).*/\1/p' "$1"; }
  awk -v a="$(accuracy fashion-one.out)" -v b="$(accuracy fashion-two.out)" \
    'BEGIN { d = a - b; exit !(a > 0.7 && d * d <= 0.002 * 0.002) }' || fail "test accuracies differ"
else
  echo "SKIP: Fashion-MNIST not found at $fashion (Debian: dataset-fashion-mnist)"
fi

echo "== a process killed mid-run ends the job; --resume finishes it"
long=(--data classes.csv --hidden "256,256" --batch 100 --epochs 400 --seed 12 --dropout 0.1 -q)  # 4000 steps: seconds
on 2 train "${long[@]}" --save uninterrupted.nabla > /dev/null
cp one.nabla killed.nabla  # a model already there must stay whole until the run replaces it
on 2 train "${long[@]}" --checkpoint checkpoints --checkpoint-every 50 --save killed.nabla > killed.out 2>&1 &
job=$!
for _ in $(seq 600); do [ -f checkpoints/checkpoint.nabla ] && break; sleep 0.05; done
[ -f checkpoints/checkpoint.nabla ] || fail "no checkpoint within 30 s"
victim="$(rank_pid 1)"
[ -n "$victim" ] || fail "rank 1 of the job not found"
kill -9 "$victim"
SECONDS=0
status=0
wait "$job" || status=$?
[ "$status" != 0 ] || fail "the run finished before a process could be killed (make it longer)"
[ "$SECONDS" -le 10 ] || fail "the job took ${SECONDS}s to end after a process died"
echo "killed rank 1: the job ended in ${SECONDS}s with status $status"
cmp -s one.nabla killed.nabla || fail "the model file changed although the run never finished"
on 2 train --resume checkpoints -q > /dev/null
same_weights 0 uninterrupted.nabla killed.nabla

echo "== bad data in one process's share ends the whole job"
awk -F, -v OFS=, 'NR == 902 { $2 = "inf" } { print }' classes.csv > bad.csv  # row 900: the second half's
SECONDS=0
status=0
on 2 train --data bad.csv "${steps[@]}" --save bad.nabla > bad.out 2>&1 || status=$?
[ "$status" != 0 ] || fail "training on bad data succeeded"
[ "$SECONDS" -le 10 ] || fail "the job took ${SECONDS}s to end after a process failed"
# Every process reads every row to fit the columns (categories, medians) alike, so either may be
# the first to stop on it.
grep -qx "nabla: error: rank [01] of 2: bad.csv:902: field 2 ('f2'): 'inf' is not a finite number.*" bad.out ||
  { cat bad.out; fail "no one-line error naming the file and line"; }
echo "a rank failed on the data: the job ended in ${SECONDS}s with status $status"
status=0
on 2 train --data classes.csv --val-split 0.2 --save split.nabla > split.out 2>&1 || status=$?
if [ "$status" = 0 ] || ! grep -q "^nabla: error: rank 0 of 2: --val-split cannot hold rows out" split.out; then
  cat split.out; fail "--val-split across processes should be refused"
fi

echo "MPI tests passed"

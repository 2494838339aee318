#!/usr/bin/env bash
# Training on more rows than memory holds (docs/BENCHMARKS.md, "Training on more rows than memory
# holds"): a .nbd file of ROWS rows × 50 features (29,000,000: 6.0 GB) trained on for one epoch
# (--hidden 64, as the issue that asked for streaming measured), on 1 and on 2 threads:
#   - in memory, without a limit (the rows loaded first);
#   - with --stream, inside a cgroup-v1 memory group limited to LIMIT (default 2G), the page cache
#     dropped first so that the rows come from the disk;
# and the disk's sequential read rate of the same file by dd, the page cache dropped first.
# Interleaved rounds; each prints samples/s, test accuracy, wall time and peak memory.
#
#   sudo bash bench/stream_bench.sh [ROWS] [LIMIT] [ROUNDS]     (root: cgroups and drop_caches)
#
# Needs the build's tools/nabla and bench/nabla_synthetic_nbd, and about twice the file's size
# of free disk under $WORK (default /tmp/nabla-stream-bench). Rows and test rows are written once.
set -euo pipefail
rows=${1:-29000000}
limit=${2:-2G}
rounds=${3:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
nabla=${NABLA:-$here/build/tools/nabla}
synthetic=${SYNTHETIC:-$here/build/bench/nabla_synthetic_nbd}
work=${WORK:-/tmp/nabla-stream-bench}
group=/sys/fs/cgroup/memory/nabla-stream-bench
mkdir -p "$work"
cd "$work"
[ -f "train-$rows.nbd" ] || "$synthetic" "$rows" "train-$rows.nbd" 3
[ -f test.nbd ] || "$synthetic" 200000 test.nbd 99
flags=(--hidden 64 --epochs 1 --test test.nbd)

drop_caches() { sync; echo 1 >/proc/sys/vm/drop_caches; }
# samples/s and test accuracy from nabla train's output, wall time and peak RSS from /usr/bin/time.
summary() {
    local rate acc
    rate=$(grep -o '[0-9]* samples/s' "$1" | head -1)
    acc=$(grep -o 'test accuracy: [0-9.]*' "$1")
    echo "$rate, $acc, $(grep -o 'wall [0-9.]* s, peak RSS [0-9]* KB' "$1")"
}

mkdir -p "$group"
trap 'rmdir "$group" 2>/dev/null || true' EXIT
echo "$limit" >"$group/memory.limit_in_bytes"
echo "file: $(stat -L -c %s "train-$rows.nbd") bytes, $rows rows; cgroup limit $(cat "$group/memory.limit_in_bytes") bytes"
for round in $(seq "$rounds"); do
    echo "round $round"
    for threads in 1 2; do
        /usr/bin/time -f "wall %e s, peak RSS %M KB" "$nabla" train --data "train-$rows.nbd" "${flags[@]}" \
            --threads $threads --save in-memory.nabla >in-memory.out 2>&1
        echo "  in memory, $threads threads:     $(summary in-memory.out)"
        drop_caches
        echo 0 >"$group/memory.max_usage_in_bytes"
        (
            echo $BASHPID >"$group/cgroup.procs"
            exec /usr/bin/time -f "wall %e s, peak RSS %M KB" "$nabla" train --data "train-$rows.nbd" --stream \
                "${flags[@]}" --threads $threads --save streamed.nabla >streamed.out 2>&1
        )
        echo "  stream in $limit, $threads threads: $(summary streamed.out), group's peak $(( $(cat "$group/memory.max_usage_in_bytes") >> 20 )) MiB"
    done
    drop_caches
    echo "  dd, cold cache:     $(dd if="train-$rows.nbd" of=/dev/null bs=16M 2>&1 | tail -1)"
done

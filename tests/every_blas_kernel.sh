#!/usr/bin/env bash
# Runs the tests of "same bits at any thread count" (split products, training, predict, resume)
# with one OpenBLAS kernel family, named as OPENBLAS_CORETYPE names it. Results that hold on one
# kernel need not hold on another: AVX2 (Haswell, Zen), AVX-512 (SkylakeX, Cooperlake) and the
# older SSE/AVX families block and round their products differently. Exit 77 (skipped) where this
# CPU cannot execute the family.
#   every_blas_kernel.sh TEST_BINARY KERNEL
set -euo pipefail
tests=$1 kernel=$2

case "$kernel" in
  Prescott) needs="sse3" ;;
  Nehalem) needs="ssse3 sse4_2" ;;
  Sandybridge) needs="avx" ;;
  Haswell|Zen) needs="avx2 fma" ;;
  SkylakeX) needs="avx512f avx512cd avx512bw avx512dq avx512vl" ;;
  Cooperlake) needs="avx512f avx512cd avx512bw avx512dq avx512vl avx512_bf16" ;;
  *) echo "every_blas_kernel.sh: unknown kernel family '$kernel'" >&2; exit 2 ;;
esac
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
for flag in $needs; do
  [ "$flag" = sse3 ] && flag=pni  # /proc/cpuinfo's name for SSE3
  if [[ "$flags" != *" $flag "* ]]; then
    echo "this CPU lacks $flag: OpenBLAS's $kernel kernels cannot run here"
    exit 77
  fi
done

OPENBLAS_CORETYPE=$kernel exec "$tests" --gtest_brief=1 \
  --gtest_filter='BlasKernel.*:ProductSplit.*:SameBits.*:Checkpoint.Resuming*:KillDuringTraining.ResumedRun*'

// Subnormal floats (below ~1e-38) cost a hundred cycles an operation on x86. Adam's second moment
// decays towards them and small gradients reach them, so a training step runs with them flushed to
// zero (FTZ and DAZ in MXCSR), as other trainers do; the caller's setting is restored afterwards.
#pragma once

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace nabla::cpu {

class FlushDenormals {
public:
#if defined(__SSE__)
    FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040); }  // FTZ (bit 15) | DAZ (bit 6)
    ~FlushDenormals() { _mm_setcsr(saved_); }

private:
    unsigned saved_;
#endif
public:
    FlushDenormals(const FlushDenormals&) = delete;
    FlushDenormals& operator=(const FlushDenormals&) = delete;
};

}  // namespace nabla::cpu

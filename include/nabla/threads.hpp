// How many CPU threads nabla uses. One setting for everything: the BLAS threads are the only
// worker threads, so they are never oversubscribed by a second pool.
#pragma once

namespace nabla {

void set_threads(int threads);  // 0: all hardware threads
int threads();
int hardware_threads();

}  // namespace nabla

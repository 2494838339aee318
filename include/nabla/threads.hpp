/// @file
/// How many CPU threads nabla uses. One setting for everything: the BLAS threads are the only
/// worker threads, so they are never oversubscribed by a second pool.
#pragma once

namespace nabla {

void set_threads(int threads);  ///< 0: all hardware threads
int threads();  ///< the number of threads in use
int hardware_threads();  ///< the number of hardware threads (at least 1)

}  // namespace nabla

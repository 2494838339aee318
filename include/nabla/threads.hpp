/// @file
/// How many CPU threads nabla uses. One setting for everything: nabla splits each matrix product
/// across its own threads and runs OpenBLAS single-threaded inside each part, so there is one set
/// of worker threads and the cores are never oversubscribed.
#pragma once

#include <string>

namespace nabla {

void set_threads(int threads);  ///< 0: all hardware threads
int threads();  ///< the number of threads in use
int hardware_threads();  ///< the number of hardware threads (at least 1)

/// The OpenBLAS kernel family nabla's products run on ("SkylakeX", "Haswell", …), opening
/// OpenBLAS if it is not open yet.
std::string blas_kernel();

}  // namespace nabla

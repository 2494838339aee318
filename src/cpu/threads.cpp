#include "nabla/threads.hpp"

#include <cblas.h>

#include <thread>

#include "nabla/error.hpp"

namespace nabla {

int hardware_threads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : int(n);
}

void set_threads(int threads) {
    if (threads < 0 || threads > 4096) throw Error("threads must be between 0 (all) and 4096, got " + std::to_string(threads));
    openblas_set_num_threads(threads == 0 ? hardware_threads() : threads);
}

int threads() { return openblas_get_num_threads(); }

}  // namespace nabla

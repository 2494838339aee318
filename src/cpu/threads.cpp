#include "nabla/threads.hpp"

#include <thread>

#include "cpu/blas.hpp"
#include "cpu/small_batch.hpp"
#include "nabla/error.hpp"

namespace nabla {

int hardware_threads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : int(n);
}

void set_threads(int threads) {
    if (threads < 0 || threads > 4096) throw Error("threads must be between 0 (all) and 4096, got " + std::to_string(threads));
    cpu::blas().set_num_threads(threads == 0 ? hardware_threads() : threads);
}

int threads() { return cpu::blas().get_num_threads(); }

cpu::SmallBatchThreads::SmallBatchThreads(std::size_t batch) {
    if (batch >= small_batch) return;
    const int current = cpu::blas().get_num_threads();
    if (current <= 1) return;
    cpu::blas().set_num_threads(1);
    restore_ = current;
}

cpu::SmallBatchThreads::~SmallBatchThreads() {
    if (restore_) cpu::blas().set_num_threads(restore_);
}

}  // namespace nabla

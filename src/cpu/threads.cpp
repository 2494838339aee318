#include "nabla/threads.hpp"

#include <atomic>
#include <thread>

#include "cpu/blas.hpp"
#include "nabla/error.hpp"

namespace nabla {

namespace {
std::atomic<int> thread_count{0};  // 0 until set: all hardware threads
}  // namespace

int hardware_threads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : int(n);
}

void set_threads(int threads) {
    if (threads < 0 || threads > 4096) throw Error("threads must be between 0 (all) and 4096, got " + std::to_string(threads));
    thread_count.store(threads);
}

int threads() {
    const int n = thread_count.load(std::memory_order_relaxed);
    return n == 0 ? hardware_threads() : n;
}

int cpu::split_parts() { return threads(); }

}  // namespace nabla

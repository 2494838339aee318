#include "nabla/threads.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

#include "cpu/blas.hpp"
#include "nabla/error.hpp"

namespace nabla {

int hardware_threads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : int(n);
}

namespace {
// Resolved once: std::thread::hardware_concurrency reads /sys on every call, and every product of
// a training step asks how many threads to split across.
std::atomic<int>& thread_count() {
    static std::atomic<int> count{hardware_threads()};
    return count;
}
}  // namespace

void set_threads(int threads) {
    if (threads < 0 || threads > 4096) throw Error("threads must be between 0 (all) and 4096, got " + std::to_string(threads));
    thread_count().store(threads == 0 ? hardware_threads() : threads);
}

int threads() { return thread_count().load(std::memory_order_relaxed); }

std::string blas_kernel() { return cpu::blas_kernel(); }

int cpu::split_parts() { return threads(); }

namespace {
constexpr int most_product_tiles = 64;

int machine_product_tiles() { return std::min(hardware_threads(), most_product_tiles); }

std::atomic<int>& product_tile_count() {
    static std::atomic<int> count{machine_product_tiles()};
    return count;
}
}  // namespace

int cpu::product_tiles() { return product_tile_count().load(std::memory_order_relaxed); }

void cpu::set_product_tiles(int tiles) {
    if (tiles < 0 || tiles > most_product_tiles)
        throw Error("product tiles must be between 0 (the machine's threads) and " + std::to_string(most_product_tiles));
    product_tile_count().store(tiles == 0 ? machine_product_tiles() : tiles);
}

}  // namespace nabla

// Runs one task in parts on several threads at once, for the matrix products of small batches.
//
// At batch 1 a training step is a handful of matrix–vector and outer products over the weights
// (0.94 MB for 784-256-128-10), each too short for OpenBLAS's own threading to pay (it wakes
// sleeping threads for every call). Here the other threads spin for a moment between parts, so a
// hand-off costs a cache-line transfer, not a wake-up; each thread then runs single-threaded
// BLAS on its block of rows of the weights, which stays in that core's cache from the forward
// pass to the update.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>

namespace nabla::cpu {

// How many parts work is split into: nabla's thread count (set_threads).
int split_parts();

// How many tiles a matrix product large enough to share is cut into (blas.hpp): the machine's
// hardware threads, at most 64, whatever nabla's thread count. Cutting by the thread count would
// change the result with --threads: OpenBLAS's kernels round an element differently depending on
// where in a product it falls (docs/reliability.md, "Same bits at any thread count").
int product_tiles();

// Sets product_tiles (0: back to the machine's hardware threads). For tests that check results on
// tile counts other than this machine's.
void set_product_tiles(int tiles);

// Work smaller than this (multiply-adds, or elements of a pass over memory) is not worth a
// hand-off to another thread.
constexpr std::size_t split_min_work = std::size_t(1) << 15;

// Whether work over [0, extent) is worth splitting into `parts` blocks: more than one thread,
// enough work for a hand-off, and a block of at least 16 for each part.
inline bool worth_splitting(std::size_t work, std::size_t extent, int parts) {
    return parts > 1 && work >= split_min_work && extent >= 16 * std::size_t(parts);
}

// Part `part` of [0, extent) in `parts` blocks, each a multiple of 16 long (64 bytes of floats),
// so that two threads never write the same cache line; the last parts may be empty.
inline std::pair<std::size_t, std::size_t> block_of(std::size_t extent, int part, int parts) {
    const std::size_t chunk = ((extent + parts - 1) / parts + 15) / 16 * 16;
    const std::size_t begin = std::min(extent, std::size_t(part) * chunk);
    return {begin, std::min(extent, begin + chunk)};
}

// task(context, part, parts) for part = 0 … parts − 1, each exactly once: part 0 on the calling
// thread, part p on the pool's helper p (the same helper every time, which keeps each core on its
// block of the data), and a part its helper has not taken by the time the caller is done with its
// own on the caller too, so that a helper slow to wake (its core busy with other work) holds
// nothing up. Returns when every part is done. A
// part's result may depend on the part, never on the thread that runs it. One caller at a time
// uses the pool: a second caller (another thread training its own network) runs all the parts
// itself, one after the other, so that the result never depends on who had the pool. Returns true
// when the pool's helpers were offered the parts; false when this thread ran them all by itself.
bool run_in_parts(int parts, void (*task)(void* context, int part, int parts), void* context);

template <class F>
bool run_in_parts(int parts, const F& f) {
    return run_in_parts(parts, [](void* c, int part, int n) { (*static_cast<const F*>(c))(part, n); },
                        const_cast<void*>(static_cast<const void*>(&f)));
}

}  // namespace nabla::cpu

namespace nabla::cpu {

// f(begin, end) over blocks of [0, extent) on nabla's threads, or f(0, extent) on this one when
// `work` is too small to share (or there are too few blocks).
template <class F>
void for_blocks(std::size_t extent, std::size_t work, const F& f) {
    const int parts = split_parts();
    if (!worth_splitting(work, extent, parts)) {
        f(std::size_t(0), extent);
        return;
    }
    run_in_parts(parts, [&](int part, int count) {
        const auto [begin, end] = block_of(extent, part, count);
        if (begin < end) f(begin, end);
    });
}

}  // namespace nabla::cpu

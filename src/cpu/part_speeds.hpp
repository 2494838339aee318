// How fast each of nabla's threads runs, learnt from the large products it splits, so that a
// product's blocks can be cut to the threads' speeds rather than into equal parts.
//
// The cores of a virtual machine do not run at one speed: on the 2-vCPU machines here one core ran
// single-threaded sgemm at 118 GFLOP/s while the other ran at 93, and a neighbour's load moves that
// from minute to minute. With equal halves the faster thread waits for the slower one at the end
// of every product (measured: 10–15% of the caller's time in a batch-1024 step). Cutting by
// measured speed changes no result: the products cut this way are split across C's rows or
// columns, and each element of C is then the same dot product, computed the same way, whichever
// part holds it (tests/split_test.cpp checks this bit for bit).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>

namespace nabla::cpu {

// Products of at least this many multiply-adds per part are cut to the threads' speeds. Large
// enough that a part is never one of OpenBLAS's "small matrix" products (at most 10^6, computed
// by another kernel that rounds differently), however the cut falls; and that two clock readings
// per part cost nothing.
constexpr std::size_t balance_min_work_per_part = std::size_t(1) << 22;

// Whether a product of `work` multiply-adds in `parts` parts is large enough to be cut by speed.
inline bool large_enough_to_cut(std::size_t work, int parts) {
    return work >= balance_min_work_per_part * std::size_t(parts);
}

class PartSpeeds {
public:
    // Up to this many parts are cut by speed; beyond it every part gets an equal block.
    static constexpr int tracked = 16;

    PartSpeeds() {  // all equal until measured
        for (std::atomic<double>& speed : speed_) speed.store(1.0);
    }

    // Where each part of [0, extent) starts: cut[p] for p = 0 … parts, cut[0] = 0 and
    // cut[parts] = extent, each part's length proportional to its thread's speed and every cut a
    // multiple of 16 (64 bytes of floats: two threads never write the same cache line), as in
    // block_of.
    void cut(std::size_t extent, int parts, std::size_t* cut) const;

    // Learns from one product cut by cut(): part p took seconds[p] for its block. Each part's
    // speed (relative to the others') moves a quarter of the way to the one just measured, so a
    // single late wake-up moves it little, and a core that stays slower is followed within a few
    // products.
    void learn(const std::size_t* cut, const double* seconds, int parts);

private:
    // Speeds relative to the mean, about 1: part 0 runs on the calling thread, part p on the
    // pool's helper p. Read and written without a lock: two callers learning at once may
    // lose an update, never produce a bad cut (cut() only needs positive numbers).
    std::array<std::atomic<double>, tracked> speed_;
};

// The speeds of nabla's threads, shared by every product.
PartSpeeds& part_speeds();

}  // namespace nabla::cpu

// Data-parallel training's one rule for who trains on what (TrainOptions::parallel): every process
// walks the same order of all the rows, and of each batch it trains on the rows it holds. The CPU
// trainer gathers those rows; the GPU lays them out for the device (src/cuda/backend.cpp).
#pragma once

#include <cstddef>
#include <span>

namespace nabla {

// The rows of the batch `window` (a stretch of the order of all rows) that this process holds,
// rows first … first + held − 1 of the whole set: their indices into its own rows, in the
// window's order, written to out (room for window.size()). Returns how many. Alone (first = 0,
// held = all rows), every row of the window.
inline std::size_t rows_held(std::span<const std::size_t> window, std::size_t first, std::size_t held,
                             std::size_t* out) {
    std::size_t m = 0;
    for (const std::size_t row : window) {
        const std::size_t mine = row - first;  // wraps around for rows below first
        if (mine < held) out[m++] = mine;
    }
    return m;
}

}  // namespace nabla

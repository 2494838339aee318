// The order in which an epoch visits the training samples: all processes' samples, numbered
// 0 … n − 1, of which each process trains on those it holds (rows_held.hpp).
//
// In memory, a full shuffle: TrainingState::order holds a permutation of the n samples, shuffled
// again at the start of every epoch.
//
// Streamed from a .nbd file (train --stream, docs/data.md), a windowed shuffle that a reader of the
// file can follow a few blocks at a time. The samples fall into blocks of `block` consecutive rows;
// TrainingState::order holds a permutation of the blocks, shuffled again every epoch (a last,
// shorter block stays last, so that every window but the last is `window` whole blocks). The epoch
// visits the blocks in windows of `window` consecutive blocks of that order, and the rows of each
// window in an order of their own, drawn from the run's seed, the epoch and the window: a resumed
// run draws it again instead of storing it, and memory holds one window's order, not n samples'.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "nabla/rng.hpp"

namespace nabla {

class EpochOrder {
public:
    // A full shuffle of `samples` samples.
    static EpochOrder full(std::size_t samples);
    // Blocks of `block` samples, in windows of `window` blocks; `seed` keys the rows' order within
    // each window, `shuffle` false keeps every order as in the file.
    static EpochOrder windowed(std::size_t samples, std::size_t block, std::size_t window, std::uint64_t seed,
                               bool shuffle);

    bool is_windowed() const { return window_ > 0; }
    std::size_t samples() const { return samples_; }
    // What TrainingState::order holds: the samples, or the blocks.
    std::size_t entries() const;
    // The first epoch's order before any shuffle: 0, 1, … entries() − 1.
    std::vector<std::size_t> initial() const;
    // A new epoch's order: `order` (the last epoch's) shuffled by rng.
    void shuffle(std::vector<std::size_t>& order, Rng& rng) const;
    // Whether `order` can be an epoch's order (a checkpoint's): a permutation of the entries, a
    // shorter last block last.
    bool valid(std::span<const std::size_t> order) const;

    // The samples at positions [begin, end) of epoch `epoch` (1-based), whose order is `order`:
    // valid until the next call. Windowed, [begin, end) lies within two windows at most.
    std::span<const std::size_t> samples(std::span<const std::size_t> order, std::size_t epoch, std::size_t begin,
                                         std::size_t end);

    // Windowed: the window holding position p, the number of windows, and the blocks of window w.
    std::size_t window_of(std::size_t position) const { return position / (block_ * window_); }
    std::size_t windows() const;
    std::span<const std::size_t> blocks_of(std::span<const std::size_t> order, std::size_t w) const;
    std::size_t block() const { return block_; }
    std::size_t window_blocks() const { return window_; }

private:
    EpochOrder(std::size_t samples, std::size_t block, std::size_t window, std::uint64_t seed, bool shuffle)
        : samples_(samples), block_(block), window_(window), seed_(seed), shuffle_rows_(shuffle) {}
    std::size_t full_blocks() const { return samples_ / block_; }
    // The order of window w's rows in epoch `epoch`, each an index into the window's rows.
    const std::vector<std::uint32_t>& rows_of(std::span<const std::size_t> order, std::size_t epoch, std::size_t w);

    std::size_t samples_;
    std::size_t block_ = 0, window_ = 0;  // window 0: a full shuffle
    std::uint64_t seed_ = 0;
    bool shuffle_rows_ = true;
    std::vector<std::size_t> batch_;  // windowed: the samples() last given
    std::vector<std::uint32_t> rows_;  // the order of window `rows_window_`'s rows in epoch `rows_epoch_`
    std::size_t rows_epoch_ = 0, rows_window_ = 0;
};

}  // namespace nabla

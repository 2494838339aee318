// Training on a .nbd file streamed a window of blocks at a time (train --stream, docs/data.md):
// the same loop as training in memory (run_training), over the windowed order of EpochOrder and
// rows read in the background (StreamedRows), on the CPU.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <vector>

#include "data/nbd.hpp"
#include "nabla/preprocess.hpp"
#include "nabla/trainer.hpp"

namespace nabla {

struct Streaming {
    std::size_t window_blocks = 8;  // blocks of NbdBlocks::rows_per_block rows in a window
    RowRange share;                 // the rows of the file this process trains on (all, alone)
    Preprocessing inputs;           // applied to each row as it is read
    std::optional<TargetScaling> targets;  // applied to each row's targets, when set
};

// The rows of a window of `window_blocks` blocks.
inline std::size_t window_rows(std::size_t window_blocks) { return window_blocks * data::NbdBlocks::rows_per_block; }

// The window that train --stream takes unless told: as many blocks as make about 32 MiB of rows
// of these widths, at least one. Small enough that the first window, which training waits for,
// is read in a few hundredths of a second; rows of 50 features make windows of 2 blocks.
inline std::size_t default_window_blocks(std::size_t x_width, std::size_t y_width) {
    const std::size_t block_bytes = data::NbdBlocks::rows_per_block * (x_width + y_width) * sizeof(float);
    return std::max<std::size_t>(1, (std::size_t(32) << 20) / block_bytes);
}

// Trains net on `file` as `streaming` says, for options (as train() does, on the CPU only); after
// each epoch evaluates `validation` if given. Errors as train()'s, and the file's (a block that
// fails its checksum, a value refused) naming the file and rows.
std::vector<EpochMetrics> train_streamed(Network<float>& net, const data::NbdBlocks& file, const Streaming& streaming,
                                         const Dataset* validation, const TrainOptions& options);

}  // namespace nabla

// The .nbd data file (docs/data.md): a data set as nabla read it from a CSV file (or any source),
// its values as little-endian floats at 64-byte aligned offsets, so that loading is a few large
// reads instead of parsing. load_dataset and count_samples call these for a file that starts with
// the .nbd magic bytes, whatever its name.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "nabla/dataset.hpp"

namespace nabla::data {

// Whether the file at `path` starts with the .nbd magic bytes (false when it cannot be read: the
// loaders then report that file as they would any other).
bool is_nbd_file(const std::string& path);

// The data set, or rows options.rows of it, checked against what `options` asks (a trained
// model's columns, classes and width; the CSV options it was converted with). Error naming the
// file and what is wrong for a truncated, corrupt, wrong-version or mismatched file.
Dataset load_nbd(const std::string& path, const LoadOptions& options);

// A .nbd file read a block of rows at a time, for a training run that streams its data (train
// --stream, docs/data.md): opened and checked as load_nbd checks it (with the options of a
// training run: no model's columns or classes), then each block's rows read when asked for,
// checked against the block's CRC-32, their missing values filled and their other values checked
// as load_nbd's are. Reads may come from any thread; none is kept in memory here.
class NbdBlocks {
public:
    static constexpr std::size_t rows_per_block = 65536;  // the rows each CRC-32 covers

    NbdBlocks(const std::string& path, const LoadOptions& options);  // Error when it has no targets
    ~NbdBlocks();
    NbdBlocks(const NbdBlocks&) = delete;
    NbdBlocks& operator=(const NbdBlocks&) = delete;

    // The data set without its rows: its names, columns, task and classes; x and y of no rows, of
    // their widths.
    const Dataset& shape() const { return shape_; }
    std::size_t rows() const;
    // The statistics nabla convert stored (NbdOrigin), if any.
    const std::optional<Preprocessing>& standardization() const;
    const std::optional<TargetScaling>& target_scaling() const;
    // Rows `kept`, all within one block, into x and y (row-major, of shape()'s widths). Error naming
    // the file and rows when the block's checksum fails or a value is refused.
    void read(RowRange kept, float* x, float* y) const;

private:
    struct File;
    std::unique_ptr<File> file_;
    Dataset shape_;
};

// The number of rows, from the header alone (which is checked: magic, version, its checksum).
std::size_t count_nbd_rows(const std::string& path);

}  // namespace nabla::data

// The .nbd data file (docs/data.md): a data set as nabla read it from a CSV file (or any source),
// its values as little-endian floats at 64-byte aligned offsets, so that loading is a few large
// reads instead of parsing. load_dataset and count_samples call these for a file that starts with
// the .nbd magic bytes, whatever its name.
#pragma once

#include <cstddef>
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

// The number of rows, from the header alone (which is checked: magic, version, its checksum).
std::size_t count_nbd_rows(const std::string& path);

}  // namespace nabla::data

// The IDX format of MNIST and Fashion-MNIST: a magic number 00 00 08 RANK (08 = unsigned bytes),
// RANK big-endian 32-bit dimensions, then the bytes in row-major order. nabla reads image files
// (rank 3: count × rows × cols) and label files (rank 1: count).
#include <algorithm>
#include <cstdio>

#include "data/loading.hpp"
#include "nabla/dataset.hpp"

namespace nabla {
namespace {

using data::file_error;

constexpr unsigned char kUnsignedByteType = 0x08;
// Far above any real IDX file (MNIST train is 47 MB), low enough that sizes cannot overflow and a
// corrupt header is refused before anything is allocated.
constexpr std::uint64_t kMaxIdxBytes = std::uint64_t{1} << 31;

std::string hex_byte(unsigned char byte) {
    char text[8];
    std::snprintf(text, sizeof text, "0x%02X", byte);
    return text;
}

std::uint32_t big_endian_u32(const std::string& bytes, std::size_t offset) {
    std::uint32_t value = 0;
    for (std::size_t i = 0; i < 4; ++i) value = value << 8 | static_cast<unsigned char>(bytes[offset + i]);
    return value;
}

std::string shape_text(const std::vector<std::uint32_t>& dims) {
    std::string text;
    for (std::size_t i = 0; i < dims.size(); ++i) text += (i ? "x" : "") + std::to_string(dims[i]);
    return text;
}

// The dimensions of an IDX file of `rank` dimensions of unsigned bytes; `what` names its content
// ("images", "labels") for the error that says the file holds something else.
std::vector<std::uint32_t> read_idx_header(data::InputFile& file, unsigned char rank, const char* what) {
    const std::string magic = file.read(4);
    if (magic.size() < 4) throw file_error(file.path(), "truncated IDX header");
    if (magic[0] != 0 || magic[1] != 0) throw file_error(file.path(), "not an IDX file (it does not start with 00 00)");
    const auto type = static_cast<unsigned char>(magic[2]);
    if (type != kUnsignedByteType)
        throw file_error(file.path(),
                         "IDX data type " + hex_byte(type) + " is not supported (nabla reads unsigned bytes, 0x08)");
    const auto found_rank = static_cast<unsigned char>(magic[3]);
    if (found_rank != rank)
        throw file_error(file.path(), "expected IDX " + std::string(what) + ", which have " + std::to_string(rank) +
                                          " dimensions; this file has " + std::to_string(found_rank));

    const std::string dim_bytes = file.read(4 * std::size_t{rank});
    if (dim_bytes.size() < 4 * std::size_t{rank}) throw file_error(file.path(), "truncated IDX header");
    std::vector<std::uint32_t> dims(rank);
    for (std::size_t i = 0; i < rank; ++i) dims[i] = big_endian_u32(dim_bytes, 4 * i);
    return dims;
}

// Rows [rows.begin, rows.end) of the data after the header (a row: one index of the first
// dimension, e.g. one image), checking that the file holds exactly the data the header declares, no
// more, no less. The rows outside the range are read past, not kept.
std::string read_idx_rows(data::InputFile& file, const std::vector<std::uint32_t>& dims, RowRange rows) {
    std::uint64_t size = 1;
    for (const std::uint32_t dim : dims) {
        if (dim == 0)
            throw file_error(file.path(), "the IDX header declares an empty array (" + shape_text(dims) + ")");
        if (size > kMaxIdxBytes / dim)
            throw file_error(file.path(),
                             "the IDX header declares " + shape_text(dims) + " bytes, more than nabla reads (2 GiB)");
        size *= dim;
    }
    const std::uint64_t row_bytes = size / dims[0];
    const std::size_t before = file.skip(rows.begin * row_bytes);
    std::string bytes = file.read((rows.end - rows.begin) * row_bytes);
    const std::size_t after = file.skip(size - rows.end * row_bytes);
    const std::size_t held = before + bytes.size() + after;
    if (held < size)
        throw file_error(file.path(), "truncated: the IDX header declares " + shape_text(dims) + " = " +
                                          std::to_string(size) + " bytes of data, the file holds " +
                                          std::to_string(held));
    if (!file.read(1).empty())
        throw file_error(file.path(), "more data than the IDX header declares (" + shape_text(dims) + ")");
    return bytes;
}

}  // namespace

// Class names are the decimal labels "0".."max label", so labels 0..9 give the ten classes of
// MNIST. Pixels have no feature names: "px0".."px783" would say nothing that their index does not.
Dataset load_idx(const std::string& images_path, const std::string& labels_path, std::optional<RowRange> rows) {
    data::InputFile images_file(images_path);
    const std::vector<std::uint32_t> image_dims = read_idx_header(images_file, 3, "images");
    const RowRange kept = data::rows_to_keep(rows, image_dims[0], images_path);
    const std::string pixels = read_idx_rows(images_file, image_dims, kept);

    data::InputFile labels_file(labels_path);
    const std::vector<std::uint32_t> label_dims = read_idx_header(labels_file, 1, "labels");
    const std::string label_bytes = read_idx_rows(labels_file, label_dims, {0, label_dims[0]});

    const std::size_t samples = image_dims[0];
    if (label_bytes.size() != samples)
        throw file_error(labels_path, std::to_string(label_bytes.size()) + " labels, but " + images_path + " holds " +
                                          std::to_string(samples) + " images");

    Dataset data;
    data.source = images_path;
    data.pixels = true;
    data.x = Matrix<float>(kept.end - kept.begin, std::size_t{image_dims[1]} * image_dims[2]);
    std::transform(pixels.begin(), pixels.end(), data.x.data.begin(),
                   [](char byte) { return static_cast<float>(static_cast<unsigned char>(byte)); });

    std::vector<std::int32_t> labels(samples);
    std::transform(label_bytes.begin(), label_bytes.end(), labels.begin(),
                   [](char byte) { return static_cast<std::int32_t>(static_cast<unsigned char>(byte)); });
    const std::int32_t max_label = *std::max_element(labels.begin(), labels.end());
    for (std::int32_t label = 0; label <= max_label; ++label) data.class_names.push_back(std::to_string(label));
    data.labels.assign(labels.begin() + std::ptrdiff_t(kept.begin), labels.begin() + std::ptrdiff_t(kept.end));
    data.y = data::one_hot(data.labels, data.class_names.size());
    return data;
}

std::size_t data::count_idx_images(const std::string& images_path) {
    data::InputFile file(images_path);
    return read_idx_header(file, 3, "images")[0];
}

}  // namespace nabla

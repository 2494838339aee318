// How a fuzz input becomes calls to nabla's parsers. Shared by the libFuzzer targets
// (fuzz/*_fuzz.cpp) and by tests/fuzz_regression_test.cpp, which replays saved inputs exactly as
// the fuzzer ran them. Header-only so that the test binary needs no extra sources.
//
// Every loader must answer bad input with nabla::Error; any other exception, a crash or a sanitizer
// report escapes and is a finding.
#pragma once

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "data/loading.hpp"
#include "nabla/dataset.hpp"
#include "nabla/error.hpp"
#include "nabla/model.hpp"
#include "nabla/trainer.hpp"

namespace nabla::fuzz {

using Bytes = std::span<const std::uint8_t>;

// The loaders take paths, so each input is written to a file, removed again when this object dies.
// /dev/shm keeps the millions of writes of a fuzzing run in memory; elsewhere $TMPDIR is used.
class TempFile {
public:
    explicit TempFile(Bytes bytes) : path_(unique_path()) {
        std::FILE* file = std::fopen(path_.c_str(), "wb");
        if (!file) throw std::runtime_error("cannot create " + path_);  // not nabla::Error: must not pass
        const bool written = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
        if (std::fclose(file) != 0 || !written) throw std::runtime_error("cannot write " + path_);
    }
    ~TempFile() { std::remove(path_.c_str()); }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    const std::string& path() const { return path_; }

private:
    static std::string unique_path() {
        static unsigned counter = 0;
        const std::filesystem::path folder =
            std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
        return (folder / ("nabla-fuzz-" + std::to_string(getpid()) + "-" + std::to_string(counter++))).string();
    }

    std::string path_;
};

// Calls load(), accepting either success or nabla::Error.
template <class Load>
void expect_success_or_error(Load load) {
    try {
        load();
    } catch (const Error&) {
    }
}

// A CSV input is parsed in memory as training reads it (target: last column), as a regression target
// chosen by index, and as predict reads it for a trained model (known classes and width, target
// optional). The file reading around it is the same zlib path that the IDX target covers.
inline void load_csv_input(Bytes bytes) {
    const std::string text(bytes.begin(), bytes.end());
    LoadOptions regression;
    regression.task = Task::regression;
    regression.target = "0";
    LoadOptions for_model;
    for_model.class_names = {"0", "1", "a"};
    for_model.features = 2;
    for_model.targets_optional = true;
    for (const LoadOptions& options : {LoadOptions{}, regression, for_model})
        expect_success_or_error([&] { data::parse_csv(text, "fuzz.csv", options); });
}

// An IDX input holds two files: a 2-byte little-endian length N, then N bytes of images, then the
// labels (N is cut to what the input holds). Both are read as a data set and as a model with known
// classes reads them.
inline void load_idx_input(Bytes bytes) {
    const std::size_t declared = bytes.size() < 2 ? 0 : bytes[0] | std::size_t{bytes[1]} << 8;
    const Bytes rest = bytes.subspan(std::min<std::size_t>(2, bytes.size()));
    const std::size_t images_size = std::min(declared, rest.size());
    const TempFile images(rest.first(images_size));
    const TempFile labels(rest.subspan(images_size));
    const std::string source = "idx:" + images.path() + "," + labels.path();
    LoadOptions for_model;
    for_model.class_names = {"2", "1", "0"};
    for (const LoadOptions& options : {LoadOptions{}, for_model})
        expect_success_or_error([&] { load_dataset(source, options); });
}

// The model file with its declared size and both CRC-32s rewritten to fit its bytes
// (docs/model-format.md): random bytes almost never carry valid checksums, so without this the
// fuzzer would test little beyond the integrity checks.
inline std::vector<std::uint8_t> resealed(Bytes bytes) {
    constexpr std::size_t size_offset = 12, header_checksum_offset = 20, header_size = 24, checksum_size = 4;
    std::vector<std::uint8_t> file(bytes.begin(), bytes.end());
    if (file.size() < header_size + checksum_size) return file;
    const auto store = [&](std::size_t offset, std::uint64_t value, std::size_t size) {
        for (std::size_t i = 0; i < size; ++i) file[offset + i] = static_cast<std::uint8_t>(value >> (8 * i));
    };
    store(size_offset, file.size(), 8);
    store(header_checksum_offset, crc32_z(0, file.data(), header_checksum_offset), 4);
    const std::size_t body = file.size() - checksum_size;
    store(body, crc32_z(0, file.data(), body), 4);
    return file;
}

// A model that loads must also be usable: its preprocessing and forward pass run on one sample.
inline void load_and_use_model(const std::string& path) {
    const Model model = load_model(path);
    Matrix<float> x(1, model.network.input_size());
    model.preprocessing.apply(x);
    predict(model.network, x);
}

// A model input is loaded as it is and resealed.
inline void load_model_input(Bytes bytes) {
    const TempFile raw(bytes);
    expect_success_or_error([&] { load_and_use_model(raw.path()); });
    const TempFile sealed(resealed(bytes));
    expect_success_or_error([&] { load_and_use_model(sealed.path()); });
}

// The .nbd file with its declared size and the CRC-32s of its header and description rewritten to
// fit its bytes (docs/data.md), so that the fuzzer gets past them to the description's sections and
// the sizes they must agree with; the blocks' CRC-32s, inside the description, stay as they are.
inline std::vector<std::uint8_t> resealed_nbd(Bytes bytes) {
    constexpr std::size_t size_offset = 16, description_size_offset = 56, description_checksum_offset = 64,
                          header_checksum_offset = 68, header_size = 72;
    std::vector<std::uint8_t> file(bytes.begin(), bytes.end());
    if (file.size() < header_size) return file;
    const auto store = [&](std::size_t offset, std::uint64_t value, std::size_t size) {
        for (std::size_t i = 0; i < size; ++i) file[offset + i] = static_cast<std::uint8_t>(value >> (8 * i));
    };
    store(size_offset, file.size(), 8);
    std::uint64_t description_size = 0;
    for (std::size_t i = 0; i < 8; ++i) description_size |= std::uint64_t(file[description_size_offset + i]) << (8 * i);
    if (description_size <= file.size() - header_size)
        store(description_checksum_offset, crc32_z(0, file.data() + header_size, description_size), 4);
    store(header_checksum_offset, crc32_z(0, file.data(), header_checksum_offset), 4);
    return file;
}

// An .nbd input is loaded as it is and resealed, each as training reads it, as a share of its rows,
// and as a trained model (known classes, width and columns) reads it.
inline void load_nbd_input(Bytes bytes) {
    LoadOptions share;
    share.rows = RowRange{1, 3};
    LoadOptions for_model;
    for_model.class_names = {"b", "a"};
    for_model.columns = {{"x1"}, {"x2"}};
    for_model.features = 2;
    for_model.targets_optional = true;
    for (const std::vector<std::uint8_t>& file : {std::vector<std::uint8_t>(bytes.begin(), bytes.end()), resealed_nbd(bytes)}) {
        const TempFile input(file);
        for (const LoadOptions& options : {LoadOptions{}, share, for_model})
            expect_success_or_error([&] { load_dataset(input.path(), options); });
    }
}

}  // namespace nabla::fuzz

#include "nabla/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <optional>
#include <span>

#include "data/loading.hpp"
#include "data/nbd.hpp"
#include "nabla/rng.hpp"

namespace nabla {

const char* task_name(Task task) {
    switch (task) {
        case Task::classification: return "classification";
        case Task::regression: return "regression";
    }
    return "unknown";  // a Task cast from a corrupt number
}

Task parse_task(const std::string& name) {
    if (name == "classification") return Task::classification;
    if (name == "regression") return Task::regression;
    throw Error("unknown task " + data::quoted(name) + " (expected classification or regression)");
}

namespace {

using data::file_error;

struct IdxPaths {
    std::string images;
    std::string labels;
};

// Where Debian's dataset-fashion-mnist package puts the files, unless NABLA_DATASETS names
// another directory that holds them.
std::string fashion_mnist_directory() {
    const char* directory = std::getenv("NABLA_DATASETS");
    return directory && *directory ? directory : "/usr/share/datasets/fashion-mnist";
}

IdxPaths fashion_mnist_paths(const std::string& source) {
    const char* file_prefix = source == "fashion-mnist:train"  ? "train"
                              : source == "fashion-mnist:test" ? "t10k"
                                                               : nullptr;
    if (!file_prefix)
        throw Error("unknown source " + data::quoted(source) + " (use fashion-mnist:train or fashion-mnist:test)");
    const std::string stem = fashion_mnist_directory() + "/" + file_prefix;
    IdxPaths paths{stem + "-images-idx3-ubyte.gz", stem + "-labels-idx1-ubyte.gz"};
    if (!std::filesystem::exists(paths.images))
        throw file_error(paths.images,
                         "not found; install Debian's dataset-fashion-mnist package, or set NABLA_DATASETS to "
                         "the directory that holds the Fashion-MNIST files");
    return paths;
}

// MNIST's naming: the labels of "x-images-idx3-ubyte[.gz]" are in "x-labels-idx1-ubyte[.gz]".
std::string labels_beside(const std::string& images_path) {
    constexpr std::string_view kImages = "images-idx3";
    const std::size_t name_start = images_path.find_last_of('/') + 1;  // 0 when there is no directory
    const std::size_t at = images_path.find(kImages, name_start);
    if (at == std::string::npos)
        throw file_error(images_path,
                         "cannot tell where its labels are (its name has no 'images-idx3'); use idx:IMAGES,LABELS");
    return std::string(images_path).replace(at, kImages.size(), "labels-idx1");
}

// The IDX pair a source names, or nullopt when the source is a CSV file.
std::optional<IdxPaths> idx_paths(const std::string& source) {
    constexpr std::string_view kIdx = "idx:";
    if (source == "fashion-mnist" || source.starts_with("fashion-mnist:")) return fashion_mnist_paths(source);
    if (source.starts_with(kIdx)) {
        const std::string spec = source.substr(kIdx.size());  // IMAGES[,LABELS]
        const std::size_t comma = spec.find(',');
        if (comma == std::string::npos) return IdxPaths{spec, labels_beside(spec)};
        return IdxPaths{spec.substr(0, comma), spec.substr(comma + 1)};
    }
    const std::string file_name = std::filesystem::path(source).filename().string();
    if (file_name.find("idx3-ubyte") != std::string::npos) return IdxPaths{source, labels_beside(source)};
    return std::nullopt;
}

}  // namespace

std::vector<std::string> source_files(const std::string& source) {
    try {
        if (data::is_nbd_file(source)) return {source};
        if (const std::optional<IdxPaths> idx = idx_paths(source)) return {idx->images, idx->labels};
    } catch (const Error&) {
        // a source load_dataset will refuse, with its own message
    }
    return {source};
}

namespace {

// Holds an IDX data set to what a trained model expects: its input width, and its class names
// (the model's indices, so that a test set lacking some digit still lines up with training).
void conform_to_model(Dataset& data, const LoadOptions& options) {
    if (options.task == Task::regression)
        throw file_error(data.source, "IDX files hold class labels, not regression targets");
    const std::optional<std::size_t> expected = data::expected_features(options);
    if (expected && data.features() != *expected)
        throw file_error(data.source, std::to_string(data.features()) + " features, but the model expects " +
                                          std::to_string(*expected));
    if (options.class_names.empty()) return;

    const data::ClassIndex model_index(options.class_names);
    for (std::int32_t& label : data.labels) {
        const std::string& name = data.class_names[static_cast<std::size_t>(label)];
        const std::optional<std::int32_t> model_label = model_index.find(name);
        if (!model_label) throw file_error(data.source, data::unknown_class_message(name, options.class_names));
        label = *model_label;
    }
    data.class_names = options.class_names;
    data.y = data::one_hot(data.labels, data.class_names.size());
}

// The project's Rng and shuffle, not std::shuffle: a seed must give the same split on every
// standard library.
std::vector<std::size_t> shuffled_order(std::size_t count, std::uint64_t seed) {
    std::vector<std::size_t> order(count);
    std::iota(order.begin(), order.end(), std::size_t{0});
    Rng rng(seed);
    shuffle(order, rng);
    return order;
}

Matrix<float> gather_rows(const Matrix<float>& matrix, std::span<const std::size_t> rows) {
    if (matrix.empty()) return {};  // y of a data set read without targets
    Matrix<float> gathered(rows.size(), matrix.cols);
    for (std::size_t i = 0; i < rows.size(); ++i) std::copy_n(matrix.row(rows[i]), matrix.cols, gathered.row(i));
    return gathered;
}

Dataset select_rows(const Dataset& data, std::span<const std::size_t> rows) {
    Dataset part;
    part.x = gather_rows(data.x, rows);
    part.y = gather_rows(data.y, rows);
    if (!data.labels.empty())
        for (const std::size_t row : rows) part.labels.push_back(data.labels[row]);
    part.class_names = data.class_names;
    part.feature_names = data.feature_names;
    part.target_names = data.target_names;
    part.task = data.task;
    part.source = data.source;
    part.has_targets = data.has_targets;
    part.pixels = data.pixels;
    return part;
}

}  // namespace

Dataset load_dataset(const std::string& source, const LoadOptions& options) {
    if (data::is_nbd_file(source)) return data::load_nbd(source, options);
    const std::optional<IdxPaths> idx = idx_paths(source);
    if (!idx) return load_csv(source, options);  // the CSV reader applies the options as it reads
    Dataset data = load_idx(idx->images, idx->labels, options.rows);
    conform_to_model(data, options);
    data.source = source;
    return data;
}

void load_dataset_in_parts(const std::string& source, const LoadOptions& options, std::size_t rows,
                           const std::function<void(Dataset& part)>& visit) {
    if (rows == 0) throw Error("a part of a data set must hold at least one row");
    LoadOptions all = options;
    all.rows.reset();
    if (data::is_nbd_file(source)) {
        const std::size_t total = data::count_nbd_rows(source);
        for (std::size_t begin = 0; begin == 0 || begin < total; begin += rows) {
            all.rows = RowRange{begin, std::min(total, begin + rows)};
            Dataset part = data::load_nbd(source, all);
            visit(part);
        }
        return;
    }
    if (!idx_paths(source)) return data::load_csv_in_parts(source, all, rows, visit);
    Dataset whole = load_dataset(source, all);
    visit(whole);
}

std::size_t count_samples(const std::string& source) {
    if (data::is_nbd_file(source)) return data::count_nbd_rows(source);
    const std::optional<IdxPaths> idx = idx_paths(source);
    return idx ? data::count_idx_images(idx->images) : data::count_csv_rows(source);
}

std::pair<Dataset, Dataset> split_dataset(const Dataset& data, double fraction, std::uint64_t seed) {
    if (!(fraction >= 0.0 && fraction < 1.0))
        throw Error("the held-out fraction must be at least 0 and below 1, got " + std::to_string(fraction));
    const std::size_t samples = data.samples();
    const auto held_out = static_cast<std::size_t>(std::llround(fraction * static_cast<double>(samples)));
    if (held_out == samples)
        throw Error(data.source + ": too few samples (" + std::to_string(samples) + ") to hold out " +
                    std::to_string(fraction) + " of them and keep any");

    const std::vector<std::size_t> order = shuffled_order(samples, seed);
    const std::span<const std::size_t> all(order);
    return {select_rows(data, all.first(samples - held_out)), select_rows(data, all.last(held_out))};
}

}  // namespace nabla

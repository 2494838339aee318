/// @file
/// In-memory data sets and the loaders that fill them: IDX (MNIST format, gzipped or not), the named
/// Fashion-MNIST source from Debian's dataset-fashion-mnist package, CSV files, and .nbd files
/// (a data set as nabla read it, saved by save_nbd: docs/data.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nabla/matrix.hpp"
#include "nabla/preprocess.hpp"

namespace nabla {

/// What the outputs are: class scores (classification) or target values (regression).
enum class Task { classification, regression };

const char* task_name(Task task);  ///< "classification" | "regression"
Task parse_task(const std::string& name);  ///< "classification" | "regression"; Error otherwise

/// How one CSV column becomes network inputs: a number (a missing value filled with the training
/// median), or a category, one-hot (an input per category, and one for "missing" when the training
/// data had missing values in the column). Fitted on the training data, stored in the model.
struct InputColumn {
    /// What the column holds.
    enum class Kind : std::uint8_t { numeric = 0, categorical = 1 };
    std::string name;  ///< the column's header name
    Kind kind = Kind::numeric;  ///< numeric or categorical
    float fill = 0;  ///< numeric: the training median, used for a missing value
    std::vector<std::string> categories;  ///< categorical: one input each, in this order
    bool missing_category = false;  ///< categorical: one more input, for a missing value

    /// The number of network inputs the column takes.
    std::size_t width() const { return kind == Kind::numeric ? 1 : categories.size() + (missing_category ? 1 : 0); }
};

/// The text of a CSV field that counts as a missing value: empty, NA, N/A, NaN, nan, ?, null,
/// NULL, None (after the spaces around it are dropped).
bool is_missing_value(std::string_view text);

/// Samples in memory: inputs x, targets y, and the names that give them meaning.
struct Dataset {
    Matrix<float> x;                        ///< n × features, one sample per row
    Matrix<float> y;                        ///< n × outputs: one-hot rows (classification) or targets
    std::vector<std::int32_t> labels;       ///< classification: class index of each sample
    std::vector<std::string> class_names;   ///< classification: the name of each class index
    std::vector<std::string> feature_names; ///< one per column of x; empty for IDX images
    std::vector<std::string> target_names;  ///< regression: one per column of y
    Task task = Task::classification;  ///< classification or regression: what y holds
    std::string source;                     ///< where it came from, for messages
    bool has_targets = true;                ///< false when predict reads rows without the target column
    bool pixels = false;                    ///< IDX images: raw 0..255 values (scaled by preprocessing)
    std::string target_column;              ///< CSV: the name of the target column read ("" for none)
    std::vector<InputColumn> columns;       ///< CSV: how each feature column became inputs (x's columns)
    std::vector<std::string> ids;           ///< CSV with LoadOptions::id_column: that column, per row
    /// What the loader did that the user should hear of (a column left out, say), one line each.
    std::vector<std::string> notes;

    std::size_t samples() const { return x.rows; }  ///< n, the number of samples
    std::size_t features() const { return x.cols; }  ///< the number of inputs per sample
};

/// Rows [begin, end) of a data set, counted from 0 over its samples (a CSV header is not a row).
struct RowRange {
    std::size_t begin = 0;  ///< the first row
    std::size_t end = 0;    ///< one past the last row
};

/// What the caller knows before reading. A trained model fills the fields below `task` so that
/// eval/predict read a file exactly as training did and refuse data that does not fit the model.
///
/// CSV columns: a file with a header is matched to a model's feature_names by name, in any order
/// (columns the model does not use are left out, with a note); a file without one, by position. An
/// unnamed first column (the index that pandas' to_csv writes) is left out, with a note.
struct LoadOptions {
    std::string target;                       ///< CSV: column name or 0-based index; empty = last column
    std::vector<std::string> ignore;          ///< CSV: columns (by name) that are neither features nor target
    std::string id_column;                    ///< CSV: a column carried through as Dataset::ids, not a feature
    /// CSV: the feature columns of a trained model (Model::columns): read and encoded as fitted.
    /// Empty: every feature column is read as fitted here, numeric or categorical.
    std::vector<InputColumn> columns;
    bool missing_is_error = false;  ///< CSV: refuse a missing value instead of filling it in
    bool unseen_is_error = false;   ///< CSV: refuse a category the model never saw (else all-zero inputs)
    /// CSV: the field separator; none = the one of , ; tab | most frequent in the first line. With
    /// ';' a decimal comma reads as a point.
    std::optional<char> delimiter;
    std::optional<Task> task;                 ///< CSV: default classification
    std::vector<std::string> class_names;     ///< non-empty: labels must be among these (else Error)
    std::vector<std::string> feature_names;   ///< non-empty: the feature columns the model expects
    std::optional<std::size_t> features;      ///< expected feature count (model input width)
    bool targets_optional = false;            ///< predict: the target column is not read, and may be absent
    /// Only these rows (a process's share in data-parallel training; Error if beyond the source).
    /// Class names still come from every row, so that the parts of one source agree on them.
    std::optional<RowRange> rows;
};

/// Loads a source: "fashion-mnist:train" | "fashion-mnist:test" (Debian's package, under
/// $NABLA_DATASETS or /usr/share/datasets/fashion-mnist), "idx:IMAGES[,LABELS]", a path to
/// *-idx3-ubyte[.gz] (labels found beside it), a .nbd file (told by its first bytes, whatever its
/// name), or a CSV path. Throws Error naming file and line/field.
Dataset load_dataset(const std::string& source, const LoadOptions& options = {});

/// Reads a source a part at a time, for a pass over more rows than memory holds (nabla predict):
/// `visit` gets each part in order, about `rows` samples each, read as load_dataset reads the whole
/// source (errors name the same file, line and field; the first part carries the notes). CSV and
/// .nbd files are read a part at a time, other sources whole, as one part; options.rows is unused.
void load_dataset_in_parts(const std::string& source, const LoadOptions& options, std::size_t rows,
                           const std::function<void(Dataset& part)>& visit);

/// The files a source (as load_dataset names it) reads: a CSV file, or an IDX pair's images and
/// labels (Fashion-MNIST's installed files included). Errors in naming the source are left for
/// load_dataset to report: then the source's text itself is the one file.
std::vector<std::string> source_files(const std::string& source);

/// The number of samples a source (as load_dataset names it) holds, without keeping them: from the
/// IDX header, or by a counting pass over a CSV file.
std::size_t count_samples(const std::string& source);

/// IDX pair: images (idx3, unsigned byte) and labels (idx1, unsigned byte), each gzipped or not.
/// Pixels stay in 0..255 here; scaling is preprocessing. Class names are "0".."9" (or as labels found).
/// With `rows`, only those images are read into memory (the labels, all of them, name the classes).
Dataset load_idx(const std::string& images_path, const std::string& labels_path,
                 std::optional<RowRange> rows = std::nullopt);

/// Reads a CSV file (header detected; target column as in options). Error naming file, line and field.
Dataset load_csv(const std::string& path, const LoadOptions& options = {});

/// What a .nbd file records of where its data set came from, besides the data (docs/data.md).
struct NbdOrigin {
    std::string source;       ///< the source it was read from, for messages
    LoadOptions options;      ///< the options it was read with: a load that asks for others is refused
    /// The standardisation of the rows as loaded (missing values filled): what
    /// Preprocessing::standardize_fit gives on all of them, and for regression targets what
    /// TargetScaling::fit gives. Stored so that a streamed training run (train --stream)
    /// standardises without a pass over the data first. Unset: none stored.
    std::optional<Preprocessing> standardization;
    std::optional<TargetScaling> target_scaling;  ///< as standardization, for regression targets
};

/// Writes a data set as a .nbd file (docs/data.md): its values as aligned little-endian floats, its
/// names, columns and ids, and `origin`, with checksums. A NaN in x marks a missing value of a
/// numeric column, which loading fills with the column's fill (the model's, for a model's load). Written atomically (PATH.tmp-XXXX, then
/// renamed), so that a failed write leaves no file. load_dataset reads the file back (it knows it
/// by its first bytes, whatever its name) as the same data set. Error naming PATH.
void save_nbd(const Dataset& data, const NbdOrigin& origin, const std::string& path);

/// Splits off the last `fraction` of rows (after a seeded shuffle) as a held-out part.
std::pair<Dataset, Dataset> split_dataset(const Dataset& data, double fraction, std::uint64_t seed);

}  // namespace nabla

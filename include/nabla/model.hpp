/// @file
/// A trained model as saved to disk: the network plus everything needed to use it on raw data
/// (preprocessing, class names, feature names) and a record of how it was trained.
/// File format: docs/model-format.md.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "nabla/dataset.hpp"
#include "nabla/network.hpp"
#include "nabla/preprocess.hpp"
#include "nabla/trainer.hpp"

namespace nabla {

/// A trained network with its preprocessing, names and training record.
struct Model {
    Network<float> network;  ///< the trained network
    Task task = Task::classification;  ///< what the outputs are
    Preprocessing preprocessing;  ///< applied to raw inputs before the network
    std::vector<std::string> class_names;    ///< classification: output j is class_names[j]
    std::vector<std::string> feature_names;  ///< one per input (may be empty for image data)
    std::vector<std::string> target_names;   ///< regression: one per output
    std::string target;                      ///< CSV target column: its name, an index, or "" (the last)
    std::vector<InputColumn> columns;        ///< CSV: how each feature column becomes inputs (empty: numeric)
    /// Training record in insertion order, e.g. {"epochs", "10"}, {"optimizer", "adam"}.
    std::vector<std::pair<std::string, std::string>> metadata;

    /// A model of net, with no preprocessing, names or record yet.
    explicit Model(Network<float> net) : network(std::move(net)) {}
};

/// Sets model.metadata to the record of the training run that made it, as `nabla train` and the
/// Python estimators write it: when and by which nabla version; the data's name and training
/// samples; the epochs trained, batch, optimizer, learning rate, schedule, weight decay, dropout
/// and seed of `options`; the last epoch's training loss; and, for one standardised regression
/// target (`target_scaling`, may be null), its mean and standard deviation.
void record_training(Model& model, const std::string& data, std::size_t samples, const TrainOptions& options,
                     const std::vector<EpochMetrics>& history, const TargetScaling* target_scaling);

/// Writes the model atomically: to PATH.tmp-XXXX in the same folder, flushed and fsync'ed, then
/// renamed over PATH, so an interrupted save never destroys an earlier file. Error on I/O failure.
void save_model(const Model& model, const std::string& path);

/// Reads and verifies a model file; Error naming the file and what is wrong (not a nabla model,
/// unsupported version, truncated in section X, checksum mismatch, absurd sizes, NaN weights, …).
Model load_model(const std::string& path);

/// Reads a data source as the model was trained on it (same target column, class names and
/// features, found by name where a CSV file has a header; refusing data that do not fit) and applies
/// the model's preprocessing. `options` gives what the caller chooses: targets_optional (prediction:
/// the target column is not read, and may be absent), rows, ignore and id_column; the fields that
/// describe the model are filled from it.
Dataset load_dataset_for(const Model& model, const std::string& source, LoadOptions options = {});

/// load_dataset_for a part at a time (load_dataset_in_parts): `visit` gets each part, about `rows`
/// samples, in order, with the model's preprocessing applied.
void load_dataset_for_in_parts(const Model& model, const std::string& source, LoadOptions options, std::size_t rows,
                               const std::function<void(Dataset& part)>& visit);

}  // namespace nabla

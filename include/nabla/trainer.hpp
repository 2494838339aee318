// Training and evaluation on a Dataset: mini-batches of shuffled samples, one backward pass and one
// optimizer step each, metrics per epoch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "nabla/dataset.hpp"
#include "nabla/network.hpp"
#include "nabla/optimizer.hpp"
#include "nabla/schedule.hpp"

namespace nabla {

struct Metrics {
    std::size_t samples = 0;
    double loss = 0;      // L_T, the mean loss
    double accuracy = 0;  // classification: fraction of argmax predictions equal to the label
    double rmse = 0;      // regression: root mean squared error over all outputs
};

struct EpochMetrics {
    std::size_t epoch = 0;          // 1-based
    double train_loss = 0;          // mean of the epoch's mini-batch losses
    double train_accuracy = 0;      // classification, as measured on the training batches
    std::optional<Metrics> validation;
    double learning_rate = 0;       // η at the epoch's last step
    double seconds = 0;
    double samples_per_second = 0;
};

struct TrainOptions {
    std::size_t epochs = 10;
    std::size_t batch = 128;        // 0: the whole training set (gradient descent on the seed's L_T)
    OptimizerSpec optimizer;
    Schedule schedule;
    double dropout = 0.0;           // on hidden layers, training only
    std::uint64_t seed = 1;         // shuffling and dropout; initialisation uses the network's seed
    bool shuffle = true;
    std::function<void(const EpochMetrics&)> on_epoch;
    // Progress within an epoch: samples done, samples in the epoch, running mean loss.
    std::function<void(std::size_t, std::size_t, double)> on_batch;

    void validate() const;
};

// One training step on a batch of n samples (rows of x and y): forward pass, backward pass into
// grads, optimizer update with learning rate lr. Returns the batch's L_T. Afterwards ws.a.back()
// still holds the batch's outputs a^F. Allocates nothing once ws has seen a batch this large.
float train_step(Network<float>& net, Optimizer<float>& optimizer, Workspace<float>& ws, std::span<float> grads,
                 const float* x, const float* y, std::size_t n, double lr, const Dropout& dropout = {});

// Trains net on data; after each epoch evaluates `validation` if given. Throws Error if the data do
// not fit the network or contain non-finite values, or if the loss becomes NaN/Inf (naming the
// epoch and step).
std::vector<EpochMetrics> train(Network<float>& net, const Dataset& data, const Dataset* validation,
                                const TrainOptions& options);

struct Evaluation : Metrics {
    std::size_t classes = 0;
    std::vector<std::size_t> confusion;  // classes × classes, row = true class, column = predicted
};

Evaluation evaluate(const Network<float>& net, const Dataset& data, std::size_t batch = 1024);

// a^F for every row of x (n × outputs).
Matrix<float> predict(const Network<float>& net, const Matrix<float>& x, std::size_t batch = 1024);

// The class a row of k outputs (or one-hot targets) stands for: the index of the largest value, or
// for a single sigmoid output, 1 when it is at least 0.5.
std::size_t predicted_class(const float* values, std::size_t k);

}  // namespace nabla

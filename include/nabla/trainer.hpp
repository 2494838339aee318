/// @file
/// Training and evaluation on a Dataset: mini-batches of shuffled samples, one backward pass and one
/// optimizer step each, metrics per epoch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <array>
#include <vector>

#include "nabla/communicator.hpp"
#include "nabla/dataset.hpp"
#include "nabla/network.hpp"
#include "nabla/optimizer.hpp"
#include "nabla/placement.hpp"
#include "nabla/schedule.hpp"

namespace nabla {

/// How well a network does on a data set.
struct Metrics {
    std::size_t samples = 0;  ///< the number of samples measured
    double loss = 0;      ///< L_T, the mean loss
    double accuracy = 0;  ///< classification: fraction of argmax predictions equal to the label
    double rmse = 0;      ///< regression: root mean squared error over all outputs
};

/// What one epoch of training did.
struct EpochMetrics {
    std::size_t epoch = 0;          ///< 1-based
    double train_loss = 0;          ///< mean of the epoch's mini-batch losses
    double train_accuracy = 0;      ///< classification, as measured on the training batches
    std::optional<Metrics> validation;  ///< on the validation data, when given
    double learning_rate = 0;       ///< η at the epoch's last step
    double seconds = 0;  ///< wall-clock time of the epoch
    double samples_per_second = 0;  ///< training throughput
};

/// Everything a training run needs to continue exactly where it was, besides the network's
/// parameters: what a checkpoint stores (checkpoint.hpp).
struct TrainingState {
    std::size_t epoch = 1;               ///< the epoch in progress, 1-based
    std::size_t position = 0;            ///< samples of this epoch already trained on
    std::size_t step = 0;                ///< optimizer steps taken in the whole run
    std::array<std::uint64_t, 4> rng{};          ///< the random source of the sample order
    std::array<std::uint64_t, 4> dropout_rng{};  ///< the run's dropout key: each step's masks come from it, the step and the process's first row
    std::vector<std::size_t> order;      ///< this epoch's order of the training samples
    double loss_sum = 0;                 ///< this epoch so far: Σ batch loss × batch size
    std::size_t correct = 0;             ///< this epoch so far: correctly classified samples
    std::uint64_t optimizer_steps = 0;  ///< the optimizer's step count (Adam's bias correction)
    /// @{ the optimizer's moments (empty where it has none)
    std::vector<float> moment1, moment2;
    /// @}
    std::vector<EpochMetrics> history;   ///< the finished epochs
    std::vector<std::string> arguments;  ///< how the run was started (the CLI's flags), to resume it
};

/// Data-parallel training (docs/distributed.md): this process holds rows [first, first +
/// data.samples()) of a training set of `samples` rows split across `processes`. Every process
/// walks the same shuffled order of all the rows; each computes the gradient over the rows of the
/// global batch it holds, the gradients are summed across the processes, and every process then
/// takes the identical step: the global batch, learning rate and results mean what they mean in
/// one process. On the GPU (`--device cuda`) each process takes one GPU and the gradients are
/// summed there with NCCL, which `processes` sets up.
struct DataParallel {
    Communicator* processes = nullptr;  ///< the processes training together (not owned; null: this one alone)
    std::size_t samples = 0;            ///< rows of the whole training set, over all processes
    std::size_t first = 0;              ///< the first of them this process holds
    /// Start each layer's gradient sum as soon as the backward pass has it (Communicator::start_sum),
    /// while the layers below are computed; else sum the whole gradient after the backward pass.
    bool overlap_sums = false;
};

/// How to train: epochs, batches, optimizer, schedule, regularisation and callbacks.
struct TrainOptions {
    std::size_t epochs = 10;  ///< passes over the training data
    std::size_t batch = 128;        ///< 0: the whole training set (gradient descent on the mean loss L_T)
    OptimizerSpec optimizer;  ///< the update rule and its hyperparameters
    Schedule schedule;  ///< how the learning rate changes over the run
    double dropout = 0.0;           ///< on hidden layers, training only
    std::uint64_t seed = 1;         ///< shuffling and dropout; initialisation uses the network's seed
    bool shuffle = true;  ///< a new sample order every epoch
    std::function<void(const EpochMetrics&)> on_epoch;  ///< called after every epoch
    /// Progress within an epoch: samples done, samples in the epoch, running mean loss.
    std::function<void(std::size_t, std::size_t, double)> on_batch;

    /// Checkpoints: on_checkpoint receives the complete state every checkpoint_every steps (0: only)
    /// and after every epoch. A run given `resume` (and the network as it was then) continues it.
    std::size_t checkpoint_every = 0;
    std::function<void(const TrainingState&)> on_checkpoint;  ///< receives the state at each checkpoint
    const TrainingState* resume = nullptr;  ///< a checkpoint's state to continue from (null: a new run)

    /// Training across processes; unset for a single process.
    std::optional<DataParallel> parallel;

    /// Gradient clipping: the gradient is scaled down to this global L2 norm when longer (0: off).
    double clip_norm = 0.0;
    /// What a non-finite loss does: stop with an Error naming the epoch, step and layer, or skip the
    /// batch (stopping still if it keeps happening, or once the weights themselves are not finite).
    enum class OnDivergence : std::uint8_t { stop, skip_batch };
    OnDivergence on_divergence = OnDivergence::stop;  ///< stop or skip the batch

    /// Where the run trains: the CPU, or a GPU (`Device::cuda`, in a nabla built with CUDA), whose
    /// matrix products may use `precision`. Every option means the same on both; the GPU calls
    /// on_batch for its steps at checkpoints and at the end of each epoch. The CPU computes in fp32
    /// only.
    Device device = Device::cpu;
    Precision precision = Precision::fp32;  ///< the GPU's matrix products: fp32, tf32 or bf16

    void validate() const;  ///< Error on an out-of-range value
};

/// Trains net on data, on options.device; after each epoch evaluates `validation` if given. Throws
/// Error if the device cannot be used ("--device cuda: …", or an option it does not support), if
/// the data do not fit the network or contain non-finite values, or if the loss becomes NaN/Inf
/// (naming the epoch and step).
std::vector<EpochMetrics> train(Network<float>& net, const Dataset& data, const Dataset* validation,
                                const TrainOptions& options);

/// Metrics of a network on a data set, with the confusion matrix for classification.
struct Evaluation : Metrics {
    std::size_t classes = 0;  ///< classification: the number of classes (at least 2)
    std::vector<std::size_t> confusion;  ///< classes × classes, row = true class, column = predicted
    double mae = 0;  ///< regression: mean absolute error over all outputs
    double r2 = 0;   ///< regression: coefficient of determination, averaged over the outputs

    /// Classification, from the confusion matrix: of the samples predicted as class c, the share
    /// that are c (precision); of the samples of class c, the share predicted as c (recall); their
    /// harmonic mean (F1); and the samples of class c (support). 0 where a share has no samples.
    struct ClassScores {
        double precision = 0;     ///< of the samples predicted as the class, the share that are
        double recall = 0;        ///< of the samples of the class, the share predicted as it
        double f1 = 0;            ///< the harmonic mean of precision and recall
        std::size_t support = 0;  ///< the samples of the class
    };
    ClassScores class_scores(std::size_t c) const;  ///< the scores of class c, from `confusion`
};

/// Loss and accuracy (classification) or RMSE (regression) of net on data, in batches of `batch`.
Evaluation evaluate(const Network<float>& net, const Dataset& data, std::size_t batch = 1024);

/// The evaluation of a network's outputs a (a^F for every row of data, however computed) against
/// data's targets, under `loss`.
Evaluation evaluate_outputs(Loss loss, const Dataset& data, const Matrix<float>& a);

/// a^F for every row of x (n × outputs).
Matrix<float> predict(const Network<float>& net, const Matrix<float>& x, std::size_t batch = 1024);

/// The class a row of k outputs (or one-hot targets) stands for: the index of the largest value, or
/// for a single sigmoid output, 1 when it is at least 0.5.
std::size_t predicted_class(const float* values, std::size_t k);

}  // namespace nabla

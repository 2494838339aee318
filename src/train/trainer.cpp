#include "nabla/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>
#include <string>

#include "core/loss_math.hpp"
#include "cpu/train_step.hpp"
#include "train/training_loop.hpp"
#include "train/rows_held.hpp"
#include "nabla/error.hpp"

namespace nabla {

void TrainOptions::validate() const {
    if (epochs == 0) throw Error("epochs must be at least 1");
    if (!(dropout >= 0.0 && dropout < 1.0)) throw Error("dropout must be in [0, 1), got " + std::to_string(dropout));
    optimizer.validate();
    schedule.validate();
}

std::size_t predicted_class(const float* values, std::size_t k) { return math::predicted_class(values, k); }

void check_fits(const Network<float>& net, const Dataset& data, const char* role) {
    if (data.samples() == 0) throw Error(std::string(role) + " data '" + data.source + "' has no samples");
    if (data.features() != net.input_size())
        throw Error(std::string(role) + " data '" + data.source + "' has " + std::to_string(data.features()) +
                    " features, but the network takes " + std::to_string(net.input_size()));
    if (data.y.rows != data.samples() || data.y.cols != net.output_size())
        throw Error(std::string(role) + " data '" + data.source + "' has " + std::to_string(data.y.cols) +
                    " outputs per sample, but the network gives " + std::to_string(net.output_size()));
    auto finite = [](const std::vector<float>& v) {
        return std::all_of(v.begin(), v.end(), [](float f) { return std::isfinite(f); });
    };
    if (!finite(data.x.data) || !finite(data.y.data))
        throw Error(std::string(role) + " data '" + data.source + "' contains NaN or infinite values");
}

Metrics combine_across_processes(const Metrics& mine, Communicator& processes) {
    if (processes.size() == 1) return mine;
    const double n = double(mine.samples);
    std::vector<double> sums{n, mine.loss * n, mine.accuracy * n, mine.rmse * mine.rmse * n};
    processes.sum(std::span<double>(sums));
    Metrics all;
    all.samples = std::size_t(sums[0]);
    all.loss = sums[1] / sums[0];
    all.accuracy = sums[2] / sums[0];
    all.rmse = std::sqrt(sums[3] / sums[0]);
    return all;
}


Shard shard_of(const TrainOptions& options, std::size_t held) {
    if (!options.parallel || !options.parallel->processes) return {alone(), held, 0, false};
    const DataParallel& p = *options.parallel;
    return {*p.processes, p.samples, p.first, p.overlap_sums};
}

std::size_t batch_size(const TrainOptions& options, std::size_t n) {
    return options.batch == 0 ? n : std::min(options.batch, n);
}

namespace {


// The same in every process: the sample order, and the dropout key (Dropout::mask_source).
TrainingState fresh_state(const EpochOrder& order, std::uint64_t seed) {
    TrainingState state;
    state.order = order.initial();
    state.rng = Rng(seed).state();
    state.dropout_rng = Rng(seed ^ 0xd509u).state();  // the run's dropout key
    return state;
}

// A checkpoint must belong to this run: same samples, same optimizer, within the epochs asked for.
void check_resumable(const TrainingState& state, const EpochOrder& order, const Network<float>& net,
                     const OptimizerSpec& optimizer, std::size_t epochs) {
    const std::size_t n = order.samples();
    if (!order.valid(state.order)) {
        const char* unit = order.is_windowed() ? " blocks" : " samples";
        throw Error("checkpoint does not match the training data: it was taken on " + std::to_string(state.order.size()) +
                    unit + ", the data has " + std::to_string(order.entries()) + unit);
    }
    const std::size_t parameters = net.parameters().size();
    const bool adam = optimizer.kind == OptimizerKind::adam || optimizer.kind == OptimizerKind::adamw;
    if (state.moment1.size() != (optimizer.kind == OptimizerKind::sgd ? 0 : parameters) ||
        state.moment2.size() != (adam ? parameters : 0))
        throw Error("checkpoint's optimizer state does not match the optimizer (" +
                    std::string(optimizer_name(optimizer.kind)) + ", " + std::to_string(parameters) + " parameters)");
    if (state.position > n || state.epoch == 0 || state.epoch > epochs + 1 || state.history.size() + 1 != state.epoch)
        throw Error("checkpoint's position (epoch " + std::to_string(state.epoch) + ") is not within this run of " +
                    std::to_string(epochs) + " epochs");
}

bool finite(const float* p, std::size_t count) {
    return std::all_of(p, p + count, [](float v) { return std::isfinite(v); });
}


// A step given to the backend whose outcome the loop has not taken yet.
struct Pending {
    std::uint64_t step;  // its number in the run, 1-based
    std::size_t end;     // the samples of the epoch done with it
    std::size_t global;  // its batch's samples
};

}  // namespace

bool parameters_finite(const Network<float>& net) { return finite(net.parameters().data(), net.parameters().size()); }

std::string first_non_finite(const Network<float>& net, const Workspace<float>* ws) {
    for (std::size_t l = 0; l < net.depth(); ++l) {
        const LayerShape& s = net.layer(l);
        const std::string layer = "layer " + std::to_string(l + 1);
        if (!finite(net.W(l), s.in * s.out)) return layer + " weights";
        if (!finite(net.b(l), s.out)) return layer + " biases";
        if (ws && ws->a.size() > l && !finite(ws->a[l].data(), ws->n * s.out)) return layer + " outputs";
    }
    return "the loss of the outputs";
}

float train_step(Network<float>& net, Optimizer<float>& optimizer, Workspace<float>& ws, std::span<float> grads,
                 const float* x, const float* y, std::size_t n, double lr, const Dropout& dropout, double clip_norm) {
    return float(cpu::step(net, optimizer, ws, grads, x, y, n, n, lr, dropout, clip_norm, alone(), false, false).loss);
}

// Each step reads: next batch (the rows of the order's next window that this process holds), the
// backend's step on it (forward, backward, sum across processes, update), then its outcome: the
// epoch's sums, progress, or what a diverged step does. A backend that queues steps gives their
// outcomes at checkpoints and at the end of the epoch; it has applied the divergence policy on
// its own by then, so the run is the same whenever the loop learns of them.
std::vector<EpochMetrics> run_training(Backend& backend, Network<float>& net, EpochOrder& order, std::size_t held,
                                       Task task, const Dataset* validation, const TrainOptions& options,
                                       const Shard& shard) {
    const std::size_t n = shard.samples, first = shard.first;
    const std::size_t batch = batch_size(options, n);
    const std::size_t steps_per_epoch = (n + batch - 1) / batch;
    const std::size_t total_steps = steps_per_epoch * options.epochs;
    const bool classification = task == Task::classification;

    TrainingState state = options.resume ? *options.resume : fresh_state(order, options.seed);
    if (options.resume) {
        check_resumable(state, order, net, options.optimizer, options.epochs);
        backend.restore_optimizer(state);
    }
    Rng order_rng;
    order_rng.set_state(state.rng);
    const std::uint64_t dropout_key = state.dropout_rng[0] ^ state.dropout_rng[1];
    std::vector<std::size_t> rows(batch);  // a batch's rows among this process's
    std::vector<Pending> pending;

    // The state as it stands now, for a checkpoint.
    auto checkpoint = [&] {
        if (!options.on_checkpoint) return;
        backend.download(net);
        if (!parameters_finite(net)) return;  // never save a diverged network over a good checkpoint
        state.rng = order_rng.state();
        backend.save_optimizer(state);
        options.on_checkpoint(state);
    };

    // Takes the outcomes of the pending steps; returns the last one's verdict.
    auto take_outcomes = [&] {
        const std::span<const StepOutcome> outcomes = backend.outcomes();
        StepVerdict last = StepVerdict::update;
        for (std::size_t i = 0; i < outcomes.size(); ++i) {
            const StepOutcome& outcome = outcomes[i];
            const Pending& step = pending[i];
            last = outcome.verdict;
            if (outcome.verdict == StepVerdict::skip) continue;
            if (outcome.verdict == StepVerdict::stop) {
                backend.download(net);  // θ as it was before the step
                // On the first step no learning rate has acted yet: the data themselves overflow.
                const char* advice = step.step == 1 && !options.resume
                                         ? " (before any update: the inputs or targets are too large for float "
                                           "arithmetic; standardise them, as nabla train does unless --no-standardize)"
                                         : " (try a lower learning rate or --clip-norm)";
                throw Error("training diverged: the loss is " + std::string(std::isnan(outcome.loss) ? "NaN" : "infinite") +
                            " at epoch " + std::to_string(state.epoch) + ", step " + std::to_string(step.step) +
                            ", first in " + backend.first_non_finite() + advice);
            }
            state.correct += outcome.correct;
            state.loss_sum += outcome.loss * double(step.global);
            if (options.on_batch) options.on_batch(step.end, n, state.loss_sum / double(step.end));
        }
        pending.clear();
        return last;
    };

    while (state.epoch <= options.epochs) {
        const auto start = std::chrono::steady_clock::now();
        if (state.position == 0) {
            if (options.shuffle) order.shuffle(state.order, order_rng);
            state.loss_sum = 0;
            state.correct = 0;
        }
        backend.start_epoch(state.order, state.position / batch);
        double lr = options.optimizer.learning_rate;
        while (state.position < n) {
            const std::size_t begin = state.position, end = std::min(begin + batch, n);
            const std::size_t m = rows_held(order.samples(state.order, state.epoch, begin, end), first, held, rows.data());
            lr = options.schedule.rate(options.optimizer.learning_rate, state.step, steps_per_epoch, total_steps);
            backend.step({std::span(rows.data(), m), end - begin, begin / batch, begin, state.step, dropout_key, lr});
            state.position = end;
            ++state.step;
            pending.push_back({state.step, end, end - begin});
            const bool checkpoint_due =
                options.checkpoint_every && state.step % options.checkpoint_every == 0 && state.position < n;
            if (backend.queues_steps() && !checkpoint_due && state.position < n) continue;
            if (take_outcomes() == StepVerdict::update && checkpoint_due) checkpoint();
        }
        EpochMetrics metrics;
        metrics.epoch = state.epoch;
        metrics.train_loss = state.loss_sum / double(n);
        metrics.train_accuracy = classification ? double(state.correct) / double(n) : 0.0;
        metrics.learning_rate = lr;
        metrics.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        metrics.samples_per_second = double(n) / std::max(metrics.seconds, 1e-9);
        if (validation) {
            const Metrics mine = evaluate_outputs(net.spec().loss, *validation, backend.predict(validation->x));
            metrics.validation = combine_across_processes(mine, shard.processes);
        }
        state.history.push_back(metrics);
        state.position = 0;
        if (options.on_epoch) options.on_epoch(metrics);
        ++state.epoch;
        checkpoint();  // resumes at the start of the next epoch
    }
    backend.download(net);
    return state.history;
}

Matrix<float> predict(const Network<float>& net, const Matrix<float>& x, std::size_t batch) {
    if (x.cols != net.input_size())
        throw Error("input has " + std::to_string(x.cols) + " features, but the network takes " +
                    std::to_string(net.input_size()));
    batch = std::max<std::size_t>(batch, 1);
    Matrix<float> out(x.rows, net.output_size());
    Workspace<float> ws;
    for (std::size_t begin = 0; begin < x.rows; begin += batch) {
        const std::size_t m = std::min(batch, x.rows - begin);
        const float* a = forward(net, x.row(begin), m, ws);
        std::copy(a, a + m * out.cols, out.row(begin));
    }
    return out;
}

Evaluation evaluate(const Network<float>& net, const Dataset& data, std::size_t batch) {
    check_fits(net, data, "evaluation");
    return evaluate_outputs(net.spec().loss, data, predict(net, data.x, batch));
}

Evaluation::ClassScores Evaluation::class_scores(std::size_t c) const {
    ClassScores scores;
    std::size_t predicted = 0;
    for (std::size_t i = 0; i < classes; ++i) {
        scores.support += confusion[c * classes + i];
        predicted += confusion[i * classes + c];
    }
    const double hits = double(confusion[c * classes + c]);
    scores.precision = predicted ? hits / double(predicted) : 0.0;
    scores.recall = scores.support ? hits / double(scores.support) : 0.0;
    const double sum = scores.precision + scores.recall;
    scores.f1 = sum > 0 ? 2 * scores.precision * scores.recall / sum : 0.0;
    return scores;
}

Evaluation evaluate_outputs(Loss loss, const Dataset& data, const Matrix<float>& a) {
    const std::size_t k = a.cols;
    Evaluation e;
    e.samples = data.samples();
    e.loss = double(loss_sum(loss, a.data.data(), data.y.data.data(), a.rows, k)) / double(a.rows);
    if (data.task == Task::classification) {
        e.classes = std::max<std::size_t>(k, 2);
        e.confusion.assign(e.classes * e.classes, 0);
        std::size_t correct = 0;
        for (std::size_t i = 0; i < a.rows; ++i) {
            const std::size_t truth = predicted_class(data.y.row(i), k), guess = predicted_class(a.row(i), k);
            correct += truth == guess;
            ++e.confusion[truth * e.classes + guess];
        }
        e.accuracy = double(correct) / double(a.rows);
    } else {
        // R² per output against its own mean, averaged over the outputs (as scikit-learn's r2_score).
        double squared = 0, absolute = 0, r2_sum = 0;
        for (std::size_t i = 0; i < a.size(); ++i) {
            const double error = double(a.data[i]) - double(data.y.data[i]);
            squared += error * error;
            absolute += std::abs(error);
        }
        for (std::size_t j = 0; j < k; ++j) {
            double mean = 0, residual = 0, total = 0;
            for (std::size_t i = 0; i < a.rows; ++i) mean += data.y(i, j);
            mean /= double(a.rows);
            for (std::size_t i = 0; i < a.rows; ++i) {
                residual += (double(a(i, j)) - data.y(i, j)) * (double(a(i, j)) - data.y(i, j));
                total += (data.y(i, j) - mean) * (data.y(i, j) - mean);
            }
            r2_sum += total > 0 ? 1 - residual / total : (residual == 0 ? 1.0 : 0.0);
        }
        e.rmse = std::sqrt(squared / double(a.size()));
        e.mae = absolute / double(a.size());
        e.r2 = r2_sum / double(k);
    }
    return e;
}

}  // namespace nabla

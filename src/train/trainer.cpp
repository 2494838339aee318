#include "nabla/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>

#include "cpu/denormals.hpp"
#include "nabla/error.hpp"

namespace nabla {

void TrainOptions::validate() const {
    if (epochs == 0) throw Error("epochs must be at least 1");
    if (!(dropout >= 0.0 && dropout < 1.0)) throw Error("dropout must be in [0, 1), got " + std::to_string(dropout));
    optimizer.validate();
    schedule.validate();
}

std::size_t predicted_class(const float* values, std::size_t k) {
    if (k == 1) return values[0] >= 0.5f ? 1 : 0;  // one sigmoid output: P(class 1)
    return std::size_t(std::max_element(values, values + k) - values);
}

namespace {

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

// Copies the rows `order[begin, end)` of m into the contiguous batch buffer.
void gather_rows(const Matrix<float>& m, const std::vector<std::size_t>& order, std::size_t begin,
                 std::size_t end, float* out) {
    for (std::size_t i = begin; i < end; ++i)
        std::memcpy(out + (i - begin) * m.cols, m.row(order[i]), m.cols * sizeof(float));
}

std::size_t count_correct(const float* a, const float* y, std::size_t n, std::size_t k) {
    std::size_t correct = 0;
    for (std::size_t i = 0; i < n; ++i) correct += predicted_class(a + i * k, k) == predicted_class(y + i * k, k);
    return correct;
}

}  // namespace

float train_step(Network<float>& net, Optimizer<float>& optimizer, Workspace<float>& ws, std::span<float> grads,
                 const float* x, const float* y, std::size_t n, double lr, const Dropout& dropout) {
    const cpu::FlushDenormals no_subnormals;
    forward(net, x, n, ws, dropout);
    const OptimizerSpec& spec = optimizer.spec();
    if (spec.kind == OptimizerKind::sgd) {  // plain gradient descent: applied inside the backward pass
        optimizer.set_steps(optimizer.steps() + 1);
        return backward_descend(net, y, ws, lr, spec.weight_decay);
    }
    const float loss = backward(net, y, ws, grads);
    if (std::isfinite(loss)) optimizer.step(net, grads, lr);  // never step on a diverged gradient
    return loss;
}

std::vector<EpochMetrics> train(Network<float>& net, const Dataset& data, const Dataset* validation,
                                const TrainOptions& options) {
    options.validate();
    check_fits(net, data, "training");
    if (validation) check_fits(net, *validation, "validation");

    const std::size_t n = data.samples();
    const std::size_t batch = options.batch == 0 ? n : std::min(options.batch, n);
    const std::size_t steps_per_epoch = (n + batch - 1) / batch;
    const std::size_t total_steps = steps_per_epoch * options.epochs;
    const bool classification = data.task == Task::classification;

    Optimizer<float> optimizer(options.optimizer, net);
    Workspace<float> ws;
    Rng rng(options.seed);
    Dropout dropout{options.dropout, &rng};
    std::vector<float> grads(net.parameters().size());
    Matrix<float> x(batch, data.features()), y(batch, net.output_size());
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t(0));

    std::vector<EpochMetrics> history;
    std::size_t step = 0;
    for (std::size_t epoch = 1; epoch <= options.epochs; ++epoch) {
        const auto start = std::chrono::steady_clock::now();
        if (options.shuffle) shuffle(order, rng);
        double loss_sum = 0;
        std::size_t correct = 0;
        double lr = options.optimizer.learning_rate;
        for (std::size_t begin = 0; begin < n; begin += batch, ++step) {
            const std::size_t end = std::min(begin + batch, n);
            const std::size_t m = end - begin;
            gather_rows(data.x, order, begin, end, x.data.data());
            gather_rows(data.y, order, begin, end, y.data.data());
            lr = options.schedule.rate(options.optimizer.learning_rate, step, steps_per_epoch, total_steps);
            const float loss = train_step(net, optimizer, ws, grads, x.data.data(), y.data.data(), m, lr, dropout);
            if (!std::isfinite(loss))
                throw Error("training diverged: the loss is " + std::string(std::isnan(loss) ? "NaN" : "infinite") +
                            " at epoch " + std::to_string(epoch) + ", step " + std::to_string(step + 1) +
                            " (try a lower learning rate)");
            if (classification) correct += count_correct(ws.a.back().data(), y.data.data(), m, y.cols);
            loss_sum += double(loss) * double(m);
            if (options.on_batch) options.on_batch(end, n, loss_sum / double(end));
        }
        EpochMetrics metrics;
        metrics.epoch = epoch;
        metrics.train_loss = loss_sum / double(n);
        metrics.train_accuracy = classification ? double(correct) / double(n) : 0.0;
        metrics.learning_rate = lr;
        metrics.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        metrics.samples_per_second = double(n) / std::max(metrics.seconds, 1e-9);
        if (validation) metrics.validation = evaluate(net, *validation);
        history.push_back(metrics);
        if (options.on_epoch) options.on_epoch(metrics);
    }
    return history;
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
    const Matrix<float> a = predict(net, data.x, batch);
    const std::size_t k = a.cols;
    Evaluation e;
    e.samples = data.samples();
    e.loss = double(loss_sum(net.spec().loss, a.data.data(), data.y.data.data(), a.rows, k)) / double(a.rows);
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
        double squared = 0;
        for (std::size_t i = 0; i < a.size(); ++i) squared += double(a.data[i] - data.y.data[i]) * (a.data[i] - data.y.data[i]);
        e.rmse = std::sqrt(squared / double(a.size()));
    }
    return e;
}

}  // namespace nabla

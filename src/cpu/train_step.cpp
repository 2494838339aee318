#include "cpu/train_step.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "cpu/denormals.hpp"
#include "nabla/trainer.hpp"

namespace nabla::cpu {

std::size_t count_correct(const float* a, const float* y, std::size_t n, std::size_t k) {
    std::size_t correct = 0;
    for (std::size_t i = 0; i < n; ++i) correct += predicted_class(a + i * k, k) == predicted_class(y + i * k, k);
    return correct;
}

StepResult step(Network<float>& net, Optimizer<float>& optimizer, Workspace<float>& ws, std::span<float> grads,
                const float* x, const float* y, std::size_t m, std::size_t global, double lr, const Dropout& dropout,
                double clip_norm, Communicator& processes, bool overlap, bool count) {
    const cpu::FlushDenormals no_subnormals;
    const OptimizerSpec& spec = optimizer.spec();
    const std::size_t k = net.output_size();
    // Plain gradient descent in one process: the update is applied inside the backward pass, which
    // saves writing the gradient out and reading it back.
    if (processes.size() == 1 && spec.kind == OptimizerKind::sgd && clip_norm == 0.0) {
        forward(net, x, m, ws, dropout);
        optimizer.set_steps(optimizer.steps() + 1);
        const float loss = backward_descend(net, y, ws, lr, spec.weight_decay);
        return {loss, count ? count_correct(ws.a.back().data(), y, m, k) : 0};
    }
    const float share = float(m) / float(global);  // this process's mean → its part of the global mean
    std::size_t unsent = net.depth();              // layers 0 … unsent − 1 are still to be summed
    auto send = [&](std::size_t l) {
        const LayerShape& s = net.layer(l);
        const std::span<float> part = grads.subspan(s.w_offset, s.b_offset + s.out - s.w_offset);
        if (share != 1.0f)
            for (float& g : part) g *= share;
        if (overlap) processes.start_sum(part);
        unsent = l;
    };
    double sums[2] = {0, 0};  // this process's Σ L_i and correct answers
    if (m > 0) {
        forward(net, x, m, ws, dropout);
        // std::ref: the std::function holds a pointer to `send`, not a heap copy of its captures.
        sums[0] = double(backward(net, y, ws, grads, std::ref(send))) * double(m);
        if (count) sums[1] = double(count_correct(ws.a.back().data(), y, m, k));
    }
    while (unsent > 0) {  // no rows here, or a loss that is not finite: this process adds zeros
        const LayerShape& s = net.layer(unsent - 1);
        std::fill(grads.begin() + std::ptrdiff_t(s.w_offset), grads.begin() + std::ptrdiff_t(s.b_offset + s.out), 0.0f);
        send(unsent - 1);
    }
    if (overlap) processes.finish_sums();
    else processes.sum(grads);
    processes.sum(std::span<double>(sums));
    const StepResult result{sums[0] / double(global), std::size_t(sums[1])};
    if (!std::isfinite(result.loss)) return result;
    if (clip_norm > 0.0) clip_to_norm(grads, clip_norm);
    optimizer.step(net, grads, lr);
    return result;
}

}  // namespace nabla::cpu

namespace nabla {

void clip_to_norm(std::span<float> grads, double max_norm) {
    double squares = 0;
    for (const float g : grads) squares += double(g) * double(g);
    const double norm = std::sqrt(squares);
    if (!(norm > max_norm)) return;
    const float scale = float(max_norm / norm);
    for (float& g : grads) g *= scale;
}

}  // namespace nabla

// A Network<float> on the GPU and core/network.cpp's two passes over it: cuBLAS for the products,
// kernels.hpp for the rest. Every method only queues work on the stream, except download().
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "cuda/blas.hpp"
#include "nabla/network.hpp"

namespace nabla::cuda {

class DeviceNetwork {
public:
    // net's parameters uploaded, with the buffers of a pass over up to `capacity` samples.
    DeviceNetwork(const Network<float>& net, Precision precision, std::size_t capacity, const Stream& stream);

    // θ in the CPU's layout W^1, b^1, W^2, b^2, …; the gradient ∇L_T in the same layout.
    GemmMatrix& parameters() { return parameters_; }
    const GemmMatrix& parameters() const { return parameters_; }
    const DeviceBuffer<float>& gradient() const { return gradient_; }
    const std::vector<LayerShape>& layers() const { return layers_; }
    void download(Network<float>& net) const;  // θ into net, once the queued work has run

    // a^0, capacity × inputs: what the next forward pass reads.
    GemmMatrix& input() { return input_; }
    void load_input(const float* x, std::size_t n);  // n rows from the host into input()

    // Training passes drop hidden units as `draw` says (kernels.hpp: dropout), draw.layer aside;
    // inference passes never do. Makes room for the masks.
    void enable_dropout(const DropoutDraw& draw, const StepState* state);

    // z^l = W^l a^(l−1) + b^l, a^l = σ(z^l) for the first n rows of input(); a training pass
    // applies dropout where enabled, and backward() then follows its masks.
    void forward(std::size_t n, bool training = false);
    // a^F of those n rows into out (n × outputs), once the queued work has run.
    void download_output(std::size_t n, float* out) const;

    // After forward(): d^F from the targets y (n × outputs, on the device), then d^l layer by layer
    // down, with ∇L_T into gradient() and {Σ_i L_i, correctly classified samples} into
    // loss_and_correct(). L_T is the mean over `batch` samples (n, unless these n are one
    // process's part of a larger batch in data-parallel training).
    void backward(const float* y, std::size_t n, std::size_t batch);
    void backward(const float* y, std::size_t n) { backward(y, n, n); }
    // What backward() gives a process holding none of the batch: a zero gradient and sums.
    void clear_gradient();
    DeviceBuffer<float>& gradient() { return gradient_; }
    DeviceBuffer<float>& loss_and_correct() { return loss_and_correct_; }
    const DeviceBuffer<float>& loss_and_correct() const { return loss_and_correct_; }

private:
    // What layer l's product reads: a^0, a^(l−1), or with dropout in training a^(l−1) ⊙ keep.
    const GemmMatrix& layer_input(std::size_t l) const {
        return l == 0 ? input_ : dropping_ ? kept_[l - 1] : a_[l - 1];
    }

    cudaStream_t stream_;
    Blas blas_;
    Loss loss_;
    std::vector<LayerShape> layers_;
    GemmMatrix parameters_;
    DeviceBuffer<float> gradient_;
    GemmMatrix input_;
    std::vector<GemmMatrix> a_;  // a_[l]: a^(l+1), capacity × out
    std::vector<GemmMatrix> d_;  // d_[l]: the error of layer l, capacity × out
    DeviceBuffer<float> sample_stats_;  // {L_i, correct_i} per sample
    DeviceBuffer<float> loss_and_correct_;
    DeviceBuffer<float> scratch_;  // column sums' partial sums
    std::optional<DropoutDraw> dropout_;  // training with dropout
    const StepState* state_ = nullptr;    // the run's step, for the masks
    bool dropping_ = false;               // the last forward pass dropped units
    std::vector<DeviceBuffer<float>> keep_;  // keep_[l]: layer l's masks (hidden layers)
    std::vector<GemmMatrix> kept_;           // kept_[l]: a^(l+1) ⊙ keep, the next layer's input
};

}  // namespace nabla::cuda

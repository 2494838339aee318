#include "cuda/device_network.hpp"

#include <algorithm>

namespace nabla::cuda {

namespace {

// Scratch for the widest column sum of a pass: the per-sample {L_i, correct_i}, or a layer's d.
std::size_t scratch_size(const std::vector<LayerShape>& layers, std::size_t capacity) {
    std::size_t widest = 2;
    for (const LayerShape& s : layers) widest = std::max(widest, s.out);
    return column_sums_scratch(capacity, widest);
}

}  // namespace

DeviceNetwork::DeviceNetwork(const Network<float>& net, Precision precision, std::size_t capacity, const Stream& stream)
    : stream_(stream.get()),
      blas_(stream, precision),
      loss_(net.spec().loss),
      layers_(net.layers()),
      parameters_(net.parameters().size(), precision),
      gradient_(net.parameters().size()),
      input_(capacity * net.input_size(), precision),
      sample_stats_(2 * capacity),
      loss_and_correct_(2),
      scratch_(scratch_size(layers_, capacity)) {
    for (std::size_t l = 0; l < layers_.size(); ++l) {
        const bool output = l + 1 == layers_.size();  // a^F feeds no product: no bf16 copy
        a_.emplace_back(capacity * layers_[l].out, output ? Precision::fp32 : precision);
        d_.emplace_back(capacity * layers_[l].out, precision);
    }
    parameters_.upload(net.parameters(), stream_);
}

void DeviceNetwork::download(Network<float>& net) const { parameters_.values.download(net.parameters(), stream_); }

void DeviceNetwork::load_input(const float* x, std::size_t n) {
    input_.upload(std::span<const float>(x, n * layers_.front().in), stream_);
}

void DeviceNetwork::enable_dropout(const DropoutDraw& draw, const StepState* state) {
    if (draw.rate <= 0.0 || layers_.size() < 2) return;
    dropout_ = draw;
    state_ = state;
    const std::size_t capacity = input_.values.size() / layers_.front().in;
    for (std::size_t l = 0; l + 1 < layers_.size(); ++l) {
        keep_.emplace_back(capacity * layers_[l].out);
        kept_.emplace_back(capacity * layers_[l].out, a_[l].copy.size() ? Precision::bf16 : Precision::fp32);
    }
}

// core/network.cpp's dense_forward: Z = A^(l−1) (W^l)^T, then bias and σ in one kernel; in
// training with dropout, each hidden layer's masks after it, as core/network.cpp's forward.
void DeviceNetwork::forward(std::size_t n, bool training) {
    dropping_ = training && dropout_.has_value();
    for (std::size_t l = 0; l < layers_.size(); ++l) {
        const LayerShape& s = layers_[l];
        GemmMatrix& a = a_[l];
        blas_.gemm(false, true, n, s.out, s.in, 1.0f, layer_input(l).gemm_input(), s.in,
                   parameters_.gemm_input(s.w_offset), s.in, 0.0f, a.values.data(), s.out);
        add_bias_and_activate(stream_, s.activation, parameters_.values.data() + s.b_offset, a.values.data(), n, s.out,
                              a.copy_or_null());
        if (dropping_ && l + 1 < layers_.size()) {
            DropoutDraw draw = *dropout_;
            draw.layer = l;
            dropout(stream_, draw, state_, a.values.data(), n, s.out, keep_[l].data(), kept_[l].values.data(),
                    kept_[l].copy_or_null());
        }
    }
}

void DeviceNetwork::download_output(std::size_t n, float* out) const {
    a_.back().values.download(std::span<float>(out, n * layers_.back().out), stream_);
}

// core/network.cpp's backward_into and dense_backward: per layer, from the top,
// ∂L_T/∂W^l = (1/batch) D^T A^(l−1), ∂L_T/∂b^l = (1/batch) Σ_i d_i, and below it
// d^(l−1) = ((W^l)^T d^l) ⊙ σ'(z^(l−1)) as D W^l, then σ' from a^(l−1).
void DeviceNetwork::backward(const float* y, std::size_t n, std::size_t batch) {
    const LayerShape& top = layers_.back();
    GemmMatrix& d_top = d_.back();
    output_error(stream_, loss_, top.activation, a_.back().values.data(), y, n, top.out, d_top.values.data(),
                 d_top.copy_or_null(), sample_stats_.data());
    column_sums(stream_, sample_stats_.data(), n, 2, 1.0f, loss_and_correct_.data(), scratch_.data());

    const float mean = 1.0f / float(batch);
    float* gradient = gradient_.data();
    for (std::size_t l = layers_.size(); l-- > 0;) {
        const LayerShape& s = layers_[l];
        const GemmMatrix& d = d_[l];
        blas_.gemm(true, false, s.out, s.in, n, mean, d.gemm_input(), s.out, layer_input(l).gemm_input(), s.in, 0.0f,
                   gradient + s.w_offset, s.in);
        column_sums(stream_, d.values.data(), n, s.out, mean, gradient + s.b_offset, scratch_.data());
        if (l == 0) break;
        GemmMatrix& below = d_[l - 1];
        blas_.gemm(false, false, n, s.in, s.out, 1.0f, d.gemm_input(), s.out, parameters_.gemm_input(s.w_offset), s.in,
                   0.0f, below.values.data(), s.in);
        multiply_by_sigma_prime(stream_, layers_[l - 1].activation, a_[l - 1].values.data(),
                                dropping_ ? keep_[l - 1].data() : nullptr, below.values.data(), n * s.in,
                                below.copy_or_null());
    }
}

void DeviceNetwork::clear_gradient() {
    check(cudaMemsetAsync(gradient_.data(), 0, gradient_.size() * sizeof(float), stream_), "cudaMemsetAsync");
    check(cudaMemsetAsync(loss_and_correct_.data(), 0, loss_and_correct_.size() * sizeof(float), stream_),
          "cudaMemsetAsync");
}

}  // namespace nabla::cuda

/// @file
/// A fully-connected network and its two passes, in the notation of docs/backprop.md:
///   forward   z^l = W^l a^(l−1) + b^l,  a^l = σ(z^l)                       (l = 1 … F)
///   backward  d^F = ∇_a L ⊙ σ'(z^F),  d^l = ((W^(l+1))^T d^(l+1)) ⊙ σ'(z^l),
///             ∂L/∂W^l = d^l (a^(l−1))^T,  ∂L/∂b^l = d^l
/// computed for a mini-batch of n samples at once as matrix products. Samples are rows: the batch
/// A^l is an n × width matrix whose i-th row is the column vector a^l of sample i.
/// Templated on the scalar: float trains, double checks.
#pragma once

#include <cstddef>
#include <functional>
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include "nabla/activation.hpp"
#include "nabla/loss.hpp"
#include "nabla/rng.hpp"

namespace nabla {

/// How the weights W are initialised (biases start at 0).
enum class Init : std::uint8_t {
    automatic,  ///< He for ReLU-family hidden layers, Xavier otherwise
    xavier,     ///< Glorot uniform: U(±√(6 / (in + out)))
    he,         ///< He normal: N(0, 2 / in)
};

const char* init_name(Init init);  ///< "auto", "xavier" or "he"
Init parse_init(const std::string& name);  ///< accepts the names init_name gives; Error otherwise

/// What a network is, as plain data.
struct NetworkSpec {
    std::vector<std::size_t> layers;   ///< widths: input, hidden …, output (at least two)
    Activation hidden = Activation::relu;  ///< σ of every hidden layer
    std::optional<Activation> output;  ///< unset: follows the loss (default_output_activation)
    Loss loss = Loss::cross_entropy;  ///< the loss L training minimises
    Init init = Init::automatic;  ///< how the weights start

    /// σ of the output layer: `output` if set, else the one the loss implies.
    Activation output_activation() const { return output ? *output : default_output_activation(loss); }
    /// Throws Error on a zero-width layer, fewer than two widths, softmax on a hidden layer, or
    /// absurd sizes (more than 2^31 parameters).
    void validate() const;
    /// Floating-point operations of the matrix products per sample: 2·in·out for each layer's
    /// forward product; training adds as many for the weight gradient and, for every layer but the
    /// first, as many again for the error sent below. What `nabla bench` reports GFLOP/s of.
    double flops_per_sample(bool training) const;
};

/// Where layer l's parameters lie in the network's single parameter vector.
struct LayerShape {
    /// @{ widths of a^(l−1) and a^l
    std::size_t in = 0, out = 0;
    /// @}
    std::size_t w_offset = 0;          ///< W^l: out × in, row-major (W[j·in + k] = w_jk)
    std::size_t b_offset = 0;          ///< b^l: out
    Activation activation = Activation::identity;  ///< σ of the layer
};

/// A fully-connected network: its spec, layer shapes and parameters θ (T: float or double).
template <class T>
class Network {
public:
    /// Validates the spec and initialises W from Rng(seed); biases start at 0.
    Network(NetworkSpec spec, std::uint64_t seed);
    /// A network with given parameters (loading a model): params.size() must match the spec.
    Network(NetworkSpec spec, std::vector<T> params);

    const NetworkSpec& spec() const { return spec_; }  ///< what the network is
    std::size_t depth() const { return shapes_.size(); }  ///< F, the number of weight layers
    std::size_t input_size() const { return spec_.layers.front(); }  ///< width of the input a^0
    std::size_t output_size() const { return spec_.layers.back(); }  ///< width of the output a^F
    std::size_t max_width() const;  ///< the widest layer, input included
    const LayerShape& layer(std::size_t l) const { return shapes_[l]; }  ///< l = 0 … F−1
    const std::vector<LayerShape>& layers() const { return shapes_; }  ///< the shapes of layers 0 … F−1

    /// All parameters in one contiguous vector W^1, b^1, W^2, b^2, …; gradients share its layout.
    std::span<T> parameters() { return params_; }
    std::span<const T> parameters() const { return params_; }  ///< θ, read-only
    T* W(std::size_t l) { return params_.data() + shapes_[l].w_offset; }  ///< W^(l+1) of layer l (out × in, row-major)
    const T* W(std::size_t l) const { return params_.data() + shapes_[l].w_offset; }  ///< W^(l+1) of layer l, read-only
    T* b(std::size_t l) { return params_.data() + shapes_[l].b_offset; }  ///< b^(l+1) of layer l
    const T* b(std::size_t l) const { return params_.data() + shapes_[l].b_offset; }  ///< b^(l+1) of layer l, read-only

    /// The same network in another scalar type (e.g. a trained float model checked in double).
    template <class U>
    Network<U> cast() const {
        return Network<U>(spec_, std::vector<U>(params_.begin(), params_.end()));
    }

private:
    NetworkSpec spec_;
    std::vector<LayerShape> shapes_;
    std::vector<T> params_;
};

/// Inverted dropout on hidden layers during training: each hidden unit is kept with probability
/// 1 − rate and scaled by 1 / (1 − rate), so inference needs no change.
///
/// A sample's masks are a function of (key, step, the sample's number, layer) alone: they do not
/// depend on where the sample sits in its batch, on how many processes share the batch, or on where
/// a run was resumed, so all of these train the same model.
struct Dropout {
    double rate = 0.0;                      ///< the probability of dropping a unit, in [0, 1); 0: no dropout
    std::uint64_t key = 0;                  ///< the run's dropout key (from its seed)
    std::uint64_t step = 0;                 ///< the training step: each step draws fresh masks
    const std::size_t* samples = nullptr;   ///< row i's sample number, for each of the n rows (null: no dropout)

    /// The random source of row `row`'s mask in layer `layer` (0-based).
    Rng mask_source(std::size_t row, std::size_t layer) const { return source(key, step, samples[row], layer); }

    /// The random source of sample `sample`'s mask in `layer` at `step` of the run keyed `key`.
    static constexpr Rng source(std::uint64_t key, std::uint64_t step, std::uint64_t sample, std::uint64_t layer) {
        return Rng(key ^ (step * 0x9e3779b97f4a7c15ULL) ^ ((sample + 1) * 0xbf58476d1ce4e5b9ULL) ^
                   ((layer + 1) * 0x94d049bb133111ebULL));
    }

    /// One sample's mask in one layer from its random source: keep[j] = 0 (unit j dropped) or
    /// `scale`, for its `width` units in order. Each 64-bit draw decides four units by 16 bits each,
    /// a unit being dropped when its bits are below rate · 2^16 (rounded): the rate holds to within
    /// 2^-17, at a quarter of the draws of one per unit. The CPU and the CUDA kernels both draw so.
    template <class T>
    static constexpr void draw_mask(Rng source, double rate, T scale, T* keep, std::size_t width) {
        const std::uint64_t threshold = std::uint64_t(rate * 65536.0 + 0.5);
        std::uint64_t bits = 0;
        for (std::size_t j = 0; j < width; ++j) {
            if (j % 4 == 0) bits = source.next();
            keep[j] = (bits & 0xffff) < threshold ? T(0) : scale;
            bits >>= 16;
        }
    }
};

/// Buffers of one pass, sized for up to `capacity` samples; growing is the only allocation, so a
/// training loop with a fixed batch size allocates nothing after its first step.
template <class T>
struct Workspace {
    std::size_t capacity = 0;  ///< samples the buffers have room for
    std::size_t n = 0;                  ///< samples in the current batch
    const T* input = nullptr;           ///< a^0 of the current batch (not owned)
    std::vector<std::vector<T>> a;      ///< a[l]: σ(z^(l+1)) for layer l, n × out
    std::vector<std::vector<T>> d;      ///< d[l]: the error d of layer l, n × out
    std::vector<std::vector<T>> keep;   ///< dropout: 0 or 1/(1−rate) per hidden unit (empty if off)
    std::vector<std::vector<T>> kept;   ///< dropout: a ⊙ keep, the input of the next layer

    /// Grows the buffers to hold `samples` samples of net (and dropout masks when asked).
    void reserve(const Network<T>& net, std::size_t samples, bool dropout);
    /// The input of layer l (a^(l−1)): the batch input, or the previous layer's (dropped) output.
    const T* layer_input(std::size_t l) const;
};

/// Forward pass over n samples (rows of x, n × inputs). Returns a^F (n × outputs), valid until the
/// workspace is used again.
template <class T>
const T* forward(const Network<T>& net, const T* x, std::size_t n, Workspace<T>& ws,
                 const Dropout& dropout = {});

/// Backward pass after forward(): fills grads (the parameters' layout) with ∇L_T, the mean of the
/// per-sample gradients over the batch, and returns L_T, the mean loss. y is n × outputs. When L_T
/// is not finite (divergence) it returns at once and writes nothing.
template <class T>
T backward(const Network<T>& net, const T* y, Workspace<T>& ws, std::span<std::type_identity_t<T>> grads);

/// The same backward pass, calling layer_done(l) as soon as layer l's part of grads (∂L_T/∂W^l and
/// ∂L_T/∂b^l: parameters layer(l).w_offset up to layer(l).b_offset + layer(l).out) is final, from
/// the top layer down, so that a caller can send it on while the layers below are computed. When
/// L_T is not finite nothing is written and no layer is reported.
template <class T>
T backward(const Network<T>& net, const T* y, Workspace<T>& ws, std::span<std::type_identity_t<T>> grads,
           const std::function<void(std::size_t)>& layer_done);

/// The same backward pass, applying the gradient-descent step θ ← θ − η (∂L_T/∂θ + λθ)
/// (λ on weights only) to each layer as soon as its error is known, so the gradient is never stored:
/// half the memory traffic of backward() + an SGD step, which is what bounds small batches.
template <class T>
T backward_descend(Network<T>& net, const T* y, Workspace<T>& ws, double lr, double weight_decay = 0.0);

/// Sum over the batch of the per-sample losses L_i, given a^F (for evaluation without gradients).
template <class T>
T loss_sum(Loss loss, const T* a, const T* y, std::size_t n, std::size_t k);

extern template class Network<float>;
extern template class Network<double>;

}  // namespace nabla

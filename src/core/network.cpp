// The network and its forward and backward passes: the backpropagation equations
// of docs/backprop.md, batched.
#include "nabla/network.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/loss_math.hpp"
#include "cpu/blas.hpp"
#include "cpu/elementwise.hpp"
#include "nabla/error.hpp"

namespace nabla {

const char* init_name(Init init) {
    switch (init) {
        case Init::automatic: return "auto";
        case Init::xavier: return "xavier";
        case Init::he: return "he";
    }
    return "unknown";
}

Init parse_init(const std::string& name) {
    if (name == "auto") return Init::automatic;
    if (name == "xavier" || name == "glorot") return Init::xavier;
    if (name == "he") return Init::he;
    throw Error("unknown initializer '" + name + "' (expected auto, xavier or he)");
}

double NetworkSpec::flops_per_sample(bool training) const {
    double flops = 0;
    for (std::size_t l = 0; l + 1 < layers.size(); ++l) {
        const double mac = double(layers[l]) * double(layers[l + 1]);
        flops += 2 * mac;
        if (training) flops += 2 * mac + (l > 0 ? 2 * mac : 0);
    }
    return flops;
}

void NetworkSpec::validate() const {
    if (layers.size() < 2)
        throw Error("a network needs at least two layer widths (inputs and outputs), got " +
                    std::to_string(layers.size()));
    constexpr std::size_t max_parameters = std::size_t(1) << 31;
    std::size_t parameters = 0;
    for (std::size_t l = 0; l < layers.size(); ++l) {
        if (layers[l] == 0) throw Error("layer " + std::to_string(l) + " has width 0");
        if (layers[l] > max_parameters) throw Error("layer " + std::to_string(l) + " width is absurd");
        if (l > 0) parameters += layers[l] * (layers[l - 1] + 1);
        if (parameters > max_parameters)
            throw Error("network has more than 2^31 parameters: too large");
    }
    if (hidden == Activation::softmax && layers.size() > 2)
        throw Error("softmax can only be the output activation, not a hidden one");
}

namespace {

std::vector<LayerShape> layout(const NetworkSpec& spec) {
    std::vector<LayerShape> shapes;
    std::size_t offset = 0;
    for (std::size_t l = 1; l < spec.layers.size(); ++l) {
        LayerShape s;
        s.in = spec.layers[l - 1];
        s.out = spec.layers[l];
        s.w_offset = offset;
        s.b_offset = offset + s.in * s.out;
        offset = s.b_offset + s.out;
        s.activation = l + 1 == spec.layers.size() ? spec.output_activation() : spec.hidden;
        shapes.push_back(s);
    }
    return shapes;
}

std::size_t parameter_count(const std::vector<LayerShape>& shapes) {
    return shapes.empty() ? 0 : shapes.back().b_offset + shapes.back().out;
}

bool relu_family(Activation a) { return a == Activation::relu || a == Activation::leaky_relu; }

}  // namespace

template <class T>
Network<T>::Network(NetworkSpec spec, std::uint64_t seed) : spec_(std::move(spec)) {
    spec_.validate();
    shapes_ = layout(spec_);
    params_.assign(parameter_count(shapes_), T(0));
    Rng rng(seed);
    for (std::size_t l = 0; l < shapes_.size(); ++l) {
        const LayerShape& s = shapes_[l];
        Init init = spec_.init;
        if (init == Init::automatic) init = relu_family(spec_.hidden) ? Init::he : Init::xavier;
        T* w = W(l);
        if (init == Init::he) {
            const double stddev = std::sqrt(2.0 / double(s.in));
            for (std::size_t i = 0; i < s.in * s.out; ++i) w[i] = T(stddev * rng.normal());
        } else {
            const double limit = std::sqrt(6.0 / double(s.in + s.out));
            for (std::size_t i = 0; i < s.in * s.out; ++i) w[i] = T(rng.uniform(-limit, limit));
        }
    }
}

template <class T>
Network<T>::Network(NetworkSpec spec, std::vector<T> params) : spec_(std::move(spec)) {
    spec_.validate();
    shapes_ = layout(spec_);
    if (params.size() != parameter_count(shapes_))
        throw Error("network needs " + std::to_string(parameter_count(shapes_)) + " parameters, got " +
                    std::to_string(params.size()));
    params_ = std::move(params);
}

template <class T>
std::size_t Network<T>::max_width() const {
    return *std::max_element(spec_.layers.begin(), spec_.layers.end());
}

template <class T>
void Workspace<T>::reserve(const Network<T>& net, std::size_t samples, bool dropout) {
    const std::size_t F = net.depth();
    const bool grow = samples > capacity || a.size() != F || (dropout && keep.size() != F - 1);
    if (!grow) return;
    capacity = std::max(capacity, samples);
    a.resize(F);
    d.resize(F);
    for (std::size_t l = 0; l < F; ++l) {
        a[l].resize(capacity * net.layer(l).out);
        d[l].resize(capacity * net.layer(l).out);
    }
    if (dropout) {
        keep.resize(F - 1);
        kept.resize(F - 1);
        for (std::size_t l = 0; l + 1 < F; ++l) {
            keep[l].resize(capacity * net.layer(l).out);
            kept[l].resize(capacity * net.layer(l).out);
        }
    }
}

template <class T>
const T* Workspace<T>::layer_input(std::size_t l) const {
    if (l == 0) return input;
    return keep.empty() ? a[l - 1].data() : kept[l - 1].data();
}

// z^l = W^l a^(l−1) + b^l, a^l = σ(z^l) for n samples: Z = A^(l−1) (W^l)^T, then bias and σ fused.
template <class T>
static void dense_forward(const Network<T>& net, std::size_t l, const T* a_prev, std::size_t n, T* a) {
    const LayerShape& s = net.layer(l);
    cpu::gemm(false, true, n, s.out, s.in, T(1), a_prev, s.in, net.W(l), s.in, T(0), a, s.out);
    cpu::add_bias_and_activate(s.activation, net.b(l), a, n, s.out);
}

// Where a backward pass puts ∂L_T/∂θ: out ← keep · out + scale · ∂L_T/∂θ. Into a gradient buffer
// (scale 1, keep 0), or straight into the parameters as the gradient-descent step
// θ ← (1 − ηλ) θ − η ∂L_T/∂θ (scale −η, keep 1 − ηλ on weights, 1 on biases).
template <class T>
struct GradientSink {
    T* out;
    T scale;
    T keep_weights;
    T keep_biases;
};

// Given the error d^l of n samples, the back-propagated (W^l)^T d^l = D W^l (if d_prev), which the
// caller multiplies by σ'(z^(l−1)), and then ∂L_T/∂W^l = (1/n) Σ_i d^l_i (a^(l−1)_i)^T = (1/n) D^T A
// and ∂L_T/∂b^l = (1/n) Σ_i d^l_i into the sink. D W^l comes first: a descent sink changes W^l.
template <class T>
static void dense_backward(const Network<T>& net, std::size_t l, const T* d, const T* a_prev, std::size_t n,
                           const GradientSink<T>& sink, T* d_prev) {
    const LayerShape& s = net.layer(l);
    if (d_prev) cpu::gemm(false, false, n, s.in, s.out, T(1), d, s.out, net.W(l), s.in, T(0), d_prev, s.in);
    const T alpha = sink.scale / T(n);
    cpu::gemm(true, false, s.out, s.in, n, alpha, d, s.out, a_prev, s.in, sink.keep_weights, sink.out + s.w_offset, s.in);
    cpu::column_sums(d, n, s.out, alpha, sink.keep_biases, sink.out + s.b_offset);
}

// Rows [first, end) of layer `layer`'s dropout masks, each as Dropout::draw_mask draws it from the
// row's own random source, and kept = a ⊙ keep. Eight rows' xoshiro256** generators step side by
// side (a loop the compiler vectorises); their 64-bit draws are then read as the 16-bit pieces
// draw_mask takes in turn, lowest first, which on a little-endian machine is memory order.
template <class T>
static void draw_masks(const Dropout& dropout, std::size_t layer, T scale, std::size_t first, std::size_t end,
                       std::size_t width, T* keep, const T* a, T* kept) {
    constexpr std::size_t lanes = 8, chunk = 64;  // rows side by side; 64-bit draws per row at a time
    const auto threshold = std::uint32_t(dropout.rate * 65536.0 + 0.5);  // as draw_mask's
    std::size_t i = first;
    if constexpr (std::endian::native == std::endian::little) {
        const std::size_t draws = (width + 3) / 4;
        alignas(64) std::uint64_t s0[lanes], s1[lanes], s2[lanes], s3[lanes], words[chunk][lanes];
        alignas(64) std::uint16_t pieces[chunk * 4];
        for (; i + lanes <= end; i += lanes) {
            for (std::size_t r = 0; r < lanes; ++r) {
                const std::array<std::uint64_t, 4> s = dropout.mask_source(i + r, layer).state();
                s0[r] = s[0], s1[r] = s[1], s2[r] = s[2], s3[r] = s[3];
            }
            for (std::size_t w0 = 0; w0 < draws; w0 += chunk) {
                const std::size_t count = std::min(chunk, draws - w0);
                for (std::size_t w = 0; w < count; ++w)
                    for (std::size_t r = 0; r < lanes; ++r) {  // Rng::next, lane by lane
                        const std::uint64_t x = s1[r] * 5, t = s1[r] << 17;
                        words[w][r] = ((x << 7) | (x >> 57)) * 9;
                        s2[r] ^= s0[r];
                        s3[r] ^= s1[r];
                        s1[r] ^= s2[r];
                        s0[r] ^= s3[r];
                        s2[r] ^= t;
                        s3[r] = (s3[r] << 45) | (s3[r] >> 19);
                    }
                const std::size_t units = std::min(width - 4 * w0, 4 * count);
                for (std::size_t r = 0; r < lanes; ++r) {
                    for (std::size_t w = 0; w < count; ++w) std::memcpy(pieces + 4 * w, &words[w][r], 8);
                    T* row = keep + (i + r) * width + 4 * w0;
                    for (std::size_t j = 0; j < units; ++j) row[j] = std::uint32_t(pieces[j]) < threshold ? T(0) : scale;
                }
            }
        }
    }
    for (; i < end; ++i) Dropout::draw_mask(dropout.mask_source(i, layer), dropout.rate, scale, keep + i * width, width);
    cpu::multiply(a + first * width, keep + first * width, kept + first * width, (end - first) * width);
}

template <class T>
const T* forward(const Network<T>& net, const T* x, std::size_t n, Workspace<T>& ws, const Dropout& dropout) {
    const bool drop = dropout.rate > 0.0 && dropout.samples != nullptr && net.depth() > 1;
    if (dropout.rate < 0.0 || dropout.rate >= 1.0) throw Error("dropout rate must be in [0, 1)");
    ws.reserve(net, n, drop);
    if (!drop) {
        ws.keep.clear();
        ws.kept.clear();
    }
    ws.n = n;
    ws.input = x;
    for (std::size_t l = 0; l < net.depth(); ++l) {
        T* a = ws.a[l].data();
        dense_forward(net, l, ws.layer_input(l), n, a);
        if (drop && l + 1 < net.depth()) {
            const std::size_t width = net.layer(l).out;
            const T scale = T(1.0 / (1.0 - dropout.rate));
            // Each row's mask comes from its own source: the same bits whichever thread draws it.
            cpu::for_blocks(n, n * width, [&](std::size_t first, std::size_t end) {
                draw_masks(dropout, l, scale, first, end, width, ws.keep[l].data(), a, ws.kept[l].data());
            });
        }
    }
    return ws.a.back().data();
}

// The backward pass: d^F, then d^l layer by layer downwards, each layer's ∂L_T/∂θ into the sink.
// Returns L_T; when it is not finite, nothing is written (a diverged step never reaches θ).
template <class T>
static T backward_into(const Network<T>& net, const T* y, Workspace<T>& ws, const GradientSink<T>& sink,
                       const std::function<void(std::size_t)>& layer_done = {}) {
    const std::size_t n = ws.n;
    const std::size_t F = net.depth();
    const std::size_t k = net.output_size();
    const Activation output = net.layer(F - 1).activation;

    // d^F = ∇_a L ⊙ σ'(z^F), per sample; L_T = (1/n) Σ L_i.
    T loss = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const T* a = ws.a[F - 1].data() + i * k;
        loss += math::sample_loss(net.spec().loss, a, y + i * k, k);
        math::sample_output_error(net.spec().loss, output, a, y + i * k, k, ws.d[F - 1].data() + i * k);
    }
    loss /= T(n);
    if (!std::isfinite(loss)) return loss;

    for (std::size_t l = F; l-- > 0;) {
        T* d_prev = l > 0 ? ws.d[l - 1].data() : nullptr;
        dense_backward(net, l, ws.d[l].data(), ws.layer_input(l), n, sink, d_prev);
        if (layer_done) layer_done(l);
        if (!d_prev) continue;
        // d^(l−1) = ((W^l)^T d^l) ⊙ σ'(z^(l−1)), times the dropout mask where units were dropped.
        const std::size_t count = n * net.layer(l).in;
        if (!ws.keep.empty()) cpu::multiply(d_prev, ws.keep[l - 1].data(), d_prev, count);
        cpu::multiply_by_sigma_prime(net.layer(l - 1).activation, ws.a[l - 1].data(), d_prev, count);
    }
    return loss;
}

template <class T>
T backward(const Network<T>& net, const T* y, Workspace<T>& ws, std::span<std::type_identity_t<T>> grads) {
    return backward(net, y, ws, grads, {});
}

template <class T>
T backward(const Network<T>& net, const T* y, Workspace<T>& ws, std::span<std::type_identity_t<T>> grads,
           const std::function<void(std::size_t)>& layer_done) {
    if (grads.size() != net.parameters().size()) throw Error("gradient buffer does not match the network");
    return backward_into(net, y, ws, GradientSink<T>{grads.data(), T(1), T(0), T(0)}, layer_done);
}

template <class T>
T backward_descend(Network<T>& net, const T* y, Workspace<T>& ws, double lr, double weight_decay) {
    const T eta = T(lr);
    return backward_into(net, y, ws, GradientSink<T>{net.parameters().data(), -eta, T(1 - lr * weight_decay), T(1)});
}

template <class T>
T loss_sum(Loss loss, const T* a, const T* y, std::size_t n, std::size_t k) {
    T sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += math::sample_loss(loss, a + i * k, y + i * k, k);
    return sum;
}

#define NABLA_INSTANTIATE(T)                                                                         \
    template class Network<T>;                                                                       \
    template struct Workspace<T>;                                                                    \
    template const T* forward(const Network<T>&, const T*, std::size_t, Workspace<T>&, const Dropout&); \
    template T backward(const Network<T>&, const T*, Workspace<T>&, std::span<std::type_identity_t<T>>);                   \
    template T backward(const Network<T>&, const T*, Workspace<T>&, std::span<std::type_identity_t<T>>,                    \
                        const std::function<void(std::size_t)>&);                                                       \
    template T backward_descend(Network<T>&, const T*, Workspace<T>&, double, double);               \
    template T loss_sum(Loss, const T*, const T*, std::size_t, std::size_t);
NABLA_INSTANTIATE(float)
NABLA_INSTANTIATE(double)
#undef NABLA_INSTANTIATE

}  // namespace nabla

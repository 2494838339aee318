#include "cuda/kernels.hpp"

#include <algorithm>

#include "core/divergence.hpp"
#include "core/loss_math.hpp"
#include "cuda/runtime.hpp"
#include "nabla/network.hpp"

namespace nabla::cuda {

namespace {

constexpr unsigned block_size = 256;

unsigned blocks_for(std::size_t count) { return unsigned((count + block_size - 1) / block_size); }

// Kernel launches report a bad configuration only through the next error query.
void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

__device__ std::size_t thread_index() { return std::size_t(blockIdx.x) * blockDim.x + threadIdx.x; }

__device__ std::size_t thread_count() { return std::size_t(gridDim.x) * blockDim.x; }

__device__ void write_copy(bf16* copy, std::size_t i, float value) {
    if (copy) copy[i] = __float2bfloat16_rn(value);
}

// One block per sample: its threads copy the row's columns.
__global__ void gather_rows_kernel(const float* rows, std::size_t cols, const std::uint32_t* order,
                                   const StepState* state, std::size_t batch, float* x, bf16* x_copy) {
    const std::size_t i = blockIdx.x;
    const float* row = rows + std::size_t(order[state->step * batch + i]) * cols;
    for (std::size_t c = threadIdx.x; c < cols; c += blockDim.x) {
        x[i * cols + c] = row[c];
        write_copy(x_copy, i * cols + c, row[c]);
    }
}

// Index: 32-bit where the matrix has fewer than 2^32 elements (every practical layer), since the
// column j = i % k is a 64-bit division otherwise, the kernel's most expensive instruction.
template <class Index>
__global__ void add_bias_and_activate_kernel(Activation activation, const float* b, float* z, Index count, Index k,
                                             bf16* a_copy) {
    const Index i = Index(blockIdx.x) * Index(blockDim.x) + Index(threadIdx.x);
    if (i >= count) return;
    const float a = math::sigma(activation, z[i] + b[i % k]);
    z[i] = a;
    write_copy(a_copy, i, a);
}

// Softmax and the output error need a whole row, and run the CPU's per-row functions on it: one
// thread per row. Reading rows straight from global memory, neighbouring threads would be k floats
// apart, so a block of threads instead stages its rows through shared memory, copied in and out by
// consecutive threads at consecutive addresses (coalesced). A staged row is `stride` floats apart,
// k rounded up to odd so that the threads of a warp reach 32 different banks. Rows too long to
// stage (stride 0) are read in place.
struct RowStage {
    unsigned rows = 0;    // rows a block takes (its threads)
    unsigned stride = 0;  // floats between staged rows; 0: not staged
    std::size_t bytes = 0;  // the block's shared memory
};

// A block's staging for rows of k values, `arrays` matrices of them at once.
RowStage row_stage(std::size_t k, unsigned arrays) {
    constexpr std::size_t shared_bytes = 48 * 1024;  // what any kernel may use without opting in
    const std::size_t stride = k | 1;
    const std::size_t fit = shared_bytes / (arrays * stride * sizeof(float));
    if (fit == 0) return {block_size, 0, 0};
    const unsigned rows = unsigned(std::min<std::size_t>(block_size, fit));
    return {rows, unsigned(stride), std::size_t(rows) * arrays * stride * sizeof(float)};
}

// Copies the block's rows [first, first + here) of m (k columns) into stage, plus `add` (a row
// vector) if given, coalesced.
__device__ void stage_in(const float* m, std::size_t first, unsigned here, unsigned k, unsigned stride,
                         const float* add, float* stage) {
    for (unsigned e = threadIdx.x; e < here * k; e += blockDim.x) {
        const unsigned r = e / k, j = e - r * k;
        const float v = m[first * k + e];
        stage[r * stride + j] = add ? v + add[j] : v;
    }
}

// The reverse: staged rows back into m, and into its bf16 copy.
__device__ void stage_out(const float* stage, std::size_t first, unsigned here, unsigned k, unsigned stride, float* m,
                          bf16* copy) {
    for (unsigned e = threadIdx.x; e < here * k; e += blockDim.x) {
        const unsigned r = e / k, j = e - r * k;
        const float v = stage[r * stride + j];
        m[first * k + e] = v;
        write_copy(copy, first * k + e, v);
    }
}

__global__ void add_bias_and_softmax_kernel(const float* b, float* z, std::size_t n, unsigned k, unsigned stride,
                                            bf16* a_copy) {
    extern __shared__ float stage[];
    const std::size_t first = std::size_t(blockIdx.x) * blockDim.x;
    const unsigned here = unsigned(n - first < blockDim.x ? n - first : blockDim.x);
    if (stride == 0) {  // in place: z^F + b, then softmax
        if (threadIdx.x >= here) return;
        float* row = z + (first + threadIdx.x) * k;
        for (unsigned j = 0; j < k; ++j) row[j] += b[j];
        math::softmax_row(row, k);
        for (unsigned j = 0; j < k; ++j) write_copy(a_copy, (first + threadIdx.x) * k + j, row[j]);
        return;
    }
    stage_in(z, first, here, k, stride, b, stage);
    __syncthreads();
    if (threadIdx.x < here) math::softmax_row(stage + threadIdx.x * stride, k);
    __syncthreads();
    stage_out(stage, first, here, k, stride, z, a_copy);
}

// Like the CPU's loop over rows in backward_into: d^F, L_i and whether row i is classified right.
__global__ void output_error_kernel(Loss loss, Activation output, const float* a, const float* y, std::size_t n,
                                    unsigned k, unsigned stride, float* d, bf16* d_copy, float* stats) {
    extern __shared__ float stage[];
    const std::size_t first = std::size_t(blockIdx.x) * blockDim.x;
    const unsigned here = unsigned(n - first < blockDim.x ? n - first : blockDim.x);
    const std::size_t i = first + threadIdx.x;
    const float *a_i = a + i * k, *y_i = y + i * k;
    float* d_i = d + i * k;
    if (stride != 0) {
        float* staged_a = stage;
        float* staged_y = stage + blockDim.x * stride;
        float* staged_d = staged_y + blockDim.x * stride;
        stage_in(a, first, here, k, stride, nullptr, staged_a);
        stage_in(y, first, here, k, stride, nullptr, staged_y);
        __syncthreads();
        a_i = staged_a + threadIdx.x * stride;
        y_i = staged_y + threadIdx.x * stride;
        d_i = staged_d + threadIdx.x * stride;
    }
    if (threadIdx.x < here) {
        math::sample_output_error(loss, output, a_i, y_i, k, d_i);
        stats[2 * i] = math::sample_loss(loss, a_i, y_i, k);
        stats[2 * i + 1] = math::predicted_class(a_i, k) == math::predicted_class(y_i, k) ? 1.0f : 0.0f;
        if (stride == 0)
            for (unsigned j = 0; j < k; ++j) write_copy(d_copy, i * k + j, d_i[j]);
    }
    if (stride == 0) return;
    __syncthreads();
    stage_out(stage + 2 * blockDim.x * stride, first, here, k, stride, d, d_copy);
}

__global__ void multiply_by_sigma_prime_kernel(Activation activation, const float* a, const float* keep, float* d,
                                               std::size_t count, bf16* d_copy) {
    const std::size_t i = thread_index();
    if (i >= count) return;
    if (keep) d[i] *= keep[i];  // as core/network.cpp: the mask first, then σ', each rounded
    d[i] *= math::sigma_prime_from_output(activation, a[i]);
    write_copy(d_copy, i, d[i]);
}

// One thread per sample: its units' masks in order from its own random source, as the CPU draws them.
__global__ void dropout_kernel(DropoutDraw draw, const StepState* state, const float* a, std::size_t n,
                               std::size_t width, float* keep, float* kept, bf16* kept_copy) {
    const std::size_t i = thread_index();
    if (i >= n) return;
    const std::uint64_t sample = draw.first + draw.order[state->step * draw.batch + i];
    const Rng source = Dropout::source(state->dropout_key, state->run_step, sample, draw.layer);
    Dropout::draw_mask(source, draw.rate, float(1.0 / (1.0 - draw.rate)), keep + i * width, width);
    for (std::size_t j = i * width; j < (i + 1) * width; ++j) {
        kept[j] = a[j] * keep[j];
        write_copy(kept_copy, j, kept[j]);
    }
}

__global__ void squares_kernel(const float* g, std::size_t count, float* squares) {
    const std::size_t i = thread_index();
    if (i < count) squares[i] = g[i] * g[i];
}

__global__ void to_bf16_kernel(const float* x, bf16* copy, std::size_t count) {
    const std::size_t i = thread_index();
    if (i < count) copy[i] = __float2bfloat16_rn(x[i]);
}

// Column sums in two passes without atomics, so that the order of the additions is fixed: each
// block sums one chunk of rows for 32 columns (lane r of 8 takes rows r, r + 8, …, then the lanes
// are added in order), and a second kernel adds the chunks' sums in order.
constexpr unsigned sum_columns = 32, sum_lanes = 8;

std::size_t sum_chunks(std::size_t n) { return std::min<std::size_t>(256, (n + 63) / 64); }

__global__ void chunk_column_sums_kernel(const float* m, std::size_t n, std::size_t k, std::size_t rows_per_chunk,
                                         float* chunk_sums) {
    __shared__ float lane_sums[sum_lanes][sum_columns];
    const std::size_t j = std::size_t(blockIdx.x) * sum_columns + threadIdx.x;
    const std::size_t first = std::size_t(blockIdx.y) * rows_per_chunk;
    const std::size_t end = first + rows_per_chunk < n ? first + rows_per_chunk : n;
    float sum = 0;
    if (j < k)
        for (std::size_t i = first + threadIdx.y; i < end; i += sum_lanes) sum += m[i * k + j];
    lane_sums[threadIdx.y][threadIdx.x] = sum;
    __syncthreads();
    if (threadIdx.y != 0 || j >= k) return;
    for (unsigned lane = 1; lane < sum_lanes; ++lane) sum += lane_sums[lane][threadIdx.x];
    chunk_sums[blockIdx.y * k + j] = sum;
}

__global__ void total_column_sums_kernel(const float* chunk_sums, std::size_t chunks, std::size_t k, float alpha,
                                         float* out) {
    const std::size_t j = thread_index();
    if (j >= k) return;
    float sum = 0;
    for (std::size_t c = 0; c < chunks; ++c) sum += chunk_sums[c * k + j];
    out[j] = alpha * sum;
}

// The parameters are W^1, b^1, W^2, b^2, …: i is a bias when it lies in the first layer's range
// of biases that does not end before it.
__device__ bool is_bias(std::size_t i, const BiasRange* biases, std::size_t layers) {
    for (std::size_t l = 0; l < layers; ++l)
        if (i < biases[l].end) return i >= biases[l].begin;
    return false;
}

// Adam's bias corrections for the coming update, t = optimizer_steps + 1: 1 / (1 − β1^t) and
// 1 / (1 − β2^t), as src/train/optimizer.cpp computes them (pow in double, then float). One thread
// once a step, so that the update's threads read two floats instead of each taking two pows. It
// runs on the device because the step count is there: a step graph replays without the host.
__global__ void bias_corrections_kernel(double beta1, double beta2, const StepState* state, float* corrections) {
    const double t = double(state->optimizer_steps + 1);
    corrections[0] = 1.0f / float(1 - pow(beta1, t));
    corrections[1] = 1.0f / float(1 - pow(beta2, t));
}

// src/train/optimizer.cpp's update, element for element, in the same float arithmetic; clipping
// as clip_to_norm scales the gradient (the norm in double, the scale in float).
__global__ void update_parameters_kernel(OptimizerSpec spec, const BiasRange* biases, std::size_t layers,
                                         std::size_t count, float* theta, bf16* theta_copy, const float* g, float* m,
                                         float* v, const float* learning_rates, StepState* state,
                                         const float* loss_sum, const float* corrections, const float* squared_norm,
                                         double clip_norm) {
    if (!isfinite(*loss_sum) || state->stopped) return;
    float scale = 1.0f;
    if (squared_norm) {
        const double norm = sqrt(double(*squared_norm));
        if (norm > clip_norm) scale = float(clip_norm / norm);
    }
    const float eta = learning_rates[state->step];
    const float mu = float(spec.momentum);
    const float b1 = float(spec.beta1), b2 = float(spec.beta2), eps = float(spec.epsilon);
    const bool adam = spec.kind == OptimizerKind::adam || spec.kind == OptimizerKind::adamw;
    const float correction1 = adam ? corrections[0] : 1.0f, correction2 = adam ? corrections[1] : 1.0f;
    const bool decoupled = spec.kind == OptimizerKind::adamw;
    const float decay = float(spec.weight_decay);
    bool finite = true;
    for (std::size_t i = thread_index(); i < count; i += thread_count()) {
        // Without weight decay, no element needs to know whether it is a bias.
        const float lambda = decay == 0.0f || is_bias(i, biases, layers) ? 0.0f : decay;
        const float gs = squared_norm ? g[i] * scale : g[i];
        switch (spec.kind) {
            case OptimizerKind::sgd: theta[i] -= eta * (gs + lambda * theta[i]); break;
            case OptimizerKind::momentum: {
                const float gi = gs + lambda * theta[i];
                m[i] = mu * m[i] + gi;
                theta[i] -= eta * (spec.nesterov ? gi + mu * m[i] : m[i]);
                break;
            }
            case OptimizerKind::adam:
            case OptimizerKind::adamw: {
                const float gi = decoupled ? gs : gs + lambda * theta[i];
                m[i] = b1 * m[i] + (1.0f - b1) * gi;
                v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
                const float adam_step = (m[i] * correction1) / (sqrtf(v[i] * correction2) + eps);
                theta[i] -= eta * (adam_step + (decoupled ? lambda * theta[i] : 0.0f));
                break;
            }
        }
        finite = finite && isfinite(theta[i]);
        write_copy(theta_copy, i, theta[i]);
    }
    if (!finite) state->weights_not_finite = 1;  // any thread's store of the same value
}

__global__ void finish_step_kernel(StepState* state, const float* loss_and_correct, std::size_t n,
                                   StepRecord* records) {
    const float loss = loss_and_correct[0] / float(n);
    StepVerdict verdict = StepVerdict::stop;
    if (!state->stopped) {
        verdict = judge_step(isfinite(loss), !state->weights_not_finite, state->skip_batches != 0,
                             state->skipped_in_a_row);
        if (verdict == StepVerdict::update) ++state->optimizer_steps;
        if (verdict == StepVerdict::stop) state->stopped = 1;
    }
    records[state->step] = {loss, loss_and_correct[1], std::uint32_t(verdict)};
    ++state->step;
    ++state->run_step;
}

}  // namespace

cudaError_t kernels_load() {
    cudaFuncAttributes attributes;
    return cudaFuncGetAttributes(&attributes, finish_step_kernel);
}

void gather_rows(cudaStream_t stream, const float* rows, std::size_t cols, const std::uint32_t* order,
                 const StepState* state, std::size_t batch, std::size_t n, float* x, bf16* x_copy) {
    const unsigned threads = unsigned(std::min<std::size_t>(block_size, (cols + 31) / 32 * 32));
    gather_rows_kernel<<<unsigned(n), threads, 0, stream>>>(rows, cols, order, state, batch, x, x_copy);
    check_launch("gather_rows");
}

void add_bias_and_activate(cudaStream_t stream, Activation activation, const float* b, float* z, std::size_t n,
                           std::size_t k, bf16* a_copy) {
    if (n == 0) return;
    if (activation == Activation::softmax) {
        const RowStage s = row_stage(k, 1);
        const unsigned blocks = unsigned((n + s.rows - 1) / s.rows);
        add_bias_and_softmax_kernel<<<blocks, s.rows, s.bytes, stream>>>(b, z, n, unsigned(k), s.stride, a_copy);
    } else if (n * k < (std::size_t(1) << 32) - block_size) {
        add_bias_and_activate_kernel<std::uint32_t><<<blocks_for(n * k), block_size, 0, stream>>>(
            activation, b, z, std::uint32_t(n * k), std::uint32_t(k), a_copy);
    } else {
        add_bias_and_activate_kernel<std::size_t>
            <<<blocks_for(n * k), block_size, 0, stream>>>(activation, b, z, n * k, k, a_copy);
    }
    check_launch("add_bias_and_activate");
}

void output_error(cudaStream_t stream, Loss loss, Activation output, const float* a, const float* y, std::size_t n,
                  std::size_t k, float* d, bf16* d_copy, float* stats) {
    if (n == 0) return;
    const RowStage s = row_stage(k, 3);  // a, y and d
    const unsigned blocks = unsigned((n + s.rows - 1) / s.rows);
    output_error_kernel<<<blocks, s.rows, s.bytes, stream>>>(loss, output, a, y, n, unsigned(k), s.stride, d, d_copy,
                                                             stats);
    check_launch("output_error");
}

void multiply_by_sigma_prime(cudaStream_t stream, Activation activation, const float* a, const float* keep, float* d,
                             std::size_t count, bf16* d_copy) {
    multiply_by_sigma_prime_kernel<<<blocks_for(count), block_size, 0, stream>>>(activation, a, keep, d, count, d_copy);
    check_launch("multiply_by_sigma_prime");
}

void dropout(cudaStream_t stream, const DropoutDraw& draw, const StepState* state, const float* a, std::size_t n,
             std::size_t width, float* keep, float* kept, bf16* kept_copy) {
    if (n == 0) return;
    dropout_kernel<<<blocks_for(n), block_size, 0, stream>>>(draw, state, a, n, width, keep, kept, kept_copy);
    check_launch("dropout");
}

void squares(cudaStream_t stream, const float* g, std::size_t count, float* squares) {
    squares_kernel<<<blocks_for(count), block_size, 0, stream>>>(g, count, squares);
    check_launch("squares");
}

void to_bf16(cudaStream_t stream, const float* x, bf16* copy, std::size_t count) {
    to_bf16_kernel<<<blocks_for(count), block_size, 0, stream>>>(x, copy, count);
    check_launch("to_bf16");
}

std::size_t column_sums_scratch(std::size_t n, std::size_t k) { return sum_chunks(n) * k; }

void column_sums(cudaStream_t stream, const float* m, std::size_t n, std::size_t k, float alpha, float* out,
                 float* scratch) {
    if (k == 0) return;
    if (n == 0) {  // a sum over no rows: zero (and no chunks to divide the rows among)
        check(cudaMemsetAsync(out, 0, k * sizeof(float), stream), "cudaMemsetAsync");
        return;
    }
    const std::size_t chunks = sum_chunks(n);
    const std::size_t rows_per_chunk = (n + chunks - 1) / chunks;
    const dim3 grid(unsigned((k + sum_columns - 1) / sum_columns), unsigned(chunks));
    chunk_column_sums_kernel<<<grid, dim3(sum_columns, sum_lanes), 0, stream>>>(m, n, k, rows_per_chunk, scratch);
    check_launch("column_sums");
    total_column_sums_kernel<<<blocks_for(k), block_size, 0, stream>>>(scratch, chunks, k, alpha, out);
    check_launch("column_sums");
}

void update_parameters(cudaStream_t stream, const OptimizerSpec& spec, const BiasRange* biases, std::size_t layers,
                       std::size_t count, float* theta, bf16* theta_copy, const float* g, float* m, float* v,
                       const float* learning_rates, StepState* state, const float* loss_sum, float* corrections,
                       const float* squared_norm, double clip_norm) {
    if (spec.kind == OptimizerKind::adam || spec.kind == OptimizerKind::adamw) {
        bias_corrections_kernel<<<1, 1, 0, stream>>>(spec.beta1, spec.beta2, state, corrections);
        check_launch("update_parameters");
    }
    // Enough blocks to fill the GPU; each thread then takes every (grid size)-th parameter.
    const unsigned blocks = std::min(blocks_for(count), 4096u);
    update_parameters_kernel<<<blocks, block_size, 0, stream>>>(spec, biases, layers, count, theta, theta_copy, g, m, v,
                                                                learning_rates, state, loss_sum, corrections,
                                                                squared_norm, clip_norm);
    check_launch("update_parameters");
}

void finish_step(cudaStream_t stream, StepState* state, const float* loss_and_correct, std::size_t n,
                 StepRecord* records) {
    finish_step_kernel<<<1, 1, 0, stream>>>(state, loss_and_correct, n, records);
    check_launch("finish_step");
}

}  // namespace nabla::cuda

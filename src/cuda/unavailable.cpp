// The CUDA backend of a nabla built without CUDA: it says so. nabla/device.hpp's functions ask
// unavailable_reason() before anything else here, so the others only complete the interface.
#include "cuda/backend.hpp"
#include "nabla/error.hpp"

namespace nabla::cuda {

std::string unavailable_reason() {
    return "this nabla was built without CUDA (configure it with -DNABLA_CUDA=ON where the CUDA toolkit is installed)";
}

namespace {

[[noreturn]] void unavailable() { throw Error("--device cuda: " + unavailable_reason()); }

}  // namespace

std::unique_ptr<Backend> training_backend(const Network<float>&, const Dataset&, const TrainOptions&, std::size_t,
                                          std::size_t, std::size_t) {
    unavailable();
}

Matrix<float> predict(const Network<float>&, const Matrix<float>&, Precision, std::size_t) { unavailable(); }

float gradient(const Network<float>&, const float*, const float*, std::size_t, std::span<float>, Precision) {
    unavailable();
}

std::function<void(std::size_t)> training_steps(const Network<float>&, const Dataset&, const OptimizerSpec&,
                                                std::size_t, Precision) {
    unavailable();
}

}  // namespace nabla::cuda

// libFuzzer target: arbitrary bytes as a model file (see load_model_input in fuzz_input.hpp).
#include "fuzz_input.hpp"
#include "nabla/threads.hpp"

// The forward pass on one sample needs no BLAS threads, and libFuzzer runs best in one thread.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    nabla::set_threads(1);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    nabla::fuzz::load_model_input({data, size});
    return 0;
}

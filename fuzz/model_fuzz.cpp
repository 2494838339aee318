// libFuzzer target: arbitrary bytes as a model file (see load_model_input in fuzz_input.hpp).
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    nabla::fuzz::load_model_input({data, size});
    return 0;
}

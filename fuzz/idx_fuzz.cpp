// libFuzzer target: arbitrary bytes as an IDX images + labels pair (see load_idx_input in fuzz_input.hpp).
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    nabla::fuzz::load_idx_input({data, size});
    return 0;
}

// libFuzzer target: arbitrary bytes as a CSV file (see load_csv_input in fuzz_input.hpp).
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    nabla::fuzz::load_csv_input({data, size});
    return 0;
}

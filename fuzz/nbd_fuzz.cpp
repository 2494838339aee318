// libFuzzer target: arbitrary bytes as a .nbd data file (see load_nbd_input in fuzz_input.hpp).
#include "fuzz_input.hpp"
#include "nabla/threads.hpp"

// The blocks of rows are read on one thread, as libFuzzer runs best.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    nabla::set_threads(1);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    nabla::fuzz::load_nbd_input({data, size});
    return 0;
}

// Replays saved fuzz inputs exactly as the fuzz target of their format runs them
// (fuzz/fuzz_input.hpp): every one must load, or fail with nabla::Error; anything else (another
// exception, a crash, a sanitizer report in the ASan build) fails the test. The inputs are the
// fuzzers' seeds (fuzz/corpus/FORMAT/) and the inputs that once crashed a fuzz target
// (tests/data/fuzz-regressions/FORMAT/), FORMAT being csv, idx, model or nbd.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../fuzz/fuzz_input.hpp"

namespace fs = std::filesystem;

namespace {

struct Format {
    const char* name;
    void (*replay)(nabla::fuzz::Bytes);
};

const Format formats[] = {{"csv", nabla::fuzz::load_csv_input},
                          {"idx", nabla::fuzz::load_idx_input},
                          {"model", nabla::fuzz::load_model_input},
                          {"nbd", nabla::fuzz::load_nbd_input}};

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// Replays every file in folder/FORMAT for each format; returns how many it replayed.
std::size_t replay_all(const fs::path& folder) {
    std::size_t replayed = 0;
    for (const Format& format : formats) {
        if (!fs::is_directory(folder / format.name)) continue;
        for (const auto& entry : fs::directory_iterator(folder / format.name)) {
            SCOPED_TRACE(entry.path().string());
            EXPECT_NO_THROW(format.replay(read_bytes(entry.path())));
            ++replayed;
        }
    }
    return replayed;
}

TEST(FuzzRegression, SavedInputsLoadOrFailWithError) {
    const fs::path test_data = NABLA_TEST_DATA;
    const fs::path seeds = test_data.parent_path().parent_path() / "fuzz" / "corpus";
    EXPECT_GT(replay_all(seeds) + replay_all(test_data / "fuzz-regressions"), 0u);
}

}  // namespace

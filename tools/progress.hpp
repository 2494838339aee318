// A one-line progress bar for a terminal: samples done, samples/s, running loss and ETA. Silent
// when stderr is not a terminal, so logs and pipes get only the per-epoch summary lines.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace nabla::cli {

class ProgressBar {
public:
    explicit ProgressBar(bool enabled);
    void start(std::string label);
    void update(std::size_t done, std::size_t total, double loss);
    void finish();  // clears the line

private:
    bool enabled_;
    std::string label_;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

bool stderr_is_terminal();

}  // namespace nabla::cli

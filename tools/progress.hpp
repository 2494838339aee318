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

// A one-line display while a large data file is read: MB read, MB/s and the time left, redrawn at
// most 10 times a second and cleared when the file is read. Shown, while the object lives, only
// when enabled (a terminal, not --quiet), and only for a read that takes longer than a moment.
class LoadProgressLine {
public:
    explicit LoadProgressLine(bool enabled);
    ~LoadProgressLine();
    LoadProgressLine(const LoadProgressLine&) = delete;
    LoadProgressLine& operator=(const LoadProgressLine&) = delete;

private:
    void update(const std::string& path, std::size_t done, std::size_t total);
    void clear();

    bool enabled_;
    bool drawn_ = false;
    std::size_t first_done_ = 0;
    std::chrono::steady_clock::time_point start_, first_report_, last_draw_;
};

}  // namespace nabla::cli

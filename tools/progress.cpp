#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

#include "data/loading.hpp"

namespace nabla::cli {

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(bool enabled) : enabled_(enabled) {}

void ProgressBar::start(std::string label) {
    label_ = std::move(label);
    start_ = std::chrono::steady_clock::now();
    last_draw_ = {};
}

void ProgressBar::update(std::size_t done, std::size_t total, double loss) {
    if (!enabled_ || total == 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (done < total && now - last_draw_ < std::chrono::milliseconds(100)) return;  // redraw at most 10×/s
    last_draw_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double rate = seconds > 0 ? double(done) / seconds : 0.0;
    const double eta = rate > 0 ? double(total - done) / rate : 0.0;
    constexpr int width = 30;
    const int filled = int(double(width) * double(done) / double(total));
    char bar[width + 1];
    for (int i = 0; i < width; ++i) bar[i] = i < filled ? '=' : (i == filled ? '>' : ' ');
    bar[width] = '\0';
    std::fprintf(stderr, "\r%s [%s] %zu/%zu  %.0f samples/s  loss %.4f  ETA %.1fs \033[K", label_.c_str(), bar, done,
                 total, rate, loss, eta);
    std::fflush(stderr);
}

void ProgressBar::finish() {
    if (!enabled_) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
}

LoadProgressLine::LoadProgressLine(bool enabled) : enabled_(enabled), start_(std::chrono::steady_clock::now()) {
    if (enabled_)
        data::set_load_progress([this](const std::string& path, std::size_t done, std::size_t total) {
            update(path, done, total);
        });
}

LoadProgressLine::~LoadProgressLine() {
    if (!enabled_) return;
    data::set_load_progress({});
    clear();
}

void LoadProgressLine::update(const std::string& path, std::size_t done, std::size_t total) {
    const auto now = std::chrono::steady_clock::now();
    if (done >= total) return clear();
    if (first_done_ == 0) {  // the rate counts from the first report: the reader may look the file over first
        first_done_ = done;
        first_report_ = now;
    }
    // Nothing for a read that is over within half a second; then at most 10 redraws a second.
    if (now - start_ < std::chrono::milliseconds(500) || now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const double seconds = std::chrono::duration<double>(now - first_report_).count();
    const double rate = seconds > 0 ? double(done - first_done_) / seconds : 0.0;
    if (rate <= 0) return;
    const double left = double(total - done) / rate;
    constexpr double kMB = 1e6;
    std::fprintf(stderr, "\rreading %s: %.0f/%.0f MB  %.0f MB/s  %.1fs left \033[K", path.c_str(), double(done) / kMB,
                 double(total) / kMB, rate / kMB, left);
    std::fflush(stderr);
    drawn_ = true;
}

void LoadProgressLine::clear() {
    if (!drawn_) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
}

}  // namespace nabla::cli

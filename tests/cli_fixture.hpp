// The fixture of the end-to-end tests of the `nabla` program (NABLA_CLI): run it in a scratch
// directory and judge only what a user sees (exit status, standard output and error, the files
// left behind), and the tiny data sets those tests train on.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scratch_dir.hpp"

namespace cli_test {

using Args = std::vector<std::string>;

struct Outcome {
    int status;  // exit status; -1 when the program did not exit normally
    std::string out, err;
};

inline Args concat(Args first, const Args& second) {
    first.insert(first.end(), second.begin(), second.end());
    return first;
}

// Single quotes make the shell pass any text through as one word.
inline std::string shell_quoted(const std::string& text) {
    std::string quoted = "'";
    for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

inline std::string command_line(const Args& args) {
    std::string line = shell_quoted(NABLA_CLI);
    for (const std::string& arg : args) line += " " + shell_quoted(arg);
    return line;
}

inline std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts(1);
    for (const char c : text) {
        if (c == separator) parts.emplace_back();
        else parts.back() += c;
    }
    return parts;
}

// The lines of a file that ends with a line break, as CSV fields (nothing here needs quoting).
inline std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    for (const std::string& line : split(text, '\n'))
        if (!line.empty()) rows.push_back(split(line, ','));
    return rows;
}

// The one JSON object a --json run printed; a failure (and null) if it printed anything else.
inline nlohmann::json printed_json(const Outcome& run) {
    const auto json = nlohmann::json::parse(run.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(json.is_object()) << "not one JSON object: " << run.out;
    return json.is_object() ? json : nlohmann::json();
}

// Uniform in [low, high) from raw mt19937 output, which (unlike std::*_distribution) is the same
// with every standard library, so the data and hence the expected results are too.
inline double uniform(std::mt19937& random, double low, double high) {
    return low + (high - low) * double(random()) / 4294967296.0;
}

// Three 2-D blobs of 30 points each that overlap a little, so that a trained model gets most but
// not necessarily all of them right and the accuracy comparisons below are not all 1 = 1.
struct Point {
    double x, y;
    std::string label;
};
inline const std::vector<std::string> kClasses = {"cat", "dog", "eel"};

inline std::vector<Point> blob_points() {
    const double centres[3][2] = {{0, 0}, {2, 0}, {0, 2}};
    std::mt19937 random(7);
    std::vector<Point> points;
    for (int i = 0; i < 90; ++i) {
        const int c = i % 3;
        points.push_back({centres[c][0] + uniform(random, -1.3, 1.3), centres[c][1] + uniform(random, -1.3, 1.3),
                          kClasses[c]});
    }
    return points;
}

inline std::string blobs_csv(bool with_labels) {
    std::string csv = with_labels ? "x,y,species\n" : "x,y\n";
    for (const Point& p : blob_points())
        csv += std::to_string(p.x) + "," + std::to_string(p.y) + (with_labels ? "," + p.label : "") + "\n";
    return csv;
}

// price = 2a − b + 0.5 on a 9×9 grid over [−1, 1]².
inline std::string regression_csv() {
    std::string csv = "a,b,price\n";
    for (int i = 0; i <= 8; ++i)
        for (int j = 0; j <= 8; ++j) {
            const double a = -1 + 0.25 * i, b = -1 + 0.25 * j;
            csv += std::to_string(a) + "," + std::to_string(b) + "," + std::to_string(2 * a - b + 0.5) + "\n";
        }
    return csv;
}

inline std::string big_endian(std::uint32_t value) {
    return {char(value >> 24), char(value >> 16), char(value >> 8), char(value)};
}

// An IDX file of unsigned bytes: the magic 00 00 08 RANK, the dimensions, the data.
inline std::string idx_file(const std::vector<std::uint32_t>& dims, std::string_view data) {
    std::string bytes = {0, 0, 0x08, char(dims.size())};
    for (const std::uint32_t dim : dims) bytes += big_endian(dim);
    return bytes + std::string(data);
}

// Enough to fit the tiny data sets above in well under a second.
inline const Args kQuickTraining = {"--hidden", "8",  "--epochs", "40", "--batch", "16",
                             "--lr",     "0.01", "--threads", "1", "--quiet"};

inline Args train_args(const std::string& data, const std::string& model, const Args& flags) {
    return concat({"train", "--data", data, "--save", model}, flags);
}

class CliTest : public ScratchDirTest {
protected:
    void SetUp() override {
        ScratchDirTest::SetUp();
        // Beside the scratch directory, not in it, so that entries() lists only what nabla wrote.
        capture_dir_ = dir_.string() + ".captured";
        std::filesystem::create_directories(capture_dir_);
    }
    void TearDown() override {
        std::filesystem::remove_all(capture_dir_);
        ScratchDirTest::TearDown();
    }

    // `nabla ARGS…` run in the scratch directory, so relative paths (and messages) name its files.
    Outcome nabla(const Args& args) const {
        const std::string out = (capture_dir_ / "stdout").string(), err = (capture_dir_ / "stderr").string();
        const std::string command = "cd " + shell_quoted(dir_.string()) + " && " + command_line(args) + " >" +
                                    shell_quoted(out) + " 2>" + shell_quoted(err) + " </dev/null";
        const int status = std::system(command.c_str());
        return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
    }

    Outcome succeeds(const Args& args) const {
        const Outcome run = nabla(args);
        EXPECT_EQ(run.status, 0) << command_line(args) << "\n" << run.err;
        return run;
    }

    // A refused run: a non-zero exit status, one line on standard error that starts with
    // "nabla: error:" and holds each of `parts`, and the directory as it was before: no output
    // file, no temporary file.
    void expect_refused(const Args& args, const std::vector<std::string>& parts) const {
        SCOPED_TRACE(command_line(args));
        const std::vector<std::string> before = entries();
        const Outcome run = nabla(args);
        EXPECT_NE(run.status, 0);
        EXPECT_EQ(run.err.rfind("nabla: error: ", 0), 0u) << run.err;
        EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << "not one line: " << run.err;
        EXPECT_TRUE(run.err.ends_with('\n')) << run.err;
        for (const std::string& part : parts)
            EXPECT_NE(run.err.find(part), std::string::npos) << "'" << part << "' missing in: " << run.err;
        EXPECT_EQ(entries(), before);
    }

    void write(const std::string& name, std::string_view bytes) const { write_file(path(name), bytes); }

    // blobs.csv and the classifier "blobs.nabla" trained on it.
    void train_blobs_classifier() const {
        write("blobs.csv", blobs_csv(true));
        succeeds(train_args("blobs.csv", "blobs.nabla", kQuickTraining));
    }

    std::filesystem::path capture_dir_;
};

}  // namespace cli_test

// End-to-end tests of the `nabla` program (NABLA_CLI), judged only by what a user sees: the exit
// status, standard output, standard error and the files left behind. Every test works in its own
// scratch directory, on tiny data written by the test, with few epochs on one thread.
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

namespace {

using Args = std::vector<std::string>;

struct Outcome {
    int status;  // exit status; -1 when the program did not exit normally
    std::string out, err;
};

Args concat(Args first, const Args& second) {
    first.insert(first.end(), second.begin(), second.end());
    return first;
}

// Single quotes make the shell pass any text through as one word.
std::string shell_quoted(const std::string& text) {
    std::string quoted = "'";
    for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

std::string command_line(const Args& args) {
    std::string line = shell_quoted(NABLA_CLI);
    for (const std::string& arg : args) line += " " + shell_quoted(arg);
    return line;
}

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts(1);
    for (const char c : text) {
        if (c == separator) parts.emplace_back();
        else parts.back() += c;
    }
    return parts;
}

// The lines of a file that ends with a line break, as CSV fields (nothing here needs quoting).
std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    for (const std::string& line : split(text, '\n'))
        if (!line.empty()) rows.push_back(split(line, ','));
    return rows;
}

// The one JSON object a --json run printed; a failure (and null) if it printed anything else.
nlohmann::json printed_json(const Outcome& run) {
    const auto json = nlohmann::json::parse(run.out, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(json.is_object()) << "not one JSON object: " << run.out;
    return json.is_object() ? json : nlohmann::json();
}

// Uniform in [low, high) from raw mt19937 output, which (unlike std::*_distribution) is the same
// with every standard library, so the data and hence the expected results are too.
double uniform(std::mt19937& random, double low, double high) {
    return low + (high - low) * double(random()) / 4294967296.0;
}

// Three 2-D blobs of 30 points each that overlap a little, so that a trained model gets most but
// not necessarily all of them right and the accuracy comparisons below are not all 1 = 1.
struct Point {
    double x, y;
    std::string label;
};
const std::vector<std::string> kClasses = {"cat", "dog", "eel"};

std::vector<Point> blob_points() {
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

std::string blobs_csv(bool with_labels) {
    std::string csv = with_labels ? "x,y,species\n" : "x,y\n";
    for (const Point& p : blob_points())
        csv += std::to_string(p.x) + "," + std::to_string(p.y) + (with_labels ? "," + p.label : "") + "\n";
    return csv;
}

// price = 2a − b + 0.5 on a 9×9 grid over [−1, 1]².
std::string regression_csv() {
    std::string csv = "a,b,price\n";
    for (int i = 0; i <= 8; ++i)
        for (int j = 0; j <= 8; ++j) {
            const double a = -1 + 0.25 * i, b = -1 + 0.25 * j;
            csv += std::to_string(a) + "," + std::to_string(b) + "," + std::to_string(2 * a - b + 0.5) + "\n";
        }
    return csv;
}

std::string big_endian(std::uint32_t value) {
    return {char(value >> 24), char(value >> 16), char(value >> 8), char(value)};
}

// An IDX file of unsigned bytes: the magic 00 00 08 RANK, the dimensions, the data.
std::string idx_file(const std::vector<std::uint32_t>& dims, std::string_view data) {
    std::string bytes = {0, 0, 0x08, char(dims.size())};
    for (const std::uint32_t dim : dims) bytes += big_endian(dim);
    return bytes + std::string(data);
}

// Enough to fit the tiny data sets above in well under a second.
const Args kQuickTraining = {"--hidden", "8",  "--epochs", "40", "--batch", "16",
                             "--lr",     "0.01", "--threads", "1", "--quiet"};

Args train_args(const std::string& data, const std::string& model, const Args& flags) {
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

// ---- gradcheck ----

TEST_F(CliTest, GradcheckPrintsOneJsonObjectWithinTolerance) {
    const nlohmann::json result = printed_json(succeeds({"gradcheck", "--layers", "4,5,3", "--activation", "sigmoid",
                                                         "--loss", "mse", "--batch", "3", "--seed", "1", "--json"}));
    EXPECT_LE(result.value("max_rel_error", 1.0), 1e-6);
    EXPECT_EQ(result.value("pass", false), true);
}

TEST_F(CliTest, GradcheckPassesForEveryActivationAndLoss) {
    for (const char* activation : {"sigmoid", "tanh", "relu", "leaky_relu", "identity"})
        for (const char* loss : {"mse", "ce", "bce"}) {
            SCOPED_TRACE(std::string(activation) + " with " + loss);
            const nlohmann::json result =
                printed_json(succeeds({"gradcheck", "--activation", activation, "--loss", loss, "--json"}));
            EXPECT_LE(result.value("max_rel_error", 1.0), 1e-6);
        }
}

TEST_F(CliTest, GradcheckFailsAnImpossibleTolerance) {
    const Outcome run = nabla({"gradcheck", "--tolerance", "1e-30"});
    EXPECT_NE(run.status, 0);
    EXPECT_NE(run.out.find("FAIL"), std::string::npos) << run.out;
}

// ---- train, eval, predict, info ----

TEST_F(CliTest, EvalAndPredictAgreeOnATrainedClassifier) {
    train_blobs_classifier();
    const nlohmann::json evaluation =
        printed_json(succeeds({"eval", "--model", "blobs.nabla", "--data", "blobs.csv", "--json"}));
    const std::vector<Point> points = blob_points();
    EXPECT_EQ(evaluation.value("samples", 0u), points.size());
    EXPECT_TRUE(evaluation.contains("loss"));
    const double accuracy = evaluation.value("accuracy", -1.0);
    EXPECT_GT(accuracy, 0.7);  // the blobs are learnable

    succeeds({"predict", "--model", "blobs.nabla", "--data", "blobs.csv", "--output", "p.csv"});
    const auto rows = csv_rows(read_file(path("p.csv")));
    ASSERT_EQ(rows.size(), points.size() + 1);
    EXPECT_EQ(rows[0], (std::vector<std::string>{"prediction", "p_cat", "p_dog", "p_eel"}));
    std::size_t correct = 0;
    for (std::size_t i = 0; i < points.size(); ++i) {
        const std::vector<std::string>& row = rows[i + 1];
        ASSERT_EQ(row.size(), 4u) << "row " << i;
        const std::vector<double> p = {std::stod(row[1]), std::stod(row[2]), std::stod(row[3])};
        EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-5) << "row " << i;
        const std::size_t most_likely = std::max_element(p.begin(), p.end()) - p.begin();
        EXPECT_EQ(row[0], kClasses[most_likely]) << "row " << i;
        correct += row[0] == points[i].label;
    }
    EXPECT_EQ(double(correct) / double(points.size()), accuracy);
}

TEST_F(CliTest, PredictionNeedsNoTargetColumnAndIsRepeatable) {
    train_blobs_classifier();
    write("unlabelled.csv", blobs_csv(false));
    const Outcome labelled = succeeds({"predict", "--model", "blobs.nabla", "--data", "blobs.csv"});
    const Outcome unlabelled = succeeds({"predict", "--model", "blobs.nabla", "--data", "unlabelled.csv"});
    succeeds({"predict", "--model", "blobs.nabla", "--data", "unlabelled.csv", "--output", "again.csv"});
    EXPECT_EQ(csv_rows(unlabelled.out).size(), blob_points().size() + 1);
    EXPECT_EQ(unlabelled.out, labelled.out);
    EXPECT_EQ(read_file(path("again.csv")), unlabelled.out);
}

TEST_F(CliTest, TrainingWithTheSameSeedGivesTheSameModel) {
    write("blobs.csv", blobs_csv(true));
    for (const char* model : {"first.nabla", "second.nabla"})
        succeeds(train_args("blobs.csv", model, concat(kQuickTraining, {"--seed", "5"})));
    // The files differ in their "created" time stamp only, so compare what they hold and do.
    auto described = [&](const std::string& model) {
        nlohmann::json info = printed_json(succeeds({"info", "--model", model, "--json"}));
        info["metadata"].erase("created");
        return info;
    };
    EXPECT_EQ(described("first.nabla"), described("second.nabla"));
    auto predictions = [&](const std::string& model) {
        return succeeds({"predict", "--model", model, "--data", "blobs.csv"}).out;
    };
    EXPECT_EQ(predictions("first.nabla"), predictions("second.nabla"));
}

TEST_F(CliTest, RegressionEvalReportsRmse) {
    write("prices.csv", regression_csv());
    succeeds(train_args("prices.csv", "prices.nabla", concat(kQuickTraining, {"--task", "regression"})));
    const nlohmann::json evaluation =
        printed_json(succeeds({"eval", "--model", "prices.nabla", "--data", "prices.csv", "--json"}));
    EXPECT_EQ(evaluation.value("samples", 0), 81);
    EXPECT_EQ(evaluation.value("task", ""), "regression");
    EXPECT_LT(evaluation.value("rmse", 1e9), 0.5);  // the targets span [−2.5, 3.5]
    EXPECT_FALSE(evaluation.contains("accuracy"));
}

TEST_F(CliTest, InfoDescribesTheModel) {
    train_blobs_classifier();
    const Outcome text = succeeds({"info", "--model", "blobs.nabla"});
    // 2→8: 16 weights + 8 biases; 8→3: 24 weights + 3 biases.
    EXPECT_NE(text.out.find("2-8-3"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find(" 51\n"), std::string::npos) << text.out;
    const nlohmann::json info = printed_json(succeeds({"info", "--model", "blobs.nabla", "--json"}));
    EXPECT_EQ(info.value("layers", std::vector<int>{}), (std::vector<int>{2, 8, 3}));
    EXPECT_EQ(info.value("parameters", 0), 51);
    EXPECT_EQ(info.value("classes", std::vector<std::string>{}), kClasses);
}

// ---- refusals: one line on stderr, nothing written ----

TEST_F(CliTest, TrainRefusesBadCsvNamingFileAndLine) {
    struct Case {
        std::string content;
        std::vector<std::string> message_parts;
    };
    const std::vector<Case> cases = {
        {"a,b,label\n1,2,x\n3,4\n", {"bad.csv:3", "fields"}},
        {"a,b,label\n1,2,x\n3,oops,y\n", {"bad.csv:3", "'b'", "oops"}},
        {"a,b,label\n1,2,x\n3,nan,y\n", {"bad.csv:3", "'b'", "nan"}},
        {"", {"bad.csv", "empty"}},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.content);
        write("bad.csv", c.content);
        expect_refused(train_args("bad.csv", "m.nabla", {}), c.message_parts);
    }
}

TEST_F(CliTest, TrainRefusesBadIdx) {
    write("labels.idx", idx_file({2}, std::string("\x00\x01", 2)));
    write("wrong_magic.idx", "\x12\x34" + idx_file({2, 2, 2}, "abcdefgh").substr(2));  // not 00 00
    write("short.idx", idx_file({1u << 16, 28, 28}, "abc"));
    expect_refused(train_args("idx:wrong_magic.idx,labels.idx", "m.nabla", {}), {"wrong_magic.idx", "not an IDX file"});
    expect_refused(train_args("idx:short.idx,labels.idx", "m.nabla", {}), {"short.idx", "truncated"});
}

TEST_F(CliTest, EvalAndPredictRefuseDataThatDoNotFitTheModel) {
    train_blobs_classifier();
    write("fox.csv", "x,y,species\n0,0,cat\n1,1,fox\n");
    write("three_features.csv", "x,y,z,species\n0,0,0,cat\n");
    expect_refused({"eval", "--model", "blobs.nabla", "--data", "fox.csv"}, {"fox.csv:3", "fox"});
    expect_refused({"eval", "--model", "blobs.nabla", "--data", "three_features.csv"},
                   {"three_features.csv", "3", "2"});
    expect_refused({"predict", "--model", "blobs.nabla", "--data", "three_features.csv", "--output", "p.csv"},
                   {"three_features.csv", "3", "2"});
}

TEST_F(CliTest, DamagedModelFilesAreRefused) {
    train_blobs_classifier();
    const std::string model = read_file(path("blobs.nabla"));
    write("truncated.nabla", model.substr(0, model.size() / 2));
    write("garbage.nabla", "this is not a model\n");
    for (const auto& [damaged, problem] : {std::pair{"truncated.nabla", "truncated"},
                                           std::pair{"garbage.nabla", "not a nabla model"}}) {
        expect_refused({"info", "--model", damaged}, {damaged, problem});
        expect_refused({"eval", "--model", damaged, "--data", "blobs.csv"}, {damaged, problem});
        expect_refused({"predict", "--model", damaged, "--data", "blobs.csv", "--output", "p.csv"}, {damaged, problem});
    }
}

TEST_F(CliTest, BadFlagsAndArgumentsAreRefused) {
    write("blobs.csv", blobs_csv(true));
    const auto train_with = [](const Args& flags) { return train_args("blobs.csv", "m.nabla", flags); };
    expect_refused(train_with({"--activation", "swish"}), {"swish"});
    expect_refused(train_with({"--hidden", "0"}), {"--hidden"});
    expect_refused(train_with({"--lr", "-1"}), {"--lr"});
    expect_refused(train_with({"--batch", "abc"}), {"--batch", "abc"});
    expect_refused(train_with({"--no-such-flag"}), {"--no-such-flag"});
    expect_refused(train_args("missing.csv", "m.nabla", {}), {"missing.csv"});
    // CLI11 answers an unknown subcommand with "A subcommand is required", without naming it, so
    // only the form of the message is checked here.
    expect_refused({"frobnicate"}, {});
}

TEST_F(CliTest, FailedTrainingKeepsTheOldModel) {
    train_blobs_classifier();
    const std::string old_model = read_file(path("blobs.nabla"));
    write("ragged.csv", "x,y,species\n1,2,cat\n3,4\n");
    expect_refused(train_args("ragged.csv", "blobs.nabla", kQuickTraining), {"ragged.csv:3"});
    EXPECT_EQ(read_file(path("blobs.nabla")), old_model);
}

}  // namespace

// End-to-end tests of the `nabla` program (NABLA_CLI), judged only by what a user sees: the exit
// status, standard output, standard error and the files left behind. Every test works in its own
// scratch directory, on tiny data written by the test, with few epochs on one thread.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli_fixture.hpp"

namespace {

using namespace cli_test;

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
        {"a,b,label\n1,2,x\n3,inf,y\n", {"bad.csv:3", "'b'", "inf"}},
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
    write("no_y.csv", "x,z,species\n0,0,cat\n");
    write("three_unnamed.csv", "0,0,0,cat\n1,1,1,dog\n");
    expect_refused({"eval", "--model", "blobs.nabla", "--data", "fox.csv"}, {"fox.csv:3", "fox"});
    expect_refused({"eval", "--model", "blobs.nabla", "--data", "no_y.csv"},
                   {"no_y.csv: no column named y, which the model takes as a feature"});
    expect_refused({"predict", "--model", "blobs.nabla", "--data", "no_y.csv", "--output", "p.csv"},
                   {"no_y.csv: no column named y"});
    expect_refused({"predict", "--model", "blobs.nabla", "--data", "three_unnamed.csv", "--output", "p.csv"},
                   {"three_unnamed.csv: 3 feature columns, but the model expects 2"});
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

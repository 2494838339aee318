// Real tabular data through the program: inputs that could give a wrong answer or an unloadable
// file with exit status 0 get one clear line, and what a data scientist's CSV files hold reads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <filesystem>

#include "cli_fixture.hpp"

namespace {

using namespace cli_test;

class CliData : public CliTest {};

TEST_F(CliData, TrainingDataWithOneClassIsRefused) {
    write("one-class.csv", "x,y,label\n1,2,a\n3,4,a\n5,6,a\n");
    write("one-row.csv", "x,y,label\n1,2,a\n");
    expect_refused(train_args("one-class.csv", "m.nabla", kQuickTraining),
                   {"one-class.csv: every row has the same class 'a'", "--task regression"});
    expect_refused(train_args("one-row.csv", "m.nabla", kQuickTraining), {"one-row.csv: every row has the same class"});
}

TEST_F(CliData, NamesAndLabelsMustBeUtf8) {
    write("latin1-header.csv", "x,caf\xE9,label\n1,2,a\n3,4,b\n");
    write("latin1-label.csv", "x,y,label\n1,2,a\n3,4,caf\xE9\n");
    expect_refused(train_args("latin1-header.csv", "m.nabla", kQuickTraining),
                   {"latin1-header.csv:1: field 2: the column name 'caf\\xE9' is not valid UTF-8"});
    expect_refused(train_args("latin1-label.csv", "m.nabla", kQuickTraining),
                   {"latin1-label.csv:3: field 3 ('label'): class label 'caf\\xE9' is not valid UTF-8"});
    write("utf8.csv", "x,caf\xC3\xA9,label\n1,2,a\n3,4,\xC3\xA9t\xC3\xA9\n5,1,a\n2,2,\xC3\xA9t\xC3\xA9\n");
    succeeds(train_args("utf8.csv", "m.nabla", kQuickTraining));
    const nlohmann::json info = printed_json(succeeds({"info", "--model", "m.nabla", "--json"}));
    EXPECT_NE(info.dump().find("caf\xC3\xA9"), std::string::npos) << info.dump();
}

// The blob points with their columns in another order, an extra column, and no target.
std::string reordered_blobs_csv() {
    std::string csv = "note,y,x\n";
    for (const Point& p : blob_points()) csv += "n/a," + std::to_string(p.y) + "," + std::to_string(p.x) + "\n";
    return csv;
}

TEST_F(CliData, ColumnsAreMatchedByName) {
    train_blobs_classifier();
    write("reordered.csv", reordered_blobs_csv());
    const std::string expected = succeeds({"predict", "--model", "blobs.nabla", "--data", "blobs.csv"}).out;
    const Outcome reordered = succeeds({"predict", "--model", "blobs.nabla", "--data", "reordered.csv"});
    EXPECT_EQ(reordered.out, expected);
    EXPECT_EQ(reordered.err, "nabla: note: reordered.csv: column note left out: the model does not use it\n");
    // The same for eval and for --test: the reordered file with its labels, first.
    std::string labelled = "species,y,x\n";
    for (const Point& p : blob_points()) labelled += p.label + "," + std::to_string(p.y) + "," + std::to_string(p.x) + "\n";
    write("labelled.csv", labelled);
    EXPECT_EQ(succeeds({"eval", "--model", "blobs.nabla", "--data", "labelled.csv", "--json"}).out,
              succeeds({"eval", "--model", "blobs.nabla", "--data", "blobs.csv", "--json"}).out);
    succeeds(concat(train_args("blobs.csv", "again.nabla", kQuickTraining), {"--test", "labelled.csv"}));
}

TEST_F(CliData, PredictNeverReadsTheTargetColumn) {
    train_blobs_classifier();
    write("unseen.csv", "x,y,species\n0,0,cat\n1,1,fox\n");  // 'fox': a class the model never saw
    const Outcome run = succeeds({"predict", "--model", "blobs.nabla", "--data", "unseen.csv"});
    EXPECT_EQ(csv_rows(run.out).size(), 3u);
    EXPECT_EQ(run.err, "");
}

TEST_F(CliData, PandasIndexColumnIsLeftOutWithANote) {
    std::string csv = ",x,y,species\n";  // what pandas' DataFrame.to_csv() writes
    int i = 0;
    for (const Point& p : blob_points())
        csv += std::to_string(i++) + "," + std::to_string(p.x) + "," + std::to_string(p.y) + "," + p.label + "\n";
    write("pandas.csv", csv);
    const Outcome run = succeeds(train_args("pandas.csv", "m.nabla", kQuickTraining));
    EXPECT_NE(run.err.find("pandas.csv: the first column has no name, so it is taken as a row index"),
              std::string::npos) << run.err;
    const nlohmann::json info = printed_json(succeeds({"info", "--model", "m.nabla", "--json"}));
    EXPECT_EQ(info["features"], nlohmann::json({"x", "y"}));
    succeeds({"predict", "--model", "m.nabla", "--data", "pandas.csv", "--output", "p.csv"});
}

TEST_F(CliData, IgnoredColumnsAndIdsStayOutOfTheFeatures) {
    std::string csv = "passenger,x,noise,y,species\n";
    int i = 0;
    for (const Point& p : blob_points())
        csv += "p" + std::to_string(i++) + "," + std::to_string(p.x) + ",7," + std::to_string(p.y) + "," + p.label + "\n";
    write("people.csv", csv);
    succeeds(concat(train_args("people.csv", "m.nabla", kQuickTraining), {"--ignore", "passenger,noise"}));
    const nlohmann::json info = printed_json(succeeds({"info", "--model", "m.nabla", "--json"}));
    EXPECT_EQ(info["features"], nlohmann::json({"x", "y"}));
    const Outcome run = succeeds({"predict", "--model", "m.nabla", "--data", "people.csv", "--id", "passenger",
                                  "--ignore", "noise"});
    const auto rows = csv_rows(run.out);
    ASSERT_EQ(rows.size(), 91u);
    EXPECT_EQ(rows[0][0], "passenger");
    EXPECT_EQ(rows[1][0], "p0");
    EXPECT_EQ(rows[90][0], "p89");
    EXPECT_EQ(run.err, "");
    expect_refused(concat(train_args("people.csv", "m2.nabla", kQuickTraining), {"--ignore", "age"}),
                   {"people.csv: --ignore: no column named 'age'"});
    expect_refused({"predict", "--model", "m.nabla", "--data", "people.csv", "--id", "ticket"},
                   {"people.csv: --id: no column named 'ticket'"});
}

// The blob points written with `separator` between fields, and a decimal comma where asked.
std::string blobs_with(char separator, bool decimal_comma) {
    std::string csv = std::string("x") + separator + "y" + separator + "species\n";
    for (const Point& p : blob_points()) {
        std::string x = std::to_string(p.x), y = std::to_string(p.y);
        if (decimal_comma) std::replace(x.begin(), x.end(), '.', ','), std::replace(y.begin(), y.end(), '.', ',');
        csv += x + separator + y + separator + p.label + "\n";
    }
    return csv;
}

TEST_F(CliData, SemicolonTabAndPipeSeparatedFilesRead) {
    train_blobs_classifier();
    const std::string expected = succeeds({"predict", "--model", "blobs.nabla", "--data", "blobs.csv"}).out;
    write("semicolon.csv", blobs_with(';', true));
    write("tab.tsv", blobs_with('\t', false));
    write("pipe.csv", blobs_with('|', false));
    for (const char* file : {"semicolon.csv", "tab.tsv", "pipe.csv"}) {
        SCOPED_TRACE(file);
        EXPECT_EQ(succeeds({"predict", "--model", "blobs.nabla", "--data", file}).out, expected);
        // Trained on the same numbers, the same model: the same predictions.
        succeeds(train_args(file, "again.nabla", kQuickTraining));
        EXPECT_EQ(succeeds({"predict", "--model", "again.nabla", "--data", "blobs.csv"}).out, expected);
    }
    EXPECT_EQ(succeeds({"predict", "--model", "blobs.nabla", "--data", "semicolon.csv", "--delimiter", ";"}).out,
              expected);
    write("spaces.csv", "x y species\n1 2 cat\n");
    expect_refused(train_args("spaces.csv", "m.nabla", kQuickTraining),
                   {"spaces.csv: only one column", "--delimiter"});
    expect_refused(concat(train_args("blobs.csv", "m.nabla", kQuickTraining), {"--delimiter", "x"}),
                   {"--delimiter: expected ',', ';', '|' or 'tab', got 'x'"});
}

// price = scale · (sin a + b c / 2 + 0.3 a²) + offset at 600 points of [−2, 2]³ (fixed, from mt19937).
std::string prices_csv(double scale, double offset) {
    std::mt19937 random(3);
    std::string csv = "a,b,c,price\n";
    char line[128];
    for (int i = 0; i < 600; ++i) {
        const double a = uniform(random, -2, 2), b = uniform(random, -2, 2), c = uniform(random, -2, 2);
        const double price = scale * (std::sin(a) + 0.5 * b * c + 0.3 * a * a) + offset;
        std::snprintf(line, sizeof line, "%.6f,%.6f,%.6f,%.9g\n", a, b, c, price);
        csv += line;
    }
    return csv;
}

double rmse_of(const nlohmann::json& eval) { return eval.value("rmse", -1.0); }

TEST_F(CliData, RegressionTargetsLearnAlikeAtAnyScale) {
    // The same data with prices in units, in thousands, and near 10^20.
    write("units.csv", prices_csv(1, 0.5));
    write("thousands.csv", prices_csv(3000, 50000));
    write("huge.csv", prices_csv(3e19, 5e20));
    const Args flags = {"--task", "regression", "--hidden", "32", "--epochs", "60", "--batch", "32", "--quiet"};
    double rmse[3];
    const char* files[] = {"units.csv", "thousands.csv", "huge.csv"};
    for (int k = 0; k < 3; ++k) {
        succeeds(train_args(files[k], "m.nabla", flags));
        rmse[k] = rmse_of(printed_json(succeeds({"eval", "--model", "m.nabla", "--data", files[k], "--json"})));
    }
    EXPECT_LT(rmse[0], 0.35);  // the targets' standard deviation is about 1.2
    EXPECT_NEAR(rmse[1] / 3000, rmse[0], 0.05 * rmse[0]);
    EXPECT_NEAR(rmse[2] / 3e19, rmse[0], 0.05 * rmse[0]);
    // Unscaled, such targets overflow before the first update: the message says so.
    expect_refused(concat(train_args("huge.csv", "raw.nabla", flags), {"--no-standardize"}),
                   {"training diverged", "before any update", "standardise"});
}

// A Titanic-like table as pandas' to_csv writes it: an unnamed index, numeric, categorical and
// missing values (empty fields, NA). Survival follows sex, class and age, with noise. `order`
// lists the columns to write (a permutation of the header's).
std::string passengers_csv(int count, unsigned seed, const std::vector<int>& order = {0, 1, 2, 3, 4, 5, 6, 7}) {
    const std::vector<std::string> header = {"", "PassengerId", "Pclass", "Sex", "Age", "Fare", "Embarked", "Survived"};
    std::mt19937 random(seed);
    std::string csv;
    for (std::size_t k = 0; k < order.size(); ++k) csv += (k ? "," : "") + header[std::size_t(order[k])];
    csv += "\n";
    for (int i = 0; i < count; ++i) {
        const int pclass = 1 + int(random() % 3);
        const bool female = random() % 2 == 0;
        const double age = uniform(random, 1, 70);
        const double fare = (4 - pclass) * uniform(random, 5, 40);
        const char* ports[] = {"S", "C", "Q"};
        const double chance = (female ? 0.75 : 0.2) + (pclass == 1 ? 0.15 : pclass == 3 ? -0.1 : 0) + (age < 12 ? 0.2 : 0);
        const bool survived = uniform(random, 0, 1) < chance;
        char number[32];
        std::vector<std::string> fields(8);
        fields[0] = std::to_string(i);
        fields[1] = std::to_string(1000 + i);
        fields[2] = std::to_string(pclass);
        fields[3] = female ? "female" : "male";
        std::snprintf(number, sizeof number, "%.1f", age);
        fields[4] = random() % 5 == 0 ? (random() % 2 ? "" : "NA") : number;  // a fifth unknown
        std::snprintf(number, sizeof number, "%.2f", fare);
        fields[5] = number;
        fields[6] = random() % 40 == 0 ? "" : ports[random() % 3];
        fields[7] = survived ? "1" : "0";
        for (std::size_t k = 0; k < order.size(); ++k) csv += (k ? "," : "") + fields[std::size_t(order[k])];
        csv += "\n";
    }
    return csv;
}

TEST_F(CliData, ATitanicLikeTableTrainsAndPredictsAsItComes) {
    write("train.csv", passengers_csv(800, 1));
    write("test.csv", passengers_csv(300, 2));
    write("shuffled.csv", passengers_csv(300, 2, {6, 3, 7, 0, 5, 1, 4, 2}));
    const Outcome trained = succeeds({"train", "--data", "train.csv", "--test", "test.csv", "--ignore", "PassengerId",
                                      "--target", "Survived", "--hidden", "16", "--save", "m.nabla"});
    EXPECT_NE(trained.err.find("taken as a row index"), std::string::npos) << trained.err;
    const nlohmann::json eval = printed_json(succeeds({"eval", "--model", "m.nabla", "--data", "test.csv", "--json"}));
    EXPECT_GT(eval.value("accuracy", 0.0), 0.68);  // the noise allows about 0.75
    const nlohmann::json info = printed_json(succeeds({"info", "--model", "m.nabla", "--json"}));
    EXPECT_EQ(info["features"], nlohmann::json({"Pclass", "Sex=female", "Sex=male", "Age", "Fare", "Embarked=C",
                                                "Embarked=Q", "Embarked=S", "Embarked=(missing)"}));
    // Columns in another order: the same predictions, bit for bit.
    const std::string expected = succeeds({"predict", "--model", "m.nabla", "--data", "test.csv"}).out;
    EXPECT_EQ(succeeds({"predict", "--model", "m.nabla", "--data", "shuffled.csv"}).out, expected);

    // A port the model never saw: all-zero inputs for it and a note, or a refusal under --strict.
    write("unseen.csv", ",PassengerId,Pclass,Sex,Age,Fare,Embarked\n0,1,1,female,30,50,X\n1,2,3,male,,8,S\n");
    const Outcome unseen = succeeds({"predict", "--model", "m.nabla", "--data", "unseen.csv"});
    EXPECT_NE(unseen.err.find("unseen.csv: 1 value of a category the model never saw (first: column 'Embarked', line 2)"),
              std::string::npos) << unseen.err;
    EXPECT_EQ(csv_rows(unseen.out).size(), 3u);
    expect_refused({"predict", "--model", "m.nabla", "--data", "unseen.csv", "--strict"},
                   {"unseen.csv:2: field 7 ('Embarked'): category 'X' that the model never saw (--strict)"});
    expect_refused({"predict", "--model", "m.nabla", "--data", "unseen.csv", "--missing", "error"},
                   {"unseen.csv:3: field 5 ('Age'): missing value '' (--missing error)"});
}

TEST_F(CliData, EvalReportsPerClassScoresAndRegressionErrors) {
    train_blobs_classifier();
    const nlohmann::json e = printed_json(succeeds({"eval", "--model", "blobs.nabla", "--data", "blobs.csv", "--json"}));
    const auto confusion = e["confusion"].get<std::vector<std::size_t>>();  // 3 × 3, rows: true class
    double f1_sum = 0;
    for (std::size_t c = 0; c < 3; ++c) {
        const std::size_t hits = confusion[c * 4], support = confusion[c * 3] + confusion[c * 3 + 1] + confusion[c * 3 + 2];
        const std::size_t predicted = confusion[c] + confusion[3 + c] + confusion[6 + c];
        const nlohmann::json& scores = e["per_class"][kClasses[c]];
        EXPECT_EQ(scores["support"].get<std::size_t>(), support);
        EXPECT_DOUBLE_EQ(scores["precision"].get<double>(), double(hits) / double(predicted));
        EXPECT_DOUBLE_EQ(scores["recall"].get<double>(), double(hits) / double(support));
        f1_sum += scores["f1"].get<double>();
    }
    EXPECT_DOUBLE_EQ(e["macro"]["f1"].get<double>(), f1_sum / 3);

    write("prices.csv", regression_csv());
    succeeds(train_args("prices.csv", "r.nabla", concat(kQuickTraining, {"--task", "regression"})));
    const nlohmann::json r = printed_json(succeeds({"eval", "--model", "r.nabla", "--data", "prices.csv", "--json"}));
    EXPECT_GT(r["r2"].get<double>(), 0.9);
    EXPECT_LE(r["r2"].get<double>(), 1.0);
    EXPECT_GT(r["mae"].get<double>(), 0.0);
    EXPECT_LE(r["mae"].get<double>(), r["rmse"].get<double>());  // always, for the same errors
}

}  // namespace

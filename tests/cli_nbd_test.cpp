// nabla convert and .nbd files through the program: every command that reads a CSV file reads the
// .nbd file converted from it the same way, and training on it gives the same model, bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>

#include "cli_fixture.hpp"
#include "nabla/model.hpp"

namespace {

using namespace cli_test;

class CliNbd : public CliTest {
protected:
    // A table with an id, numeric columns (one with missing values), a categorical one and a label.
    void write_table(const std::string& name, int rows, unsigned seed) const {
        std::mt19937 random(seed);
        std::string csv = "id,a,b,colour,label\n";
        const char* colours[] = {"red", "green", "blue"};
        for (int i = 0; i < rows; ++i) {
            const double a = uniform(random, -2, 2), b = uniform(random, -2, 2);
            const char* colour = colours[random() % 3];
            const std::string label = a + b > 0.3 ? "up" : a - b > 0.5 ? "left" : "down";
            csv += "r" + std::to_string(i) + "," + std::to_string(a) + "," + (i % 13 == 5 ? "" : std::to_string(b)) +
                   "," + colour + "," + label + "\n";
        }
        write(name, csv);
    }
};

// Everything a model holds but its metadata (which records the time and the data's file name).
void expect_same_model(const nabla::Model& a, const nabla::Model& b) {
    const auto pa = a.network.parameters(), pb = b.network.parameters();
    ASSERT_EQ(pa.size(), pb.size());
    EXPECT_EQ(std::memcmp(pa.data(), pb.data(), pa.size() * sizeof(float)), 0) << "weights differ";
    EXPECT_EQ(a.preprocessing.offset, b.preprocessing.offset);
    EXPECT_EQ(a.preprocessing.scale, b.preprocessing.scale);
    EXPECT_EQ(a.class_names, b.class_names);
    EXPECT_EQ(a.feature_names, b.feature_names);
    EXPECT_EQ(a.target, b.target);
    ASSERT_EQ(a.columns.size(), b.columns.size());
    for (std::size_t k = 0; k < a.columns.size(); ++k) {
        EXPECT_EQ(a.columns[k].name, b.columns[k].name);
        EXPECT_EQ(a.columns[k].categories, b.columns[k].categories);
        EXPECT_EQ(std::memcmp(&a.columns[k].fill, &b.columns[k].fill, sizeof(float)), 0);
    }
}

TEST_F(CliNbd, TrainingOnTheConvertedFileGivesTheSameModelBitForBit) {
    write_table("train.csv", 400, 1);
    write_table("test.csv", 100, 2);
    succeeds({"convert", "--data", "train.csv", "--output", "train.nbd", "--ignore", "id"});
    succeeds({"convert", "--data", "test.csv", "--output", "test.nbd", "--ignore", "id"});
    const Args flags = {"--hidden", "8", "--epochs", "5", "--batch", "16", "--dropout", "0.1", "--quiet"};
    succeeds(concat({"train", "--data", "train.csv", "--ignore", "id", "--test", "test.csv", "--save", "csv.nabla"},
                    flags));
    succeeds(concat({"train", "--data", "train.nbd", "--test", "test.nbd", "--save", "nbd.nabla"}, flags));
    expect_same_model(nabla::load_model(path("csv.nabla")), nabla::load_model(path("nbd.nabla")));
    // The test set's metric, which the model records, came out the same too.
    const std::string info_csv = succeeds({"info", "--model", "csv.nabla", "--json"}).out;
    const std::string info_nbd = succeeds({"info", "--model", "nbd.nabla", "--json"}).out;
    EXPECT_EQ(printed_json({0, info_csv, ""})["metadata"]["test_accuracy"],
              printed_json({0, info_nbd, ""})["metadata"]["test_accuracy"]);
}

TEST_F(CliNbd, EvalAndPredictReadTheConvertedFileAsTheCsvFile) {
    write_table("train.csv", 300, 3);
    succeeds(concat(train_args("train.csv", "m.nabla", kQuickTraining), {"--ignore", "id"}));
    write_table("new.csv", 200, 4);
    // Converted for the model (its columns, its classes), with the ids for predict's output.
    succeeds({"convert", "--data", "new.csv", "--model", "m.nabla", "--id", "id", "--output", "new.nbd"});
    EXPECT_EQ(succeeds({"eval", "--model", "m.nabla", "--data", "new.nbd", "--json"}).out,
              succeeds({"eval", "--model", "m.nabla", "--data", "new.csv", "--ignore", "id", "--json"}).out);
    EXPECT_EQ(succeeds({"predict", "--model", "m.nabla", "--data", "new.nbd", "--id", "id"}).out,
              succeeds({"predict", "--model", "m.nabla", "--data", "new.csv", "--id", "id"}).out);
    // Converted on its own, its numeric columns' missing values are filled with the model's medians
    // when the model reads it, as in the CSV file; its categories are its own, and must be the model's.
    succeeds({"convert", "--data", "new.csv", "--ignore", "id", "--output", "own.nbd"});
    EXPECT_EQ(succeeds({"eval", "--model", "m.nabla", "--data", "own.nbd", "--json"}).out,
              succeeds({"eval", "--model", "m.nabla", "--data", "new.csv", "--ignore", "id", "--json"}).out);
    write("two-colours.csv", "a,b,colour,label\n1,2,red,up\n2,1,blue,down\n");
    succeeds({"convert", "--data", "two-colours.csv", "--output", "two.nbd"});
    expect_refused({"eval", "--model", "m.nabla", "--data", "two.nbd"},
                   {"two.nbd: column 'colour' was encoded as fitted on the file's own rows", "--model"});
}

TEST_F(CliNbd, ConvertedWithoutTargetsItCanOnlyBePredictedOn) {
    write_table("train.csv", 200, 5);
    succeeds(concat(train_args("train.csv", "m.nabla", kQuickTraining), {"--ignore", "id"}));
    succeeds({"convert", "--data", "train.csv", "--model", "m.nabla", "--no-targets", "--ignore", "id",
              "--output", "rows.nbd"});
    EXPECT_EQ(succeeds({"predict", "--model", "m.nabla", "--data", "rows.nbd"}).out,
              succeeds({"predict", "--model", "m.nabla", "--data", "train.csv", "--ignore", "id"}).out);
    expect_refused({"eval", "--model", "m.nabla", "--data", "rows.nbd"}, {"rows.nbd: holds no targets"});
}

TEST_F(CliNbd, OptionsThatDisagreeWithTheConversionAreRefused) {
    write_table("train.csv", 100, 6);
    succeeds({"convert", "--data", "train.csv", "--output", "train.nbd", "--ignore", "id"});
    expect_refused({"train", "--data", "train.nbd", "--target", "a", "--save", "m.nabla"},
                   {"train.nbd: converted with --target unset, not 'a'"});
    expect_refused({"train", "--data", "train.nbd", "--task", "regression", "--save", "m.nabla"},
                   {"train.nbd: holds classification targets, not regression"});
}

TEST_F(CliNbd, ConvertNeverWritesOverItsInputNorLeavesAPartialFile) {
    write_table("train.csv", 50, 7);
    expect_refused({"convert", "--data", "train.csv", "--output", "train.csv"},
                   {"--output 'train.csv' is the same file as --data 'train.csv'"});
    write("bad.csv", "a,b,label\n1,2,x\n3,oops,y\n");
    expect_refused({"convert", "--data", "bad.csv", "--output", "bad.nbd"}, {"bad.csv:3:"});
    expect_refused({"convert", "--data", "train.csv", "--output", "-"}, {"--output: name a file"});
}

TEST_F(CliNbd, PredictWritesTheSameRowsPartByPart) {
    train_blobs_classifier();
    // 70,000 rows: a part of 65,536 and the rest. Predicted apart, the two halves' rows make the
    // whole file's output, which predict writes a part at a time.
    std::mt19937 random(9);
    std::string head = "x,y\n", tail = head;
    for (int i = 0; i < 70000; ++i)
        (i < 65536 ? head : tail) += std::to_string(uniform(random, -1, 3)) + "," + std::to_string(uniform(random, -1, 3)) + "\n";
    write("all.csv", head + tail.substr(4));
    write("head.csv", head);
    write("tail.csv", tail);
    const std::string all = succeeds({"predict", "--model", "blobs.nabla", "--data", "all.csv"}).out;
    const std::string first = succeeds({"predict", "--model", "blobs.nabla", "--data", "head.csv"}).out;
    const std::string rest = succeeds({"predict", "--model", "blobs.nabla", "--data", "tail.csv"}).out;
    EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 70001);
    EXPECT_TRUE(all == first + rest.substr(rest.find('\n') + 1)) << "the part-by-part output differs";
    succeeds({"predict", "--model", "blobs.nabla", "--data", "all.csv", "--output", "all-predictions.csv"});
    EXPECT_TRUE(read_file(path("all-predictions.csv")) == all);
}

}  // namespace

namespace {

using namespace cli_test;

// train --stream: the whole run through the program (a test set watched, a checkpoint kept, the
// model then evaluated), classification and regression, and learning about what a run in memory learns.
TEST_F(CliNbd, StreamedTrainingLearnsWhatTrainingInMemoryLearns) {
    write_table("train.csv", 3000, 11);
    write_table("test.csv", 500, 12);
    succeeds({"convert", "--data", "train.csv", "--output", "train.nbd", "--ignore", "id"});
    const Args flags = {"--hidden", "16", "--epochs", "8", "--batch", "32", "--quiet", "--test", "test.csv", "--ignore", "id"};
    succeeds(concat({"train", "--data", "train.nbd", "--stream", "--save", "streamed.nabla", "--checkpoint", "run"}, flags));
    succeeds(concat({"train", "--data", "train.nbd", "--save", "in-memory.nabla"}, flags));
    const auto accuracy = [&](const char* model) {
        return printed_json(succeeds({"eval", "--model", model, "--data", "test.csv", "--json"}))["accuracy"].get<double>();
    };
    EXPECT_GT(accuracy("in-memory.nabla"), 0.85);
    EXPECT_NEAR(accuracy("streamed.nabla"), accuracy("in-memory.nabla"), 0.03);
    EXPECT_TRUE(std::filesystem::exists(path("run/checkpoint.nabla")));
    // The standardisation convert stored is the one a run in memory fits.
    const nabla::Model streamed = nabla::load_model(path("streamed.nabla")), in_memory = nabla::load_model(path("in-memory.nabla"));
    EXPECT_EQ(streamed.preprocessing.offset, in_memory.preprocessing.offset);
    EXPECT_EQ(streamed.preprocessing.scale, in_memory.preprocessing.scale);

    write("regression.csv", regression_csv());
    succeeds({"convert", "--data", "regression.csv", "--task", "regression", "--output", "regression.nbd"});
    const Args regression = {"--hidden", "16", "--epochs", "200", "--batch", "8", "--quiet", "--seed", "3"};
    succeeds(concat({"train", "--data", "regression.nbd", "--stream", "--save", "r-streamed.nabla"}, regression));
    succeeds(concat({"train", "--data", "regression.nbd", "--save", "r-in-memory.nabla"}, regression));
    const auto rmse = [&](const char* model) {
        return printed_json(succeeds({"eval", "--model", model, "--data", "regression.csv", "--json"}))["rmse"].get<double>();
    };
    EXPECT_LT(rmse("r-streamed.nabla"), 1.5 * rmse("r-in-memory.nabla") + 0.05);
}

TEST_F(CliNbd, WhatAStreamCannotDoIsRefusedInOneLine) {
    write_table("train.csv", 300, 13);
    succeeds({"convert", "--data", "train.csv", "--output", "train.nbd", "--ignore", "id"});
    expect_refused({"train", "--data", "train.csv", "--stream", "--save", "m.nabla"},
                   {"--stream reads a .nbd file, and train.csv is not one", "nabla convert"});
    expect_refused({"train", "--data", "train.nbd", "--stream", "--val-split", "0.2", "--save", "m.nabla"},
                   {"--val-split cannot hold rows out of a stream", "--test"});
    expect_refused({"train", "--data", "train.nbd", "--max-memory", "4K", "--save", "m.nabla"},
                   {"train.nbd: its rows take", "train with --stream"});
    succeeds(concat(train_args("train.csv", "m.nabla", kQuickTraining), {"--ignore", "id"}));
    succeeds({"convert", "--data", "train.csv", "--model", "m.nabla", "--ignore", "id", "--output", "for-model.nbd"});
    expect_refused({"train", "--data", "for-model.nbd", "--stream", "--save", "m2.nabla"},
                   {"for-model.nbd: has no stored statistics", "--no-standardize"});
}

}  // namespace

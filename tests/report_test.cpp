// The metrics CSV, cell by cell, and the learning-curve SVG: well-formed enough for a browser, one
// line per series, the title escaped, and the cases with one epoch, no validation data or
// regression.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nabla/error.hpp"
#include "nabla/report.hpp"
#include "scratch_dir.hpp"

using namespace nabla;

namespace {

// Epochs 1 … n with values that print exactly; validation on every epoch if asked.
std::vector<EpochMetrics> history(std::size_t epochs, bool validation) {
    std::vector<EpochMetrics> result;
    for (std::size_t i = 1; i <= epochs; ++i) {
        EpochMetrics epoch;
        epoch.epoch = i;
        epoch.train_loss = 1.0 / double(i);
        epoch.train_accuracy = 1.0 - 0.25 / double(i);
        if (validation) epoch.validation = Metrics{100, 1.5 / double(i), 0.5, 0.75};
        epoch.learning_rate = 0.01;
        epoch.seconds = 2;
        epoch.samples_per_second = 500;
        result.push_back(epoch);
    }
    return result;
}

std::size_t occurrences(const std::string& text, const std::string& part) {
    std::size_t count = 0;
    for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
    return count;
}

const char* const csv_header =
    "epoch,train_loss,train_accuracy,val_loss,val_accuracy,val_rmse,learning_rate,seconds,samples_per_s\n";

class Report : public ScratchDirTest {
protected:
    std::string csv(const std::vector<EpochMetrics>& metrics, Task task) {
        write_metrics_csv(metrics, task, path("metrics.csv"));
        return read_file(path("metrics.csv"));
    }
    std::string svg(const std::vector<EpochMetrics>& metrics, Task task, const std::string& title = "run") {
        write_learning_curve_svg(metrics, task, title, path("curve.svg"));
        return read_file(path("curve.svg"));
    }
};

TEST_F(Report, MetricsCsvHasAHeaderAndOneRowPerEpoch) {
    EXPECT_EQ(csv(history(2, true), Task::classification), std::string(csv_header) +
                                                               "1,1,0.75,1.5,0.5,,0.01,2,500\n"
                                                               "2,0.5,0.875,0.75,0.5,,0.01,2,500\n");
}

TEST_F(Report, MetricsCsvLeavesColumnsThatDoNotApplyEmpty) {
    EXPECT_EQ(csv(history(1, false), Task::classification), std::string(csv_header) + "1,1,0.75,,,,0.01,2,500\n");
    EXPECT_EQ(csv(history(1, false), Task::regression), std::string(csv_header) + "1,1,,,,,0.01,2,500\n");
    EXPECT_EQ(csv(history(1, true), Task::regression), std::string(csv_header) + "1,1,,1.5,,0.75,0.01,2,500\n");
}

TEST_F(Report, LearningCurveHasTrainAndValidationLinesInBothPanels) {
    const std::string picture = svg(history(20, true), Task::classification);
    EXPECT_EQ(picture.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
    EXPECT_EQ(picture.substr(picture.size() - 7), "</svg>\n");
    EXPECT_EQ(occurrences(picture, "<polyline"), 4u);
    EXPECT_EQ(occurrences(picture, "stroke-dasharray"), 3u);  // both validation lines and the legend's sample
    EXPECT_EQ(occurrences(picture, "<circle"), 4u * 20);
    for (const char* text : {">loss<", ">accuracy (%)<", ">epoch<", ">train<", ">validation<"})
        EXPECT_NE(picture.find(text), std::string::npos) << text;
}

TEST_F(Report, LearningCurveTitleIsEscaped) {
    const std::string picture = svg(history(3, true), Task::classification, "a <b> & \"c\"");
    EXPECT_NE(picture.find(">a &lt;b&gt; &amp; &quot;c&quot;<"), std::string::npos);
    EXPECT_EQ(picture.find("<b>"), std::string::npos);
}

TEST_F(Report, LearningCurveOfOneEpochShowsItsPoints) {
    const std::string picture = svg(history(1, true), Task::classification);
    EXPECT_EQ(occurrences(picture, "<polyline"), 4u);
    EXPECT_EQ(occurrences(picture, "<circle"), 4u);
    EXPECT_EQ(picture.find("nan"), std::string::npos);
}

TEST_F(Report, LearningCurveWithoutValidationHasOnlyTrainLines) {
    const std::string picture = svg(history(5, false), Task::classification);
    EXPECT_EQ(occurrences(picture, "<polyline"), 2u);
    EXPECT_EQ(picture.find(">validation<"), std::string::npos);
}

TEST_F(Report, RegressionCurveShowsValidationRmseOrSaysThereIsNone) {
    const std::string validated = svg(history(5, true), Task::regression);
    EXPECT_EQ(occurrences(validated, "<polyline"), 3u);  // train and validation loss, validation RMSE
    EXPECT_NE(validated.find(">RMSE<"), std::string::npos);
    const std::string unvalidated = svg(history(5, false), Task::regression);
    EXPECT_EQ(occurrences(unvalidated, "<polyline"), 1u);
    EXPECT_NE(unvalidated.find("RMSE: no validation data"), std::string::npos);
}

TEST_F(Report, ConstantMetricsStillGetAnAxisRange) {
    std::vector<EpochMetrics> flat = history(4, true);
    for (EpochMetrics& epoch : flat) epoch.train_loss = 0;
    const std::string picture = svg(flat, Task::classification);
    EXPECT_EQ(picture.find("nan"), std::string::npos);
    EXPECT_EQ(picture.find("inf"), std::string::npos);
}

TEST_F(Report, WritingIntoAMissingDirectoryIsAnError) {
    EXPECT_THROW(write_metrics_csv(history(1, false), Task::classification, path("missing/metrics.csv")), Error);
    EXPECT_THROW(write_learning_curve_svg(history(1, false), Task::classification, "t", path("missing/curve.svg")),
                 Error);
    EXPECT_TRUE(entries().empty());
}

}  // namespace

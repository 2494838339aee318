// What data-parallel training needs of the data layer (docs/distributed.md): a source's sample count
// without loading it, a range of its rows alone with the class names of the whole file, and a
// standardisation fitted over the rows of every process.
#include <gtest/gtest.h>

#include <string>

#include "nabla/dataset.hpp"
#include "nabla/error.hpp"
#include "nabla/preprocess.hpp"
#include "scratch_dir.hpp"

using namespace nabla;

namespace {

class RowRangeTest : public ScratchDirTest {
protected:
    std::string file(const std::string& name, std::string_view bytes) {
        write_file(path(name), bytes);
        return path(name);
    }

    // Five 1×2 images with pixel values 10·i and 10·i + 1, labelled i (the last one 7).
    std::string idx_source() {
        std::string images{0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2};
        std::string labels{0, 0, 8, 1, 0, 0, 0, 5};
        for (char i = 0; i < 5; ++i) {
            images += {char(10 * i), char(10 * i + 1)};
            labels += i == 4 ? char(7) : i;
        }
        return "idx:" + file("images", images) + "," + file("labels", labels);
    }
};

LoadOptions rows(std::size_t begin, std::size_t end) {
    LoadOptions options;
    options.rows = RowRange{begin, end};
    return options;
}

// The header, blank lines and a quoted field across two lines are not rows.
constexpr std::string_view kCsv = "x,label\n1,b\n\n2,\"a\nb\"\n3,c\n4,b\n";

TEST_F(RowRangeTest, CountsSamplesWithoutLoadingThem) {
    EXPECT_EQ(count_samples(file("data.csv", kCsv)), 4u);
    EXPECT_EQ(count_samples(file("plain.csv", "1,2\n3,4\n")), 2u);  // no header
    EXPECT_EQ(count_samples(idx_source()), 5u);
}

TEST_F(RowRangeTest, CsvRowsKeepTheClassNamesOfTheWholeFile) {
    const Dataset part = load_dataset(file("data.csv", kCsv), rows(2, 4));
    ASSERT_EQ(part.samples(), 2u);
    EXPECT_EQ(part.x(0, 0), 3.0f);
    EXPECT_EQ(part.x(1, 0), 4.0f);
    EXPECT_EQ(part.class_names, (std::vector<std::string>{"a\nb", "b", "c"}));  // "a\nb" only in rows outside
    EXPECT_EQ(part.labels, (std::vector<std::int32_t>{2, 1}));
    EXPECT_EQ(part.y.cols, 3u);
}

TEST_F(RowRangeTest, CsvRegressionRows) {
    LoadOptions options = rows(1, 3);
    options.task = Task::regression;
    const Dataset part = load_dataset(file("data.csv", "x,y\n1,10\n2,20\n3,30\n4,40\n"), options);
    ASSERT_EQ(part.samples(), 2u);
    EXPECT_EQ(part.x(0, 0), 2.0f);
    EXPECT_EQ(part.y(1, 0), 30.0f);
}

TEST_F(RowRangeTest, IdxRowsKeepTheClassNamesOfAllLabels) {
    const Dataset part = load_dataset(idx_source(), rows(1, 3));
    ASSERT_EQ(part.samples(), 2u);
    EXPECT_EQ(part.x(0, 0), 10.0f);
    EXPECT_EQ(part.x(1, 1), 21.0f);
    EXPECT_EQ(part.labels, (std::vector<std::int32_t>{1, 2}));
    EXPECT_EQ(part.class_names.size(), 8u);  // "0".."7": label 7 is outside the rows
}

TEST_F(RowRangeTest, RowsBeyondTheSourceAreAnError) {
    for (const std::string& source : {file("data.csv", kCsv), idx_source()}) {
        try {
            load_dataset(source, rows(3, 9));
            ADD_FAILURE() << "no error for " << source;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("rows 3 to 9 were asked for"), std::string::npos) << e.what();
        }
    }
}

// Two processes holding the same rows sum to twice the sums of one: the statistics of x itself.
TEST(StandardizeAcrossProcesses, FitsTheStatisticsOfAllRows) {
    Matrix<float> x(3, 2);
    x.data = {1, 10, 2, 20, 6, 30};
    const Preprocessing alone = Preprocessing::standardize_fit(x);
    struct Twice : Communicator {
        void sum(std::span<double> sums) override {
            for (double& s : sums) s *= 2;
        }
    } twice;
    const Preprocessing doubled = Preprocessing::standardize_fit(x, twice);
    EXPECT_EQ(doubled.offset, alone.offset);
    EXPECT_EQ(doubled.scale, alone.scale);
}

}  // namespace

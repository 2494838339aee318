// Data loaders (IDX, CSV, named sources), the train/validation split and preprocessing. Test files
// are written to a fresh temporary directory per test, so every case shows its input inline.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "nabla/dataset.hpp"
#include "nabla/error.hpp"
#include "nabla/preprocess.hpp"
#include "nabla/threads.hpp"
#include "nabla/trainer.hpp"

namespace fs = std::filesystem;
using nabla::Dataset;
using nabla::LoadOptions;
using nabla::Task;

namespace {

void write_file(const fs::path& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void write_gz(const fs::path& path, std::string_view bytes) {
    gzFile out = gzopen(path.c_str(), "wb");
    ASSERT_NE(out, nullptr);
    ASSERT_EQ(gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    gzclose(out);
}

std::string big_endian(std::uint32_t value) {
    return {static_cast<char>(value >> 24), static_cast<char>(value >> 16), static_cast<char>(value >> 8),
            static_cast<char>(value)};
}

// An IDX file of unsigned bytes: magic 00 00 08 RANK, the dimensions, the data.
std::string idx_file(const std::vector<std::uint32_t>& dims, std::string_view data) {
    std::string bytes = {0, 0, 0x08, static_cast<char>(dims.size())};
    for (const std::uint32_t dim : dims) bytes += big_endian(dim);
    return bytes + std::string(data);
}

// Three 2×2 images with labels 0, 2, 1.
const std::string kImages = idx_file({3, 2, 2}, std::string("\x00\x01\x02\x03\x10\x20\x30\x40\xFF\xFE\xFD\xFC", 12));
const std::string kLabels = idx_file({3}, std::string("\x00\x02\x01", 3));

// The message of the Error that `action` throws, after checking that it is one line.
template <class Action>
std::string error_message(Action&& action) {
    try {
        action();
    } catch (const nabla::Error& error) {
        const std::string message = error.what();
        EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
        return message;
    }
    ADD_FAILURE() << "expected a nabla::Error";
    return {};
}

void expect_contains(const std::string& message, std::initializer_list<std::string> parts) {
    for (const std::string& part : parts)
        EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' missing in: " << message;
}


class DataTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() /
               ("nabla_data_test_" + std::to_string(getpid()) + "_" + test->test_suite_name() + "_" + test->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string file(const std::string& name, std::string_view bytes) {
        const fs::path path = dir_ / name;
        write_file(path, bytes);
        return path.string();
    }
    std::string gz_file(const std::string& name, std::string_view bytes) {
        const fs::path path = dir_ / name;
        write_gz(path, bytes);
        return path.string();
    }

    // load_csv of `text`, written to a file whose path the error messages start with.
    Dataset csv(std::string_view text, const LoadOptions& options = {}) {
        return nabla::load_csv(file("data.csv", text), options);
    }
    std::string csv_error(std::string_view text, const LoadOptions& options = {}) {
        const std::string path = file("data.csv", text);
        const std::string message = error_message([&] { nabla::load_csv(path, options); });
        EXPECT_EQ(message.rfind(path, 0), 0u) << "does not start with the path: " << message;
        return message;
    }

    fs::path dir_;
};

void expect_tiny_idx(const Dataset& data) {
    ASSERT_EQ(data.samples(), 3u);
    ASSERT_EQ(data.features(), 4u);
    EXPECT_EQ(data.x(0, 3), 3.0f);
    EXPECT_EQ(data.x(1, 0), 16.0f);
    EXPECT_EQ(data.x(2, 0), 255.0f);  // bytes are unsigned
    EXPECT_EQ(data.labels, (std::vector<std::int32_t>{0, 2, 1}));
    EXPECT_EQ(data.class_names, (std::vector<std::string>{"0", "1", "2"}));
    EXPECT_TRUE(data.feature_names.empty());
    EXPECT_TRUE(data.pixels);
    ASSERT_EQ(data.y.rows, 3u);
    ASSERT_EQ(data.y.cols, 3u);
    EXPECT_EQ(data.y(1, 2), 1.0f);
    EXPECT_EQ(data.y(1, 0) + data.y(1, 1), 0.0f);
    EXPECT_EQ(data.task, Task::classification);
    EXPECT_TRUE(data.has_targets);
}

// ---- IDX ----

TEST_F(DataTest, IdxPlainRoundTrip) {
    expect_tiny_idx(nabla::load_idx(file("images", kImages), file("labels", kLabels)));
}

TEST_F(DataTest, IdxGzipRoundTrip) {
    expect_tiny_idx(nabla::load_idx(gz_file("images.gz", kImages), gz_file("labels.gz", kLabels)));
}

TEST_F(DataTest, IdxPathFindsLabelsBesideImages) {
    const std::string images = gz_file("tiny-images-idx3-ubyte.gz", kImages);
    gz_file("tiny-labels-idx1-ubyte.gz", kLabels);
    const Dataset data = nabla::load_dataset(images);
    expect_tiny_idx(data);
    EXPECT_EQ(data.source, images);
    expect_tiny_idx(nabla::load_dataset("idx:" + images));
}

TEST_F(DataTest, IdxSourceWithExplicitLabels) {
    const std::string source = "idx:" + file("a.bin", kImages) + "," + file("b.bin", kLabels);
    const Dataset data = nabla::load_dataset(source);
    expect_tiny_idx(data);
    EXPECT_EQ(data.source, source);
}

TEST_F(DataTest, IdxWithoutLabelsNameIsRefused) {
    const std::string images = file("pictures-idx3-ubyte", kImages);
    expect_contains(error_message([&] { nabla::load_dataset(images); }), {images, "idx:IMAGES,LABELS"});
}

TEST_F(DataTest, IdxWrongMagic) {
    const std::string images = file("images", "\x12\x34\x08\x03" + kImages.substr(4));
    expect_contains(error_message([&] { nabla::load_idx(images, file("labels", kLabels)); }),
                    {images + ": not an IDX file"});
}

TEST_F(DataTest, IdxWrongDataType) {
    std::string floats = kImages;
    floats[2] = 0x0D;
    const std::string images = file("images", floats);
    expect_contains(error_message([&] { nabla::load_idx(images, file("labels", kLabels)); }),
                    {images, "data type 0x0D"});
}

TEST_F(DataTest, IdxLabelsGivenAsImages) {
    const std::string labels = file("labels", kLabels);
    expect_contains(error_message([&] { nabla::load_idx(labels, labels); }),
                    {labels, "expected IDX images, which have 3 dimensions; this file has 1"});
}

TEST_F(DataTest, IdxTruncatedHeader) {
    const std::string images = file("images", kImages.substr(0, 10));
    expect_contains(error_message([&] { nabla::load_idx(images, file("labels", kLabels)); }),
                    {images + ": truncated IDX header"});
}

TEST_F(DataTest, IdxTruncatedData) {
    const std::string images = file("images", kImages.substr(0, kImages.size() - 1));
    expect_contains(error_message([&] { nabla::load_idx(images, file("labels", kLabels)); }),
                    {images + ": truncated", "3x2x2 = 12 bytes", "holds 11"});
}

TEST_F(DataTest, IdxTrailingData) {
    const std::string labels = file("labels", kLabels + "x");
    expect_contains(error_message([&] { nabla::load_idx(file("images", kImages), labels); }),
                    {labels + ": more data than the IDX header declares"});
}

TEST_F(DataTest, IdxAbsurdDimensionsAreRefusedBeforeReading) {
    const std::string images = file("images", idx_file({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, ""));
    expect_contains(error_message([&] { nabla::load_idx(images, file("labels", kLabels)); }),
                    {images, "more than nabla reads"});
}

TEST_F(DataTest, IdxHeaderClaimingMoreThanTheFileHolds) {
    const std::string images = file("images", idx_file({1u << 20, 28, 28}, "abc"));
    expect_contains(error_message([&] { nabla::load_idx(images, file("labels", kLabels)); }),
                    {images, "truncated", "holds 3"});
}

TEST_F(DataTest, IdxEmptyArray) {
    const std::string images = file("images", idx_file({3, 0, 2}, ""));
    expect_contains(error_message([&] { nabla::load_idx(images, file("labels", kLabels)); }),
                    {images, "empty array (3x0x2)"});
}

TEST_F(DataTest, IdxCountMismatch) {
    const std::string labels = file("labels", idx_file({2}, std::string("\x00\x01", 2)));
    expect_contains(error_message([&] { nabla::load_idx(file("images", kImages), labels); }),
                    {labels + ": 2 labels, but", "holds 3 images"});
}

TEST_F(DataTest, IdxTruncatedGzip) {
    const std::string whole = gz_file("whole.gz", kImages);
    std::ifstream in(whole, std::ios::binary);
    const std::string compressed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string images = file("cut.gz", compressed.substr(0, compressed.size() - 10));
    expect_contains(error_message([&] { nabla::load_idx(images, file("labels", kLabels)); }),
                    {images + ": the gzip data is truncated"});
}

TEST_F(DataTest, MissingFileAndDirectory) {
    const std::string missing = (dir_ / "missing").string();
    expect_contains(error_message([&] { nabla::load_idx(missing, missing); }),
                    {missing + ": cannot open: No such file"});
    expect_contains(error_message([&] { nabla::load_csv(dir_.string()); }), {dir_.string() + ": cannot read"});
}

TEST_F(DataTest, IdxFollowsTheModelsClasses) {
    const std::string source = "idx:" + file("images", kImages) + "," + file("labels", kLabels);
    LoadOptions options;
    options.class_names = {"2", "1", "0", "3"};
    const Dataset data = nabla::load_dataset(source, options);
    EXPECT_EQ(data.class_names, options.class_names);
    EXPECT_EQ(data.labels, (std::vector<std::int32_t>{2, 0, 1}));
    ASSERT_EQ(data.y.cols, 4u);
    EXPECT_EQ(data.y(0, 2), 1.0f);

    options.class_names = {"0", "1"};
    expect_contains(error_message([&] { nabla::load_dataset(source, options); }),
                    {"unknown class '2' (the model knows: 0, 1)"});
}

TEST_F(DataTest, IdxRefusesAModelOfAnotherWidthOrTask) {
    const std::string source = "idx:" + file("images", kImages) + "," + file("labels", kLabels);
    LoadOptions options;
    options.features = 784;
    expect_contains(error_message([&] { nabla::load_dataset(source, options); }),
                    {"4 features, but the model expects 784"});
    options = {};
    options.task = Task::regression;
    expect_contains(error_message([&] { nabla::load_dataset(source, options); }), {"not regression targets"});
}

// ---- named sources ----

TEST_F(DataTest, FashionMnistDirectoryFromEnvironment) {
    gz_file("train-images-idx3-ubyte.gz", kImages);
    gz_file("train-labels-idx1-ubyte.gz", kLabels);
    const char* previous = std::getenv("NABLA_DATASETS");
    const std::string saved = previous ? previous : "";
    setenv("NABLA_DATASETS", dir_.c_str(), 1);
    const Dataset data = nabla::load_dataset("fashion-mnist:train");
    const std::string missing = error_message([] { nabla::load_dataset("fashion-mnist:test"); });
    const std::string bad_part = error_message([] { nabla::load_dataset("fashion-mnist:valid"); });
    if (previous)
        setenv("NABLA_DATASETS", saved.c_str(), 1);
    else
        unsetenv("NABLA_DATASETS");

    expect_tiny_idx(data);
    EXPECT_EQ(data.source, "fashion-mnist:train");
    expect_contains(missing, {"t10k-images-idx3-ubyte.gz: not found", "NABLA_DATASETS"});
    expect_contains(bad_part, {"unknown source 'fashion-mnist:valid'", "fashion-mnist:test"});
}

TEST(FashionMnist, InstalledDataSet) {
    if (std::getenv("NABLA_DATASETS") || !fs::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
        GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed";
    const auto start = std::chrono::steady_clock::now();
    const Dataset train = nabla::load_dataset("fashion-mnist:train");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(train.samples(), 60000u);
    EXPECT_EQ(train.features(), 784u);
    EXPECT_EQ(train.class_names.size(), 10u);
    EXPECT_EQ(train.y.cols, 10u);
    EXPECT_EQ(*std::max_element(train.x.data.begin(), train.x.data.end()), 255.0f);
    RecordProperty("train_load_seconds", std::to_string(seconds));

    const Dataset test = nabla::load_dataset("fashion-mnist:test");
    EXPECT_EQ(test.samples(), 10000u);
    EXPECT_EQ(test.class_names.size(), 10u);
}

TEST(Task, NamesRoundTrip) {
    EXPECT_EQ(nabla::parse_task(nabla::task_name(Task::classification)), Task::classification);
    EXPECT_EQ(nabla::parse_task(nabla::task_name(Task::regression)), Task::regression);
    expect_contains(error_message([] { nabla::parse_task("clustering"); }),
                    {"'clustering'", "classification or regression"});
}

// ---- CSV ----

TEST_F(DataTest, CsvHeaderAndStringLabels) {
    const Dataset data = csv("a,b,species\n1,2,cat\n3,4.5,dog\n-5,6e1,cat\n");
    ASSERT_EQ(data.samples(), 3u);
    ASSERT_EQ(data.features(), 2u);
    EXPECT_EQ(data.feature_names, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(data.x(1, 1), 4.5f);
    EXPECT_EQ(data.x(2, 0), -5.0f);
    EXPECT_EQ(data.x(2, 1), 60.0f);
    EXPECT_EQ(data.class_names, (std::vector<std::string>{"cat", "dog"}));
    EXPECT_EQ(data.labels, (std::vector<std::int32_t>{0, 1, 0}));
    ASSERT_EQ(data.y.cols, 2u);
    EXPECT_EQ(data.y(1, 1), 1.0f);
    EXPECT_TRUE(data.has_targets);
    EXPECT_FALSE(data.pixels);
}

TEST_F(DataTest, CsvWithoutHeaderSortsIntegerLabelsNumerically) {
    const Dataset data = csv("0.5,10\n1.5,2\n2.5,1\n3.5,01\n4.5,2.0\n");
    ASSERT_EQ(data.samples(), 5u);
    EXPECT_EQ(data.feature_names, (std::vector<std::string>{"field1"}));
    EXPECT_EQ(data.class_names, (std::vector<std::string>{"1", "2", "10"}));
    EXPECT_EQ(data.labels, (std::vector<std::int32_t>{2, 1, 0, 0, 1}));
}

TEST_F(DataTest, CsvQuotingLineEndsAndBlankLines) {
    const Dataset data =
        csv("\xEF\xBB\xBF\"x\", \"y\" ,\"label\"\r\n"
            "\"1.5\",2,\"a,b\"\r\n"
            "\r\n"
            "  3 ,\"4\",\"say \"\"hi\"\"\"\r\n"
            "5,6,\"two\nlines\"\n"
            "\n  \n");
    ASSERT_EQ(data.samples(), 3u);
    EXPECT_EQ(data.feature_names, (std::vector<std::string>{"x", "y"}));
    EXPECT_EQ(data.x(0, 0), 1.5f);
    EXPECT_EQ(data.x(1, 0), 3.0f);
    EXPECT_EQ(data.x(1, 1), 4.0f);
    EXPECT_EQ(data.class_names, (std::vector<std::string>{"a,b", "say \"hi\"", "two\nlines"}));
}

TEST_F(DataTest, CsvLineNumbersCountBlankAndQuotedLines) {
    expect_contains(csv_error("a,b,c\n\n1,2,\"x\ny\"\n3,oops,z\n"),
                    {"data.csv:5: field 2 ('b'): expected a number, got 'oops'"});
}

TEST_F(DataTest, CsvGzipped) {
    const Dataset data = nabla::load_csv(gz_file("data.csv.gz", "a,b\n1,x\n2,y\n"));
    EXPECT_EQ(data.samples(), 2u);
    EXPECT_EQ(data.class_names, (std::vector<std::string>{"x", "y"}));
}

TEST_F(DataTest, CsvTargetByNameAndIndex) {
    const std::string text = "a,label,b\n1,x,2\n3,y,4\n";
    LoadOptions options;
    options.target = "label";
    const Dataset by_name = csv(text, options);
    EXPECT_EQ(by_name.feature_names, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(by_name.x(1, 1), 4.0f);
    EXPECT_EQ(by_name.class_names, (std::vector<std::string>{"x", "y"}));

    options.target = "1";
    const Dataset by_index = csv(text, options);
    EXPECT_EQ(by_index.feature_names, by_name.feature_names);
    EXPECT_EQ(by_index.labels, by_name.labels);

    options.target = "0";
    const Dataset headerless = csv("x,1,2\ny,3,4\n", options);
    EXPECT_EQ(headerless.feature_names, (std::vector<std::string>{"field2", "field3"}));
    EXPECT_EQ(headerless.class_names, (std::vector<std::string>{"x", "y"}));
}

TEST_F(DataTest, CsvUnknownTargetColumn) {
    LoadOptions options;
    options.target = "kind";
    expect_contains(csv_error("a,b,c\n1,2,x\n", options), {"no column named 'kind' (columns: a, b, c)"});
    expect_contains(csv_error("1,2,x\n", options), {"no header row", "0-based column index"});
    options.target = "3";
    expect_contains(csv_error("a,b,c\n1,2,x\n", options), {"target column 3 is out of range", "3 columns"});
}

TEST_F(DataTest, CsvRegression) {
    LoadOptions options;
    options.task = Task::regression;
    const Dataset data = csv("rooms,price\n3,1.5e5\n4,2.25e5\n", options);
    EXPECT_EQ(data.task, Task::regression);
    ASSERT_EQ(data.y.rows, 2u);
    ASSERT_EQ(data.y.cols, 1u);
    EXPECT_EQ(data.y(1, 0), 225000.0f);
    EXPECT_EQ(data.target_names, (std::vector<std::string>{"price"}));
    EXPECT_TRUE(data.labels.empty());
    EXPECT_TRUE(data.class_names.empty());

    expect_contains(csv_error("rooms,price\n3,cheap\n", options),
                    {"data.csv:2: field 2 ('price'): expected a number, got 'cheap'"});
}

TEST_F(DataTest, CsvRaggedRow) {
    expect_contains(csv_error("a,b,c\n1,2,x\n3,4\n"), {"data.csv:3: expected 3 fields, got 2"});
}

TEST_F(DataTest, CsvMissingValuesGetTheTrainingMedian) {
    // a: -3, 5, 1, (missing), 2 → median 1.5; b: odd count, negatives, close values; c: all missing.
    const Dataset data = csv("a,b,c,y\n-3,-0.25,NA,x\n5,-0.5,,y\n1,-0.125,?,x\nNA,1e-7,nan,y\n2,4,null,x\n");
    ASSERT_EQ(data.columns.size(), 3u);
    EXPECT_EQ(data.columns[0].fill, 1.5f);
    EXPECT_EQ(data.columns[1].fill, -0.125f);
    EXPECT_EQ(data.columns[2].fill, 0.0f);
    EXPECT_EQ(data.x(3, 0), 1.5f);  // the missing value, filled
    EXPECT_EQ(data.x(1, 2), 0.0f);
}

TEST_F(DataTest, CsvMediansOfManyRowsAreExactOnAnyThreadCount) {
    // Enough rows for the median's passes to be shared among threads: an even count of values in
    // one column (the median is the mean of the two middle ones), an odd count in another, values
    // that crowd one range of keys and values spread over many, and every tenth value missing.
    constexpr int rows = 150001;
    std::string text = "spread,crowded,y\n";
    std::vector<float> spread, crowded;
    std::uint64_t state = 12345;
    auto next = [&state] { return (state = state * 6364136223846793005ULL + 1442695040888963407ULL) >> 33; };
    for (int i = 0; i < rows; ++i) {
        const float a = float(std::ldexp(double(next() % 2000001) - 1e6, int(next() % 40) - 20));
        const float b = 1.0f + float(next() % 1000) * 1e-6f;
        const bool a_missing = i % 10 == 3, b_missing = i == 7;
        if (!a_missing) spread.push_back(a);
        if (!b_missing) crowded.push_back(b);
        char line[96];
        std::snprintf(line, sizeof line, "%s,%s,%c\n", a_missing ? "NA" : std::to_string(a).c_str(),
                      b_missing ? "" : std::to_string(b).c_str(), i % 2 ? 'p' : 'q');
        text += line;
    }
    const std::string many = file("many.csv", text);
    // The values as nabla reads them (through the same text), then their exact medians.
    auto median = [](std::vector<float> v) {
        std::sort(v.begin(), v.end());
        const std::size_t n = v.size();
        return n % 2 ? v[n / 2] : float((double(v[n / 2 - 1]) + double(v[n / 2])) / 2);
    };
    for (float& v : spread) v = std::stof(std::to_string(v));
    for (float& v : crowded) v = std::stof(std::to_string(v));
    const float expected_spread = median(spread), expected_crowded = median(crowded);
    for (const int threads : {1, 2, 3}) {
        nabla::set_threads(threads);
        const Dataset data = nabla::load_dataset(many);
        ASSERT_EQ(data.columns.size(), 2u);
        EXPECT_EQ(data.columns[0].fill, expected_spread) << threads << " threads";
        EXPECT_EQ(data.columns[1].fill, expected_crowded) << threads << " threads";
    }
    nabla::set_threads(0);
}

// A file large enough to be read by several threads at once, a part each: whatever the thread
// count, the same data set, and the same error (the first in the file).
std::string many_rows_csv(int rows) {
    std::string text = "id_less,a,b,port,deck,label\n";
    const char* ports[] = {"S", "C", "Q"};
    const char* decks[] = {"A", "B"};
    for (int i = 0; i < rows; ++i) {
        if (i % 997 == 0) text += "\n  \n";  // blank lines, some at a part's cut
        char line[128];
        // Categorical columns whose numbers and words fall in different parts of the file, so that
        // a part that read only numbers in one must still give its rows their texts: `port` has
        // words in the first 60% of the rows and numbers after, `deck` numbers in the first 40%.
        const std::string port = i % 13 == 0 ? "NA" : i < rows * 6 / 10 ? ports[i % 3] : std::to_string(i % 4);
        const std::string deck = i < rows * 4 / 10 ? std::to_string(i % 5) : decks[i % 2];
        std::snprintf(line, sizeof line, "%d,%.5f,%s,%s,%s,%s\n", i, (i % 101) * 0.37 - 5, i % 17 == 0 ? "" : "2.5e-3",
                      port.c_str(), deck.c_str(), i % 7 < 3 ? "yes" : "no");
        text += line;
    }
    text.pop_back();  // no line end after the last row
    return text;
}

TEST_F(DataTest, CsvReadInPartsIsTheSameOnAnyThreadCount) {
    const std::string text = many_rows_csv(130000);
    ASSERT_GT(text.size(), std::size_t(3) << 20);  // parts of at least 1 MiB each for 3 threads
    const std::string csv_path = file("many.csv", text);
    nabla::set_threads(1);
    const Dataset one = nabla::load_dataset(csv_path);
    ASSERT_EQ(one.samples(), 130000u);
    for (const int threads : {2, 3}) {
        nabla::set_threads(threads);
        const Dataset many = nabla::load_dataset(csv_path);
        EXPECT_EQ(many.x.data, one.x.data) << threads << " threads";
        EXPECT_EQ(many.y.data, one.y.data) << threads << " threads";
        EXPECT_EQ(many.class_names, one.class_names);
        EXPECT_EQ(many.feature_names, one.feature_names);
        ASSERT_EQ(many.columns.size(), one.columns.size());
        for (std::size_t k = 0; k < one.columns.size(); ++k) {
            EXPECT_EQ(many.columns[k].kind, one.columns[k].kind) << one.columns[k].name;
            EXPECT_EQ(many.columns[k].categories, one.columns[k].categories) << one.columns[k].name;
            EXPECT_EQ(many.columns[k].fill, one.columns[k].fill) << one.columns[k].name;
            EXPECT_EQ(many.columns[k].missing_category, one.columns[k].missing_category) << one.columns[k].name;
        }
    }
    EXPECT_EQ(one.columns[3].kind, nabla::InputColumn::Kind::categorical);  // words, and the numbers as words
    EXPECT_EQ(one.columns[3].categories, (std::vector<std::string>{"0", "1", "2", "3", "C", "Q", "S"}));
    EXPECT_EQ(one.columns[4].categories, (std::vector<std::string>{"0", "1", "2", "3", "4", "A", "B"}));

    // The first bad field in the file is the one named, wherever the parts are cut.
    std::string bad = text;
    const auto late = bad.find("\n50000,"), early = bad.find("\n700,");
    bad.insert(bad.find(',', late + 1) + 1, "x");  // field 2 of the row with id 50000
    const std::string late_only = file("late.csv", bad);
    bad.insert(bad.find(',', early + 1) + 1, "y");
    const std::string both = file("both.csv", bad);
    // Row i's line: after the header, and two blank lines before every 997th row.
    const auto line_of = [](int i) { return std::to_string(2 + i + 2 * (i / 997 + 1)); };
    for (const int threads : {1, 2, 3}) {
        nabla::set_threads(threads);
        expect_contains(error_message([&] { nabla::load_dataset(late_only); }),
                        {"late.csv:" + line_of(50000) + ": field 2 ('a'): expected a number, got 'x"});
        expect_contains(error_message([&] { nabla::load_dataset(both); }),
                        {"both.csv:" + line_of(700) + ": field 2 ('a'): expected a number, got 'y"});
    }
    nabla::set_threads(0);
}

// The same data set from `path` on 1, 2 and 3 threads: features, targets, columns and ids.
void expect_same_on_any_thread_count(const std::string& path, const LoadOptions& options = {}) {
    nabla::set_threads(1);
    const Dataset one = nabla::load_dataset(path, options);
    for (const int threads : {2, 3}) {
        nabla::set_threads(threads);
        const Dataset many = nabla::load_dataset(path, options);
        EXPECT_EQ(many.x.data, one.x.data) << threads << " threads";
        EXPECT_EQ(many.y.data, one.y.data) << threads << " threads";
        EXPECT_TRUE(many.class_names == one.class_names) << threads << " threads";
        EXPECT_EQ(many.ids, one.ids) << threads << " threads";
        EXPECT_EQ(many.feature_names, one.feature_names) << threads << " threads";
    }
    nabla::set_threads(0);
}

// Quoted fields with line ends in them, some wherever the file is cut into parts: a part that
// begins inside such a field must not be read as if it began a record.
TEST_F(DataTest, CsvQuotedLineEndsAcrossPartsAreTheSameOnAnyThreadCount) {
    // One quoted field of 1.4 MB of lines, in the middle row: the cut between parts falls inside it.
    std::string long_field = "\"";
    for (int i = 0; i < 200000; ++i) long_field += "line " + std::to_string(i % 10) + "\n";
    long_field += "\"";
    std::string text = "id,a,b,label\n";
    std::size_t lines = 1;
    const int rows = 80000;
    for (int i = 0; i < rows; ++i) {
        const std::string id = i % 3 == 0 ? "\"row\n" + std::to_string(i) + " \"\"q\"\"\"" : std::to_string(i);
        const std::string label = i == rows / 2 ? long_field : i % 5 == 0 ? "\"two\nlines\"" : "one";
        text += id + "," + std::to_string(i % 89) + ".25,-" + std::to_string(i % 7) + "," + label + "\r\n";
        lines += 1 + std::size_t(std::count(id.begin(), id.end(), '\n') + std::count(label.begin(), label.end(), '\n'));
    }
    ASSERT_GT(text.size(), std::size_t(3) << 20);
    LoadOptions ids;
    ids.id_column = "id";
    const std::string path = file("quoted.csv", text);
    expect_same_on_any_thread_count(path, ids);
    const Dataset data = nabla::load_dataset(path, ids);
    ASSERT_EQ(data.samples(), std::size_t(rows));
    EXPECT_EQ(data.ids[3], "row\n3 \"q\"");
    ASSERT_EQ(data.class_names.size(), 3u);
    EXPECT_TRUE(data.class_names[0] == long_field.substr(1, long_field.size() - 2));  // no diff of 1.4 MB
    EXPECT_EQ(data.class_names[1], "one");
    EXPECT_EQ(data.class_names[2], "two\nlines");
    EXPECT_EQ(data.x(rows - 1, 0), float((rows - 1) % 89) + 0.25f);

    // A bad field after the long one is named at its line, whatever the parts.
    const std::string bad = file("bad.csv", text + "80000,x,3,one\n");
    for (const int threads : {1, 2, 3}) {
        nabla::set_threads(threads);
        expect_contains(error_message([&] { nabla::load_dataset(bad, ids); }),
                        {"bad.csv:" + std::to_string(lines + 1) + ": field 2 ('a'): expected a number, got 'x'"});
    }
    nabla::set_threads(0);
}

// A last line of 1.5 MB with no line end: the parts after the last line end are empty, and the
// part before them holds the last row.
TEST_F(DataTest, CsvLongLastLineWithoutLineEndInParts) {
    std::string text = "a,b,label\n";
    for (int i = 0; i < 60000; ++i) text += std::to_string(i) + ",2.5,yes\n";  // no blank lines to spare
    text += "1,2.5," + std::string(1500000, 'y');
    LoadOptions options;
    const std::string path = file("long.csv", text);
    expect_same_on_any_thread_count(path, options);
    nabla::set_threads(3);
    const Dataset data = nabla::load_dataset(path, options);
    nabla::set_threads(0);
    ASSERT_EQ(data.samples(), 60001u);
    EXPECT_EQ(data.class_names.size(), 2u);
}

// CRLF line ends read as LF ones, in parts too.
TEST_F(DataTest, CsvCrlfLinesInPartsReadAsLfLines) {
    std::string lf = many_rows_csv(130000), crlf;
    for (const char c : lf) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    const std::string crlf_path = file("crlf.csv", crlf);
    expect_same_on_any_thread_count(crlf_path);
    nabla::set_threads(2);
    const Dataset a = nabla::load_dataset(file("lf.csv", lf)), b = nabla::load_dataset(crlf_path);
    nabla::set_threads(0);
    EXPECT_EQ(a.x.data, b.x.data);
    EXPECT_EQ(a.y.data, b.y.data);
}

// Numbers written simply are read by a path of their own (no from_chars): it must give every
// number the float that from_chars's double does, whatever its digits, sign or zeros.
TEST_F(DataTest, CsvSimpleNumbersReadAsFromChars) {
    std::mt19937_64 random(5);
    std::vector<std::string> numbers;
    for (int i = 0; i < 60000; ++i) {
        std::string number = random() % 4 == 0 ? "-" : random() % 8 == 0 ? "+" : "";
        const int whole = int(random() % 12), fraction = int(random() % 14);
        for (int d = 0; d < whole; ++d) number += char('0' + random() % 10);
        if (whole == 0) number += "0";
        if (fraction > 0) number += "." + std::string();
        for (int d = 0; d < fraction; ++d) number += char('0' + random() % 10);
        if (random() % 16 == 0) number += "e" + std::to_string(int(random() % 20) - 10);  // not simple
        numbers.push_back(number);
    }
    numbers.insert(numbers.end(), {"9007199254740993", "9007199254740992", "0.30000000000000004", "-0", "-0.0",
                                   "123456789012345678", "1234567890123456789", "12345678901234567890",
                                   "0.0000000000000000000001", "179769313486231570000000000000000000000"});
    std::string text = "a,b,label\n";
    for (std::size_t i = 0; i + 1 < numbers.size(); i += 2) text += numbers[i] + "," + numbers[i + 1] + ",1\n";
    const std::string path = file("numbers.csv", text);
    expect_same_on_any_thread_count(path);
    const Dataset data = nabla::load_dataset(path);
    ASSERT_EQ(data.x.data.size(), numbers.size() / 2 * 2);
    for (std::size_t i = 0; i < data.x.data.size(); ++i) {
        std::string_view number = numbers[i];
        if (number.starts_with('+')) number.remove_prefix(1);
        double value = 0;
        std::from_chars(number.data(), number.data() + number.size(), value);
        ASSERT_EQ(std::bit_cast<std::uint32_t>(data.x.data[i]), std::bit_cast<std::uint32_t>(static_cast<float>(value)))
            << numbers[i];
    }
}

// The targets of all parts: regression numbers, and the first refused label, at its line.
TEST_F(DataTest, CsvTargetsOfPartsAndTheirErrors) {
    std::string text = "a,b,t\n";
    for (int i = 0; i < 150000; ++i) text += std::to_string(i % 13) + ".5," + std::to_string(i) + "," + std::to_string(i % 3) + (i % 2 ? ".25" : "") + "\n";
    LoadOptions regression;
    regression.task = Task::regression;
    const std::string path = file("targets.csv", text);
    expect_same_on_any_thread_count(path, regression);
    nabla::set_threads(3);
    EXPECT_EQ(nabla::load_dataset(path, regression).y(149999, 0), 2.25f);
    // Classification: labels 1.25 (row 2, line 3) is the first that is not an integer.
    expect_contains(error_message([&] { nabla::load_dataset(path); }),
                    {"targets.csv:3: field 3 ('t'): class label '1.25' is not an integer"});
    // A missing target late in the file, after one in a row that is not kept.
    std::string late = text;
    const auto line_start = [&](std::size_t line) {  // of the line numbered `line` (from 1) in `late`
        std::size_t at = 0;
        for (std::size_t l = 1; l < line; ++l) at = late.find('\n', at) + 1;
        return at;
    };
    late.insert(line_start(2 + 140000), "1,2,NA\n");
    late.insert(line_start(2 + 100), "1,2,\n");
    const std::string late_path = file("late.csv", late);
    regression.rows = nabla::RowRange{200, 150002};
    for (const int threads : {1, 2, 3}) {
        nabla::set_threads(threads);
        expect_contains(error_message([&] { nabla::load_dataset(late_path, regression); }),
                        {"late.csv:" + std::to_string(2 + 140001) + ": field 3 ('t'): the target is missing ('NA')"});
    }
    nabla::set_threads(0);
}

// A NUL byte anywhere makes the file binary data, which is the error named, even where the rows
// before it or the opening rows have errors of their own.
TEST_F(DataTest, CsvNulByteAnywhereIsTheError) {
    std::string text = many_rows_csv(130000);
    text[text.size() - 100] = '\0';
    for (const int threads : {1, 2, 3}) {
        nabla::set_threads(threads);
        expect_contains(error_message([&] { nabla::load_dataset(file("late.csv", text)); }), {"holds NUL bytes"});
        expect_contains(error_message([&] { nabla::load_dataset(file("opening.csv", "a,b\n1\n" + text)); }),
                        {"holds NUL bytes"});
    }
    nabla::set_threads(0);
}

// A gzipped file gives the data set that the file does.
TEST_F(DataTest, CsvGzippedLargeFileIsTheSame) {
    const std::string text = many_rows_csv(130000);
    nabla::set_threads(2);
    const Dataset plain = nabla::load_dataset(file("plain.csv", text)), gz = nabla::load_dataset(gz_file("data.csv.gz", text));
    nabla::set_threads(0);
    EXPECT_EQ(plain.x.data, gz.x.data);
    EXPECT_EQ(plain.y.data, gz.y.data);
}

TEST_F(DataTest, CsvNonNumericFeature) {
    // Numbers with a word among them (not mostly words: a category column) are a mistake.
    expect_contains(csv_error("a,b,c\n1,2,x\n1,abc,x\n"), {"data.csv:3: field 2 ('b'): expected a number, got 'abc'"});
    LoadOptions strict;
    strict.missing_is_error = true;
    expect_contains(csv_error("1,2,x\n3,,y\n", strict), {"data.csv:2: field 2: missing value '' (--missing error)"});
}

TEST_F(DataTest, CsvNonUtf8BytesAreANonNumericField) {
    expect_contains(csv_error("1,2,x\n\xff\xfe\x01,3,y\n"),
                    {"data.csv:2: field 1: '\\xFF\\xFE\\x01' is not valid UTF-8"});
}

TEST_F(DataTest, CsvNonFiniteValues) {
    expect_contains(csv_error("a,b\n1,x\n-inf,y\n"), {"data.csv:3:", "'-inf'"});
    expect_contains(csv_error("a,b\n1,x\n1e39,y\n"), {"data.csv:3:", "'1e39'", "float range"});
    expect_contains(csv_error("a,b\n1,x\n1e999,y\n"), {"data.csv:3:", "'1e999'"});
    expect_contains(csv_error("a,b\n1,x\n2,inf\n"), {"data.csv:3: field 2 ('b'): 'inf' is not a finite number"});
    LoadOptions regression;
    regression.task = Task::regression;
    expect_contains(csv_error("a,b\n1,2\n3,NaN\n", regression), {"data.csv:3: field 2 ('b'): the target is missing ('NaN')"});
}

TEST_F(DataTest, CsvEmptyOrHeaderOnly) {
    expect_contains(csv_error(""), {"the file is empty"});
    expect_contains(csv_error("\n \r\n"), {"the file is empty"});
    expect_contains(csv_error("a,b,label\n"), {"no data rows, only a header"});
}

TEST_F(DataTest, CsvSingleRowWithoutHeaderIsData) {
    EXPECT_EQ(csv("1,2,x\n").samples(), 1u);
}

TEST_F(DataTest, CsvNeedsAFeatureColumn) {
    expect_contains(csv_error("x\ny\n"), {"only one column"});
}

TEST_F(DataTest, CsvQuotingErrors) {
    expect_contains(csv_error("a,b\n1,x\n2,\"y\n3,z\n"), {"data.csv:3: a quoted field is never closed"});
    expect_contains(csv_error("a,b\n1,\"x\"y\n"), {"data.csv:2: field 2: text after the closing quote"});
}

TEST_F(DataTest, CsvModelClassesAndUnknownLabel) {
    LoadOptions options;
    options.class_names = {"dog", "cat", "fish"};
    const Dataset data = csv("a,b\n1,cat\n2,dog\n", options);
    EXPECT_EQ(data.class_names, options.class_names);
    EXPECT_EQ(data.labels, (std::vector<std::int32_t>{1, 0}));
    EXPECT_EQ(data.y.cols, 3u);

    options.class_names = {"cat", "dog"};
    expect_contains(csv_error("a,b\n1,cat\n2,bird\n", options),
                    {"data.csv:3: unknown class 'bird' (the model knows: cat, dog)"});
}

TEST_F(DataTest, CsvFractionalLabelsSuggestRegression) {
    expect_contains(csv_error("a,b\n1,2\n2,2.5\n"),
                    {"data.csv:3: field 2 ('b'): class label '2.5' is not an integer", "--task regression"});
}

TEST_F(DataTest, CsvEmptyClassLabel) {
    expect_contains(csv_error("a,b\n1,x\n2,\"\"\n"), {"data.csv:3: field 2 ('b'): empty class label"});
}

TEST_F(DataTest, CsvTooManyClasses) {
    std::string text = "a,id\n";
    for (int i = 0; i <= 10000; ++i) text += "1,id" + std::to_string(i) + "\n";
    expect_contains(csv_error(text), {"10001 distinct values", "--target", "--task regression"});
}

TEST_F(DataTest, CsvFeatureCountMustMatchTheModel) {
    LoadOptions options;
    options.features = 3;
    expect_contains(csv_error("a,b,c\n1,2,x\n", options), {"data.csv: 2 feature columns, but the model expects 3"});
    options.features.reset();
    options.feature_names = {"a", "b", "c", "d"};
    expect_contains(csv_error("a,b,c\n1,2,x\n", options), {"data.csv: no column named d, which the model takes as a feature"});
    expect_contains(csv_error("1,2,x\n3,4,y\n", options), {"2 feature columns, but the model expects 4"});
}

TEST_F(DataTest, CsvOptionalTargets) {
    LoadOptions options;
    options.targets_optional = true;
    options.features = 2;
    options.class_names = {"x", "y"};
    const Dataset without = csv("a,b\n1,2\n3,4\n", options);
    EXPECT_FALSE(without.has_targets);
    EXPECT_EQ(without.samples(), 2u);
    EXPECT_EQ(without.features(), 2u);
    EXPECT_TRUE(without.y.empty());
    EXPECT_TRUE(without.labels.empty());
    EXPECT_EQ(without.class_names, options.class_names);

    // A target column that is there is not read: a label the model never saw stops nothing.
    const Dataset with = csv("a,b,c\n1,2,y\n3,4,unseen\n", options);
    EXPECT_FALSE(with.has_targets);
    EXPECT_TRUE(with.labels.empty());
    EXPECT_EQ(with.x.data, (std::vector<float>{1, 2, 3, 4}));
}

TEST_F(DataTest, CsvRefusesBinaryData) {
    expect_contains(csv_error(std::string("\x00\x00\x08\x01\n1,2\n", 9)), {"data.csv: holds NUL bytes", "not CSV"});
}

TEST_F(DataTest, CsvThroughLoadDataset) {
    const std::string path = file("plain.csv", "a,b\n1,x\n");
    const Dataset data = nabla::load_dataset(path);
    EXPECT_EQ(data.samples(), 1u);
    EXPECT_EQ(data.source, path);
}

// ---- split ----

Dataset numbered_samples(std::size_t count) {
    Dataset data;
    data.x = nabla::Matrix<float>(count, 1);
    data.y = nabla::Matrix<float>(count, 2);
    for (std::size_t i = 0; i < count; ++i) {
        data.x(i, 0) = static_cast<float>(i);
        data.labels.push_back(static_cast<std::int32_t>(i % 2));
        data.y(i, i % 2) = 1.0f;
    }
    data.class_names = {"even", "odd"};
    data.source = "numbers";
    data.pixels = true;  // to see that the split keeps it
    return data;
}

std::vector<float> first_column(const Dataset& data) {
    std::vector<float> values;
    for (std::size_t i = 0; i < data.samples(); ++i) values.push_back(data.x(i, 0));
    return values;
}

TEST(Split, SizesAndEveryRowOnce) {
    const auto [train, held_out] = nabla::split_dataset(numbered_samples(100), 0.2, 7);
    EXPECT_EQ(train.samples(), 80u);
    EXPECT_EQ(held_out.samples(), 20u);
    std::set<float> seen;
    for (const Dataset* part : {&train, &held_out})
        for (std::size_t i = 0; i < part->samples(); ++i) {
            const auto row = static_cast<std::size_t>(part->x(i, 0));
            seen.insert(part->x(i, 0));
            EXPECT_EQ(part->labels[i], static_cast<std::int32_t>(row % 2));  // rows keep their targets
            EXPECT_EQ(part->y(i, row % 2), 1.0f);
        }
    EXPECT_EQ(seen.size(), 100u);
    EXPECT_EQ(train.class_names, held_out.class_names);
    EXPECT_EQ(held_out.source, "numbers");
    EXPECT_TRUE(held_out.pixels);
}

TEST(Split, SameSeedSameSplitOnEveryPlatform) {
    const Dataset data = numbered_samples(10);
    const auto [train, held_out] = nabla::split_dataset(data, 0.3, 42);
    EXPECT_EQ(first_column(nabla::split_dataset(data, 0.3, 42).first), first_column(train));
    EXPECT_NE(first_column(nabla::split_dataset(data, 0.3, 43).first), first_column(train));
    // nabla::Rng and its shuffle are written out, not taken from the standard library, so this order is portable.
    EXPECT_EQ(first_column(held_out), (std::vector<float>{5, 3, 0}));
}

TEST(Split, FractionLimits) {
    const Dataset data = numbered_samples(4);
    const auto [all, none] = nabla::split_dataset(data, 0.0, 1);
    EXPECT_EQ(all.samples(), 4u);
    EXPECT_EQ(none.samples(), 0u);
    expect_contains(error_message([&] { nabla::split_dataset(data, 1.0, 1); }), {"held-out fraction"});
    expect_contains(error_message([&] { nabla::split_dataset(data, -0.1, 1); }), {"held-out fraction"});
    expect_contains(error_message([&] { nabla::split_dataset(data, std::nan(""), 1); }), {"held-out fraction"});
    expect_contains(error_message([&] { nabla::split_dataset(numbered_samples(1), 0.6, 1); }),
                    {"numbers: too few samples (1)"});
}

TEST(Split, WithoutTargets) {
    Dataset data = numbered_samples(10);
    data.y = {};
    data.labels.clear();
    data.has_targets = false;
    const auto [train, held_out] = nabla::split_dataset(data, 0.5, 3);
    EXPECT_EQ(train.samples(), 5u);
    EXPECT_TRUE(train.y.empty());
    EXPECT_TRUE(held_out.labels.empty());
    EXPECT_FALSE(held_out.has_targets);
}

// ---- preprocessing ----

TEST(Preprocess, StandardizeFitAndApply) {
    nabla::Matrix<float> x(4, 2);
    const float first[] = {1, 2, 3, 4};
    for (std::size_t i = 0; i < 4; ++i) {
        x(i, 0) = first[i];
        x(i, 1) = 7.0f;  // constant
    }
    const auto standardize = nabla::Preprocessing::standardize_fit(x);
    EXPECT_EQ(standardize.kind, nabla::Preprocessing::Kind::standardize);
    EXPECT_FLOAT_EQ(standardize.offset[0], 2.5f);
    EXPECT_FLOAT_EQ(standardize.scale[0], static_cast<float>(1.0 / std::sqrt(1.25)));  // population stddev
    EXPECT_FLOAT_EQ(standardize.offset[1], 7.0f);
    EXPECT_EQ(standardize.scale[1], 1.0f);
    EXPECT_EQ(standardize.describe(), "standardize (2 features)");

    standardize.apply(x);
    double sum = 0, squares = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        sum += x(i, 0);
        squares += x(i, 0) * x(i, 0);
        EXPECT_EQ(x(i, 1), 0.0f);
    }
    EXPECT_NEAR(sum, 0.0, 1e-6);
    EXPECT_NEAR(squares / 4, 1.0, 1e-6);
}

TEST(Preprocess, TargetScalingFoldedIntoTheOutputLayerGivesUnscaledOutputs) {
    nabla::Matrix<float> y(4, 1);
    const float prices[] = {1000, 3000, 2000, 6000};
    for (std::size_t i = 0; i < 4; ++i) y(i, 0) = prices[i];
    const auto scaling = nabla::TargetScaling::fit(y);
    EXPECT_DOUBLE_EQ(scaling.mean[0], 3000.0);
    EXPECT_NEAR(scaling.stddev[0], std::sqrt(3.5e6), 1e-2);  // population stddev
    scaling.apply(y);
    EXPECT_NEAR(y(0, 0), -2000 / std::sqrt(3.5e6), 1e-6);

    // A network's outputs z, and after the fold mean + stddev · z, for any input.
    nabla::Network<float> net(nabla::NetworkSpec{{3, 5, 1}, nabla::Activation::tanh, nabla::Activation::identity, nabla::Loss::mse}, 4);
    nabla::Matrix<float> x(2, 3);
    for (std::size_t k = 0; k < 6; ++k) x.data[k] = 0.3f * float(k) - 0.7f;
    const nabla::Matrix<float> scaled = nabla::predict(net, x);
    scaling.fold_into(net);
    const nabla::Matrix<float> unscaled = nabla::predict(net, x);
    for (std::size_t i = 0; i < 2; ++i)
        EXPECT_NEAR(unscaled(i, 0), 3000.0 + std::sqrt(3.5e6) * scaled(i, 0), 1e-3);
}

TEST(Preprocess, Pixels) {
    const auto pixels = nabla::Preprocessing::pixels(784);
    EXPECT_EQ(pixels.describe(), "pixel scale 1/255 (784 features)");
    nabla::Matrix<float> x(1, 784, 255.0f);
    pixels.apply(x);
    EXPECT_FLOAT_EQ(x(0, 100), 1.0f);
    expect_contains(error_message([] { nabla::Preprocessing::pixels(4, 0.0f); }), {"positive maximum"});
}

TEST(Preprocess, IdentityAndMismatch) {
    const auto none = nabla::Preprocessing::identity();
    EXPECT_EQ(none.describe(), "none");
    nabla::Matrix<float> x(2, 3, 5.0f);
    none.apply(x);
    EXPECT_EQ(x(1, 2), 5.0f);
    expect_contains(error_message([&] { nabla::Preprocessing::pixels(4).apply(x); }),
                    {"fitted to 4 features", "has 3"});
    expect_contains(error_message([] { nabla::Preprocessing::standardize_fit(nabla::Matrix<float>(0, 3)); }),
                    {"without samples"});
    EXPECT_STREQ(nabla::preprocessing_name(nabla::Preprocessing::Kind::pixel_scale), "pixel_scale");
}

}  // namespace

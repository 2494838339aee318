// .nbd data files (docs/data.md): a data set saved by save_nbd loads back as the same data set,
// whole or a share of its rows, and a truncated, corrupt, wrong-version or lying file is one Error
// naming the file and what is wrong, before anything is allocated from its sizes.
#include <gtest/gtest.h>
#include <zlib.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "nabla/dataset.hpp"
#include "nabla/error.hpp"
#include "scratch_dir.hpp"

namespace {

using namespace nabla;

// Offsets in the header (docs/data.md).
constexpr std::size_t kVersion = 8, kRows = 24, kXColumns = 32, kDescriptionSize = 56, kHeaderChecksum = 68,
                      kHeaderSize = 72;

// rows × 3 inputs, classification among three classes, ids "r0", "r1", ...
Dataset sample_data(std::size_t rows) {
    Dataset data;
    data.x = Matrix<float>(rows, 3);
    std::vector<std::int32_t> labels(rows);
    for (std::size_t i = 0; i < rows; ++i) {
        for (std::size_t j = 0; j < 3; ++j) data.x(i, j) = float(i) * 0.5f - float(j) / 3.0f;
        labels[i] = std::int32_t(i % 3);
        data.ids.push_back("r" + std::to_string(i));
    }
    data.y = Matrix<float>(rows, 3);
    for (std::size_t i = 0; i < rows; ++i) data.y(i, std::size_t(labels[i])) = 1.0f;
    data.labels = labels;
    data.class_names = {"a", "b", "c"};
    data.feature_names = {"u", "v", "w"};
    data.columns = {{"u"}, {"v"}, {"w"}};
    data.target_column = "label";
    return data;
}

NbdOrigin origin_with_ids() {
    NbdOrigin origin;
    origin.source = "sample.csv";
    origin.options.id_column = "id";
    return origin;
}

LoadOptions with_ids() {
    LoadOptions options;
    options.id_column = "id";
    return options;
}

void expect_same_rows(const Dataset& loaded, const Dataset& saved, std::size_t first) {
    ASSERT_EQ(loaded.x.cols, saved.x.cols);
    for (std::size_t i = 0; i < loaded.samples(); ++i) {
        ASSERT_EQ(std::memcmp(loaded.x.row(i), saved.x.row(first + i), 4 * saved.x.cols), 0) << "row " << first + i;
        ASSERT_EQ(loaded.labels[i], saved.labels[first + i]);
        ASSERT_EQ(loaded.ids[i], saved.ids[first + i]);
    }
}

class Nbd : public ScratchDirTest {
protected:
    // The saved file's bytes with `patch` applied, written to bad.nbd; its path.
    template <class Patch>
    std::string patched(const std::string& saved, Patch patch, bool reseal_header) {
        std::string bytes = read_file(saved);
        patch(bytes);
        if (reseal_header) {
            const auto crc = std::uint32_t(crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), kHeaderChecksum));
            std::memcpy(bytes.data() + kHeaderChecksum, &crc, 4);
        }
        write_file(path("bad.nbd"), bytes);
        return path("bad.nbd");
    }

    std::string saved_sample(std::size_t rows = 100) {
        save_nbd(sample_data(rows), origin_with_ids(), path("sample.nbd"));
        return path("sample.nbd");
    }

    // load_dataset refuses `file` with one line naming it and holding `part`.
    static void expect_refused(const std::string& file, const std::string& part, const LoadOptions& options = {}) {
        try {
            load_dataset(file, options);
            ADD_FAILURE() << "loaded " << file << ", expected an error with '" << part << "'";
        } catch (const Error& error) {
            const std::string message = error.what();
            EXPECT_EQ(message.rfind(file + ": ", 0), 0u) << message;
            EXPECT_NE(message.find(part), std::string::npos) << message;
            EXPECT_EQ(message.find('\n'), std::string::npos) << message;
        }
    }
};

TEST_F(Nbd, LoadsBackTheDataSetItSaved) {
    const Dataset saved = sample_data(100);
    save_nbd(saved, origin_with_ids(), path("sample.nbd"));
    const Dataset loaded = load_dataset(path("sample.nbd"), with_ids());
    EXPECT_EQ(loaded.samples(), 100u);
    expect_same_rows(loaded, saved, 0);
    EXPECT_EQ(loaded.y.data, saved.y.data);
    EXPECT_EQ(loaded.class_names, saved.class_names);
    EXPECT_EQ(loaded.feature_names, saved.feature_names);
    EXPECT_EQ(loaded.target_column, "label");
    EXPECT_EQ(loaded.columns.size(), 3u);
    EXPECT_EQ(loaded.source, path("sample.nbd"));
    EXPECT_EQ(count_samples(path("sample.nbd")), 100u);
    EXPECT_TRUE(load_dataset(path("sample.nbd")).ids.empty());  // ids only when asked for, as from a CSV file
}

TEST_F(Nbd, KnownByItsFirstBytesWhateverItsName) {
    save_nbd(sample_data(10), {}, path("data.csv"));
    EXPECT_EQ(load_dataset(path("data.csv")).samples(), 10u);
}

TEST_F(Nbd, ASharesRowsAcrossBlocksReadAsTheWholeFilesRows) {
    const Dataset saved = sample_data(140000);  // three blocks of checksummed rows
    save_nbd(saved, origin_with_ids(), path("big.nbd"));
    for (const RowRange range : {RowRange{0, 1}, RowRange{65530, 65542}, RowRange{70000, 140000}, RowRange{5, 5}}) {
        LoadOptions options = with_ids();
        options.rows = range;
        const Dataset part = load_dataset(path("big.nbd"), options);
        ASSERT_EQ(part.samples(), range.end - range.begin);
        expect_same_rows(part, saved, range.begin);
    }
    LoadOptions beyond;
    beyond.rows = RowRange{0, 140001};
    expect_refused(path("big.nbd"), "rows 0 to 140001 were asked for, but it holds 140000", beyond);
}

TEST_F(Nbd, EmptyShortAndForeignFilesAreRefused) {
    write_file(path("empty.nbd"), "");
    expect_refused(path("empty.nbd"), "is empty");
    const std::string bytes = read_file(saved_sample());
    write_file(path("short.nbd"), bytes.substr(0, 40));
    expect_refused(path("short.nbd"), "truncated in the header");
    // Not .nbd by its first bytes: read as CSV, which refuses binary data.
    write_file(path("other.nbd"), "NABLAMDL" + bytes.substr(8));
    expect_refused(path("other.nbd"), "binary data");
}

TEST_F(Nbd, TruncatedFilesAreRefusedAtEveryLength) {
    const std::string bytes = read_file(saved_sample());
    for (std::size_t keep = kHeaderSize; keep < bytes.size(); keep += 37) {
        write_file(path("cut.nbd"), bytes.substr(0, keep));
        SCOPED_TRACE(keep);
        expect_refused(path("cut.nbd"), "the file is truncated");
    }
    write_file(path("long.nbd"), bytes + "x");
    expect_refused(path("long.nbd"), "but its header declares");
}

TEST_F(Nbd, ANewerVersionIsRefused) {
    const std::string file = patched(saved_sample(), [](std::string& b) { b[kVersion] = 7; }, true);
    expect_refused(file, "data format version 7 is newer than this nabla supports (2)");
}

TEST_F(Nbd, EveryChecksumCatchesAFlippedByte) {
    const std::string saved = saved_sample();
    const std::size_t size = read_file(saved).size();
    // In the header (a size), in the description, in x, in the ids at the end.
    for (const auto& flip : std::vector<std::pair<std::size_t, std::string>>{
             {kRows, "the header"}, {kHeaderSize + 20, "the description"}, {700, "rows 1 to 100"},
             {size - 3, "rows 1 to 100"}}) {
        const std::size_t offset = flip.first;
        const std::string& where = flip.second;
        SCOPED_TRACE(offset);
        const std::string file = patched(saved, [&](std::string& b) { b[offset] ^= 0x10; }, false);
        expect_refused(file, "checksum mismatch in " + where);
    }
}

TEST_F(Nbd, ALyingHeaderIsRefusedBeforeAnythingIsAllocated) {
    const std::string saved = saved_sample();
    // Sizes that vouch for themselves (the header's checksum redone) but do not fit the file: each
    // would ask for exabytes if trusted.
    for (const std::size_t field : {kRows, kXColumns, kDescriptionSize}) {
        SCOPED_TRACE(field);
        const std::string file = patched(saved, [&](std::string& b) {
            const std::uint64_t huge = std::uint64_t(1) << 61;
            std::memcpy(b.data() + field, &huge, 8);
        }, true);
        expect_refused(file, "do not add up to its file size");
    }
    EXPECT_THROW(count_samples(patched(saved, [](std::string& b) { b[kRows + 7] = 1; }, false)), Error);
}

TEST_F(Nbd, OptionsOtherThanTheConvertedOnesAreRefused) {
    const std::string saved = saved_sample();
    LoadOptions target;
    target.target = "price";
    expect_refused(saved, "converted with --target unset, not 'price'", target);
    LoadOptions task;
    task.task = Task::regression;
    expect_refused(saved, "holds classification targets, not regression", task);
    LoadOptions id;
    id.id_column = "name";
    expect_refused(saved, "converted with --id 'id', not 'name'", id);
    LoadOptions width;
    width.features = 4;
    expect_refused(saved, "3 features, but the model expects 4", width);
    LoadOptions columns;
    columns.columns = {{"u"}, {"v"}, {"z"}};
    expect_refused(saved, "input column 3 is 'w', but the model's is 'z'", columns);
    LoadOptions classes;
    classes.class_names = {"a", "b"};
    expect_refused(saved, "unknown class 'c'", classes);
}

TEST_F(Nbd, MissingValuesAreFilledWithTheFillOfWhoeverReads) {
    Dataset data = sample_data(4);
    data.columns[1].fill = 7.5f;
    data.x(2, 1) = std::numeric_limits<float>::quiet_NaN();
    save_nbd(data, {}, path("holes.nbd"));
    EXPECT_EQ(load_dataset(path("holes.nbd")).x(2, 1), 7.5f);  // the file's own columns
    LoadOptions model;
    model.columns = data.columns;
    model.columns[1].fill = -1.0f;
    EXPECT_EQ(load_dataset(path("holes.nbd"), model).x(2, 1), -1.0f);
    LoadOptions strict;
    strict.missing_is_error = true;
    expect_refused(path("holes.nbd"), "row 3, input 2: a missing value", strict);
    // A NaN where no column can fill it, or an infinity, is a value no writer stores.
    data.x(2, 1) = std::numeric_limits<float>::infinity();
    save_nbd(data, {}, path("inf.nbd"));
    expect_refused(path("inf.nbd"), "row 3, input 2: not a finite number");
}

TEST_F(Nbd, AModelsClassesRenumberTheLabels) {
    save_nbd(sample_data(6), {}, path("sample.nbd"));
    LoadOptions options;
    options.class_names = {"c", "b", "a", "d"};
    const Dataset data = load_dataset(path("sample.nbd"), options);
    EXPECT_EQ(data.class_names, options.class_names);
    EXPECT_EQ(data.labels, (std::vector<std::int32_t>{2, 1, 0, 2, 1, 0}));
    EXPECT_EQ(data.y.cols, 4u);
}

}  // namespace

namespace {

// A file of version 1, which had no statistics section: one saved now, the section cut out and
// the header rewritten, reads as the same data set (a stream then asks for it to be converted again).
TEST_F(Nbd, AVersionOneFileWithoutStatisticsStillLoads) {
    const Dataset saved = sample_data(100);
    save_nbd(saved, origin_with_ids(), path("v2.nbd"));
    const std::string v2 = read_file(path("v2.nbd"));
    const auto u64_at = [&](std::size_t at) {
        std::uint64_t v;
        std::memcpy(&v, v2.data() + at, 8);
        return v;
    };
    const std::uint64_t description = u64_at(kDescriptionSize);
    constexpr std::size_t statistics = 4 + 8 + 2;  // tag, length, two flags of none
    ASSERT_EQ(v2.substr(kHeaderSize + description - statistics, 4), "STAT");
    const auto aligned = [](std::uint64_t offset) { return (offset + 63) / 64 * 64; };
    const std::uint64_t old_x = aligned(kHeaderSize + description), new_x = aligned(kHeaderSize + description - statistics);
    std::string v1 = v2.substr(0, kHeaderSize + description - statistics);
    v1.resize(new_x, '\0');
    v1 += v2.substr(old_x);
    const auto put = [&](std::size_t at, auto value) { std::memcpy(v1.data() + at, &value, sizeof value); };
    put(kVersion, std::uint32_t(1));
    put(16, std::uint64_t(v1.size()));
    put(kDescriptionSize, std::uint64_t(description - statistics));
    put(64, std::uint32_t(crc32_z(0, reinterpret_cast<const Bytef*>(v1.data() + kHeaderSize), description - statistics)));
    put(kHeaderChecksum, std::uint32_t(crc32_z(0, reinterpret_cast<const Bytef*>(v1.data()), kHeaderChecksum)));
    write_file(path("v1.nbd"), v1);
    const Dataset loaded = load_dataset(path("v1.nbd"), with_ids());
    ASSERT_EQ(loaded.samples(), 100u);
    expect_same_rows(loaded, saved, 0);
    expect_refused(patched(path("v1.nbd"), [](std::string& b) { b[kVersion] = 3; }, true),
                   "data format version 3 is newer");
}

}  // namespace

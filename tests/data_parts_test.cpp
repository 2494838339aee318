// load_dataset_in_parts: a source read a part at a time gives the rows, ids and messages that a
// whole-file read gives, whatever the part size, with quoted line breaks, blank lines and CRLF
// line ends falling anywhere.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "nabla/dataset.hpp"
#include "nabla/error.hpp"
#include "scratch_dir.hpp"

namespace {

using namespace nabla;

class DataParts : public ScratchDirTest {
protected:
    // The parts' rows and ids, concatenated.
    static Dataset concatenated(const std::string& source, const LoadOptions& options, std::size_t rows) {
        Dataset all;
        std::size_t parts = 0;
        load_dataset_in_parts(source, options, rows, [&](Dataset& part) {
            EXPECT_LE(part.samples(), rows + 1) << "part " << parts;  // the first may hold the header's row too
            if (parts++ == 0) all.x.cols = part.x.cols;
            all.x.data.insert(all.x.data.end(), part.x.data.begin(), part.x.data.end());
            all.x.rows += part.x.rows;
            all.ids.insert(all.ids.end(), part.ids.begin(), part.ids.end());
        });
        return all;
    }

    static void expect_same(const Dataset& parts, const Dataset& whole) {
        ASSERT_EQ(parts.x.rows, whole.x.rows);
        ASSERT_EQ(parts.x.cols, whole.x.cols);
        EXPECT_EQ(std::memcmp(parts.x.data.data(), whole.x.data.data(), 4 * whole.x.size()), 0);
        EXPECT_EQ(parts.ids, whole.ids);
    }

    // A model's reading (fixed columns, no target), as predict reads.
    static LoadOptions predict_options() {
        LoadOptions options;
        options.targets_optional = true;
        options.id_column = "name";
        options.columns = {{"a", InputColumn::Kind::numeric, 0.5f}, {"b", InputColumn::Kind::numeric, -2.0f}};
        return options;
    }
};

TEST_F(DataParts, ACsvFileReadInPartsReadsAsAWholeFile) {
    std::string csv = "\xEF\xBB\xBFname,a,b,label\r\n";
    for (int i = 0; i < 200; ++i) {
        const std::string name = i % 7 == 0 ? "\"row\n" + std::to_string(i) + " \"\"q\"\"\"" : "r" + std::to_string(i);
        csv += name + "," + std::to_string(i * 0.25) + "," + (i % 11 == 3 ? "" : std::to_string(-i)) + ",x\r\n";
        if (i % 17 == 0) csv += "\r\n  \n";
    }
    write_file(path("rows.csv"), csv);
    const Dataset whole = load_dataset(path("rows.csv"), predict_options());
    for (const std::size_t rows : {1u, 2u, 5u, 64u, 199u, 1000u}) {
        SCOPED_TRACE(rows);
        expect_same(concatenated(path("rows.csv"), predict_options(), rows), whole);
    }
}

TEST_F(DataParts, AnErrorInALaterPartNamesTheFilesOwnLine) {
    std::string csv = "name,a,b\n";
    for (int i = 0; i < 50; ++i) csv += (i == 3 ? "\"x\ny\"," : "n,") + std::to_string(i) + ",1\n";
    csv += "n,7,oops\n";
    write_file(path("bad.csv"), csv);
    const LoadOptions options = predict_options();
    std::string whole_error, parts_error;
    try {
        load_dataset(path("bad.csv"), options);
    } catch (const Error& e) {
        whole_error = e.what();
    }
    try {
        load_dataset_in_parts(path("bad.csv"), options, 4, [](Dataset&) {});
    } catch (const Error& e) {
        parts_error = e.what();
    }
    EXPECT_NE(whole_error.find("bad.csv:53:"), std::string::npos) << whole_error;
    EXPECT_EQ(parts_error, whole_error);
}

TEST_F(DataParts, AnNbdFileReadInPartsReadsAsAWholeFile) {
    Dataset data;
    data.x = Matrix<float>(70000, 2);
    for (std::size_t i = 0; i < data.x.size(); ++i) data.x.data[i] = float(i) / 7.0f;
    data.has_targets = false;
    data.columns = {{"a"}, {"b"}};
    save_nbd(data, {}, path("rows.nbd"));
    LoadOptions options;
    options.targets_optional = true;
    expect_same(concatenated(path("rows.nbd"), options, 65536), load_dataset(path("rows.nbd"), options));
}

}  // namespace

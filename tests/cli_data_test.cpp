// Real tabular data through the program: what used to give a wrong answer or an unloadable file
// with exit status 0 now gives one clear line, and what a data scientist's CSV files hold reads.
#include <gtest/gtest.h>

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

}  // namespace

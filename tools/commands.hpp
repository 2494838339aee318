// The subcommands of the `nabla` program. Each registers its flags on the parent app and returns
// the function that runs it once parsing has succeeded (its return value is the exit status).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdio>
#include <functional>

#include "nabla/dataset.hpp"
#include "nabla/error.hpp"

namespace nabla::cli {

using Command = std::function<int()>;

// A command line that parses but asks for something nabla refuses (an output that is also an
// input, say): exit status 2, as for a command line that does not parse.
class UsageError : public Error {
public:
    using Error::Error;
};

// What the loader did with a data set that the user should hear of, on standard error.
inline void print_notes(const Dataset& data) {
    for (const std::string& note : data.notes) std::fprintf(stderr, "nabla: note: %s\n", note.c_str());
}

Command add_gradcheck(CLI::App& app);
Command add_train(CLI::App& app);
Command add_eval(CLI::App& app);
Command add_predict(CLI::App& app);
Command add_info(CLI::App& app);
Command add_bench(CLI::App& app);
Command add_export(CLI::App& app);
Command add_convert(CLI::App& app);

}  // namespace nabla::cli

// nabla: train, evaluate and check fully-connected networks from the command line.
#include <cstdio>
#include <exception>
#include <map>
#include <string>

#include "commands.hpp"
#include "io/temporary_files.hpp"
#include "nabla/error.hpp"
#include "nabla/version.hpp"

int main(int argc, char** argv) {
    nabla::remove_temporary_files_on_signals();  // Ctrl-C during a save leaves no PATH.tmp-* behind
    CLI::App app{"nabla: fully-connected neural networks trained by backpropagation"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("nabla ") + nabla::version());
    std::map<CLI::App*, nabla::cli::Command> commands;
    auto add = [&](const char* name, const char* description, nabla::cli::Command (*make)(CLI::App&)) {
        CLI::App* sub = app.add_subcommand(name, description);
        commands[sub] = make(*sub);
    };
    add("train", "train a network on a data set and save the model", nabla::cli::add_train);
    add("eval", "evaluate a saved model on a data set", nabla::cli::add_eval);
    add("predict", "write a saved model's predictions for a data set as CSV", nabla::cli::add_predict);
    add("info", "describe a saved model", nabla::cli::add_info);
    add("gradcheck", "compare backpropagation with finite differences", nabla::cli::add_gradcheck);
    add("bench", "measure training or inference throughput on synthetic data", nabla::cli::add_bench);
    add("export", "write a saved model as an ONNX graph", nabla::cli::add_export);
    add("convert", "save a data set as a .nbd file, which loads without parsing", nabla::cli::add_convert);

    // CLI11 answers an unknown command with "A subcommand is required": name the word instead.
    std::string known;
    bool is_known = false;
    for (const CLI::App* sub : app.get_subcommands({})) {
        known += (known.empty() ? "" : ", ") + sub->get_name();
        is_known = is_known || (argc > 1 && sub->get_name() == argv[1]);
    }
    if (argc > 1 && argv[1][0] != '-' && !is_known) {
        std::fprintf(stderr, "nabla: error: unknown command '%s' (expected one of: %s)\n", argv[1], known.c_str());
        return 2;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        return app.exit(CLI::CallForHelp());
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // One line, then the usual pointer to --help.
        std::fprintf(stderr, "nabla: error: %s (see nabla --help)\n", e.what());
        return 2;
    } catch (const nabla::Error& e) {
        std::fprintf(stderr, "nabla: error: %s\n", e.what());
        return 2;
    }
    try {
        for (CLI::App* sub : app.get_subcommands()) return commands.at(sub)();
    } catch (const nabla::cli::UsageError& e) {
        std::fprintf(stderr, "nabla: error: %s\n", e.what());
        return 2;
    } catch (const nabla::Error& e) {
        std::fprintf(stderr, "nabla: error: %s\n", e.what());
        return 1;
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "nabla: error: out of memory\n");
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nabla: error: %s\n", e.what());
        return 1;
    }
    return 1;
}

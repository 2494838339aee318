// nabla export: a saved model as an ONNX graph, to run it where nabla is not (ONNX Runtime, …).
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "distinct_files.hpp"
#include "nabla/model.hpp"
#include "nabla/onnx.hpp"

namespace nabla::cli {

Command add_export(CLI::App& app) {
    struct Flags {
        std::string model, onnx;
    };
    auto f = std::make_shared<Flags>();
    app.add_option("--model", f->model, "model file written by nabla train")->required();
    app.add_option("--onnx", f->onnx, "write the model here as an ONNX graph (preprocessing included)")->required();
    return [f] {
        check_outputs_are_distinct({{"--model", f->model}}, {{"--onnx", f->onnx}});
        export_onnx(load_model(f->model), f->onnx);
        std::printf("wrote %s\n", f->onnx.c_str());
        return 0;
    };
}

}  // namespace nabla::cli

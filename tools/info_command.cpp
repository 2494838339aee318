// nabla info: what a model file holds.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "nabla/model.hpp"

namespace nabla::cli {

namespace {

std::string architecture(const NetworkSpec& spec) {
    std::string text;
    for (std::size_t l = 0; l < spec.layers.size(); ++l) text += (l ? "-" : "") + std::to_string(spec.layers[l]);
    return text;
}

}  // namespace

Command add_info(CLI::App& app) {
    struct Flags {
        std::string model;
        bool json = false;
    };
    auto f = std::make_shared<Flags>();
    app.add_option("--model", f->model, "model file written by nabla train")->required();
    app.add_flag("--json", f->json, "print one JSON object");
    return [f] {
        const Model model = load_model(f->model);
        const NetworkSpec& spec = model.network.spec();
        if (f->json) {
            nlohmann::json j = {{"layers", spec.layers},
                                {"hidden_activation", activation_name(spec.hidden)},
                                {"output_activation", activation_name(spec.output_activation())},
                                {"loss", loss_name(spec.loss)},
                                {"parameters", model.network.parameters().size()},
                                {"task", task_name(model.task)},
                                {"preprocessing", model.preprocessing.describe()},
                                {"classes", model.class_names},
                                {"features", model.feature_names},
                                {"metadata", nlohmann::json::object()}};
            for (const auto& [key, value] : model.metadata) j["metadata"][key] = value;
            std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
            return 0;
        }
        std::printf("model          %s\n", f->model.c_str());
        std::printf("architecture   %s (%s hidden, %s output)\n", architecture(spec).c_str(), activation_name(spec.hidden),
                    activation_name(spec.output_activation()));
        std::printf("loss           %s\n", loss_name(spec.loss));
        std::printf("parameters     %zu\n", model.network.parameters().size());
        std::printf("task           %s\n", task_name(model.task));
        std::printf("preprocessing  %s\n", model.preprocessing.describe().c_str());
        if (!model.class_names.empty()) {
            std::printf("classes        %zu:", model.class_names.size());
            for (const std::string& name : model.class_names) std::printf(" %s", name.c_str());
            std::printf("\n");
        }
        if (!model.target.empty()) std::printf("target         %s\n", model.target.c_str());
        for (const auto& [key, value] : model.metadata) std::printf("%-14s %s\n", key.c_str(), value.c_str());
        return 0;
    };
}

}  // namespace nabla::cli

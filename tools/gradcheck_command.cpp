// nabla gradcheck: backprop against central finite differences, in double, on a random network.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "nabla/gradcheck.hpp"
#include "parse.hpp"

namespace nabla::cli {

Command add_gradcheck(CLI::App& app) {
    struct Options {
        std::string layers = "4,5,3", activation = "sigmoid", loss = "mse", output, init = "auto";
        std::size_t batch = 3;
        std::uint64_t seed = 1;
        double tolerance = gradcheck_tolerance;
        double step = gradcheck_step;
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    app.add_option("--layers", o->layers, "layer widths, input first (e.g. 4,5,3)")->capture_default_str();
    app.add_option("--activation", o->activation, "hidden activation: sigmoid, tanh, relu, leaky_relu, identity")
        ->capture_default_str();
    app.add_option("--loss", o->loss, "mse (the quadratic loss of docs/backprop.md), ce (softmax output), bce (sigmoid output)")
        ->capture_default_str();
    app.add_option("--output-activation", o->output,
                   "output activation (default: softmax for ce, sigmoid for bce, the hidden activation for mse, "
                   "as in docs/backprop.md)");
    app.add_option("--init", o->init, "auto, xavier or he")->capture_default_str();
    app.add_option("--batch", o->batch, "samples in the checked batch")->capture_default_str()->check(whole_number_in(1, 100000));
    app.add_option("--seed", o->seed, "seed of the network and the batch")->capture_default_str();
    app.add_option("--tolerance", o->tolerance, "largest relative error accepted")->capture_default_str();
    app.add_option("--step", o->step, "finite-difference step h")->capture_default_str()->check(number_in(1e-12, 1.0));
    app.add_flag("--json", o->json, "print one JSON object");
    return [o] {
        NetworkSpec spec;
        spec.layers = parse_widths(o->layers, "--layers");
        spec.hidden = parse_activation(o->activation);
        spec.loss = parse_loss(o->loss);
        spec.init = parse_init(o->init);
        if (!o->output.empty()) spec.output = parse_activation(o->output);
        else if (spec.loss == Loss::mse) spec.output = spec.hidden;  // σ on every layer, as in docs/backprop.md
        const GradCheckResult r = gradient_check(spec, o->batch, o->seed, o->step);
        const bool pass = r.max_rel_error <= o->tolerance;
        if (o->json) {
            nlohmann::json j = {{"max_rel_error", r.max_rel_error}, {"max_abs_error", r.max_abs_error},
                                {"parameters", r.parameters},       {"worst_parameter", r.worst},
                                {"worst_backprop", r.worst_backprop}, {"worst_numeric", r.worst_numeric},
                                {"tolerance", o->tolerance},        {"pass", pass},
                                {"layers", spec.layers},            {"activation", activation_name(spec.hidden)},
                                {"output_activation", activation_name(spec.output_activation())},
                                {"loss", loss_name(spec.loss)},     {"batch", o->batch}};
            std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        } else {
            std::printf("gradient check: %zu parameters, max relative error %.3e (tolerance %.1e) at %s "
                        "(backprop %.10g, finite difference %.10g): %s\n",
                        r.parameters, r.max_rel_error, o->tolerance, r.worst.c_str(), r.worst_backprop,
                        r.worst_numeric, pass ? "PASS" : "FAIL");
        }
        return pass ? 0 : 1;
    };
}

}  // namespace nabla::cli

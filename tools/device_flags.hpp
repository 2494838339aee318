// --device and --precision: where train, eval, predict and bench run.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "nabla/device.hpp"

namespace nabla::cli {

// A device and the precision of its matrix products.
struct Placement {
    Device device = Device::cpu;
    Precision precision = Precision::fp32;
};

struct DeviceFlags {
    std::string device = "cpu", precision = "fp32";

    void add_to(CLI::App& app) {
        app.add_option("--device", device, "where to run: cpu or cuda")->capture_default_str();
        app.add_option("--precision", precision, "matrix products on cuda: fp32, tf32 or bf16")->capture_default_str();
    }

    // The flags' placement, checked to be usable here before any data are read: Error otherwise.
    Placement placement() const {
        const Placement p{parse_device(device), parse_precision(precision)};
        check_device(p.device, p.precision);
        return p;
    }
};

}  // namespace nabla::cli

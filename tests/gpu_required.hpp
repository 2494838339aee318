// The guard of every test that needs a GPU. Without one the test skips, so that the suite passes on
// machines without a GPU; with NABLA_REQUIRE_GPU=1 (bench/gpu/run.sh sets it) a GPU that cannot
// be used fails the test instead, naming why: on the device a skip would read as a pass.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "nabla/device.hpp"
#include "nabla/error.hpp"

namespace nabla::test {

// Why --device cuda cannot run here, or "" when it can.
inline std::string missing_gpu() {
    try {
        check_device(Device::cuda, Precision::fp32);
        return "";
    } catch (const Error& e) {
        return e.what();
    }
}

inline bool gpu_required() {
    const char* value = std::getenv("NABLA_REQUIRE_GPU");
    return value && std::strcmp(value, "1") == 0;
}

}  // namespace nabla::test

#define SKIP_WITHOUT_GPU()                                                                              \
    do {                                                                                                \
        if (const std::string why_no_gpu = ::nabla::test::missing_gpu(); !why_no_gpu.empty()) {        \
            if (::nabla::test::gpu_required()) FAIL() << "NABLA_REQUIRE_GPU=1 and no usable GPU: " << why_no_gpu; \
            GTEST_SKIP() << "no usable GPU: " << why_no_gpu;                                            \
        }                                                                                               \
    } while (0)

namespace nabla::test {

// `options` set to train on `device`, in `precision`.
inline TrainOptions on(Device device, TrainOptions options, Precision precision = Precision::fp32) {
    options.device = device;
    options.precision = precision;
    return options;
}

}  // namespace nabla::test

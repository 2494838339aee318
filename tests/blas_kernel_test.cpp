// The OpenBLAS kernel family nabla loads is the one OPENBLAS_CORETYPE names, when it names one:
// tests/every_blas_kernel.sh runs the reproducibility tests under each family the CPU can
// execute, and a family OpenBLAS silently replaced would make those runs test the wrong kernel.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>

#include "cpu/blas.hpp"

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

TEST(BlasKernel, IsTheOneOpenblasCoretypeNames) {
    const char* asked = std::getenv("OPENBLAS_CORETYPE");
    const std::string loaded = nabla::cpu::blas_kernel();
    if (!asked || !*asked) GTEST_SKIP() << "OPENBLAS_CORETYPE is not set; OpenBLAS loaded " << loaded;
    EXPECT_EQ(lower(loaded), lower(asked));
}

}  // namespace

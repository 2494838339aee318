/// @file
/// Gradient checking: backprop's ∇L_T against central finite differences
/// (L_T(θ + h) − L_T(θ − h)) / 2h, parameter by parameter, in double precision.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "nabla/matrix.hpp"
#include "nabla/network.hpp"

namespace nabla {

/// How far backprop's gradient is from the finite-difference one.
struct GradCheckResult {
    double max_rel_error = 0;  ///< max over parameters of |g − ĝ| / max(|g| + |ĝ|, floor)
    double max_abs_error = 0;  ///< max over parameters of |g − ĝ|
    std::size_t parameters = 0;  ///< the number of parameters checked
    std::string worst;         ///< the parameter with the largest relative error, e.g. "W2[3,1]"
    double worst_backprop = 0;  ///< the backprop gradient g of `worst`
    double worst_numeric = 0;  ///< the finite-difference gradient ĝ of `worst`
};

/// The default step h: it balances the central difference's truncation error (∝ h²) against its
/// round-off (∝ ε/h); measured over every activation × loss pair, depths 1–4, it keeps the
/// relative error below 3e-7, where h = 1e-6 loses to round-off and h = 1e-4 to truncation.
inline constexpr double gradcheck_step = 3e-5;

/// Checks net's own backward pass (forward() then backward()) on the batch (x, y).
GradCheckResult gradient_check(const Network<double>& net, const Matrix<double>& x, const Matrix<double>& y,
                               double step = gradcheck_step);

/// A gradient to check: writes ∂L_T/∂θ, the mean over the batch (x, y) of the per-sample
/// gradients of net's loss, into grads (the layout of net.parameters(), zero on entry).
using GradientFunction = std::function<void(const Network<double>& net, const Matrix<double>& x,
                                            const Matrix<double>& y, std::span<double> grads)>;

/// Checks `gradient`, any backward pass (another kernel, a hand-derived one), against the finite
/// differences of net's loss on the batch (x, y). A gradient with a wrong sign or a missing σ′ term
/// in any layer gives a max_rel_error above gradcheck_tolerance: tests/gradcheck_test.cpp hands the
/// checker such wrong backward passes and requires that it reports them.
GradCheckResult gradient_check(const Network<double>& net, const Matrix<double>& x, const Matrix<double>& y,
                               const GradientFunction& gradient, double step = gradcheck_step);

/// Checks a freshly initialised network of `spec` on `batch` random samples drawn from `seed`:
/// inputs N(0, 1); targets one-hot (ce), in (0, 1) (bce, mse with a sigmoid-like output) or N(0, 1).
GradCheckResult gradient_check(const NetworkSpec& spec, std::size_t batch, std::uint64_t seed,
                               double step = gradcheck_step);

/// The tolerance the checks and `nabla gradcheck` hold max_rel_error to.
inline constexpr double gradcheck_tolerance = 1e-6;

}  // namespace nabla

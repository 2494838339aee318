// The bytes of a model file, without the consistency checks that save_model makes first: for the
// tests of what loading refuses, which need files that nabla itself would never write.
#pragma once

#include <cstdint>
#include <vector>

#include "nabla/model.hpp"

namespace nabla::detail {

std::vector<std::uint8_t> encode_model_unchecked(const Model& model);

}  // namespace nabla::detail

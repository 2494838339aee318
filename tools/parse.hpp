// Flag values shared by several subcommands, parsed with one-line errors.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace nabla::cli {

// "784,256,10" → {784, 256, 10}; Error naming the flag on an empty, zero or non-numeric entry.
std::vector<std::size_t> parse_widths(const std::string& text, const std::string& flag);

}  // namespace nabla::cli

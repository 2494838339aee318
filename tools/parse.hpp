// Flag values shared by several subcommands, parsed with one-line errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nabla::cli {

// "784,256,10" → {784, 256, 10}; Error naming the flag on an empty, zero or non-numeric entry.
std::vector<std::size_t> parse_widths(const std::string& text, const std::string& flag);

// "512M", "8G", "1.5T", "4096" (bytes) → bytes; Error naming the flag otherwise.
std::uint64_t parse_bytes(const std::string& text, const std::string& flag);
// 1610612736 → "1.5 GiB".
std::string format_bytes(std::uint64_t bytes);

}  // namespace nabla::cli

// Flag values shared by several subcommands, parsed with one-line errors.
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nabla/trainer.hpp"

namespace nabla::cli {

// "784,256,10" → {784, 256, 10}; Error naming the flag on an empty, zero or non-numeric entry.
std::vector<std::size_t> parse_widths(const std::string& text, const std::string& flag);

// --missing: "impute" → false, "error" → true; Error otherwise.
bool parse_missing_is_error(const std::string& text);

// "a,b,c" → {"a", "b", "c"} (column names for --ignore); empty text → {}.
std::vector<std::string> parse_names(const std::string& text);

// --delimiter: "," ";" "|" or "tab" (also "\t" as typed) → the character; "" → none (detect);
// Error otherwise.
std::optional<char> parse_delimiter(const std::string& text);

// --on-divergence: "stop" or "skip-batch"; Error otherwise.
TrainOptions::OnDivergence parse_on_divergence(const std::string& name);

// "512M", "8G", "1.5T", "4096" (bytes) → bytes; Error naming the flag otherwise.
std::uint64_t parse_bytes(const std::string& text, const std::string& flag);
// 1610612736 → "1.5 GiB".
std::string format_bytes(std::uint64_t bytes);

// Flag validators whose messages say what was expected: "expected a whole number from 1 to 1024,
// got 'abc'" (CLI11's own Range reports a non-number as out of range, and prints DBL_MAX in full).
CLI::Validator number_in(double lo, double hi);
CLI::Validator whole_number_in(double lo, double hi);
CLI::Validator positive_number();

}  // namespace nabla::cli

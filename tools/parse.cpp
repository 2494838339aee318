#include "parse.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "nabla/error.hpp"

namespace nabla::cli {

TrainOptions::OnDivergence parse_on_divergence(const std::string& name) {
    if (name == "stop") return TrainOptions::OnDivergence::stop;
    if (name == "skip-batch") return TrainOptions::OnDivergence::skip_batch;
    throw Error("unknown divergence policy '" + name + "' (expected stop or skip-batch)");
}

std::vector<std::size_t> parse_widths(const std::string& text, const std::string& flag) {
    std::vector<std::size_t> widths;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        const std::string item = text.substr(start, comma - start);
        std::size_t value = 0;
        const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
        if (item.empty() || ec != std::errc() || end != item.data() + item.size() || value == 0)
            throw Error(flag + ": expected a comma-separated list of positive widths, got '" + text + "'");
        widths.push_back(value);
        start = comma + 1;
    }
    return widths;
}

std::uint64_t parse_bytes(const std::string& text, const std::string& flag) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    const std::string unit(end, text.data() + text.size());
    const std::string units = "KMGT";
    const std::size_t power = unit.empty() ? 0 : units.find(unit[0]) + 1;
    const bool unit_ok = unit.empty() || (power > 0 && (unit.size() == 1 || unit.substr(1) == "B" || unit.substr(1) == "iB"));
    if (ec != std::errc() || !unit_ok || !(value > 0) || value > 1e18)
        throw Error(flag + ": expected a size such as 512M or 8G, got '" + text + "'");
    return std::uint64_t(value * double(std::uint64_t(1) << (10 * power)));
}

std::string format_bytes(std::uint64_t bytes) {
    const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double value = double(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 6) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit ? "%.1f %s" : "%.0f %s", value, units[unit]);
    return text;
}

namespace {

std::string shortest(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.15g", v);
    return text;
}

// A validator accepting numbers in [lo, hi] (positive only: (0, hi]), whole ones if `whole`.
CLI::Validator numeric(double lo, double hi, bool whole, bool positive) {
    const std::string expected = std::string(whole ? "a whole number" : "a number") +
                                 (positive ? " greater than 0" : " from " + shortest(lo) + " to " + shortest(hi));
    return CLI::Validator(
        [=](std::string& text) -> std::string {
            double value = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
            const bool number = ec == std::errc() && end == text.data() + text.size() && std::isfinite(value);
            const bool fits = number && (positive ? value > 0 : value >= lo && value <= hi) &&
                              (!whole || value == std::floor(value));
            return fits ? std::string() : "expected " + expected + ", got '" + text + "'";
        },
        expected);
}

}  // namespace

CLI::Validator number_in(double lo, double hi) { return numeric(lo, hi, false, false); }
CLI::Validator whole_number_in(double lo, double hi) { return numeric(lo, hi, true, false); }
CLI::Validator positive_number() { return numeric(0, 0, false, true); }

}  // namespace nabla::cli

namespace nabla::cli {

bool parse_missing_is_error(const std::string& text) {
    if (text == "impute") return false;
    if (text == "error") return true;
    throw Error("--missing: expected impute or error, got '" + text + "'");
}

std::optional<char> parse_delimiter(const std::string& text) {
    if (text.empty()) return std::nullopt;
    if (text == "tab" || text == "\\t" || text == "\t") return '\t';
    if (text == "," || text == ";" || text == "|") return text[0];
    throw Error("--delimiter: expected ',', ';', '|' or 'tab', got '" + text + "'");
}

std::vector<std::string> parse_names(const std::string& text) {
    std::vector<std::string> names;
    if (text.empty()) return names;
    std::size_t start = 0;
    for (std::size_t comma; (comma = text.find(',', start)) != std::string::npos; start = comma + 1)
        names.push_back(text.substr(start, comma - start));
    names.push_back(text.substr(start));
    return names;
}

}  // namespace nabla::cli

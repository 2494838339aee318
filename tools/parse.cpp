#include "parse.hpp"

#include <charconv>

#include "nabla/error.hpp"

namespace nabla::cli {

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

}  // namespace nabla::cli

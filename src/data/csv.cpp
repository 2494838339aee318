// CSV data files, one sample per record:
//  - fields are separated by commas, or by the semicolons, tabs or pipes found in the first line
//    (LoadOptions::delimiter forces one); with semicolons a decimal comma ("3,14") reads as a
//    point; RFC 4180 quoting ("a,b" is one field, "" is a quote inside
//    quotes, a quoted field may span lines); spaces around fields are ignored;
//  - LF or CRLF line ends, an optional UTF-8 byte order mark, and blank lines (anywhere) are ignored;
//  - the file may be gzipped;
//  - the first row is a header when some field of it is not a number while the same field of the
//    second row is (feature columns hold numbers, their names do not); a file's only row is a
//    header when none of its fields is a number. Without a header, columns are named "field1"...;
//  - the target is the last column unless options.target names one (header name, "fieldN" in a
//    file without a header, or 0-based index);
//  - --ignore and --id columns, and an unnamed first column (pandas' index), are set aside;
//  - every other column is a feature and must hold finite numbers. A trained model's features are
//    found by name where the file has a header (LoadOptions, dataset.hpp).
// Error messages count lines from 1, the header included, and fields from 1.
#include <sys/mman.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <atomic>
#include <cstring>
#include <deque>
#include <exception>
#include <iterator>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <utility>

#include "cpu/split_pool.hpp"
#include "data/loading.hpp"
#include "nabla/dataset.hpp"

namespace nabla {
namespace {

using data::file_error;
using data::line_error;
using data::quoted;

// Limits that turn absurd input into a clear error instead of an exhausted machine.
constexpr std::size_t kMaxFileBytes = std::size_t{2} << 30;
constexpr std::size_t kMaxColumns = 100000;
constexpr std::size_t kMaxClasses = 10000;

// A field's value when the field is wholly a decimal number (with an optional leading '+', which
// from_chars does not take). NaN and infinities parse, and magnitudes beyond the double range come
// back as infinity, so that callers refuse every non-finite value with one message.
[[gnu::always_inline]] inline std::optional<double> parse_number(std::string_view text) {
    if (text.size() > 1 && text[0] == '+' && text[1] != '-') text.remove_prefix(1);
    double value = 0;
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (stop != end || error == std::errc::invalid_argument) return std::nullopt;
    if (error == std::errc::result_out_of_range) return std::numeric_limits<double>::infinity();
    return value;
}

// Powers of ten that a double holds exactly.
constexpr double kExactPowersOfTen[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// The value of 8 decimal digits, bytes 0–9 with the first digit in the lowest byte, in three
// multiplications (SWAR: SIMD within a register).
[[gnu::always_inline]] inline std::uint32_t eight_digits(std::uint64_t v) {
    v = v * 10 + (v >> 8);
    return std::uint32_t(((v & 0x000000FF000000FF) * 0x000F424000000064 +
                          ((v >> 16) & 0x000000FF000000FF) * 0x0000271000000001) >> 32);
}

// Reads the decimal digits at `at` into `digits` (digits × 10^n + their value; it wraps past 19
// digits, which the caller refuses), 8 bytes at a time while 8 are left; returns how many there were.
[[gnu::always_inline]] inline std::size_t read_digits(const char*& at, const char* end, std::uint64_t& digits) {
    constexpr std::uint64_t kPowers[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
    const char* const start = at;
    while (end - at >= 8) {
        std::uint64_t bytes;
        std::memcpy(&bytes, at, 8);
        // Byte values less '0'; a byte that is no digit ends up at 10 or more, or wraps to 0x80 or
        // more, and either way has its top bit set in `no_digit`. A borrow or carry only runs into
        // the bytes after the first that is no digit, which are not used.
        const std::uint64_t values = bytes - 0x3030303030303030;
        const std::uint64_t no_digit = (values | (values + 0x7676767676767676)) & 0x8080808080808080;
        const unsigned n = no_digit ? unsigned(std::countr_zero(no_digit)) / 8 : 8;
        if (n == 0) break;
        digits = digits * kPowers[n] + eight_digits(values << (64 - 8 * n));  // the n digits, led by zeros
        at += n;
        if (n < 8) return std::size_t(at - start);
    }
    while (at < end && static_cast<unsigned char>(*at - '0') < 10) digits = digits * 10 + std::uint64_t(*at++ - '0');
    return std::size_t(at - start);
}

// parse_number's value of a number written simply, read at text[at] on: an optional sign, digits,
// and optionally a point and more digits, 19 digits at most in all. Where those digits, as an
// integer m, are at most 2^53 and f of them follow the point, m and 10^f are exact doubles, and
// m / 10^f (one IEEE division) is the correctly rounded value: the same double that from_chars
// gives (Clinger's fast path). False, with `at` where it was, for any other text, which
// parse_number then reads. On success `at` is just past the number.
[[gnu::always_inline]] inline bool simple_number(const char*& at, const char* end, double& value) {
    const char* p = at;
    const bool negative = p < end && *p == '-';
    if (p < end && (*p == '-' || *p == '+')) ++p;
    std::uint64_t digits = 0;
    std::size_t count = read_digits(p, end, digits);
    if (count == 0) return false;
    std::size_t after_point = 0;
    if (p < end && *p == '.') {
        ++p;
        after_point = read_digits(p, end, digits);
        if (after_point == 0) return false;
        count += after_point;
    }
    if (count > 19 || digits > (std::uint64_t(1) << 53)) return false;
    const double magnitude = static_cast<double>(digits) / kExactPowersOfTen[after_point];
    value = negative ? -magnitude : magnitude;
    at = p;
    return true;
}

// Memory for [data, data + bytes) from the kernel before it is first written, on all the threads at
// once: huge pages where the kernel gives them only on request, each page allocated and zeroed
// by one of the threads, not all on the one that then fills it with zeros again (std::vector).
void prepare_memory(void* data, std::size_t bytes) {
#ifndef MADV_POPULATE_WRITE
    constexpr int MADV_POPULATE_WRITE = 23;  // Linux 5.14; older kernels refuse it, and pages fault in as written
#endif
    constexpr std::uintptr_t kHugePage = std::uintptr_t(2) << 20;
    const auto begin = (reinterpret_cast<std::uintptr_t>(data) + kHugePage - 1) / kHugePage * kHugePage;
    const auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) / kHugePage * kHugePage;
    if (begin >= end) return;
    ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
    const std::size_t pages = (end - begin) / kHugePage;
    cpu::run_in_parts(int(std::min<std::size_t>(pages, std::size_t(cpu::split_parts()))), [&](int part, int parts) {
        const std::uintptr_t from = begin + pages * std::size_t(part) / std::size_t(parts) * kHugePage;
        const std::uintptr_t to = begin + pages * std::size_t(part + 1) / std::size_t(parts) * kHugePage;
        if (from < to) ::madvise(reinterpret_cast<void*>(from), to - from, MADV_POPULATE_WRITE);
    });
}

// The value of a label that is an integer (exactly representable as a double), else nullopt.
std::optional<long long> integer_value(std::string_view text) {
    constexpr double kLargestExact = 9007199254740992.0;  // 2^53
    const std::optional<double> value = parse_number(text);
    if (!value || std::trunc(*value) != *value || std::abs(*value) > kLargestExact) return std::nullopt;
    return static_cast<long long>(*value);
}

// Integer labels are named by their decimal form, so that "1", "01" and "1.0" are one class.
std::string label_name(std::string_view text) {
    const std::optional<long long> integer = integer_value(text);
    return integer ? std::to_string(*integer) : std::string(text);
}

// One record of the file: its fields, as views into the text (or, for a quoted field with a ""
// in it, into its unescaped copy), and the line it starts on.
struct Record {
    std::vector<std::string_view> fields;
    std::deque<std::string> unescaped;  // a deque: adding one leaves the others where they are
    std::size_t line = 0;
};

// Thrown by a reader of a part of the file that ends inside a quoted field: the part was cut at a
// line end within the field (or the field is never closed), and the file is read again in one part.
struct CutInQuotes {};

// The field separator of a file whose delimiter was not given: whichever of comma, semicolon, tab
// and pipe occurs most often in its first line outside quotes (a comma when none does).
char detect_delimiter(std::string_view text) {
    constexpr std::string_view candidates = ",;\t|";
    std::size_t counts[candidates.size()] = {};
    bool quoted_text = false;
    for (const char c : text) {
        if (c == '"') quoted_text = !quoted_text;
        if (quoted_text) continue;
        if (c == '\n') {
            if (std::any_of(std::begin(counts), std::end(counts), [](std::size_t n) { return n > 0; })) break;
            continue;  // a blank line before the first record
        }
        const std::size_t which = candidates.find(c);
        if (which != std::string_view::npos) ++counts[which];
    }
    const std::size_t* most = std::max_element(std::begin(counts), std::end(counts));  // the first of equals
    return *most == 0 ? ',' : candidates[std::size_t(most - std::begin(counts))];
}

// A number in a field. With a semicolon between fields a comma can only be a decimal comma
// ("3,14", as spreadsheets in many languages write it), read as a point.
[[gnu::always_inline]] inline std::optional<double> field_number(std::string_view text, char delimiter) {
    if (delimiter != ';' || text.find(',') == std::string_view::npos) return parse_number(text);
    std::string with_point(text);
    std::replace(with_point.begin(), with_point.end(), ',', '.');
    return parse_number(with_point);
}

// Splits CSV text into records. Fields are views into the text, which is never written (it may be
// a read-only mapping of the file); only a quoted field with an escaped quote is copied, unescaped.
class RecordReader {
public:
    RecordReader(std::string_view text, const std::string& path, char delimiter)
        : text_(text), path_(path), delimiter_(delimiter), end_(text.size()) {}
    // The records of text[begin, end), which starts on line `line` and at the start of a record.
    // `more_follows`: the text goes on after `end` (so a quoted field that reaches it throws
    // CutInQuotes, not the error that it is never closed).
    RecordReader(std::string_view text, const std::string& path, char delimiter, std::size_t begin, std::size_t end,
                 std::size_t line, bool more_follows)
        : text_(text), path_(path), delimiter_(delimiter), pos_(begin), end_(end), line_(line),
          more_follows_(more_follows) {}

    std::size_t position() const { return pos_; }  // where the next record starts (or blank lines before it)
    std::size_t line() const { return line_; }      // the line it is on
    std::string_view text() const { return text_.substr(0, end_); }  // the text this reader reads, up to its end

    // Moves past a record read by someone else (CsvRows::add_simple): one line, ending before `next`.
    void skip_line(std::size_t next) {
        pos_ = next;
        ++line_;
    }

    // The next record that is not a blank line; false at the end of the text.
    bool next(Record& record) {
        skip_blank_lines();
        if (at_end()) return false;
        record.line = line_;
        record.fields.clear();
        record.unescaped.clear();
        for (;;) {
            if (record.fields.size() == kMaxColumns)
                throw line_error(path_, record.line, "more than " + std::to_string(kMaxColumns) + " fields");
            record.fields.push_back(read_field(record));
            if (at_end()) return true;
            if (text_[pos_++] == '\n') {  // else it was the delimiter before the next field
                ++line_;
                return true;
            }
        }
    }

private:
    bool at_end() const { return pos_ == end_; }

    // Spaces around fields are ignored; a tab is one, unless it separates the fields.
    bool is_space(char c) const { return c == ' ' || c == '\r' || (c == '\t' && delimiter_ != '\t'); }

    void skip_spaces() {
        while (!at_end() && is_space(text_[pos_])) ++pos_;
    }

    void skip_blank_lines() {
        for (;;) {
            std::size_t end = pos_;
            while (end < end_ && is_space(text_[end])) ++end;
            if (end == end_) {
                pos_ = end;
                return;
            }
            if (text_[end] != '\n') return;
            pos_ = end + 1;
            ++line_;
        }
    }

    // Leaves pos_ at the comma or line end after the field, or at the end of the text.
    std::string_view read_field(Record& record) {
        const std::size_t field_number = record.fields.size() + 1;
        skip_spaces();
        if (at_end() || text_[pos_] != '"') return read_plain_field();
        const std::string_view field = read_quoted_field(record);
        skip_spaces();
        if (!at_end() && text_[pos_] != delimiter_ && text_[pos_] != '\n')
            throw line_error(path_, line_, "field " + std::to_string(field_number) + ": text after the closing quote");
        return field;
    }

    std::string_view read_plain_field() {
        const std::size_t start = pos_;
        while (!at_end() && text_[pos_] != delimiter_ && text_[pos_] != '\n') ++pos_;
        std::size_t end = pos_;
        while (end > start && is_space(text_[end - 1])) --end;
        return {text_.data() + start, end - start};
    }

    std::string_view read_quoted_field(Record& record) {
        const std::size_t opened_on = line_;
        const std::size_t start = ++pos_;  // after the opening quote
        std::string* unescaped = nullptr;  // only once a "" shows
        std::size_t copied = start;        // where the text not yet in `unescaped` starts
        for (;;) {
            if (at_end()) {
                if (more_follows_) throw CutInQuotes{};
                throw line_error(path_, opened_on, "a quoted field is never closed");
            }
            const char c = text_[pos_++];
            if (c == '"') {
                if (at_end() || text_[pos_] != '"') break;
                if (!unescaped) unescaped = &record.unescaped.emplace_back();
                unescaped->append(text_.substr(copied, pos_ - copied));  // up to and with the first quote
                copied = ++pos_;  // "" inside quotes stands for one quote
            } else if (c == '\n') {
                ++line_;
            }
        }
        const std::size_t closing = pos_ - 1;
        if (!unescaped) return text_.substr(start, closing - start);
        unescaped->append(text_.substr(copied, closing - copied));
        return *unescaped;
    }

    const std::string_view text_;
    const std::string& path_;
    const char delimiter_;
    std::size_t pos_ = 0;
    std::size_t end_;
    std::size_t line_ = 1;
    bool more_follows_ = false;
};

bool is_header(const Record& first, const Record* second, char delimiter) {
    const auto is_number = [delimiter](std::string_view field) { return field_number(field, delimiter).has_value(); };
    if (!second) return std::none_of(first.fields.begin(), first.fields.end(), is_number);
    const std::size_t shared = std::min(first.fields.size(), second->fields.size());
    for (std::size_t j = 0; j < shared; ++j)
        if (!is_number(first.fields[j]) && is_number(second->fields[j])) return true;
    return false;
}

// The columns of a file: their names, which are features (in the order the network takes them),
// which one (if any) is the target, and which one carries ids.
struct Layout {
    std::vector<std::string> names;
    bool has_header = false;
    std::vector<std::size_t> features;  // file columns, in the network's input order
    std::optional<std::size_t> target;  // none when the target is absent or not read (predict)
    std::optional<std::size_t> id;      // LoadOptions::id_column
    std::vector<std::string> notes;
    char delimiter = ',';

    // How messages name a column: "field 3 ('petal_length')", or "field 3" without a header.
    std::string field(std::size_t column) const {
        const std::string number = "field " + std::to_string(column + 1);
        return has_header ? number + " (" + quoted(names[column]) + ")" : number;
    }
};

// A column by header name, by the name "fieldN" that nabla gives the columns of a file without a
// header, or by 0-based index; none when no column goes by `name`.
std::optional<std::size_t> column_named(const std::string& name, const Layout& layout) {
    const std::vector<std::string>& names = layout.names;
    const auto found = std::find(names.begin(), names.end(), name);
    if (found != names.end()) return static_cast<std::size_t>(found - names.begin());
    const bool generated = name.starts_with("field");  // "field3": the third column
    const std::string_view digits = generated ? std::string_view(name).substr(5) : std::string_view(name);
    std::size_t index = 0;
    const char* end = digits.data() + digits.size();
    const auto [stop, error] = std::from_chars(digits.data(), end, index);
    if (error != std::errc{} || stop != end || digits.empty()) return std::nullopt;
    if (generated) {
        if (index == 0) return std::nullopt;
        --index;
    }
    if (index < names.size()) return index;
    return std::nullopt;
}

std::size_t find_target_column(const std::string& path, const std::string& target, const Layout& layout,
                               const std::vector<std::size_t>& candidates, const LoadOptions& options) {
    const std::vector<std::string>& names = layout.names;
    if (target.empty()) return candidates.back();
    if (const std::optional<std::size_t> column = column_named(target, layout)) return *column;
    std::size_t index = 0;
    const char* end = target.data() + target.size();
    const auto [stop, error] = std::from_chars(target.data(), end, index);
    if (error == std::errc{} && stop == end)
        throw file_error(path, "target column " + target + " is out of range (the file has " +
                                   std::to_string(names.size()) + " columns, counted from 0)");
    // A model's target, stored by name, in a file without a header: by position, the last column.
    if (!layout.has_header && data::expected_features(options)) return candidates.back();
    if (!layout.has_header)
        throw file_error(path, "no column named " + quoted(target) +
                                   ": the file has no header row, so give the target as a 0-based column index");
    throw file_error(path, "no column named " + quoted(target) + " (columns: " + data::list_names(names) + ")");
}

// pandas' to_csv writes the row index as a first column with an empty name.
bool is_unnamed_index(const Layout& layout, std::size_t column) {
    return layout.has_header && column == 0 && layout.names.size() > 1 &&
           (layout.names[0].empty() || layout.names[0] == "Unnamed: 0");
}

// The model's features, found by name in the file's header. The target, when the file has it, is
// read unless the caller does not need it; every other column is left out, with a note.
void match_by_name(const std::string& path, Layout& layout, const LoadOptions& options,
                   const std::vector<std::string>& wanted, const std::vector<bool>& set_aside) {
    std::vector<std::string> missing;
    std::vector<bool> used = set_aside;
    for (const std::string& name : wanted) {
        const auto found = std::find(layout.names.begin(), layout.names.end(), name);
        if (found == layout.names.end()) {
            missing.push_back(name);
            continue;
        }
        const auto column = static_cast<std::size_t>(found - layout.names.begin());
        layout.features.push_back(column);
        used[column] = true;
    }
    if (!missing.empty())
        throw file_error(path, "no column named " + data::list_names(missing) + ", which the model takes as " +
                                   (missing.size() == 1 ? "a feature" : "features") +
                                   " (columns: " + data::list_names(layout.names) + ")");
    // A model trained before target names were stored says "" for "the last column".
    const std::size_t last = layout.names.size() - 1;
    const std::optional<std::size_t> target = !options.target.empty() ? column_named(options.target, layout)
                                              : used[last]                ? std::nullopt
                                                                          : std::optional<std::size_t>(last);
    if (target) used[*target] = true;
    if (!target && !options.targets_optional)
        throw file_error(path, "no target column " + quoted(options.target) +
                                   " (columns: " + data::list_names(layout.names) + ")");
    if (!options.targets_optional) layout.target = target;
    std::vector<std::string> unused;
    for (std::size_t j = 0; j < layout.names.size(); ++j)
        if (!used[j]) unused.push_back(layout.names[j]);
    if (!unused.empty())
        layout.notes.push_back(path + ": " + (unused.size() == 1 ? "column " : "columns ") + data::list_names(unused) +
                               " left out: the model does not use " + (unused.size() == 1 ? "it" : "them"));
}

Layout make_layout(const std::string& path, const Record& first, bool has_header, const LoadOptions& options) {
    Layout layout;
    layout.has_header = has_header;
    for (std::size_t j = 0; j < first.fields.size(); ++j) {
        if (has_header && !data::valid_utf8(first.fields[j]))
            throw line_error(path, first.line, "field " + std::to_string(j + 1) + ": the column name " +
                                                   quoted(first.fields[j]) + " is not valid UTF-8 (save the file as UTF-8)");
        layout.names.push_back(has_header ? std::string(first.fields[j]) : "field" + std::to_string(j + 1));
    }

    // Columns that are neither features nor target: --ignore, --id, and pandas' index.
    std::vector<bool> set_aside(layout.names.size(), false);
    for (const std::string& name : options.ignore) {
        const std::optional<std::size_t> column = column_named(name, layout);
        if (!column) throw file_error(path, "--ignore: no column named " + quoted(name) + " (columns: " +
                                                data::list_names(layout.names) + ")");
        set_aside[*column] = true;
    }
    if (!options.id_column.empty()) {
        layout.id = column_named(options.id_column, layout);
        if (!layout.id) throw file_error(path, "--id: no column named " + quoted(options.id_column) + " (columns: " +
                                                   data::list_names(layout.names) + ")");
        set_aside[*layout.id] = true;
    }
    if (is_unnamed_index(layout, 0) && !set_aside[0]) {
        set_aside[0] = true;
        layout.notes.push_back(path + ": the first column has no name, so it is taken as a row index (as pandas "
                                      "writes one) and left out; give it a name to use it as a feature");
    }

    // A file with a header is matched to a trained model's feature columns by name, when it has them.
    std::vector<std::string> wanted = options.feature_names;
    if (!options.columns.empty()) {
        wanted.clear();
        for (const InputColumn& column : options.columns) wanted.push_back(column.name);
    }
    const bool by_name = has_header && !wanted.empty() &&
                         std::any_of(wanted.begin(), wanted.end(), [&](const std::string& name) {
                             return std::find(layout.names.begin(), layout.names.end(), name) != layout.names.end();
                         });
    if (by_name) {
        match_by_name(path, layout, options, wanted, set_aside);
        return layout;
    }

    // Otherwise by position: every column not set aside is a feature, but the target.
    std::vector<std::size_t> candidates;
    for (std::size_t j = 0; j < layout.names.size(); ++j)
        if (!set_aside[j]) candidates.push_back(j);
    if (candidates.empty()) throw file_error(path, "no columns left once --ignore and --id are set aside");
    const std::optional<std::size_t> expected =
        options.columns.empty() ? data::expected_features(options) : std::optional(options.columns.size());
    if (options.targets_optional && expected && candidates.size() == *expected) {
        layout.features = candidates;
        return layout;
    }
    const std::size_t target = find_target_column(path, options.target, layout, candidates, options);
    for (const std::size_t j : candidates)
        if (j != target) layout.features.push_back(j);
    if (!options.targets_optional) layout.target = target;
    const std::size_t features = layout.features.size();
    if (features == 0) throw file_error(path, "only one column; nabla needs feature columns besides the target");
    if (expected && features != *expected)
        throw file_error(
            path, std::to_string(features) + " feature columns, but the model expects " + std::to_string(*expected));
    return layout;
}

Matrix<float> matrix_from(std::vector<float> values, std::size_t cols) {
    Matrix<float> matrix;
    matrix.rows = values.size() / cols;
    matrix.cols = cols;
    matrix.data = std::move(values);
    return matrix;
}

// A number as a category's name: the same for "1", "01" and "1.0".
std::string number_name(float value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.9g", double(value));
    return text;
}

// Above this many categories a column is more likely an id or free text than a category.
constexpr std::size_t kMaxCategories = 1000;

// One feature column while its rows are read: its numbers go into the rows' values (NaN for a
// missing value or text); once text shows, its rows' texts too (numbers by number_name, missing
// values as ""), for the column may be categorical.
struct ColumnReading {
    bool textual = false;
    std::vector<std::string> texts;  // kept rows, once textual
    std::size_t numbers = 0, words = 0, missing = 0;
    std::size_t first_word_line = 0;
    std::string first_word;
};

// A target column while its rows are read. Class names depend on every label, so for
// classification each row's label is kept as an index into the distinct label texts (keeping the
// texts themselves would keep the file); for regression each row's number, NaN where the text is
// not one, with those texts kept for the message.
struct TargetReading {
    std::vector<std::uint32_t> label;      // classification, per row: which of `texts`
    std::vector<std::string> texts;        // the distinct labels, in the order they first show
    std::vector<std::size_t> first_row;    // the row each of `texts` first shows in (so, ascending)
    std::map<std::string, std::uint32_t, std::less<>> index;
    std::uint32_t last = 0;                // the previous row's label, which the next often repeats
    std::vector<float> number;             // regression, per row
    std::vector<std::pair<std::size_t, std::string>> not_numbers;  // regression: (row, text) where NaN

    std::uint32_t label_of(std::string_view text, std::size_t row) {
        if (!texts.empty() && texts[last] == text) return last;
        const auto found = index.find(text);
        if (found != index.end()) return last = found->second;
        last = static_cast<std::uint32_t>(texts.size());
        texts.emplace_back(text);
        first_row.push_back(row);
        index.emplace(texts.back(), last);
        return last;
    }
};

// Collects the rows of a file: features as they come, targets (TargetReading) until all are seen.
// With a range of rows wanted, only those rows' features are kept, but every row's target still
// counts towards the class names.
class CsvRows {
public:
    CsvRows(const std::string& path, Layout layout, const LoadOptions& options)
        : path_(path), layout_(std::move(layout)), wanted_(options.rows), options_(options),
          keep_all_(options.rows && options.columns.empty()),
          regression_(options.task.value_or(Task::classification) == Task::regression),
          reading_(layout_.features.size()) {
        for (std::size_t k = 0; k < options.columns.size() && k < reading_.size(); ++k)
            reading_[k].textual = options.columns[k].kind == InputColumn::Kind::categorical;
        simple_ = std::none_of(reading_.begin(), reading_.end(), [](const ColumnReading& c) { return c.textual; });
        roles_.assign(layout_.names.size(), kOtherColumn);
        for (std::size_t k = 0; k < layout_.features.size(); ++k) roles_[layout_.features[k]] = std::uint32_t(k);
        if (layout_.target) roles_[*layout_.target] = kTargetColumn;
        if (layout_.id) roles_[*layout_.id] = kIdColumn;
        simple_row_.resize(layout_.features.size());
    }

    void add(const Record& record) {
        if (record.fields.size() != layout_.names.size())
            throw line_error(path_, record.line,
                             "expected " + std::to_string(layout_.names.size()) + " fields, got " +
                                 std::to_string(record.fields.size()));
        const bool kept = keep_all_ || !wanted_ || (rows_ >= wanted_->begin && rows_ < wanted_->end);
        if (layout_.target) add_target(record.fields[*layout_.target]);
        lines_.push_back(static_cast<std::uint32_t>(record.line));
        if (kept) {
            if (kept_ == 0) first_kept_ = rows_;
            float* row = next_row();
            for (std::size_t k = 0; k < layout_.features.size(); ++k)
                row[k] = value(record.fields[layout_.features[k]], record.line, k);
            if (!key_counts_.empty()) count_keys(row);
            if (layout_.id) ids_.emplace_back(record.fields[*layout_.id]);
            ++kept_;
        }
        ++rows_;
    }

    // add() of the record at text[pos] on line `line`, where it is simple: on one line, every
    // feature a plain decimal number (simple_number) in a column that has held only numbers, every
    // other field plain text (no quotes, no spaces around it). Then, moves pos past the record's
    // line end and returns true; otherwise leaves everything as it was, for add() to take the
    // record from RecordReader. This is the path nearly every record of a large numeric file takes:
    // it neither splits the record into fields first nor can it fail (a bad target is kept, for
    // finish() to name).
    bool add_simple(std::string_view text, std::size_t& pos, std::size_t line) {
        if (!simple_ || !keeps_every_row()) return false;
        const char delimiter = layout_.delimiter;
        const char* p = text.data() + pos;
        const char* const end = text.data() + text.size();
        if (room_ && kept_ == room_capacity_) return false;
        // In a part's room the row is written in place; elsewhere first aside, as the row may not be simple.
        float* const row = room_ ? room_ + kept_ * layout_.features.size() : simple_row_.data();
        std::string_view target, id;
        const std::size_t columns = roles_.size();
        for (std::size_t j = 0; j < columns; ++j) {
            const std::uint32_t role = roles_[j];
            if (role < kOtherColumn) {
                double number = 0;
                __builtin_prefetch(p + 1024);  // the text a few records on, which is seldom in the cache yet
                if (!simple_number(p, end, number)) return false;
                row[role] = static_cast<float>(number);
            } else {
                const char* start = p;
                while (p < end && *p != delimiter && *p != '\n') ++p;
                std::string_view field(start, std::size_t(p - start));
                if (j + 1 == columns && !field.empty() && field.back() == '\r') field.remove_suffix(1);  // CRLF
                if (field.empty() || field.front() == '"' || is_space(field.front()) || is_space(field.back()))
                    return false;
                if (role == kTargetColumn) target = field;
                if (role == kIdColumn) id = field;
            }
            if (j + 1 < columns) {
                if (p == end || *p != delimiter) return false;
                ++p;
            }
        }
        if (p < end && *p == '\r') ++p;
        if (p < end && *p++ != '\n') return false;
        // The record is simple: add it.
        if (layout_.target) add_target(target);
        lines_.push_back(static_cast<std::uint32_t>(line));
        if (kept_ == 0) first_kept_ = rows_;
        float* const place = next_row();
        if (place != row) std::copy(row, row + layout_.features.size(), place);
        if (!key_counts_.empty()) count_keys(place);
        if (layout_.id) ids_.emplace_back(id);
        ++simple_rows_;
        ++kept_;
        ++rows_;
        pos = std::size_t(p - text.data());
        return true;
    }

    std::size_t kept() const { return kept_; }
    // Spaces around fields are ignored (RecordReader::is_space).
    bool is_space(char c) const { return c == ' ' || c == '\r' || (c == '\t' && layout_.delimiter != '\t'); }
    // Whether every row is kept as it is read, in order: a part of the file may then be read apart.
    bool keeps_every_row() const { return !wanted_ || keep_all_; }

    // Makes room for `rows` more rows after the rows kept so far, for parts of the file read at the
    // same time (read_in_parts); returns where the room starts.
    float* make_room(std::size_t rows) {
        const std::size_t size = (kept_ + rows) * layout_.features.size();
        if (values_.capacity() < size) {
            values_.reserve(size);
            prepare_memory(values_.data(), size * sizeof(float));
        }
        values_.resize(size);
        return values_.data() + kept_ * layout_.features.size();
    }
    // A part's reader: writes its rows to `room`, which has space for `capacity` rows, instead of
    // into a vector of its own.
    void write_rows_to(float* room, std::size_t capacity) {
        room_ = room;
        room_capacity_ = capacity;
    }
    // Counts the rows' values for the medians' first pass as they are read, while each row is in
    // the cache, rather than in a pass of their own: from now on, and the rows kept so far.
    void count_keys_as_read() {
        key_counts_.assign(layout_.features.size() * kKeyStride, 0);
        const float* values = room_ ? room_ : values_.data();
        for (std::size_t i = 0; i < kept_; ++i) count_keys(values + i * layout_.features.size());
    }
    // Appends a part of the file that follows the rows read so far, read apart into room this
    // object made: its rows' values move down to just after ours, and everything else is appended
    // as if its rows had been added here.
    void append(CsvRows&& part) {
        count_simple_rows();
        part.count_simple_rows();
        const std::size_t width = layout_.features.size();
        for (std::size_t k = 0; k < width; ++k) {  // the texts first, while the part's values are in place
            ColumnReading& mine = reading_[k];
            ColumnReading& theirs = part.reading_[k];
            if (theirs.textual && !mine.textual) start_texts(k);
            if (mine.textual && !theirs.textual) part.start_texts(k);
            if (mine.textual) std::move(theirs.texts.begin(), theirs.texts.end(), std::back_inserter(mine.texts));
            if (mine.words == 0 && theirs.words > 0) {
                mine.first_word_line = theirs.first_word_line;
                mine.first_word = std::move(theirs.first_word);
            }
            mine.numbers += theirs.numbers;
            mine.words += theirs.words;
            mine.missing += theirs.missing;
        }
        float* to = values_.data() + kept_ * width;
        if (to != part.room_) std::memmove(to, part.room_, part.kept_ * width * sizeof(float));
        lines_.insert(lines_.end(), part.lines_.begin(), part.lines_.end());
        append_targets(part);
        std::move(part.ids_.begin(), part.ids_.end(), std::back_inserter(ids_));
        if (kept_ == 0) first_kept_ = rows_ + part.first_kept_;
        rows_ += part.rows_;
        kept_ += part.kept_;
    }
    // After the parts: the room they did not fill given back.
    void trim() { values_.resize(kept_ * layout_.features.size()); }

    Dataset finish() && {
        if (rows_ == 0) throw file_error(path_, "no data rows, only a header");
        count_simple_rows();
        const RowRange kept = data::rows_to_keep(wanted_, rows_, path_);
        Dataset data;
        data.source = path_;
        data.task = options_.task.value_or(Task::classification);
        data.columns = options_.columns.empty() ? fit_columns() : options_.columns;
        encode(data);
        data.ids = std::move(ids_);
        if (keep_all_) keep_only(data, kept);
        data.notes = layout_.notes;
        if (layout_.target) data.target_column = layout_.names[*layout_.target];

        if (!layout_.target) {
            data.has_targets = false;
            data.class_names = options_.class_names;  // so that predictions can still be named
        } else if (data.task == Task::regression) {
            read_regression_targets(data, kept);
        } else {
            read_class_labels(data, options_.class_names, kept);
        }
        return data;
    }

private:
    // How add_simple takes each column of the file: a feature's index among the features, or one of these.
    static constexpr std::uint32_t kOtherColumn = 0xFFFFFFFD, kIdColumn = 0xFFFFFFFE, kTargetColumn = 0xFFFFFFFF;

    void add_target(std::string_view text) {
        if (!regression_) {
            target_.label.push_back(target_.label_of(text, rows_));
            return;
        }
        const std::optional<float> number = target_number(text);
        target_.number.push_back(number.value_or(std::numeric_limits<float>::quiet_NaN()));
        if (!number) target_.not_numbers.emplace_back(rows_, text);
    }

    // A part's targets after ours: its labels renumbered as our distinct texts.
    void append_targets(CsvRows& part) {
        TargetReading& mine = target_;
        TargetReading& theirs = part.target_;
        std::vector<std::uint32_t> renumbered(theirs.texts.size());
        for (std::size_t t = 0; t < theirs.texts.size(); ++t)
            renumbered[t] = mine.label_of(theirs.texts[t], rows_ + theirs.first_row[t]);
        for (const std::uint32_t label : theirs.label) mine.label.push_back(renumbered[label]);
        mine.number.insert(mine.number.end(), theirs.number.begin(), theirs.number.end());
        for (std::size_t c = 0; c < key_counts_.size() && c < part.key_counts_.size(); ++c)
            key_counts_[c] += part.key_counts_[c];
        for (auto& [row, text] : theirs.not_numbers) mine.not_numbers.emplace_back(rows_ + row, std::move(text));
    }

    // The rows add_simple took count as numbers in every feature column.
    void count_simple_rows() {
        for (ColumnReading& column : reading_) column.numbers += simple_rows_;
        simple_rows_ = 0;
    }

    bool categorical(std::size_t k) const {
        return k < options_.columns.size() && options_.columns[k].kind == InputColumn::Kind::categorical;
    }

    // Feature k's value in a kept row: its number, or NaN with the text kept where it may be one.
    // A number is tried first: it is what nearly every field holds.
    float value(std::string_view text, std::size_t line, std::size_t k) {
        ColumnReading& column = reading_[k];
        const std::size_t file_column = layout_.features[k];
        const std::optional<double> parsed = field_number(text, layout_.delimiter);
        if (parsed && std::abs(*parsed) <= std::numeric_limits<float>::max()) {
            ++column.numbers;
            if (column.textual) column.texts.push_back(number_name(static_cast<float>(*parsed)));
            return categorical(k) ? std::numeric_limits<float>::quiet_NaN() : static_cast<float>(*parsed);
        }
        if (is_missing_value(text)) {
            if (options_.missing_is_error)
                throw line_error(path_, line, layout_.field(file_column) + ": missing value " + quoted(text) +
                                                  " (--missing error)");
            ++column.missing;
            if (column.textual) column.texts.emplace_back();
            return std::numeric_limits<float>::quiet_NaN();
        }
        if (parsed)
            throw line_error(path_, line,
                             layout_.field(file_column) + ": " + quoted(text) +
                                 " is not a finite number in float range (nabla refuses infinities)");
        // Text: a category, unless the column is numeric (a trained model's, or one that turns out
        // to hold mostly numbers).
        if (!options_.columns.empty() && !categorical(k))
            throw line_error(path_, line, layout_.field(file_column) + ": expected a number, got " + quoted(text));
        if (!data::valid_utf8(text))
            throw line_error(path_, line, layout_.field(file_column) + ": " + quoted(text) +
                                              " is not valid UTF-8 (save the file as UTF-8)");
        if (column.words++ == 0) {
            column.first_word_line = line;
            column.first_word = std::string(text);
        }
        if (!column.textual) start_texts(k);
        column.texts.emplace_back(text);
        return std::numeric_limits<float>::quiet_NaN();
    }

    // The next kept row's place: in values_, or in the room a part of the file was given.
    float* next_row() {
        const std::size_t width = layout_.features.size();
        if (room_) {
            if (kept_ == room_capacity_) throw Error(path_ + ": more rows in a part of the file than it has lines");
            return room_ + kept_ * width;
        }
        values_.resize(values_.size() + width);
        return values_.data() + kept_ * width;
    }

    // The texts of feature k's rows so far, which were all numbers or missing values.
    void start_texts(std::size_t k) {
        ColumnReading& column = reading_[k];
        column.textual = true;
        simple_ = false;
        const std::size_t width = layout_.features.size();
        const float* values = room_ ? room_ : values_.data();
        column.texts.reserve(kept_ + 1);
        for (std::size_t i = 0; i < kept_; ++i) {
            const float v = values[i * width + k];
            column.texts.push_back(std::isnan(v) ? std::string() : number_name(v));
        }
    }

    // How each feature column becomes inputs, from the training rows: numeric (missing values filled
    // with its median), or categorical when most of its values are words, not numbers (numbers with
    // the odd word among them are an error naming the first word).
    std::vector<InputColumn> fit_columns() {
        std::vector<InputColumn> columns(layout_.features.size());
        const std::size_t width = layout_.features.size();
        const std::vector<float> fills = medians();
        for (std::size_t k = 0; k < width; ++k) {
            ColumnReading& reading = reading_[k];
            InputColumn& column = columns[k];
            column.name = layout_.names[layout_.features[k]];
            if (!reading.textual) {
                column.fill = fills[k];
                continue;
            }
            const std::size_t file_column = layout_.features[k];
            if (reading.numbers >= reading.words)  // mostly numbers: the words are mistakes
                throw line_error(path_, reading.first_word_line,
                                 layout_.field(file_column) + ": expected a number, got " + quoted(reading.first_word));
            column.kind = InputColumn::Kind::categorical;
            std::set<std::string> distinct;
            for (const std::string& text : reading.texts)
                if (!text.empty()) distinct.insert(text);
            if (distinct.size() > kMaxCategories)
                throw file_error(path_, layout_.field(file_column) + " has " + std::to_string(distinct.size()) +
                                            " distinct values, too many categories (at most " +
                                            std::to_string(kMaxCategories) +
                                            "): is it an id or free text? Leave it out with --ignore");
            column.categories.assign(distinct.begin(), distinct.end());
            column.missing_category = reading.missing > 0;
        }
        return columns;
    }

    // Rows `kept` of x and the ids, of all the rows read: a process's share in data-parallel
    // training, once every row has had its say in how the columns are encoded.
    static void keep_only(Dataset& data, RowRange kept) {
        Matrix<float> part(kept.end - kept.begin, data.x.cols);
        std::copy(data.x.data.begin() + std::ptrdiff_t(kept.begin * data.x.cols),
                  data.x.data.begin() + std::ptrdiff_t(kept.end * data.x.cols), part.data.begin());
        data.x = std::move(part);
        if (!data.ids.empty())
            data.ids = std::vector<std::string>(data.ids.begin() + std::ptrdiff_t(kept.begin),
                                                data.ids.begin() + std::ptrdiff_t(kept.end));
    }

    // The medians of the features' values in the kept rows (missing values left out; 0 if all
    // are), exact, from counts alone: the middle ranks' keys (order_key) are found a few bits at a
    // time, in three passes over the rows, each shared among the threads by rows. The first counts
    // every value by the top 11 bits of its key, which tells each middle value's top bits; the
    // second counts the values with those top bits by the next 11, the third by the last 10. A
    // key is a float's bits, so the middle values are then known exactly, and no values are kept.
    // None of this touches the parsing loop (docs/BENCHMARKS.md, "CSV loading").
    std::vector<float> medians() const {
        const std::size_t width = layout_.features.size();
        std::vector<float> result(width, 0.0f);
        if (width == 0 || kept_ == 0) return result;
        const int parts = std::max(1, std::min(cpu::split_parts(), int(kept_ / 65536) + 1));
        // The lower and upper middle value of each column: the part of its key found so far, and
        // its rank among the values whose keys start so.
        struct Middle {
            std::uint32_t prefix = 0;
            std::size_t rank = 0;
        };
        std::vector<std::array<Middle, 2>> middle(width);
        std::vector<std::size_t> present(width, 0);
        // One pass: counts the values by the `bits` of their keys above `shift`, among those whose
        // keys start with a middle value's prefix (all of them in the first pass), then moves that
        // middle value's prefix on by the bin its rank falls in, and its rank to within the bin.
        const auto pass = [&](unsigned shift, unsigned bits, bool first) {
            const std::size_t bins = std::size_t(1) << bits, stride = bins + 16;  // kKeyStride's reason
            const std::uint32_t mask = std::uint32_t(bins - 1);
            // counts 2k and 2k + 1: column k's middle values (one count where they share a prefix)
            std::vector<std::size_t> slot(2 * width);
            std::size_t slots = 0;
            for (std::size_t k = 0; k < width; ++k) {
                slot[2 * k] = slots++;
                slot[2 * k + 1] = first || middle[k][0].prefix == middle[k][1].prefix ? slot[2 * k] : slots++;
            }
            std::vector<std::vector<std::uint32_t>> part_counts(static_cast<std::size_t>(parts));
            if (first && !key_counts_.empty()) part_counts = {key_counts_};  // counted as the rows were read
            else cpu::run_in_parts(parts, [&](int part, int count_of_parts) {
                std::vector<std::uint32_t>& count = part_counts[std::size_t(part)];
                count.assign(slots * stride, 0);
                const std::size_t begin = kept_ * std::size_t(part) / std::size_t(count_of_parts);
                const std::size_t end = kept_ * std::size_t(part + 1) / std::size_t(count_of_parts);
                for (std::size_t i = begin; i < end; ++i) {
                    const float* row = values_.data() + i * width;
                    for (std::size_t k = 0; k < width; ++k) {
                        if (std::isnan(row[k])) continue;
                        const std::uint32_t key = order_key(row[k]);
                        const std::size_t bin = (key >> shift) & mask;
                        if (first) {
                            ++count[slot[2 * k] * stride + bin];
                            continue;
                        }
                        const std::uint32_t start = key >> (shift + bits);
                        if (start == middle[k][0].prefix) ++count[slot[2 * k] * stride + bin];
                        else if (start == middle[k][1].prefix) ++count[slot[2 * k + 1] * stride + bin];
                    }
                }
            });
            std::vector<std::uint32_t>& counts = part_counts[0];
            for (std::size_t p = 1; p < part_counts.size(); ++p)
                for (std::size_t c = 0; c < counts.size(); ++c) counts[c] += part_counts[p][c];
            for (std::size_t k = 0; k < width; ++k) {
                if (first) {
                    for (std::size_t b = 0; b < bins; ++b) present[k] += counts[slot[2 * k] * stride + b];
                    middle[k][0].rank = present[k] == 0 ? 0 : (present[k] - 1) / 2;
                    middle[k][1].rank = present[k] / 2;
                }
                if (present[k] == 0) continue;
                for (std::size_t m = 0; m < 2; ++m) {
                    const std::uint32_t* count = counts.data() + slot[2 * k + m] * stride;
                    std::size_t b = 0;
                    while (middle[k][m].rank >= count[b]) middle[k][m].rank -= count[b++];
                    middle[k][m].prefix = (middle[k][m].prefix << bits) | std::uint32_t(b);
                }
            }
        };
        pass(21, 11, true);
        pass(10, 11, false);
        pass(0, 10, false);
        for (std::size_t k = 0; k < width; ++k) {
            if (present[k] == 0) continue;
            const float low = from_order_key(middle[k][0].prefix), high = from_order_key(middle[k][1].prefix);
            result[k] = present[k] % 2 == 1 ? low : static_cast<float>((double(low) + double(high)) / 2);
        }
        return result;
    }

    // A float's bits as an unsigned key in the same order as the floats (negative ones reversed).
    static std::uint32_t order_key(float value) {
        const auto bits = std::bit_cast<std::uint32_t>(value);
        return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
    }
    // The medians' first pass: each column's values counted by the top kKeyBits of their keys, the
    // columns' counts kKeyStride apart. (16 past a multiple of 4 KiB: at a multiple, the CPU would
    // take each load of the next column's count to wait for the store of the last (4K aliasing),
    // which made counting ten times slower.)
    static constexpr unsigned kKeyBits = 11;
    static constexpr std::size_t kKeyStride = (std::size_t(1) << kKeyBits) + 16;
    void count_keys(const float* row) {
        for (std::size_t k = 0; k < layout_.features.size(); ++k)
            if (!std::isnan(row[k])) ++key_counts_[k * kKeyStride + (order_key(row[k]) >> (32 - kKeyBits))];
    }

    static float from_order_key(std::uint32_t key) {
        return std::bit_cast<float>((key & 0x80000000u) ? (key & 0x7FFFFFFFu) : ~key);
    }

    // x from the rows' values and texts, as `data.columns` say; the rows as read when every column
    // is a number and none is missing.
    void encode(Dataset& data) {
        const std::size_t width = layout_.features.size();
        bool plain = true;
        for (std::size_t k = 0; k < width; ++k)
            plain = plain && data.columns[k].kind == InputColumn::Kind::numeric && reading_[k].missing == 0;
        for (const InputColumn& column : data.columns) {
            if (column.kind == InputColumn::Kind::numeric) {
                data.feature_names.push_back(column.name);
                continue;
            }
            for (const std::string& category : column.categories) data.feature_names.push_back(column.name + "=" + category);
            if (column.missing_category) data.feature_names.push_back(column.name + "=(missing)");
        }
        if (plain) {
            data.x = matrix_from(std::move(values_), width);
            return;
        }
        data.x = Matrix<float>(kept_, data.feature_names.size());
        std::size_t unseen_rows = 0, first_unseen_line = 0;
        std::string first_unseen;
        std::size_t offset = 0;
        for (std::size_t k = 0; k < width; ++k) {
            const InputColumn& column = data.columns[k];
            if (column.kind == InputColumn::Kind::numeric) {
                for (std::size_t i = 0; i < kept_; ++i) {
                    const float v = values_[i * width + k];
                    data.x(i, offset) = std::isnan(v) ? column.fill : v;
                }
                ++offset;
                continue;
            }
            std::map<std::string, std::size_t, std::less<>> index;
            for (std::size_t c = 0; c < column.categories.size(); ++c) index.emplace(column.categories[c], c);
            const std::vector<std::string>& texts = reading_[k].texts;
            for (std::size_t i = 0; i < kept_; ++i) {
                const std::string& text = texts[i];
                if (text.empty() && column.missing_category) {
                    data.x(i, offset + column.categories.size()) = 1.0f;
                    continue;
                }
                const auto found = index.find(text);
                if (found != index.end()) {
                    data.x(i, offset + found->second) = 1.0f;
                    continue;
                }
                if (options_.unseen_is_error)
                    throw line_error(path_, lines_[first_kept_ + i], layout_.field(layout_.features[k]) + ": " +
                                                           (text.empty() ? "a missing value" : "category " + quoted(text)) +
                                                           " that the model never saw (--strict)");
                if (unseen_rows++ == 0) first_unseen_line = lines_[first_kept_ + i], first_unseen = column.name;
            }
            offset += column.width();
        }
        if (unseen_rows > 0)
            layout_.notes.push_back(path_ + ": " + std::to_string(unseen_rows) + " value" + (unseen_rows == 1 ? "" : "s") +
                                    " of a category the model never saw (first: column " + quoted(first_unseen) +
                                    ", line " + std::to_string(first_unseen_line) +
                                    ") get all-zero inputs for that column; --strict refuses them");
    }

    // A regression target: a finite number, never missing.
    float number(std::string_view text, std::size_t line, std::size_t column) const {
        if (is_missing_value(text))
            throw line_error(path_, line, layout_.field(column) + ": the target is missing (" + quoted(text) + ")");
        const std::optional<double> value = field_number(text, layout_.delimiter);
        if (!value) throw line_error(path_, line, layout_.field(column) + ": expected a number, got " + quoted(text));
        if (!(std::abs(*value) <= std::numeric_limits<float>::max()))
            throw line_error(path_, line,
                             layout_.field(column) + ": " + quoted(text) +
                                 " is not a finite number in float range (nabla refuses NaN and infinities)");
        return static_cast<float>(*value);
    }

    // number() without the message: none where it would refuse the text.
    std::optional<float> target_number(std::string_view text) const {
        if (is_missing_value(text)) return std::nullopt;
        const std::optional<double> value = field_number(text, layout_.delimiter);
        if (!value || !(std::abs(*value) <= std::numeric_limits<float>::max())) return std::nullopt;
        return static_cast<float>(*value);
    }

    void read_regression_targets(Dataset& data, RowRange kept) const {
        data.target_names = {layout_.names[*layout_.target]};
        std::vector<float> values(target_.number.begin() + std::ptrdiff_t(kept.begin),
                                  target_.number.begin() + std::ptrdiff_t(kept.end));
        for (std::size_t i = kept.begin; i < kept.end; ++i) {
            if (!std::isnan(target_.number[i])) continue;
            const auto& refused = target_.not_numbers;
            const auto at = std::lower_bound(refused.begin(), refused.end(), i,
                                             [](const auto& entry, std::size_t row) { return entry.first < row; });
            number(at->second, lines_[i], *layout_.target);  // throws
        }
        data.y = matrix_from(std::move(values), 1);
    }

    // Class names are the model's when it has them, else the distinct labels of all rows, sorted.
    void read_class_labels(Dataset& data, const std::vector<std::string>& model_classes, RowRange kept) const {
        const std::vector<std::string> names = class_labels();
        data.class_names = model_classes.empty() ? derive_class_names(names) : model_classes;

        const data::ClassIndex index(data.class_names);
        std::vector<std::optional<std::int32_t>> class_of(names.size());
        for (std::size_t t = 0; t < names.size(); ++t) class_of[t] = index.find(names[t]);
        data.labels.reserve(kept.end - kept.begin);
        for (std::size_t i = kept.begin; i < kept.end; ++i) {
            const std::uint32_t t = target_.label[i];
            if (!class_of[t])
                throw line_error(path_, lines_[i], data::unknown_class_message(names[t], data.class_names));
            data.labels.push_back(*class_of[t]);
        }
        data.y = data::one_hot(data.labels, data.class_names.size());
    }

    // The class name of each distinct label text. The texts are in the order they first show, so
    // the first refused is the one a check of every row in order would name.
    std::vector<std::string> class_labels() const {
        std::vector<std::string> names(target_.texts.size());
        for (std::size_t t = 0; t < names.size(); ++t) {
            const std::string problem = label_problem(target_.texts[t]);
            if (!problem.empty()) throw line_error(path_, lines_[target_.first_row[t]], problem);
            names[t] = label_name(target_.texts[t]);
        }
        return names;
    }

    // Why a label cannot name a class, or "" when it can.
    std::string label_problem(std::string_view text) const {
        const std::string field = layout_.field(*layout_.target);
        if (text.empty()) return field + ": empty class label";
        if (!data::valid_utf8(text))
            return field + ": class label " + quoted(text) + " is not valid UTF-8 (save the file as UTF-8)";
        const std::optional<double> value = parse_number(text);
        if (value && !std::isfinite(*value)) return field + ": " + quoted(text) + " is not a finite number";
        return "";
    }

    // Sorted numerically when all labels are integers, else as text. Labels that are all numbers
    // but not all integers are a regression target that was read as classification by default.
    // `names`: the class name of each of target_.texts.
    std::vector<std::string> derive_class_names(const std::vector<std::string>& names) const {
        const std::set<std::string> distinct(names.begin(), names.end());
        const std::string target_field = layout_.field(*layout_.target);
        if (distinct.size() > kMaxClasses)
            throw file_error(
                path_, target_field + " has " + std::to_string(distinct.size()) + " distinct values, more than " +
                           std::to_string(kMaxClasses) +
                           " classes: is it the right target (--target), or a regression target (--task regression)?");

        const auto is_number = [](const std::string& name) { return parse_number(name).has_value(); };
        if (!std::all_of(distinct.begin(), distinct.end(), is_number)) return {distinct.begin(), distinct.end()};
        for (std::size_t t = 0; t < names.size(); ++t)  // in the order they first show, as in the file
            if (!integer_value(names[t]))
                throw line_error(path_, lines_[target_.first_row[t]],
                                 target_field + ": class label " + quoted(names[t]) +
                                     " is not an integer; for a numeric target use --task regression");

        std::vector<std::pair<long long, std::string>> by_value;
        for (const std::string& name : distinct) by_value.emplace_back(*integer_value(name), name);
        std::sort(by_value.begin(), by_value.end());
        std::vector<std::string> sorted;
        for (auto& entry : by_value) sorted.push_back(std::move(entry.second));
        return sorted;
    }

    const std::string& path_;
    Layout layout_;
    std::optional<RowRange> wanted_;  // none: all rows
    const LoadOptions& options_;
    // A share of the rows, but no model's columns: every row is read, so that the columns (their
    // categories, medians) are fitted alike in every process, and the share kept at the end.
    const bool keep_all_;
    std::size_t rows_ = 0;            // seen, kept or not
    std::size_t kept_ = 0;
    std::vector<float> values_;  // row-major, kept rows × feature columns; NaN: missing, or text
    float* room_ = nullptr;      // a part's reader: where its rows go instead (write_rows_to)
    std::size_t room_capacity_ = 0;
    const bool regression_;  // the target is a number, not a class
    std::vector<ColumnReading> reading_;  // one per feature column
    std::vector<std::uint32_t> lines_;    // every row's line, kept or not (files stay under 2 GiB)
    std::size_t first_kept_ = 0;          // the row the kept rows start at
    TargetReading target_;
    std::vector<std::string> ids_;  // kept rows' LoadOptions::id_column
    // add_simple: whether it may take a record (every feature column holds only numbers so far),
    // how it takes each column (roles_), the rows it took since count_simple_rows, and its row
    // when it writes no part's room.
    bool simple_ = true;
    std::vector<std::uint32_t> roles_;
    std::size_t simple_rows_ = 0;
    std::vector<float> simple_row_;
    std::vector<std::uint32_t> key_counts_;  // count_keys_as_read: the medians' first counts, or empty
};

void refuse_too_large(std::size_t bytes, const std::string& path) {
    if (bytes > kMaxFileBytes)
        throw file_error(path,
                         "larger than 2 GiB; nabla holds data sets in memory and does not read CSV files this big");
}

std::string read_csv_text(const std::string& path) {
    data::InputFile file(path);
    std::string text = file.read(kMaxFileBytes + 1);
    refuse_too_large(text.size(), path);
    return text;
}

// The text of a CSV file, and, where the file is mapped (MappedFile), where the text lies in it.
struct Source {
    std::string_view text;
    const data::MappedFile* mapped = nullptr;
    std::size_t offset = 0;  // text[0]'s place in the mapping (after a byte order mark)

    void map_ahead(std::size_t begin, std::size_t end) const {
        if (mapped) mapped->map_ahead(begin + offset, end + offset);
    }
    // Hands back the pages wholly inside text[begin, end); returns where what was handed back ends.
    std::size_t release(std::size_t begin, std::size_t end) const {
        if (!mapped) return end;
        return mapped->release(begin + offset, end + offset) - offset;
    }
};

// How far apart the readers hand back pages and report progress: often enough that little of the
// text is held at once, seldom enough to cost nothing.
constexpr std::size_t kStepBytes = std::size_t(4) << 20;

Error binary_data_error(const std::string& path) {
    return file_error(path, "holds NUL bytes, so it is binary data, not CSV text");
}

// A NUL byte in text[begin, end) (binary data, not CSV text); with `lines`, the line ends in it are
// counted as well. A mapped file's text is copied a piece at a time into a buffer that stays in the
// CPU's cache: mapping it for one look at each byte would cost more than the copy.
bool has_nul(const Source& source, std::size_t begin, std::size_t end, std::size_t* lines = nullptr) {
    constexpr std::size_t kPieceBytes = std::size_t(256) << 10;
    std::vector<char> buffer(source.mapped ? std::min(kPieceBytes, end - std::min(begin, end)) : 0);
    for (std::size_t at = begin; at < end;) {
        const std::size_t stop = std::min(end, at + kPieceBytes);
        const char* piece = source.text.data() + at;
        if (source.mapped) {
            source.mapped->copy(source.offset + at, stop - at, buffer.data());
            piece = buffer.data();
        }
        if (std::memchr(piece, '\0', stop - at)) return true;
        if (lines) *lines += std::size_t(std::count(piece, piece + (stop - at), '\n'));
        at = stop;
    }
    return false;
}

// Drops a UTF-8 byte order mark.
Source without_byte_order_mark(Source source) {
    constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";
    if (source.text.starts_with(kByteOrderMark)) {
        source.text.remove_prefix(kByteOrderMark.size());
        source.offset += kByteOrderMark.size();
    }
    return source;
}

// Bytes of the text read, counted by every part's thread and reported (data::load_progress) by the
// thread that started the load.
class ReadProgress {
public:
    ReadProgress(const std::string& path, std::size_t total)
        : path_(path), total_(total), report_(data::load_progress()) {}
    void add(std::size_t bytes, bool reports) {
        const std::size_t done = done_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
        if (reports && report_ && done < total_) report_(path_, done, total_);
    }
    // The read is over (or failed): the display, if any, is cleared.
    ~ReadProgress() {
        if (report_) report_(path_, total_, total_);
    }
    void restart() { done_ = 0; }

private:
    std::atomic<std::size_t> done_{0};
    const std::string& path_;
    const std::size_t total_;
    const data::LoadProgress& report_;
};

// Reads the records `reader` has left into `rows`: add_simple where it can, add() otherwise. Every
// step it hands back the pages behind it and adds to the progress (`reports`: on this thread).
void read_records(RecordReader& reader, CsvRows& rows, const Source& source, ReadProgress& progress, bool reports) {
    const std::string_view text = reader.text();
    std::size_t released = reader.position(), counted = released;
    source.map_ahead(counted, std::min(text.size(), counted + kStepBytes));
    Record record;
    for (;;) {
        std::size_t next = reader.position();
        if (rows.add_simple(text, next, reader.line()))
            reader.skip_line(next);
        else if (reader.next(record))
            rows.add(record);
        else
            break;
        if (reader.position() - counted >= kStepBytes) {
            progress.add(reader.position() - counted, reports);
            counted = reader.position();
            released = source.release(released, counted);
            source.map_ahead(counted, std::min(text.size(), counted + kStepBytes));
        }
    }
    progress.add(reader.position() - counted, reports);
}

// read_records of a mapped file's text[begin, end) (which starts a record, on line `line`), copied
// through `pread` a window at a time into a buffer that stays in the CPU's cache: cheaper than
// mapping the pages, which costs a page fault every few pages and their unmapping after. Each
// window ends at a line end; a record that goes on past one (a quoted field with line ends in
// it) is read again at the start of the next, with more text after it.
void read_through_buffer(const Source& source, std::size_t begin, std::size_t end, std::size_t line,
                         bool more_follows, const std::string& path, char delimiter, CsvRows& rows,
                         ReadProgress& progress, bool reports) {
    constexpr std::size_t kWindowBytes = std::size_t(1) << 20;
    std::vector<char> buffer;
    std::size_t held = 0;  // bytes at the start of the buffer that are still to be read as records
    Record record;
    for (std::size_t next = begin; next < end;) {
        const std::size_t more = std::min(kWindowBytes, end - next);
        if (buffer.size() < held + more) buffer.resize(held + more);
        source.mapped->copy(source.offset + next, more, buffer.data() + held);
        next += more;
        held += more;
        const bool last = next == end;
        std::size_t window = held;
        if (!last) {
            const void* line_end = ::memrchr(buffer.data(), '\n', held);
            if (!line_end) continue;  // a line longer than the buffer: read on
            window = std::size_t(static_cast<const char*>(line_end) - buffer.data()) + 1;
        }
        const std::string_view text(buffer.data(), window);
        RecordReader reader(text, path, delimiter, 0, window, line, !last || more_follows);
        std::size_t done = 0;  // where the record being read starts
        try {
            for (;;) {
                done = reader.position();
                line = reader.line();
                std::size_t after = done;
                if (rows.add_simple(text, after, line))
                    reader.skip_line(after);
                else if (reader.next(record))
                    rows.add(record);
                else
                    break;
            }
            done = window;
            line = reader.line();
        } catch (const CutInQuotes&) {
            if (last) throw;  // the part ends inside quotes
        }
        progress.add(done, reports);
        std::memmove(buffer.data(), buffer.data() + done, held - done);
        held -= done;
    }
}

// The first two records of a file, which tell whether the first is a header.
struct Opening {
    Record first;
    Record second;
    bool has_second = false;
    bool has_header = false;
};

Opening read_opening(RecordReader& reader, const std::string& path, char delimiter) {
    Opening opening;
    if (!reader.next(opening.first)) throw file_error(path, "the file is empty");
    opening.has_second = reader.next(opening.second);
    opening.has_header = is_header(opening.first, opening.has_second ? &opening.second : nullptr, delimiter);
    return opening;
}

}  // namespace

bool is_missing_value(std::string_view text) {
    switch (text.size()) {
        case 0: return true;
        case 1: return text == "?";
        case 2: return text == "NA";
        case 3: return text == "N/A" || text == "NaN" || text == "nan";
        case 4: return text == "null" || text == "NULL" || text == "None";
        default: return false;
    }
}

namespace {

// The records of text[begin, end) (which starts a record, on line `line`) read by the threads at the
// same time, each a part of it cut at a line end, into `rows`, which keeps rows as read. A first pass
// counts each part's line ends (and refuses NUL bytes); each part's rows are then written in place,
// into room for as many rows as it has lines. The first error in the file is the one thrown.
// A part is read as if its cut were between records, which only a line end inside a quoted field
// belies: the part before it then ends inside quotes. False then, for the caller to read the text
// in one part (the rows read here are left over).
bool read_in_parts(const Source& source, std::size_t begin, std::size_t line, const std::string& path,
                   char delimiter, const Layout& layout, const LoadOptions& options, CsvRows& rows, int parts,
                   ReadProgress& progress) {
    const std::string_view text = source.text;
    std::vector<std::size_t> cut(static_cast<std::size_t>(parts) + 1, text.size());
    cut[0] = begin;
    for (std::size_t p = 1; p < std::size_t(parts); ++p) {
        const std::size_t at = std::max(cut[p - 1], begin + (text.size() - begin) * p / std::size_t(parts));
        const std::size_t line_end = text.find('\n', at);
        cut[p] = line_end == std::string::npos ? text.size() : line_end + 1;
    }
    std::vector<std::size_t> line_ends(static_cast<std::size_t>(parts), 0);
    std::vector<char> binary(static_cast<std::size_t>(parts), 0);
    std::vector<std::exception_ptr> unread(static_cast<std::size_t>(parts));  // a file that could not be read
    cpu::run_in_parts(parts, [&](int part, int) {
        const std::size_t p = std::size_t(part);
        try {
            binary[p] = has_nul(source, cut[p], cut[p + 1], &line_ends[p]);
        } catch (...) {
            unread[p] = std::current_exception();
        }
    });
    for (const std::exception_ptr& e : unread)
        if (e) std::rethrow_exception(e);
    if (std::find(binary.begin(), binary.end(), 1) != binary.end()) throw binary_data_error(path);
    std::size_t room = 0;
    // Room for a row per line end: a part ends just after one, but where it ends the text, its last
    // line may have none.
    const auto room_of = [&](std::size_t p) { return line_ends[p] + (cut[p + 1] == text.size() ? 1 : 0); };
    for (std::size_t p = 0; p < std::size_t(parts); ++p) room += room_of(p);
    float* start = rows.make_room(room);
    // Counts for the medians as the rows are read, where there are enough rows for a pass of their
    // own to cost more than the counts' memory.
    const bool count_keys = room >= (std::size_t(1) << 16);
    if (count_keys) rows.count_keys_as_read();
    std::vector<CsvRows> part_rows;
    part_rows.reserve(std::size_t(parts));
    std::vector<std::size_t> first_line(static_cast<std::size_t>(parts), line);
    for (std::size_t p = 0, offset = 0; p < std::size_t(parts); ++p) {
        if (p > 0) first_line[p] = first_line[p - 1] + line_ends[p - 1];
        part_rows.emplace_back(path, layout, options);
        part_rows.back().write_rows_to(start + offset * layout.features.size(), room_of(p));
        if (count_keys) part_rows.back().count_keys_as_read();
        offset += room_of(p);
    }
    std::vector<std::exception_ptr> failed(static_cast<std::size_t>(parts));
    std::vector<char> cut_in_quotes(static_cast<std::size_t>(parts), 0);
    cpu::run_in_parts(parts, [&](int part, int) {
        const std::size_t p = std::size_t(part);
        try {
            const bool more_follows = cut[p + 1] != text.size();
            if (source.mapped) {
                read_through_buffer(source, cut[p], cut[p + 1], first_line[p], more_follows, path, delimiter,
                                    part_rows[p], progress, p == 0);
            } else {
                RecordReader reader(text, path, delimiter, cut[p], cut[p + 1], first_line[p], more_follows);
                read_records(reader, part_rows[p], source, progress, p == 0);
            }
        } catch (const CutInQuotes&) {
            cut_in_quotes[p] = 1;
        } catch (...) {
            failed[p] = std::current_exception();
        }
    });
    for (std::size_t p = 0; p < std::size_t(parts); ++p) {  // every part up to p began at a record
        if (cut_in_quotes[p]) return false;
        if (failed[p]) std::rethrow_exception(failed[p]);
    }
    for (CsvRows& part : part_rows) rows.append(std::move(part));
    rows.trim();
    return true;
}

// The records of source.text from `begin` (a record's start, on line `line`) to its end, into `rows`:
// in parts (read_in_parts) where every row is kept as read, a part a thread; else, or when a cut
// fell inside a quoted field, by one thread, `rows` first started over (`start_rows`).
void read_rest(const Source& source, std::size_t begin, std::size_t line, const std::string& path, char delimiter,
               const Layout& layout, const LoadOptions& options, std::optional<CsvRows>& rows,
               const std::function<void()>& start_rows) {
    const std::string_view text = source.text;
    ReadProgress progress(path, text.size() - begin);
    constexpr std::size_t kPartBytes = std::size_t(1) << 20;  // at least, a part
    const int parts = int(std::clamp<std::size_t>((text.size() - begin) / kPartBytes, 1, std::size_t(cpu::split_parts())));
    if (rows->keeps_every_row()) {
        if (read_in_parts(source, begin, line, path, delimiter, layout, options, *rows, parts, progress)) return;
        // A cut fell inside a quoted field (or a quoted field is never closed): one part, from the start.
        rows.reset();
        start_rows();
        progress.restart();
    } else if (has_nul(source, begin, text.size())) {
        throw binary_data_error(path);
    }
    RecordReader reader(text, path, delimiter, begin, text.size(), line, false);
    read_records(reader, *rows, source, progress, true);
}

// The CSV reader, on text in memory or mapped.
Dataset parse_text(Source source, const std::string& path, const LoadOptions& options) {
    source = without_byte_order_mark(source);
    const std::string_view text = source.text;
    const char delimiter = options.delimiter.value_or(detect_delimiter(text));
    RecordReader reader(text, path, delimiter);
    Opening opening;
    std::optional<Layout> layout;
    std::optional<CsvRows> rows;
    // The opening rows, read before the rest; an error in them is only the one reported when no
    // NUL byte (binary data) shows anywhere.
    const auto start_rows = [&] {
        rows.emplace(path, *layout, options);
        if (!opening.has_header) rows->add(opening.first);
        if (opening.has_second) rows->add(opening.second);
    };
    try {
        opening = read_opening(reader, path, delimiter);
        if (opening.first.fields.size() == 1 && !options.delimiter && data::expected_features(options) != 1u)
            throw file_error(path, "only one column: no comma, semicolon, tab or pipe between the fields of its "
                                   "first line (give the separator with --delimiter)");
        layout = make_layout(path, opening.first, opening.has_header, options);
        layout->delimiter = delimiter;
        start_rows();
    } catch (const Error&) {
        if (has_nul(source, 0, text.size())) throw binary_data_error(path);
        throw;
    }
    const std::size_t rest = reader.position();
    if (has_nul(source, 0, rest)) throw binary_data_error(path);
    read_rest(source, rest, reader.line(), path, delimiter, *layout, options, rows, start_rows);
    return std::move(*rows).finish();
}

}  // namespace

Dataset data::parse_csv(std::string text, const std::string& path, const LoadOptions& options) {
    return parse_text(Source{text}, path, options);
}

char data::csv_delimiter(std::string_view opening, const LoadOptions& options) {
    return options.delimiter.value_or(detect_delimiter(opening));
}

Dataset data::parse_csv_part(std::string opening, std::string text, std::size_t line, const std::string& path,
                             const LoadOptions& options) {
    if (opening.find('\0') != std::string::npos || text.find('\0') != std::string::npos)
        throw binary_data_error(path);
    const Source opening_source = without_byte_order_mark(Source{opening});
    const char delimiter = csv_delimiter(opening_source.text, options);
    RecordReader opening_reader(opening_source.text, path, delimiter);
    const Opening first = read_opening(opening_reader, path, delimiter);
    Layout layout = make_layout(path, first.first, first.has_header, options);
    layout.delimiter = delimiter;
    std::optional<CsvRows> rows;
    const auto start_rows = [&] { rows.emplace(path, layout, options); };
    start_rows();
    read_rest(Source{text}, 0, line, path, delimiter, layout, options, rows, start_rows);
    return std::move(*rows).finish();
}

std::size_t data::count_csv_rows(const std::string& path) {
    const std::unique_ptr<MappedFile> mapped = MappedFile::open(path);
    std::string read;
    if (!mapped) read = read_csv_text(path);
    Source source = mapped ? Source{mapped->text(), mapped.get()} : Source{read};
    refuse_too_large(source.text.size(), path);
    if (has_nul(source, 0, source.text.size())) throw binary_data_error(path);
    source = without_byte_order_mark(source);
    const char delimiter = detect_delimiter(source.text);
    RecordReader reader(source.text, path, delimiter);
    const Opening opening = read_opening(reader, path, delimiter);
    std::size_t rows = (opening.has_header ? 0 : 1) + (opening.has_second ? 1 : 0);
    std::size_t released = 0;
    for (Record record; reader.next(record);) {
        ++rows;
        if (reader.position() - released >= kStepBytes) released = source.release(released, reader.position());
    }
    return rows;
}

Dataset load_csv(const std::string& path, const LoadOptions& options) {
    if (const std::unique_ptr<data::MappedFile> mapped = data::MappedFile::open(path)) {
        refuse_too_large(mapped->text().size(), path);
        return parse_text(Source{mapped->text(), mapped.get()}, path, options);
    }
    const std::string text = read_csv_text(path);
    return parse_text(Source{text}, path, options);
}

}  // namespace nabla

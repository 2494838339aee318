// A CSV file read a part at a time, for a pass over more rows than memory holds (nabla predict):
// the text is read in pieces, cut after whole records, and each part parsed as the whole file
// would be (csv.cpp), its line numbers counted from the file's start, so that messages name the
// same line and field as a whole-file read.
#include <algorithm>
#include <string_view>

#include "data/loading.hpp"

namespace nabla::data {

namespace {

constexpr std::size_t kReadBytes = std::size_t(8) << 20;
// A record longer than this is refused, as load_csv refuses a file this big.
constexpr std::size_t kMaxPartBytes = std::size_t(2) << 30;

// Records that ended in text[from, ...): how many (blank lines are not records) and where the last
// ended, just past its line end.
struct Scan {
    std::size_t records = 0;
    std::size_t end = 0;
};

// Finds record ends by csv.cpp's RecordReader rules: a field whose first character other than
// spaces is a quote is quoted, and ends at a quote not doubled; a line end elsewhere ends the
// record. Stops after `wanted` records, or where the text might go on (a quoted field still open,
// or a closing quote that could be the first of two).
Scan scan_records(std::string_view text, std::size_t from, std::size_t wanted, char delimiter) {
    Scan scan{0, from};
    const auto is_space = [delimiter](char c) { return c == ' ' || c == '\r' || (c == '\t' && delimiter != '\t'); };
    bool field_start = true, blank = true;
    std::size_t pos = from;
    while (pos < text.size() && scan.records < wanted) {
        const char c = text[pos];
        if (field_start && is_space(c)) {
            ++pos;
            continue;
        }
        if (field_start && c == '"') {
            blank = false;
            std::size_t quote = pos + 1;
            for (;;) {
                quote = text.find('"', quote);
                if (quote == std::string_view::npos || quote + 1 == text.size()) return scan;
                if (text[quote + 1] != '"') break;
                quote += 2;
            }
            pos = quote + 1;
            field_start = false;
            continue;
        }
        field_start = false;
        ++pos;
        if (c == '\n') {
            if (!blank) ++scan.records;
            scan.end = pos;
            field_start = blank = true;
        } else if (c == delimiter) {
            field_start = true;
            blank = false;
        } else {
            blank = false;
        }
    }
    return scan;
}

// Whether `text` holds the first line that picks the delimiter (csv.cpp's detect_delimiter reads up
// to the first line end, outside quotes, after a candidate separator).
bool has_first_line(std::string_view text) {
    bool quoted = false, candidate = false;
    for (const char c : text) {
        if (c == '"') quoted = !quoted;
        if (quoted) continue;
        if (c == '\n' && candidate) return true;
        if (c == ',' || c == ';' || c == '\t' || c == '|') candidate = true;
    }
    return false;
}

// The file's text, read on demand.
class Pending {
public:
    explicit Pending(const std::string& path) : file_(path) {}

    std::string text;
    bool at_end = false;

    void read_more() {
        if (text.size() > kMaxPartBytes)
            throw file_error(file_.path(), "a record longer than 2 GiB (from line " + std::to_string(line) +
                                               "); nabla does not read records this long");
        const std::string more = file_.read(kReadBytes);
        at_end = more.size() < kReadBytes;
        text += more;
    }

    // The records until `wanted` have ended (or the file's end): they leave `text`.
    std::string take_records(std::size_t wanted, char delimiter) {
        Scan scan;
        for (;;) {
            const Scan more = scan_records(text, scan.end, wanted - scan.records, delimiter);
            scan.records += more.records;
            scan.end = more.end;
            if (scan.records == wanted || at_end) break;
            read_more();
        }
        const std::size_t end = scan.records == wanted ? scan.end : text.size();
        std::string part = text.substr(0, end);
        text.erase(0, end);
        line += std::size_t(std::count(part.begin(), part.end(), '\n'));
        return part;
    }

    std::size_t line = 1;  // the line text starts on

private:
    InputFile file_;
};

bool only_spaces(std::string_view text) {
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

void load_csv_in_parts(const std::string& path, const LoadOptions& options, std::size_t rows,
                       const std::function<void(Dataset&)>& visit) {
    Pending pending(path);
    pending.read_more();
    while (!pending.at_end && !has_first_line(pending.text)) pending.read_more();
    // The first part as the whole file would start: a header, perhaps, then rows.
    std::string first = pending.take_records(rows + 1, csv_delimiter(pending.text, options));
    // The later parts are read with the delimiter that the first part's reading found.
    LoadOptions later = options;
    later.delimiter = csv_delimiter(first, options);
    const std::string opening = first.substr(0, scan_records(first, 0, 2, *later.delimiter).end);
    {
        Dataset part = parse_csv(std::move(first), path, options);
        visit(part);
    }
    while (!pending.text.empty() || !pending.at_end) {
        const std::size_t line = pending.line;
        std::string text = pending.take_records(rows, *later.delimiter);
        if (only_spaces(text)) continue;  // blank lines at the end
        Dataset part = parse_csv_part(opening, std::move(text), line, path, later);
        visit(part);
    }
}

}  // namespace nabla::data

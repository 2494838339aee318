// The learning-curve picture: a self-contained SVG with two panels side by side, loss on the left and
// accuracy (classification) or RMSE (regression) on the right, each against the epoch, train solid
// and validation dashed. Axes get "nice" ticks (steps of 1, 2 or 5 times a power of ten).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/atomic_file.hpp"
#include "nabla/report.hpp"

namespace nabla {

namespace {

constexpr double image_width = 900, image_height = 380;
constexpr double panel_width = image_width / 2;
constexpr double plot_top = 70, plot_bottom = 316;
constexpr double plot_left_margin = 76, plot_right_margin = 24;  // room for tick labels and the axis title
constexpr double plot_inset = 10;     // keeps the first and last markers off the axes
constexpr std::size_t max_markers = 40;  // more epochs than this: lines only, markers would blur them

constexpr const char* train_colour = "#1f77b4";
constexpr const char* validation_colour = "#e6550d";

struct Point {
    double epoch, value;
};

struct Series {
    bool validation;  // validation: dashed orange; train: solid blue
    std::vector<Point> points;
};

struct Panel {
    std::string y_title;
    double upper_bound;  // values never exceed it (accuracy: 100%), so neither does the axis
    std::vector<Series> series;
};

// One number of an epoch's metrics, absent when the epoch lacks it (no validation data).
using Metric = std::optional<double> (*)(const EpochMetrics&);

std::optional<double> train_loss(const EpochMetrics& epoch) { return epoch.train_loss; }
std::optional<double> train_accuracy(const EpochMetrics& epoch) { return epoch.train_accuracy; }

template <double Metrics::*field>
std::optional<double> validation(const EpochMetrics& epoch) {
    if (!epoch.validation) return std::nullopt;
    return (*epoch.validation).*field;
}

struct Frame {
    double left, top, right, bottom;
};

// A linear axis from min to max with ticks at the multiples of step that lie in between.
struct Axis {
    double min, max, step;
};

// The smallest step of 1, 2 or 5 times a power of ten that is at least `raw`.
double nice_step(double raw) {
    const double power = std::pow(10.0, std::floor(std::log10(raw)));
    for (const double mantissa : {1.0, 2.0, 5.0})
        if (mantissa * power >= raw * (1 - 1e-9)) return mantissa * power;
    return 10 * power;
}

// About five ticks covering [low, high], rounded out to whole steps and kept within [0, upper].
Axis value_axis(double low, double high, double upper) {
    if (high - low < 1e-12 * std::max(1.0, std::abs(high))) {  // a flat curve still needs a range
        const double pad = high != 0 ? std::abs(high) * 0.1 : 1.0;
        low -= pad;
        high += pad;
    }
    const double step = nice_step((high - low) / 5);
    return {std::max(0.0, std::floor(low / step) * step), std::min(upper, std::ceil(high / step) * step), step};
}

// Epochs 1 … n with whole-number ticks; a single epoch sits in the middle.
Axis epoch_axis(std::size_t epochs) {
    if (epochs == 1) return {0.5, 1.5, 1};
    return {1, double(epochs), std::max(1.0, nice_step(double(epochs - 1) / 6))};
}

std::vector<double> ticks(const Axis& axis) {
    std::vector<double> values;
    const double slack = 1e-9;  // tolerates rounding in min / step
    for (double k = std::ceil(axis.min / axis.step - slack); k <= axis.max / axis.step + slack; ++k)
        values.push_back(k * axis.step + 0.0);  // + 0.0 turns −0 into 0, which prints without a sign
    return values;
}

// Decimals that tell the ticks of `step` apart: 0.05 needs two, 20 none.
int decimals(double step) { return std::max(0, -int(std::floor(std::log10(step) + 1e-9))); }

std::string fixed(double value, int digits) {
    char text[64];
    return std::string(text, std::to_chars(text, text + sizeof text, value, std::chars_format::fixed, digits).ptr);
}

std::string px(double coordinate) { return fixed(coordinate, 1); }

std::string escape_xml(std::string_view text) {
    std::string escaped;
    for (const char c : text) {
        switch (c) {
            case '&': escaped += "&amp;"; break;
            case '<': escaped += "&lt;"; break;
            case '>': escaped += "&gt;"; break;
            case '"': escaped += "&quot;"; break;
            case '\'': escaped += "&apos;"; break;
            default: escaped += c;
        }
    }
    return escaped;
}

const char* colour(bool validation) { return validation ? validation_colour : train_colour; }

std::string series_style(bool validation) {
    return std::string("stroke=\"") + colour(validation) + "\" stroke-width=\"2\"" +
           (validation ? " stroke-dasharray=\"7 4\"" : "");
}

// Appends SVG elements to a string; `style` is the element's further attributes.
class Svg {
public:
    void line(double x1, double y1, double x2, double y2, std::string_view style) {
        out_ += "<line x1=\"" + px(x1) + "\" y1=\"" + px(y1) + "\" x2=\"" + px(x2) + "\" y2=\"" + px(y2) + "\" " +
                std::string(style) + "/>\n";
    }
    void rect(double x, double y, double width, double height, std::string_view style) {
        out_ += "<rect x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" + px(width) + "\" height=\"" + px(height) +
                "\" " + std::string(style) + "/>\n";
    }
    void circle(double x, double y, double radius, std::string_view style) {
        out_ += "<circle cx=\"" + px(x) + "\" cy=\"" + px(y) + "\" r=\"" + px(radius) + "\" " + std::string(style) +
                "/>\n";
    }
    void polyline(const std::string& points, std::string_view style) {
        out_ += "<polyline points=\"" + points + "\" " + std::string(style) + "/>\n";
    }
    // `content` is plain text: escaped here.
    void text(double x, double y, std::string_view content, std::string_view style) {
        out_ += "<text x=\"" + px(x) + "\" y=\"" + px(y) + "\" " + std::string(style) + ">" + escape_xml(content) +
                "</text>\n";
    }
    void raw(std::string_view markup) { out_ += markup; }
    const std::string& str() const { return out_; }

private:
    std::string out_;
};

// Maps epochs and values to pixels inside a panel's frame.
struct Plot {
    Frame frame;
    Axis x, y;

    double px_x(double epoch) const {
        const double width = frame.right - frame.left - 2 * plot_inset;
        return frame.left + plot_inset + (epoch - x.min) / (x.max - x.min) * width;
    }
    double px_y(double value) const {
        return frame.bottom - (value - y.min) / (y.max - y.min) * (frame.bottom - frame.top);
    }
};

void draw_grid_and_axes(Svg& svg, const Plot& plot, const std::string& y_title) {
    const Frame& f = plot.frame;
    const std::string label_style = "font-size=\"11\" fill=\"#555\"";
    const std::string title_style = "font-size=\"12\" fill=\"#333\" text-anchor=\"middle\"";
    std::size_t widest_label = 0;
    for (const double value : ticks(plot.y)) {
        const double y = plot.px_y(value);
        const std::string label = fixed(value, decimals(plot.y.step));
        widest_label = std::max(widest_label, label.size());
        svg.line(f.left, y, f.right, y, "stroke=\"#e3e3e3\" stroke-width=\"1\"");
        svg.text(f.left - 8, y + 4, label, label_style + " text-anchor=\"end\"");
    }
    for (const double epoch : ticks(plot.x)) {
        const double x = plot.px_x(epoch);
        svg.line(x, f.top, x, f.bottom, "stroke=\"#eeeeee\" stroke-width=\"1\"");
        svg.text(x, f.bottom + 17, fixed(epoch, 0), label_style + " text-anchor=\"middle\"");
    }
    svg.line(f.left, f.bottom, f.right, f.bottom, "stroke=\"#777\" stroke-width=\"1\"");
    svg.line(f.left, f.top, f.left, f.bottom, "stroke=\"#777\" stroke-width=\"1\"");
    svg.text((f.left + f.right) / 2, f.bottom + 42, "epoch", title_style);
    // Beside the widest tick label (digits are about 6.5 px wide at font-size 11), inside the panel.
    const double x_title = std::max(f.left - plot_left_margin + 12, f.left - 20 - 6.5 * double(widest_label));
    const double middle = (f.top + f.bottom) / 2;
    svg.text(x_title, middle, y_title,
             title_style + " transform=\"rotate(-90 " + px(x_title) + " " + px(middle) + ")\"");
}

void draw_series(Svg& svg, const Plot& plot, const Series& series, bool markers) {
    std::string points;
    for (const Point& p : series.points) points += px(plot.px_x(p.epoch)) + "," + px(plot.px_y(p.value)) + " ";
    svg.polyline(points, "fill=\"none\" stroke-linejoin=\"round\" " + series_style(series.validation));
    if (!markers) return;
    const std::string marker_style = std::string("fill=\"") + colour(series.validation) + "\" stroke=\"white\"";
    for (const Point& p : series.points) svg.circle(plot.px_x(p.epoch), plot.px_y(p.value), 3, marker_style);
}

void draw_panel(Svg& svg, const Panel& panel, const Frame& frame, std::size_t epochs) {
    if (panel.series.empty()) {
        svg.rect(frame.left, frame.top, frame.right - frame.left, frame.bottom - frame.top,
                 "fill=\"#fafafa\" stroke=\"#ddd\"");
        svg.text((frame.left + frame.right) / 2, (frame.top + frame.bottom) / 2,
                 panel.y_title + ": no validation data",
                 "font-size=\"13\" fill=\"#888\" text-anchor=\"middle\"");
        return;
    }
    double low = HUGE_VAL, high = -HUGE_VAL;
    for (const Series& series : panel.series)
        for (const Point& p : series.points) {
            low = std::min(low, p.value);
            high = std::max(high, p.value);
        }
    const Plot plot{frame, epoch_axis(epochs), value_axis(low, high, panel.upper_bound)};
    draw_grid_and_axes(svg, plot, panel.y_title);
    for (const Series& series : panel.series) draw_series(svg, plot, series, epochs <= max_markers);
}

// A sample line and a name per kind of series, centred under the title.
void draw_legend(Svg& svg, bool with_validation) {
    struct Entry {
        bool validation;
        std::string_view name;
    };
    std::vector<Entry> entries{{false, "train"}};
    if (with_validation) entries.push_back({true, "validation"});
    // SVG cannot measure text: about 7 px per character at font-size 12 is close enough to centre it.
    const double y = 50, sample = 26, space = 6, gap = 24;
    const auto width = [&](const Entry& entry) { return sample + space + 7 * double(entry.name.size()); };
    double total = -gap;
    for (const Entry& entry : entries) total += width(entry) + gap;
    double x = (image_width - total) / 2;
    for (const Entry& entry : entries) {
        svg.line(x, y - 4, x + sample, y - 4, series_style(entry.validation));
        svg.text(x + sample + space, y, entry.name, "font-size=\"12\" fill=\"#333\"");
        x += width(entry) + gap;
    }
}

// The points of `metric` (times `factor`) in every epoch that has it.
Series collect(const std::vector<EpochMetrics>& history, bool validation, Metric metric, double factor = 1) {
    Series series{validation, {}};
    for (const EpochMetrics& epoch : history)
        if (const std::optional<double> value = metric(epoch))
            series.points.push_back({double(epoch.epoch), *value * factor});
    return series;
}

bool has_validation(const std::vector<EpochMetrics>& history) {
    return std::any_of(history.begin(), history.end(), [](const EpochMetrics& e) { return e.validation.has_value(); });
}

// Loss, then accuracy in percent (classification) or RMSE, which only validation measures (regression).
std::vector<Panel> panels(const std::vector<EpochMetrics>& history, Task task) {
    const bool validated = has_validation(history);
    Panel loss{"loss", HUGE_VAL, {collect(history, false, train_loss)}};
    if (validated) loss.series.push_back(collect(history, true, validation<&Metrics::loss>));
    if (task == Task::regression) {
        Panel rmse{"RMSE", HUGE_VAL, {}};
        if (validated) rmse.series.push_back(collect(history, true, validation<&Metrics::rmse>));
        return {loss, rmse};
    }
    Panel accuracy{"accuracy (%)", 100, {collect(history, false, train_accuracy, 100)}};
    if (validated) accuracy.series.push_back(collect(history, true, validation<&Metrics::accuracy>, 100));
    return {loss, accuracy};
}

std::string render(const std::vector<EpochMetrics>& history, Task task, const std::string& title) {
    Svg svg;
    const std::string width = fixed(image_width, 0), height = fixed(image_height, 0);
    svg.raw("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + width + "\" height=\"" + height +
            "\" viewBox=\"0 0 " + width + " " + height +
            "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n");
    svg.rect(0, 0, image_width, image_height, "fill=\"white\"");
    svg.text(image_width / 2, 28, title,
             "font-size=\"17\" font-weight=\"bold\" fill=\"#222\" text-anchor=\"middle\"");
    if (!history.empty()) {
        draw_legend(svg, has_validation(history));
        const std::vector<Panel> all = panels(history, task);
        for (std::size_t i = 0; i < all.size(); ++i) {
            const double left = double(i) * panel_width;
            const Frame frame{left + plot_left_margin, plot_top, left + panel_width - plot_right_margin, plot_bottom};
            draw_panel(svg, all[i], frame, history.back().epoch);
        }
    }
    svg.raw("</svg>\n");
    return svg.str();
}

}  // namespace

void write_learning_curve_svg(const std::vector<EpochMetrics>& history, Task task, const std::string& title,
                              const std::string& path) {
    AtomicFile file(path);
    file.write(render(history, task, title));
    file.commit();
}

}  // namespace nabla

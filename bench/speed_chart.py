#!/usr/bin/python3
"""Draws docs/images/speed.svg, nabla against its peers, from the throughput table of
docs/BENCHMARKS.md (the table after the `speed-table` marker), so that the chart shows exactly the
figures the table states. Standard library only: the SVG is written by hand.

    /usr/bin/python3 bench/speed_chart.py [--table docs/BENCHMARKS.md] [--out docs/images/speed.svg]
"""
import argparse
import math
import re
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- speed-table"


def read_table(markdown):
    """The rows after MARKER as (configuration, nabla samples/s, peer, peer samples/s)."""
    lines = markdown[markdown.index(MARKER):].splitlines()[1:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] in ("configuration", "") or set(cells[0]) <= set("-"):
            continue
        number = lambda cell: float(re.match(r"[\d,.]+", cell).group().replace(",", ""))
        rows.append((cells[0], number(cells[1]), cells[2], number(cells[3])))
    if not rows:
        raise SystemExit("speed_chart.py: no table after the speed-table marker")
    return rows


def groups(rows):
    """Per configuration, in table order: its label and bars [(name, samples/s)], nabla first."""
    out = {}
    for config, nabla, peer, peer_rate in rows:
        bars = out.setdefault(config, [("nabla", nabla)])
        name = "FANN" if peer.startswith("FANN") else "PyTorch, best setting"
        bars.append((name, peer_rate))
    return list(out.items())


def svg(chart):
    colours = {"nabla": "#1f77b4", "PyTorch, best setting": "#ff7f0e", "FANN": "#2ca02c"}
    left, width, bar, gap, top = 330, 420, 16, 14, 40
    lo, hi = 1e3, 1e6
    x = lambda v: left + width * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    height = top + sum(len(b) * bar + gap for _, b in chart) + 50
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 110}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{left}" y="20" font-size="14" font-weight="bold">Samples/s on 2 CPU cores '
           '(log scale; higher is faster)</text>']
    for decade in range(3, 7):
        v = 10.0 ** decade
        out.append(f'<line x1="{x(v):.1f}" y1="{top - 6}" x2="{x(v):.1f}" y2="{height - 40}" stroke="#ccc"/>')
        out.append(f'<text x="{x(v):.1f}" y="{height - 26}" text-anchor="middle">{int(v):,}</text>')
    y = top
    for config, bars in chart:
        out.append(f'<text x="{left - 8}" y="{y + len(bars) * bar / 2 + 4:.1f}" text-anchor="end">'
                   f'{escape(config)}</text>')
        for name, rate in bars:
            out.append(f'<rect x="{left}" y="{y}" width="{x(rate) - left:.1f}" height="{bar - 3}" '
                       f'fill="{colours[name]}"><title>{escape(name)}: {rate:,.0f} samples/s</title></rect>')
            label = f"{rate:,.0f}"
            if name != "nabla":
                label += f"  (nabla {bars[0][1] / rate:.1f}×)"
            out.append(f'<text x="{x(rate) + 4:.1f}" y="{y + bar - 5}" font-size="10">{label}</text>')
            y += bar
        y += gap
    legend_x = left
    for name, colour in colours.items():
        out.append(f'<rect x="{legend_x}" y="{height - 16}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{legend_x + 14}" y="{height - 7}">{escape(name)}</text>')
        legend_x += 30 + 7 * len(name)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default=ROOT / "docs" / "BENCHMARKS.md", type=Path)
    parser.add_argument("--out", default=ROOT / "docs" / "images" / "speed.svg", type=Path)
    args = parser.parse_args()
    chart = groups(read_table(args.table.read_text(encoding="utf-8")))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(svg(chart), encoding="utf-8")
    print(f"wrote {args.out}: {len(chart)} configurations")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Two builds of nabla side by side: the training throughput of `nabla bench` for each of
bench/compare.py's configurations, before and after a change.

The two programs take turns (before, after, before, after, ...) for --rounds rounds of --seconds
each, at every thread count asked for, so that a burst of load on a shared machine falls on both
alike. Each round gives a ratio after/before of two neighbouring runs; the table shows the median
samples/s of each build and the median of the rounds' ratios, and marks a configuration that
became more than --tolerance slower.

    /usr/bin/python3 bench/compare_builds.py --before OLD/build/tools/nabla --after build/tools/nabla
"""
import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import CONFIGS, Contender, markdown_table, machine, positive_int, run_once  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", type=Path, required=True, help="the nabla program before the change")
    p.add_argument("--after", type=Path, required=True, help="the nabla program after the change")
    p.add_argument("--threads", default="2,1", help="thread counts, comma-separated")
    p.add_argument("--seconds", type=float, default=2.0, help="timing window of each run")
    p.add_argument("--rounds", type=positive_int, default=5, help="runs of each build, interleaved")
    p.add_argument("--tolerance", type=float, default=0.03, help="slowdown that marks a configuration")
    p.add_argument("--only", metavar="TEXT", help="run only the configurations whose label contains this")
    args = p.parse_args()

    rows, slower = [], []
    for threads in [int(t) for t in args.threads.split(",")]:
        for config in CONFIGS:
            if args.only and args.only not in config.label:
                continue
            label = f"{config.label}, {threads} thread{'s' if threads > 1 else ''}"
            builds = {name: Contender(name, [str(path), "bench", *config.flags, "--threads", str(threads),
                                             "--seconds", str(args.seconds), "--json"])
                      for name, path in (("before", args.before), ("after", args.after))}
            rates = {name: [] for name in builds}
            ratios = []
            for r in range(args.rounds):
                for name, contender in builds.items():
                    rates[name].append(run_once(contender)["samples_per_s"])
                ratios.append(rates["after"][-1] / rates["before"][-1])
                print(f"[{label}] round {r + 1}/{args.rounds}: before {rates['before'][-1]:,.0f}, "
                      f"after {rates['after'][-1]:,.0f} samples/s", file=sys.stderr)
            ratio = statistics.median(ratios)
            mark = "**slower**" if ratio < 1 - args.tolerance else ""
            if mark:
                slower.append(label)
            rows.append([label, f"{statistics.median(rates['before']):,.0f}", f"{statistics.median(rates['after']):,.0f}",
                         f"{ratio:.3f} ({min(ratios):.3f}–{max(ratios):.3f})", mark])

    m = machine()
    print(f"Machine: {m['cpu']}, {m['cpus']} CPUs; {args.rounds} interleaved rounds of {args.seconds} s; samples/s are medians, "
          "the ratio is the median of the rounds' after/before (range in brackets).\n")
    print(markdown_table(["configuration", "before (samples/s)", "after (samples/s)", "after / before", ""], rows))
    if slower:
        print(f"\nMore than {args.tolerance:.0%} slower: " + "; ".join(slower))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The GPU comparison as a markdown table: for each batch size and precision, nabla's training
throughput (`nabla bench --device cuda --json`, one object a line) beside PyTorch's eager and
CUDA-graph steps (torch_gpu_bench.py), and nabla's ratio to each.

Usage: compare_gpu.py NABLA_JSONL TORCH_JSONL
"""
import json
import sys


def read_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.strip().splitlines()[-1])
    rates = {}  # (batch, precision) -> {contender: samples/s}
    for run in read_lines(sys.argv[1]):
        rates.setdefault((run["batch"], run["precision"]), {})["nabla"] = run["samples_per_s"]
    for run in read_lines(sys.argv[2]):
        rates.setdefault((run["batch"], run["precision"]), {})[run["contender"]] = run["samples_per_s"]

    def cell(value):
        return f"{value:,.0f}" if value else "–"

    def ratio(nabla, other):
        return f"{nabla / other:.2f}×" if nabla and other else "–"

    print("| batch | precision | nabla (samples/s) | torch eager | torch graph | nabla / eager | nabla / graph |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for (batch, precision), r in sorted(rates.items(), key=lambda item: (item[0][0], item[0][1])):
        nabla, eager, graph = r.get("nabla"), r.get("torch-eager"), r.get("torch-graph")
        print(f"| {batch} | {precision} | {cell(nabla)} | {cell(eager)} | {cell(graph)} | "
              f"{ratio(nabla, eager)} | {ratio(nabla, graph)} |")


if __name__ == "__main__":
    main()

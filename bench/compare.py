#!/usr/bin/python3
"""Side-by-side CPU training throughput: nabla vs PyTorch (at its best) and FANN.

For every configuration the contenders take turns (nabla, each peer variant, nabla, ...) for
--rounds rounds of --seconds each, so that a burst of load on a shared machine falls on all of
them alike. Each run reports samples/s from its median step time; the tables show the medians over
the rounds. PyTorch runs in several variants (1 thread; N threads with OMP_WAIT_POLICY=passive;
each with and without the OPENBLAS_CORETYPE nabla uses) and the best one is "peer".

The share of the machine's matrix-product peak that a batch-128 or batch-1024 step reaches is
measured in pairs, in each round: nabla_bench's BM_StepShareOfSgemm alternates about 50 ms of
training steps with one 2048^3 sgemm on OpenBLAS's own threads and reports the median of the
pairs' ratios. This machine's sgemm rate drifts by up to 2x over seconds, so a ratio of two
separate runs' medians mostly measures the drift; the paired ratio does not. The step's matrix
products alone (BM_StepProductsShareOfSgemm: the same shapes and split, no pass between them) are
measured the same way: the most a step can reach through this BLAS.

Run with /usr/bin/python3 (Debian's python3-torch), after building nabla_cli and nabla_bench:
    /usr/bin/python3 bench/compare.py [--quick] [--json FILE]
"""
import argparse
import datetime
import json
import re
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


@dataclass
class Config:
    label: str
    flags: list[str]                   # `nabla bench` flags; bench/torch_bench.py takes the same ones
    torch_target: float | None = None  # nabla/PyTorch ratio the project aims for
    fann_target: float | None = None   # nabla/FANN ratio aimed for (per-sample training only)
    sgemm_target: float | None = None  # share of the sgemm rate the step aims for


MNIST = ["--layers", "784,256,128,10", "--activation", "relu", "--loss", "ce", "--optimizer", "sgd"]
CONFIGS = [
    Config("784-256-128-10 ReLU CE, batch 1", MNIST + ["--batch", "1"], torch_target=10, fann_target=5),
    Config("784-256-128-10 ReLU CE, batch 32", MNIST + ["--batch", "32"], torch_target=1.5),
    Config("784-256-128-10 ReLU CE, batch 128", MNIST + ["--batch", "128"], torch_target=1.3, sgemm_target=0.70),
    Config("784-256-128-10 ReLU CE, batch 1024", MNIST + ["--batch", "1024"], torch_target=1.1, sgemm_target=0.85),
    Config("784-30-10 sigmoid MSE, batch 10",
           ["--layers", "784,30,10", "--activation", "sigmoid", "--loss", "mse", "--output-activation", "sigmoid",
            "--optimizer", "sgd", "--batch", "10"], torch_target=3),
    Config("784-256-128-10 ReLU, inference, batch 1024", MNIST + ["--batch", "1024", "--inference"]),
]


@dataclass
class Contender:
    name: str
    command: list[str]
    env: dict[str, str | None] = field(default_factory=dict)  # changes to the environment; None removes
    parse: Callable[[str], dict] | None = None  # stdout -> results; default: the last line is a JSON object


def last_json_line(stdout):
    return json.loads(stdout.strip().splitlines()[-1])


def parse_sgemm(stdout):
    """Google Benchmark's JSON report of BM_Sgemm -> GFLOP/s and the OpenBLAS kernel."""
    report = json.loads(stdout)
    return {"gflops": report["benchmarks"][0]["FLOP"] * 1e-9, "blas_kernel": report["context"]["blas_kernel"]}


def parse_paired_share(stdout):
    """Google Benchmark's JSON report of a BM_*ShareOfSgemm -> the paired share and both rates."""
    report = json.loads(stdout)
    b = report["benchmarks"][0]
    return {"share": b["share"], "work_gflops": b["work_GFLOPs"], "gflops": b["sgemm_GFLOPs"], "pairs": b["pairs"],
            "blas_kernel": report["context"]["blas_kernel"]}


def run_once(contender):
    env = dict(os.environ)
    for key, value in contender.env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    done = subprocess.run(contender.command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{contender.name} failed ({' '.join(contender.command)}):\n{done.stderr}")
    return (contender.parse or last_json_line)(done.stdout)


def summarize(runs):
    """Medians of the numeric fields over the runs; other fields as the first run gave them. The
    raw runs are kept under "runs"."""
    def is_number(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    summary = {k: statistics.median(r[k] for r in runs) if is_number(v) else v for k, v in runs[0].items()}
    summary["runs"] = runs
    return summary


def interleaved_medians(contenders, rounds, label):
    """Runs the contenders in turns, `rounds` times over; returns name -> summarize(its runs)."""
    runs = {c.name: [] for c in contenders}
    for r in range(rounds):
        for c in contenders:
            result = run_once(c)
            runs[c.name].append(result)
            figure = (f"{result['share']:.1%}" if "share" in result
                      else f"{result.get('samples_per_s') or result['gflops']:,.1f}")
            print(f"[{label}] round {r + 1}/{rounds}: {c.name}: {figure}", file=sys.stderr)
    return {name: summarize(results) for name, results in runs.items()}


def sgemm_contender(nabla_bench, threads, seconds):
    return Contender("sgemm 2048", [str(nabla_bench), f"--threads={threads}", "--benchmark_filter=^BM_Sgemm/",
                                    "--benchmark_format=json", f"--benchmark_min_time={seconds}"],
                     parse=parse_sgemm)


STEP_SHARE = "step vs sgemm 2048, paired"
PRODUCTS_SHARE = "step's products alone vs sgemm 2048, paired"


def paired_share_contender(name, benchmark, nabla_bench, threads, seconds, batch):
    return Contender(name, [str(nabla_bench), f"--threads={threads}", f"--benchmark_filter=^{benchmark}/{batch}/",
                            "--benchmark_format=json", f"--benchmark_min_time={seconds}"],
                     parse=parse_paired_share)


def torch_contenders(flags, threads, seconds, coretype):
    """PyTorch in every setting that may be its best within `threads` threads. Its OpenBLAS is
    capped at the same thread budget. Without OPENBLAS_CORETYPE Debian's OpenBLAS picks slow
    kernels on some CPUs; with OMP_WAIT_POLICY active (the default) 2 threads spin against each
    other on a 2-vCPU machine."""
    settings = [("1 thread", 1, {})]
    if threads > 1:
        settings.append((f"{threads} threads passive", threads, {"OMP_WAIT_POLICY": "passive"}))
    contenders = []
    for name, torch_threads, env in settings:
        for core in (None, coretype):
            contenders.append(Contender(
                f"torch {name}" + (f" {core}" if core else ""),
                [sys.executable, str(BENCH_DIR / "torch_bench.py"), *flags, "--threads", str(torch_threads),
                 "--seconds", str(seconds)],
                {**env, "OPENBLAS_CORETYPE": core, "OPENBLAS_NUM_THREADS": str(threads)}))
    return contenders


def build_fann_bench(out_dir):
    if not shutil.which("gcc"):
        sys.exit("gcc not found: it builds bench/fann_bench.c")
    binary = Path(out_dir) / "fann_bench"
    subprocess.run(["gcc", "-O2", str(BENCH_DIR / "fann_bench.c"), "-o", str(binary), "-lfloatfann", "-lm"],
                   check=True)
    return binary


def measure(config, args, coretype, fann_bench):
    """Returns name -> summary for nabla and this configuration's peers."""
    contenders = [Contender("nabla", [str(args.nabla), "bench", *config.flags, "--threads", str(args.threads),
                                      "--seconds", str(args.seconds), "--json"])]
    contenders += torch_contenders(config.flags, args.threads, args.seconds, coretype)
    if config.fann_target:
        contenders.append(Contender("FANN incremental", [str(fann_bench), str(args.seconds)]))
    if config.sgemm_target:
        batch = config.flags[config.flags.index("--batch") + 1]
        contenders.append(paired_share_contender(STEP_SHARE, "BM_StepShareOfSgemm", args.nabla_bench, args.threads,
                                                 args.seconds, batch))
        contenders.append(paired_share_contender(PRODUCTS_SHARE, "BM_StepProductsShareOfSgemm", args.nabla_bench,
                                                 args.threads, args.seconds, batch))
    return interleaved_medians(contenders, args.rounds, config.label)


def best_torch(results):
    name = max((n for n in results if n.startswith("torch")), key=lambda n: results[n]["samples_per_s"])
    return name, results[name]


def spread(summary, key):
    """Half the range of the runs, as a share of their median: a rough error bar."""
    values = [r[key] for r in summary["runs"]]
    return (max(values) - min(values)) / 2 / summary[key]


def rate_text(summary):
    return f"{summary['samples_per_s']:,.0f} ±{spread(summary, 'samples_per_s'):.0%}"


def verdict(value, target, form="{:g}"):
    """The target as text (formatted with `form`) and whether value meets it."""
    if target is None:
        return "—", ""
    return "≥" + form.format(target), "yes" if value >= target else "**no**"


def summary_rows(config, results):
    """The main table's rows of one configuration: nabla vs the best PyTorch, and vs FANN."""
    nabla = results["nabla"]
    peers = [(*best_torch(results), config.torch_target)]
    if config.fann_target:
        peers.append(("FANN incremental", results["FANN incremental"], config.fann_target))
    rows = []
    for peer_name, peer, target in peers:
        ratio = nabla["samples_per_s"] / peer["samples_per_s"]
        sgemm_share = "—"
        if config.sgemm_target:
            paired = results[STEP_SHARE]
            goal, met = verdict(paired["share"], config.sgemm_target, "{:.0%}")
            sgemm_share = (f"{paired['work_gflops']:.0f} / {paired['gflops']:.0f} = {paired['share']:.0%} "
                           f"({goal}: {met}; products alone {results[PRODUCTS_SHARE]['share']:.0%})")
        goal, met = verdict(ratio, target)
        rows.append([config.label, rate_text(nabla), peer_name, rate_text(peer), f"{ratio:.2f}×", goal, met,
                     sgemm_share])
    return rows


def detail_rows(config, results):
    rows = []
    for name, summary in results.items():
        if "share" in summary:
            figure = (f"{summary['share']:.1%} ±{spread(summary, 'share'):.0%} of sgemm ("
                      f"{summary['work_gflops']:.0f} / sgemm {summary['gflops']:.0f} GFLOP/s, "
                      f"{sum(r['pairs'] for r in summary['runs']):.0f} pairs)")
        elif "samples_per_s" in summary:
            figure = rate_text(summary)
        else:
            figure = f"{summary['gflops']:.1f} GFLOP/s ±{spread(summary, 'gflops'):.0%}"
        rows.append([config.label, name, figure, summary.get("openblas_core") or summary.get("blas_kernel") or ""])
    return rows


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def machine():
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"cpu": model, "cpus": os.cpu_count(), "os": platform.platform(), "load_average": os.getloadavg()}


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nabla", type=Path, default=ROOT / "build/tools/nabla", help="the nabla CLI")
    p.add_argument("--nabla-bench", type=Path, default=ROOT / "build/bench/nabla_bench",
                   help="for the step's share of the sgemm rate")
    p.add_argument("--seconds", type=float, default=2.0, help="timing window of each run")
    p.add_argument("--rounds", type=positive_int, default=5, help="runs of each contender, interleaved")
    p.add_argument("--threads", type=positive_int, default=2)
    p.add_argument("--quick", action="store_true", help="smoke test: 1 round of 0.5 s")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write every result here")
    p.add_argument("--only", metavar="REGEX", help="run only the configurations whose label matches this regular expression")
    args = p.parse_args()
    args.configs = [c for c in CONFIGS if args.only is None or re.search(args.only, c.label)]
    if not args.configs:
        p.error(f"no configuration's label matches {args.only!r}")
    if args.quick:
        args.rounds, args.seconds = 1, 0.5
    for path in (args.nabla, args.nabla_bench):
        if not path.is_file():
            p.error(f"{path} not found: build it (ninja -C build nabla_cli nabla_bench) or name it")
    return args


def main():
    args = parse_args()
    # The kernel nabla's OpenBLAS runs (its own choice, or OPENBLAS_CORETYPE if set), for torch.
    coretype = run_once(sgemm_contender(args.nabla_bench, args.threads, 0.01))["blas_kernel"]
    started = machine()
    with tempfile.TemporaryDirectory() as tmp:
        fann_bench = build_fann_bench(tmp)
        results = [(config, measure(config, args, coretype, fann_bench)) for config in args.configs]
    finished = machine()

    torch_version = next(s["torch_version"] for _, r in results for n, s in r.items() if n.startswith("torch"))
    print(f"\n{datetime.date.today()}, {started['cpu']} ({started['cpus']} CPUs), {started['os']}, "
          f"{args.threads} threads, OpenBLAS kernel {coretype}, torch {torch_version}; medians of {args.rounds} "
          f"interleaved runs of {args.seconds:g} s (± = half the range); load average "
          f"{started['load_average'][0]:.2f} before, {finished['load_average'][0]:.2f} after\n")
    print(markdown_table(["configuration", "nabla samples/s", "peer", "peer samples/s", "nabla / peer", "target",
                          "met", "step GFLOP/s / sgemm, paired"],
                         [row for config, r in results for row in summary_rows(config, r)]))
    print()
    print(markdown_table(["configuration", "contender", "samples/s (or the paired share of sgemm)", "OpenBLAS kernel"],
                         [row for config, r in results for row in detail_rows(config, r)]))
    if args.json:
        args.json.write_text(json.dumps({
            "date": str(datetime.date.today()), "machine": started, "load_average_after": finished["load_average"],
            "threads": args.threads, "seconds": args.seconds, "rounds": args.rounds, "openblas_kernel": coretype,
            "configs": [{"label": c.label, "flags": c.flags, "torch_target": c.torch_target,
                         "fann_target": c.fann_target, "sgemm_target": c.sgemm_target, "results": r}
                        for c, r in results]}, indent=2))


if __name__ == "__main__":
    main()

"""Writes ``results/REPORT.md``: the lecture's claims and the project's targets next to the
numbers measured, each with its verdict, then every experiment's rules, tables and figures.

``python -m experiments.report`` rebuilds it from the ``metrics.json`` files already there (and
``run.json``: the size, time and load of the run that wrote them);
``--run quick`` (what ``make demo`` does) or ``--run full`` (what ``make report`` does) runs
every experiment first. ``--publish PATH`` also writes the report without its figures to
``PATH`` (``make report`` commits it as ``experiments/RESULTS.md``), with the date, the machine
and the versions it ran on.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib
import json
import os
import platform
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import jax

from jaxmlp.io.atomic import atomic_write_text

from .common import RESULTS, read_metrics

# In the lecture's order.
EXPERIMENTS = (
    "linear_limits",
    "feature_extraction",
    "backprop_check",
    "batch_size",
    "universal_approximation",
    "depth",
    "real_data",
    "fashion_best",  # the project's own target, no claim of the lecture
)
PACKAGES = ("jax", "jaxlib", "numpy", "scipy", "scikit-learn", "matplotlib")
RUN = "run.json"  # what run_all ran (size, minutes, load), for a report rebuilt later


def machine() -> str:
    """The CPU, its cores and the versions this process runs, in one line."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            pass
    return (
        f"{cpu}, {cores} cores, {platform.system()} ({jax.default_backend()}); "
        f"Python {platform.python_version()}, " + ", ".join(versions)
    )


def _seeds(metrics: dict) -> int | None:
    seeds = metrics.get("config", {}).get("seeds")
    return len(seeds) if isinstance(seeds, list | tuple) else seeds


def write_report(
    root: Path = RESULTS,
    quick: bool | None = None,
    publish: Path | None = None,
    elapsed: float | None = None,
    load: tuple[float, float] | None = None,
) -> Path:
    """Collects each experiment's claims, targets, rules and figures into ``<root>/REPORT.md``
    (and, without the figures, into ``publish``)."""
    run = json.loads((root / RUN).read_text()) if (root / RUN).exists() else {}
    if quick is None and elapsed is None and load is None:  # a rebuild: the run's own record
        quick, elapsed, load = run.get("quick"), run.get("elapsed"), run.get("load")
    size = {True: "quick (`make demo`)", False: "full (`make report`)", None: "as last run"}
    claims_rows, target_rows, sections, seeds, full_seeds = [], [], [], {}, {}
    for name in EXPERIMENTS:
        metrics = read_metrics(name, root)
        if metrics is None:
            claims_rows.append(f"| {name} | | not run | |")
            continue
        seeds[name] = _seeds(metrics)
        module = importlib.import_module(f"experiments.{name}")
        full_seeds[name] = _seeds({"config": {"seeds": module.Config().seeds}})
        for claim in getattr(module, "claims", lambda _: [])(metrics):
            claims_rows.append(
                f"| {name} | {claim.claim} | {claim.measured} | **{claim.verdict}** |"
            )
        for target in getattr(module, "targets", lambda _: [])(metrics):
            target_rows.append(f"| {target.target} | {target.measured} | **{target.verdict}** |")
        section = [f"## {name}", "", (module.__doc__ or "").strip().splitlines()[0], ""]
        if getattr(module, "CLAIMS", None):
            section.append("Claims, measurements and rules, as written before the run:")
            section.append("")
            for spec in module.CLAIMS.values():
                section.append(f"- *{spec.claim}.* Measured: {spec.measure}. Rule: {spec.rule}")
            section.append("")
        if hasattr(module, "table"):  # an experiment whose numbers read best as a table
            section += [module.table(metrics)]
        figures = sorted((root / name).glob("*.png"))
        section += [f"![{figure.stem}]({name}/{figure.name})" for figure in figures]
        sections.append("\n".join(section))

    counts = sorted({n for n in seeds.values() if n is not None})
    seed_note = f"Every comparison runs over {' or '.join(map(str, counts))} seeds"
    if len(counts) > 1:
        seed_note += " (" + ", ".join(f"{k} {v}" for k, v in seeds.items() if v) + ")"
    fewer = sorted({full_seeds[k] for k, v in seeds.items() if v and v < full_seeds[k]})
    if fewer:
        seed_note += (
            f", fewer than the {' or '.join(map(str, fewer))} of the full size (`make report`, "
            "experiments/RESULTS.md), so the intervals here are wider"
        )
    lines = [
        "# jaxmlp: the lecture's claims, measured",
        "",
        f"Run of {datetime.date.today().isoformat()}, experiment size: "
        f"{size[quick]}" + (f", {elapsed / 60:.1f} minutes in all" if elapsed else "") + ".",
        f"Machine: {machine()}.",
        *_load_note(load),
        "",
        seed_note + ". Each number is a mean with its 95% interval (Student t over seeds); "
        "a difference inside its interval is a tie. Each claim's measurement and rule were "
        "written before the numbers (the sections below), and each rule can come out "
        "supported, partly supported or not supported.",
        "",
        "## The lecture's claims",
        "",
        "| experiment | the lecture's claim | measured in this run | verdict |",
        "|---|---|---|---|",
        *claims_rows,
        "",
        "## The project's targets",
        "",
        "Not the lecture's: what this project set out to reach on Fashion-MNIST.",
        "",
        "| target | measured in this run | verdict |",
        "|---|---|---|",
        *(target_rows or ["| (real_data not run) | | |"]),
        "",
    ]
    text = "\n".join(lines) + "\n" + "\n\n".join(sections) + "\n"
    path = root / "REPORT.md"
    root.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    if publish is not None:
        # The figures stay in results/, which is not committed: name them instead.
        published = []
        for line in text.splitlines():
            if line.startswith("![") and "](" in line:
                target = line[line.index("](") + 2 : -1]
                line = f"Figure: `results/{target}` (written by `make report`)."
            published.append(line)
        atomic_write_text(Path(publish), "\n".join(published) + "\n")
    return path


def _load_note(load: tuple[float, float] | None) -> list[str]:
    """A line on the machine's load during the run, when it was busier than its cores."""
    if load is None:
        return []
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    line = f"Load average (1 minute) at the start and the end: {load[0]:.1f} and {load[1]:.1f}"
    if max(load) > cores:
        line += (
            f", above the {cores} cores: the machine was shared, so every time here is slower "
            "and noisier than on an idle machine, scikit-learn's and jaxmlp's alike, though not "
            "always under the same load"
        )
    return [line + "."]


def run_all(quick: bool = True, root: Path = RESULTS, publish: Path | None = None) -> Path:
    """Runs every experiment (``QUICK`` or full size) into ``root``, then writes the report."""
    start_all = time.perf_counter()
    load_start = os.getloadavg()[0]
    for name in EXPERIMENTS:
        module = importlib.import_module(f"experiments.{name}")
        config = module.QUICK if quick else module.Config()
        config = dataclasses.replace(config, results=root)
        print(f"\n=== {name} ({'quick' if quick else 'full'}) ===", flush=True)
        start = time.perf_counter()
        module.main(config)
        print(f"=== {name}: {time.perf_counter() - start:.1f} s", flush=True)
    elapsed = time.perf_counter() - start_all
    load = (load_start, os.getloadavg()[0])
    record = {"quick": quick, "elapsed": elapsed, "load": load}
    atomic_write_text(root / RUN, json.dumps(record) + "\n")
    return write_report(root, quick=quick, publish=publish, elapsed=elapsed, load=load)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--run", choices=("quick", "full"), help="run every experiment first")
    parser.add_argument("--publish", type=Path, help="also write the report, without figures")
    args = parser.parse_args()
    if args.run:
        print(run_all(quick=args.run == "quick", root=args.results, publish=args.publish))
    else:
        print(write_report(args.results, publish=args.publish))

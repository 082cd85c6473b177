"""Writes ``results/REPORT.md``: every experiment's figures and the lecture's claims next to
the numbers measured in this run, each with its verdict.

``python -m experiments.report`` rebuilds it from the ``metrics.json`` files already there;
``--run quick`` (what ``make demo`` does) or ``--run full`` runs every experiment first.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib
import platform
import time
from pathlib import Path

import jax

from jaxmlp.atomic import atomic_write_text

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
)


def write_report(root: Path = RESULTS, quick: bool | None = None) -> Path:
    """Collects each experiment's claims and figures into ``<root>/REPORT.md``."""
    size = {True: "quick (`--quick`)", False: "full", None: "as last run"}[quick]
    machine = platform.processor() or platform.machine()
    lines = [
        "# jaxmlp: the lecture's claims, measured",
        "",
        f"Run of {datetime.date.today().isoformat()} on {machine} ({jax.default_backend()}, "
        f"jax {jax.__version__}); experiment size: {size}.",
        "Each claim of the lecture is set next to the number this run measured, with a verdict;",
        "a claim the numbers do not support is reported as such.",
        "",
        "| experiment | the lecture's claim | measured in this run | verdict |",
        "|---|---|---|---|",
    ]
    sections = []
    for name in EXPERIMENTS:
        metrics = read_metrics(name, root)
        if metrics is None:
            lines.append(f"| {name} | | not run | |")
            continue
        module = importlib.import_module(f"experiments.{name}")
        for claim in module.claims(metrics):
            lines.append(f"| {name} | {claim.claim} | {claim.measured} | **{claim.verdict}** |")
        figures = sorted((root / name).glob("*.png"))
        section = [f"## {name}", "", (module.__doc__ or "").strip().splitlines()[0], ""]
        if hasattr(module, "table"):  # an experiment whose numbers read best as a table
            section += [module.table(metrics)]
        section += [f"![{figure.stem}]({name}/{figure.name})" for figure in figures]
        sections.append("\n".join(section))
    text = "\n".join(lines) + "\n\n" + "\n\n".join(sections) + "\n"
    path = root / "REPORT.md"
    root.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)
    return path


def run_all(quick: bool = True, root: Path = RESULTS) -> Path:
    """Runs every experiment (``QUICK`` or full size) into ``root``, then writes the report."""
    for name in EXPERIMENTS:
        module = importlib.import_module(f"experiments.{name}")
        config = module.QUICK if quick else module.Config()
        config = dataclasses.replace(config, results=root)
        print(f"\n=== {name} ({'quick' if quick else 'full'}) ===", flush=True)
        start = time.perf_counter()
        module.main(config)
        print(f"=== {name}: {time.perf_counter() - start:.1f} s", flush=True)
    return write_report(root, quick=quick)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--run", choices=("quick", "full"), help="run every experiment first")
    args = parser.parse_args()
    if args.run:
        print(run_all(quick=args.run == "quick", root=args.results))
    else:
        print(write_report(args.results))

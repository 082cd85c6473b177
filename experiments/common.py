"""What every experiment shares: its results folder, its command line, and its claims.

An experiment is a module ``experiments/<name>.py`` with a frozen dataclass ``Config`` (full
size by default, a comment per field), ``QUICK``: the ``Config`` that ``--quick`` and
``make demo`` run, ``main(config) -> metrics`` that writes ``results/<name>/metrics.json`` and
its PNG figures, and ``claims(metrics) -> list[Claim]``: the lecture's claims it tests, each
with the number measured and an honest verdict, for ``results/REPORT.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from jaxmlp.atomic import atomic_write_text, atomic_writer

RESULTS = Path("results")
VERDICTS = ("supported", "partly supported", "not supported")


def verdict(passed: int, total: int) -> str:
    """All of ``total`` checks passed: supported; some: partly supported; none: not."""
    if total and passed == total:
        return "supported"
    return "partly supported" if passed > 0 else "not supported"


@dataclasses.dataclass(frozen=True)
class Claim:
    """One of the lecture's claims next to what this run measured."""

    claim: str  # the lecture's words, or a faithful paraphrase
    measured: str  # the numbers, in one line
    verdict: str  # one of VERDICTS

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict={self.verdict!r} must be one of {VERDICTS}")


def results_dir(name: str, root: Path | None = None) -> Path:
    """``results/<name>/``, created if needed."""
    path = (root or RESULTS) / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_metrics(name: str, metrics: dict[str, Any], root: Path | None = None) -> Path:
    """Writes ``results/<name>/metrics.json`` atomically (NumPy and JAX numbers become floats)."""
    path = results_dir(name, root) / "metrics.json"
    atomic_write_text(path, json.dumps(metrics, indent=2, default=_to_json, allow_nan=True) + "\n")
    return path


def read_metrics(name: str, root: Path | None = None) -> dict[str, Any] | None:
    path = (root or RESULTS) / name / "metrics.json"
    return json.loads(path.read_text()) if path.exists() else None


def save_figure(figure, name: str, filename: str, root: Path | None = None) -> Path:
    """Saves a matplotlib figure as ``results/<name>/<filename>`` atomically, then closes it."""
    import matplotlib.pyplot as plt

    path = results_dir(name, root) / filename
    with atomic_writer(path) as file:
        figure.savefig(file, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return path


def figure_grid(rows: int, cols: int, size: float = 3.2):
    """A ``rows × cols`` grid of matplotlib axes, always 2-D, on the non-interactive backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(rows, cols, figsize=(size * cols, size * rows), squeeze=False)
    return figure, axes


def run(module_name: str, Config, QUICK, main, argv=None) -> dict:
    """The command line of an experiment: ``--quick``, ``--seed`` and ``--results``."""
    parser = argparse.ArgumentParser(prog=f"python -m {module_name}")
    parser.add_argument("--quick", action="store_true", help="the small size make demo runs")
    parser.add_argument("--seed", type=int, default=None, help="override the config's seed")
    parser.add_argument("--results", type=Path, default=None, help="results root (./results)")
    args = parser.parse_args(argv)
    config = QUICK if args.quick else Config()
    if args.seed is not None:
        config = dataclasses.replace(config, seed=args.seed)
    if args.results is not None:
        config = dataclasses.replace(config, results=args.results)
    start = time.perf_counter()
    metrics = main(config)
    print(f"{module_name}: done in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return metrics


def _to_json(value):
    if isinstance(value, np.generic | np.ndarray) or hasattr(value, "__array__"):
        array = np.asarray(value)
        return array.item() if array.ndim == 0 else array.tolist()
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def section_markers(name: str) -> tuple[str, str]:
    """The HTML comments that delimit the section ``name`` of a markdown file."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def write_section(path: Path, name: str, section: str) -> None:
    """Puts ``section`` between the markers of ``name`` in ``path``, the rest untouched.

    A file without the markers gets the section appended; a file with only one of them, or
    with them out of order, is an error rather than a guess.
    """
    start_marker, end_marker = section_markers(name)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    start, end = text.find(start_marker), text.find(end_marker)
    block = f"{start_marker}\n{section}{end_marker}"
    if start < 0 and end < 0:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    elif 0 <= start < end:
        text = text[:start] + block + text[end + len(end_marker) :]
    else:
        raise ValueError(
            f"{path} has {start_marker!r} at {start} and {end_marker!r} at {end}; expected both "
            "in that order, or neither. Fix the markers by hand, then run again."
        )
    atomic_write_text(path, text)


def publish(name: str, section: str, metrics: dict[str, Any], out, results) -> None:
    """A benchmark's output: prints ``section``, puts it between the ``name`` markers of
    ``out`` and writes ``metrics`` to ``<results>/metrics.json``."""
    print(section)
    write_section(Path(out), name, section)
    results = Path(results)
    results.mkdir(parents=True, exist_ok=True)
    atomic_write_text(results / "metrics.json", json.dumps(metrics, indent=2) + "\n")

"""What every experiment shares: its results folder, its command line, its claims and the
statistics that judge them.

An experiment is a module ``experiments/<name>.py`` with a frozen dataclass ``Config`` (full
size by default, a comment per field), ``QUICK``: the ``Config`` that ``--quick`` and
``make demo`` run, ``CLAIMS``: the lecture's claims it tests, each with its measurement and
its verdict rule, written before any number (``ClaimSpec``), ``main(config) -> metrics`` that
writes ``results/<name>/metrics.json`` and its PNG figures, and ``claims(metrics)``: a
``Claim`` per spec with the numbers measured and the verdict the rule gives them.

Every comparison runs over seeds and is judged by its interval, never by a bare ``>``:
``interval`` (a t interval of a mean), ``paired`` (the interval of a mean difference, seed by
seed), ``trend`` (the per-seed rank correlation, then its interval over seeds); a difference
inside its interval is a tie.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from jaxmlp.io.atomic import atomic_write_text, atomic_writer

RESULTS = Path("results")
VERDICTS = ("supported", "partly supported", "not supported")
# The project's targets are met or not; a quick run cannot measure some of them.
TARGET_VERDICTS = ("met", "not met", "undecided (within the interval)", "measured at full size")
CONFIDENCE = 0.95  # of every interval
STRONG = 0.7  # mean rank correlation of a trend that is "supported" rather than "partly"


@dataclasses.dataclass(frozen=True)
class ClaimSpec:
    """One of the lecture's claims as an experiment tests it, stated before the numbers."""

    claim: str  # the lecture's words (quoted), or as near as the slides put it
    measure: str  # what is measured, on what, over which seeds
    rule: str  # how the numbers decide the verdict


@dataclasses.dataclass(frozen=True)
class Claim:
    """A claim next to what a run measured, and the verdict its rule gives."""

    spec: ClaimSpec
    measured: str  # the numbers, in one line
    verdict: str  # one of VERDICTS
    on: str = ""  # the dataset or target it was judged on, when a spec is judged per dataset

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict={self.verdict!r} must be one of {VERDICTS}")

    @property
    def claim(self) -> str:
        return self.spec.claim + (f" ({self.on})" if self.on else "")


@dataclasses.dataclass(frozen=True)
class Target:
    """One of the project's own targets (not the lecture's) next to what a run measured."""

    target: str
    measured: str
    verdict: str  # one of TARGET_VERDICTS

    def __post_init__(self):
        if self.verdict not in TARGET_VERDICTS:
            raise ValueError(f"verdict={self.verdict!r} must be one of {TARGET_VERDICTS}")


# Statistics


@dataclasses.dataclass(frozen=True)
class Interval:
    """A mean over ``n`` seeds and its ``CONFIDENCE`` interval ``[low, high]``."""

    mean: float
    low: float
    high: float
    n: int

    def format(self, digits: int = 3) -> str:
        def number(value):
            text = f"{value:.{digits}f}"
            return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.000"

        return f"{number(self.mean)} [{number(self.low)}, {number(self.high)}]"

    def sign(self) -> int:
        """+1 above 0 beyond the interval, -1 below it, 0 when the interval holds 0 (a tie)."""
        if self.low > 0:
            return 1
        if self.high < 0:
            return -1
        return 0


def interval(values, bounds: tuple[float, float] | None = None) -> Interval:
    """The mean of ``values: (n,)`` and its Student t interval; infinite for one value.

    ``bounds``: the range the quantity lives in (an accuracy's ``(0, 1)``), which the
    interval is clipped to. A nan among the values gives a nan interval, which no rule counts
    as a difference.
    """
    from scipy.stats import t

    values = np.asarray(values, np.float64).ravel()
    n = len(values)
    if n == 0:
        raise ValueError("interval of no values: expected at least one seed")
    mean = float(np.mean(values))
    if n == 1:
        low, high = -math.inf, math.inf
    else:
        half = float(t.ppf((1 + CONFIDENCE) / 2, n - 1) * np.std(values, ddof=1) / math.sqrt(n))
        low, high = mean - half, mean + half
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return Interval(mean, low, high, n)


def accuracy_interval(values) -> Interval:
    """``interval`` of accuracies, within ``[0, 1]``."""
    return interval(values, (0.0, 1.0))


def paired(a, b) -> Interval:
    """The interval of the mean of ``a - b``, seed by seed (``a``, ``b``: ``(seeds,)``)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired values need one per seed on both sides: {a.shape} vs {b.shape}")
    return interval(a - b)


def rank_correlation(x, y) -> float:
    """Spearman's rho of ``y`` against ``x``; 0 when either is constant, nan with a nan.

    ``+inf`` ranks above every number (a cost that was never paid within the budget is the
    highest); several ``+inf`` tie.
    """
    from scipy.stats import rankdata

    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if np.any(np.isnan(x)) or np.any(np.isnan(y)):
        return float("nan")
    x, y = rankdata(x), rankdata(y)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def trend(x, Y) -> Interval:
    """The rank correlation of each seed's ``Y[s]: (len(x),)`` with ``x``, as an interval.

    Seeds that all give the same correlation (a few sizes allow few values) give an interval
    of width 0: every seed ranks the same way. ``trend_verdict`` asks a supported trend for a
    strong mean correlation too, so that such a weak, consistent pattern is only "partly".

    Args:
      x: ``(k,)`` the values the trend is over (batch sizes, widths, training set sizes).
      Y: ``(seeds, k)`` what was measured at each, per seed.
    """
    Y = np.atleast_2d(np.asarray(Y, np.float64))
    return interval([rank_correlation(x, row) for row in Y], (-1.0, 1.0))


def trend_verdict(rho: Interval, sign: int) -> str:
    """A claimed trend (``sign`` +1: rises with x, -1: falls) judged by its interval.

    ``supported``: in the claimed direction beyond the interval, with a mean rank correlation
    of at least ``STRONG`` (nearly monotone); ``partly supported``: beyond the interval but
    weaker; ``not supported``: the interval holds 0 (no trend) or the trend is the opposite.
    """
    if sign not in (1, -1):
        raise ValueError(f"sign={sign!r} must be +1 (rises) or -1 (falls)")
    if rho.sign() != sign:
        return "not supported"
    return "supported" if sign * rho.mean >= STRONG else "partly supported"


def share_verdict(passed: int, total: int) -> str:
    """All of ``total`` checks passed: supported; some: partly supported; none: not."""
    if total and passed == total:
        return "supported"
    return "partly supported" if passed > 0 else "not supported"


def target_verdict(value: Interval, target: float, higher: bool = True) -> str:
    """A target met beyond the interval, missed beyond it, or undecided within it."""
    side = value.low >= target if higher else value.high <= target
    missed = value.high < target if higher else value.low > target
    return TARGET_VERDICTS[0] if side else TARGET_VERDICTS[1] if missed else TARGET_VERDICTS[2]


def intervals(Y) -> list[Interval]:
    """``interval`` of each column of ``Y: (seeds, k)``."""
    Y = np.atleast_2d(np.asarray(Y, np.float64))
    return [interval(Y[:, i]) for i in range(Y.shape[1])]


def plot_band(
    ax, x, Y, label: str, color, marker: str = "o", linestyle: str = "-", log: bool = False
) -> None:
    """The mean over seeds of ``Y: (seeds, len(x))`` as a line, its interval as a band.

    ``log``: for a positive quantity on a log axis, the mean and interval of ``log Y``
    (a geometric mean), so that the band never reaches below zero.
    """
    Y = np.asarray(Y, np.float64)
    found = intervals(np.log(np.maximum(Y, 1e-300)) if log else Y)
    mean = np.array([i.mean for i in found])
    # One seed has no interval: no band.
    low = np.array([i.low if np.isfinite(i.low) else i.mean for i in found])
    high = np.array([i.high if np.isfinite(i.high) else i.mean for i in found])
    if log:
        mean, low, high = np.exp(mean), np.exp(low), np.exp(high)
    ax.plot(x, mean, linestyle, marker=marker, markersize=4, color=color, label=label)
    ax.fill_between(x, low, high, color=color, alpha=0.18, linewidth=0)


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


@dataclasses.dataclass(frozen=True)
class Option:
    """A flag of one experiment's own: its value, when given, replaces ``Config.<field>``."""

    flag: str  # e.g. "--skip-search"
    field: str  # the Config field it sets
    type: Any  # converts the flag's text (int, float, ...)
    help: str
    metavar: str | None = None


def run(module_name: str, Config, QUICK, main, argv=None, options=()) -> dict:
    """The command line of an experiment: ``--quick``, ``--seed``, ``--results`` and its
    ``options``. A value the ``Config`` refuses (a ``ValueError`` from its ``__post_init__``)
    is a one-line usage error (exit status 2), before anything runs."""
    parser = argparse.ArgumentParser(prog=f"python -m {module_name}")
    parser.add_argument("--quick", action="store_true", help="the small size make demo runs")
    parser.add_argument("--seed", type=int, default=None, help="override the config's seed")
    parser.add_argument("--results", type=Path, default=None, help="results root (./results)")
    for option in options:
        parser.add_argument(
            option.flag, dest=option.field, type=option.type, default=None,
            help=option.help, metavar=option.metavar,
        )  # fmt: skip
    args = parser.parse_args(argv)
    config = QUICK if args.quick else Config()
    changes = {"seed": args.seed, "results": args.results}
    changes |= {option.field: getattr(args, option.field) for option in options}
    try:
        config = dataclasses.replace(
            config, **{field: value for field, value in changes.items() if value is not None}
        )
    except ValueError as error:
        parser.error(str(error))
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

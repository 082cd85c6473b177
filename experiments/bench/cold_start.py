"""Cold starts: what a user waits for in a fresh process, each timed as a whole process.

Rows: ``jaxmlp --help``; a 1-epoch xor run of the command line; a ``GridSearchCV`` over
``hidden_layer_sizes`` (32,) and (128,), 3 folds, on digits, with jaxmlp's estimator and with
scikit-learn's. jaxmlp's rows run twice: first with an empty persistent compilation cache
(the first run on a machine), then with the programs the first run left there.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from experiments.bench.record import machine, publish, versions

GRID_SEARCH = """
import warnings
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from {module} import MLPClassifier
X, y = load_digits(return_X_y=True)
warnings.simplefilter("ignore")  # scikit-learn's ConvergenceWarning at max_iter
grid = {{"hidden_layer_sizes": [(32,), (128,)]}}
search = GridSearchCV(MLPClassifier(random_state=0{options}), grid, cv=3)
search.fit(X / 16, y)
print(round(search.best_score_, 4))
"""
# --quick (a smoke test): every process as timed, the grid search's fits 20 iterations long.
QUICK_OPTIONS = ", max_iter=20"


def commands(quick: bool = False) -> dict[str, list[str]]:
    """The timed processes by name; ``quick`` shortens the grid search's fits."""
    options = QUICK_OPTIONS if quick else ""
    grid_searches = {
        f"GridSearchCV, {module}.MLPClassifier": [
            sys.executable, "-c", GRID_SEARCH.format(module=module, options=options)
        ]
        for module in ("jaxmlp.sklearn", "sklearn.neural_network")
    }  # fmt: skip
    return {
        "jaxmlp --help": [sys.executable, "-m", "jaxmlp", "--help"],
        "jaxmlp train --data xor --epochs 1": [
            sys.executable,
            *("-m", "jaxmlp", "train", "--data", "xor", "--epochs", "1", "--quiet"),
        ],
        **grid_searches,
    }


COMMANDS = commands()


def timed(command: list[str], env: dict, cwd: str) -> float:
    """Seconds the command takes as a whole process; a failure is an error, not a number."""
    start = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()[-500:]}")
    return seconds


def main(repeats: int, out: str, results: str, quick: bool = False) -> dict:
    # Rounds outermost, so that a change in the machine's load falls on every row alike; the
    # grid searches are compared by the median of each round's ratio, first run to first run.
    timed_commands = commands(quick)
    samples = {name: {"first run": [], "next run": []} for name in timed_commands}
    for _ in range(repeats):
        for name, command in timed_commands.items():
            with tempfile.TemporaryDirectory() as scratch:
                env = {**os.environ, "JAXMLP_COMPILATION_CACHE": os.path.join(scratch, "xla")}
                # Python's default, as users run: bytecode written once, read after.
                env.pop("PYTHONDONTWRITEBYTECODE", None)
                for run in ("first run", "next run"):
                    samples[name][run].append(timed(command, env, scratch))
    rows = {n: {r: statistics.median(t) for r, t in runs.items()} for n, runs in samples.items()}
    ratio = {
        run: statistics.median(
            j / s
            for j, s in zip(
                samples["GridSearchCV, jaxmlp.sklearn.MLPClassifier"][run],
                samples["GridSearchCV, sklearn.neural_network.MLPClassifier"][run],
            )
        )
        for run in ("first run", "next run")
    }
    lines = [
        "Each row a whole process, median of "
        f"{repeats} rounds (a ratio: the median of the rounds' ratios); first run: an empty "
        "persistent compilation cache; next run: the programs the first left there (Python "
        "writing and reading its bytecode files, its default). "
        "`python -m experiments.bench.cold_start`, load "
        f"{os.getloadavg()[0]:.1f}, {machine()['cpu']}, {machine()['cores']} cores.",
        "",
        "| process | first run (s) | next run (s) |",
        "|---|---:|---:|",
        *(f"| `{n}` | {r['first run']:.2f} | {r['next run']:.2f} |" for n, r in rows.items()),
        "",
        "| target | measured | met |",
        "|---|---:|---|",
        f"| `jaxmlp --help` < 0.5 s | {rows['jaxmlp --help']['next run']:.2f} s | "
        f"{'yes' if rows['jaxmlp --help']['next run'] < 0.5 else 'no'} |",
        f"| 1-epoch xor run < 2 s | {rows['jaxmlp train --data xor --epochs 1']['next run']:.2f}"
        f" s | {'yes' if rows['jaxmlp train --data xor --epochs 1']['next run'] < 2 else 'no'} |",
        f"| grid search, next run, faster than scikit-learn's | {ratio['next run']:.2f}× its time"
        f" | {'yes' if ratio['next run'] < 1 else 'no'} |",
        f"| grid search, first run, within 1.5× scikit-learn's | {ratio['first run']:.2f}× | "
        f"{'yes' if ratio['first run'] <= 1.5 else 'no'} |",
        "",
    ]
    metrics = {
        "rows": rows,
        "grid_search_ratio": ratio,
        "machine": machine(),
        "versions": versions(),
    }
    publish("cold_start", "\n".join(lines), metrics, out, results)
    return metrics


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (default 3)")
    parser.add_argument(
        "--quick", action="store_true", help="grid search fits of 20 iterations (smoke test)"
    )
    parser.add_argument("--out", default="BENCHMARKS.md", help="markdown file to update")
    parser.add_argument("--results", default="results/bench_cold_start", help="metrics.json")
    args = parser.parse_args()
    main(args.repeats, args.out, args.results, args.quick)

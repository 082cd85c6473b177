"""Where one epoch of ``jaxmlp.fit`` goes: XLA's operations by time, from ``jax.profiler``.

Trains a throughput workload (``experiments/bench/workloads.py``) as the throughput
benchmark's jaxmlp row does, ``--epochs`` untraced, then traces ``--epochs`` more and sums
the trace's complete events by name. On the CPU each operation of the compiled program (a
fusion, a dot, a gather) is one event per step, so the table reads as milliseconds per epoch.
The events of Python, of the runtime and of waiting for the program are left out. Operations
the runtime runs on its own thread pool may be cut short in the trace: compare programs by
their epoch time, and their operations within one trace.

    python -m experiments.bench.profile_epoch --workload lecture
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import tempfile
import time
from pathlib import Path

import jax

import jaxmlp
from experiments.bench.runners import JaxmlpRunner
from experiments.bench.workloads import WORKLOADS, synthetic_data

# Events of the host, not of an operation of the program.
HOST_EVENTS = ("$", "Thunk", "np.", "Slinky", "end:", "PjitFunction")


def operations(trace_dir: Path) -> dict[str, tuple[int, float]]:
    """``{name: (count, microseconds)}`` of the complete events in the trace under ``trace_dir``."""
    (trace,) = trace_dir.rglob("*.trace.json.gz")
    totals = collections.defaultdict(lambda: [0, 0.0])
    for event in json.loads(gzip.decompress(trace.read_bytes()))["traceEvents"]:
        if event.get("ph") == "X" and not event["name"].startswith(HOST_EVENTS):
            totals[event["name"]][0] += 1
            totals[event["name"]][1] += event["dur"]
    return {name: (count, us) for name, (count, us) in totals.items()}


def main(workload: str, n: int, epochs: int, top: int) -> list[tuple[str, float, float]]:
    """Prints and returns ``(name, ms per epoch, calls per epoch)`` of the ``top`` operations."""
    w = WORKLOADS[workload]
    X, y = synthetic_data(n, w.sizes[0], 0)
    params = jaxmlp.init_params(jax.random.key(0), jaxmlp.MLP(w.sizes, w.hidden, w.output))
    runner = JaxmlpRunner(w, params, X, y, seed=0, grad="autodiff")  # the benchmark's own call
    runner.train(epochs)  # compiled here, not in the trace
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        with jax.profiler.trace(scratch):
            runner.train(epochs)
        seconds = time.perf_counter() - start
        found = operations(Path(scratch))
    rows = sorted(
        ((name, us / 1e3 / epochs, count / epochs) for name, (count, us) in found.items()),
        key=lambda row: -row[1],
    )[:top]
    print(f"{workload} ({w.describe()}), n = {n}: {seconds / epochs * 1e3:.1f} ms an epoch traced")
    print("| operation | ms per epoch | calls per epoch |\n|---|---:|---:|")
    for name, ms, calls in rows:
        print(f"| {name} | {ms:.1f} | {calls:g} |")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=tuple(WORKLOADS), default="lecture")
    parser.add_argument("--n", type=int, default=60_000, help="training examples")
    parser.add_argument("--epochs", type=int, default=2, help="epochs traced")
    parser.add_argument("--top", type=int, default=12, help="operations shown")
    args = parser.parse_args()
    main(args.workload, args.n, args.epochs, args.top)

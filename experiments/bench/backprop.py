"""Speed of the hand-written backprop against ``jax.grad`` of the objective, one jitted step.

Two workloads (issue 2, section 5), float32: the lecture's sigmoid MLP 784-256-10 with MSE at
batch 128, and a relu MLP 784-512-512-10 with softmax cross-entropy at batch 256. Each path is
``jax.jit``-compiled once, with the architecture and loss static:

- backprop: ``jaxmlp.backprop(mlp, params, X, T, loss)``, the gradient written by hand;
- autodiff: ``jax.grad(jaxmlp.objective, argnums=1)(mlp, params, X, T, loss)``.

One step is one call, from dispatch until the gradients are ready (no optimizer update). The
two paths are called alternately (backprop, autodiff, backprop, ...) so that machine noise hits
both alike; the table gives the median of each and their ratio (below 1: backprop is faster).

Run ``python -m experiments.bench.backprop`` (``--quick`` for a tiny smoke run). The table is
printed and written into ``BENCHMARKS.md`` between the ``bench_backprop`` markers, leaving the
rest of the file as it was; the numbers also go to ``results/bench_backprop/metrics.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import statistics
import sys
import time

import jax
import jax.numpy as jnp

import jaxmlp
from experiments.bench.record import machine, publish, section_markers, versions

SECTION = "bench_backprop"  # the markers of this section in BENCHMARKS.md
START_MARKER, END_MARKER = section_markers(SECTION)
TARGET_RATIO = 1.05  # issue 2: backprop within 1.05× of autodiff, or faster


@dataclasses.dataclass(frozen=True)
class Workload:
    sizes: tuple[int, ...]  # (d, h_1, ..., c)
    hidden: str  # hidden activation
    output: str  # output activation
    loss: str  # per-example loss
    batch: int  # examples per gradient step

    def shrunk(self) -> Workload:
        """The same architecture kind, tiny: for the smoke run."""
        return dataclasses.replace(self, sizes=(16,) + (8,) * (len(self.sizes) - 2) + (3,), batch=8)


WORKLOADS = {
    "lecture": Workload((784, 256, 10), "sigmoid", "sigmoid", "mse", 128),
    "relu": Workload((784, 512, 512, 10), "relu", "softmax", "cross_entropy", 256),
}


@dataclasses.dataclass(frozen=True)
class Config:
    repeats: int = 300  # timed steps per path, alternating between the paths
    warmup: int = 20  # untimed steps per path after compilation
    tiny: bool = False  # shrink every workload (smoke test)
    seed: int = 0  # params and data
    out: str = "BENCHMARKS.md"  # the markdown file whose bench_backprop section is rewritten
    results: str = "results/bench_backprop"  # folder for metrics.json


QUICK = dict(repeats=5, warmup=1, tiny=True)

backprop_step = jax.jit(jaxmlp.backprop, static_argnames=("mlp", "loss"))
autodiff_step = jax.jit(jax.grad(jaxmlp.objective, argnums=1), static_argnums=(0, 4))


def problem(workload: Workload, seed: int):
    """``(mlp, params, X, T)``: glorot params, normal inputs and one-hot targets, float32."""
    mlp = jaxmlp.MLP(workload.sizes, hidden=workload.hidden, output=workload.output)
    key_params, key_X, key_y = jax.random.split(jax.random.key(seed), 3)
    params = jaxmlp.init_params(key_params, mlp)
    X = jax.random.normal(key_X, (workload.batch, mlp.n_inputs), jnp.float32)
    y = jax.random.randint(key_y, (workload.batch,), 0, mlp.n_outputs)
    return mlp, params, X, jaxmlp.one_hot(y, mlp.n_outputs)


def time_paths(workload: Workload, config: Config) -> dict:
    """Median seconds per step of each path, timed alternately after compiling both."""
    mlp, params, X, T = problem(workload, config.seed)
    paths = {
        "backprop": lambda: backprop_step(mlp, params, X, T, loss=workload.loss),
        "autodiff": lambda: autodiff_step(mlp, params, X, T, workload.loss),
    }
    for step in paths.values():
        for _ in range(1 + config.warmup):  # the first call compiles
            jax.block_until_ready(step())
    times = {name: [] for name in paths}
    for _ in range(config.repeats):
        for name, step in paths.items():
            start = time.perf_counter()
            jax.block_until_ready(step())
            times[name].append(time.perf_counter() - start)
    backprop_s, autodiff_s = (statistics.median(times[name]) for name in paths)
    return {
        "workload": dataclasses.asdict(workload),
        "backprop_s": backprop_s,
        "autodiff_s": autodiff_s,
        "ratio": backprop_s / autodiff_s,
    }


def markdown(metrics: dict, command: str) -> str:
    m = metrics["machine"]
    lines = [
        "## Hand-written backprop against autodiff",
        "",
        f"`{command}`: one `jax.jit`-compiled gradient step (no optimizer update), float32; the "
        f"median of {metrics['config']['repeats']} steps per path, backprop and autodiff "
        "alternating.",
        "",
        f"- Date: {metrics['date']}",
        f"- Machine: {m['cpu']}, {m['cores']} cores, 1-minute load average "
        f"{m['load_average_1min']} at the end; JAX backend {m['jax_backend']}",
        "- Versions: "
        + ", ".join(f"{name} {version}" for name, version in metrics["versions"].items())
        + f", Python {m['python']}",
        "",
        "| workload | sizes | hidden / output | loss | batch | backprop (ms) | autodiff (ms) "
        "| backprop ÷ autodiff |",
        "|---|---|---|---|---:|---:|---:|---:|",
    ]
    for name, row in metrics["workloads"].items():
        w = row["workload"]
        lines.append(
            f"| {name} | {'-'.join(map(str, w['sizes']))} | {w['hidden']} / {w['output']} "
            f"| {w['loss']} | {w['batch']} | {1e3 * row['backprop_s']:.3f} "
            f"| {1e3 * row['autodiff_s']:.3f} | {row['ratio']:.2f} |"
        )
    lines += ["", f"Target: backprop ÷ autodiff ≤ {TARGET_RATIO}."]
    return "\n".join(lines) + "\n"


def main(config: Config, command: str = "python -m experiments.bench.backprop") -> dict:
    """Times both paths on every workload, writes the markdown section and metrics.json."""
    workloads = {name: w.shrunk() if config.tiny else w for name, w in WORKLOADS.items()}
    metrics = {
        "config": dataclasses.asdict(config),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "workloads": {name: time_paths(w, config) for name, w in workloads.items()},
    }
    # After the timing, for the load average: other processes share the cores.
    metrics["machine"] = {**machine(), "load_average_1min": round(os.getloadavg()[0], 1)}
    metrics["versions"] = versions(("jax", "jaxlib"))
    publish(SECTION, markdown(metrics, command), metrics, config.out, config.results)
    return metrics


def parse_args(argv=None) -> Config:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="tiny workloads, a few steps")
    parser.add_argument("--repeats", type=int, help=f"timed steps per path ({Config.repeats})")
    parser.add_argument("--out", help=f"markdown file to update ({Config.out})")
    parser.add_argument("--results", help=f"folder for metrics.json ({Config.results})")
    args = parser.parse_args(argv)
    fields = dict(QUICK) if args.quick else {}
    for field in ("repeats", "out", "results"):
        if getattr(args, field) is not None:
            fields[field] = getattr(args, field)
    return Config(**fields)


if __name__ == "__main__":
    main(parse_args(), command=" ".join(["python -m experiments.bench.backprop", *sys.argv[1:]]))

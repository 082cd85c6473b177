"""Sweep throughput: M small regressors trained by one ``fit_many`` against one after another.

The workload: ``members`` one-hidden-layer regressors (1-D input, ``hidden`` tanh units,
identity output, the lecture's MSE ``½ (t - y_hat)²``), full-batch gradient descent on
``n`` points of ``t = sin(x)``, ``x`` uniform in ``[-π, π]``, for ``steps`` steps, float32.
The members differ in their seed (an ensemble); all start from the same initial params in
every implementation, and their final losses are compared to check that they trained the
same models. Only training is timed (the initial draws included); the final losses are
computed after the timed runs.

Implementations, side by side in one process, in rounds (each round runs each of them once,
so that machine noise hits all alike; times are medians over rounds):

- ``jaxmlp.fit_many``: the M members in one compiled program.
- PyTorch eager: the M ``torch.nn`` models trained one after another (skipped when torch is
  not installed: ``pip install '.[bench]'``), on ``torch_threads`` threads.
- ``jaxmlp.fit``: M calls one after another.

Compilation is counted apart: each round first clears JAX's caches and times a cold run
("with compile"), then times the same run again, warm ("without compile"); their difference
is the compile time. PyTorch eager compiles nothing: both columns hold its one run.

Run ``python -m experiments.bench.sweep`` (``--quick`` for a smoke test). The table is
printed and written into ``BENCHMARKS.md`` between the bench_sweep markers; the numbers go to
``results/bench_sweep/metrics.json``.
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
import numpy as np

import jaxmlp
from experiments.bench.record import machine, publish, section_markers, versions
from jaxmlp.training.sweep import member_keys, unstack

SECTION = "bench_sweep"  # the markers of this section in BENCHMARKS.md
START_MARKER, END_MARKER = section_markers(SECTION)

FIT_MANY = "jaxmlp.fit_many (one program)"
TORCH = "PyTorch eager, one model after another"
FIT = "jaxmlp.fit, one call after another"
IMPLEMENTATIONS = (FIT_MANY, TORCH, FIT)
TARGETS = {TORCH: 15.0, FIT: 5.0}  # fit_many at least this many times faster


@dataclasses.dataclass(frozen=True)
class Config:
    members: int = 32  # regressors, one seed each
    n: int = 256  # training points
    hidden: int = 64  # tanh units of the one hidden layer
    steps: int = 2000  # full-batch gradient descent steps (epochs)
    learning_rate: float = 0.1  # plain gradient descent
    grad: str = "autodiff"  # jaxmlp's gradient: "autodiff" or "backprop"
    repeats: int = 3  # rounds; each runs every implementation cold and warm
    torch_threads: int = 1  # PyTorch intra-op threads; its fastest for these tiny ops
    seed: int = 0  # data and the sweep's key
    out: str = "BENCHMARKS.md"  # the markdown file whose section is rewritten
    section: str = SECTION  # its markers, e.g. "bench_sweep_gpu" for a run on a GPU
    results: str = "results/bench_sweep"  # folder for metrics.json


QUICK = dict(members=4, steps=20, repeats=1)


def workload(config: Config):
    """``(mlp, X, T, key)``: the architecture, the data and the sweep's key."""
    rng = np.random.default_rng(config.seed)
    X = rng.uniform(-np.pi, np.pi, (config.n, 1)).astype(np.float32)
    mlp = jaxmlp.MLP((1, config.hidden, 1), "tanh", "identity")
    return mlp, X, np.sin(X), jax.random.key(config.seed)


def run_fit_many(config: Config, mlp, X, T, key) -> tuple[list, float]:
    """``(the members' trained params, stacked, XLA compile seconds)``."""
    result = jaxmlp.fit_many(
        mlp,
        X,
        T,
        key=key,
        seeds=range(config.members),
        learning_rates=config.learning_rate,
        epochs=config.steps,
        grad=config.grad,
    )
    return jax.block_until_ready(list(result.params)), result.history.compile_time


def run_fit(config: Config, mlp, X, T, key) -> tuple[list, float]:
    """The members one ``init_params`` and ``fit`` after another, with fit_many's keys."""
    trained, compile_time = [], 0.0
    for seed in range(config.members):
        init_key, fit_key = member_keys(key, seed)
        params, history = jaxmlp.fit(
            mlp,
            jaxmlp.init_params(init_key, mlp),
            X,
            T,
            key=fit_key,
            learning_rate=config.learning_rate,
            epochs=config.steps,
            grad=config.grad,
        )
        trained.append(params)
        compile_time += history.compile_time
    return jax.block_until_ready(trained), compile_time


def run_torch(config: Config, X, T, initial: list) -> tuple[list, float]:
    """``(the trained torch models, 0.0)``: eager PyTorch compiles nothing."""
    import torch

    X, T = torch.from_numpy(X), torch.from_numpy(np.asarray(T, np.float32))
    models = []
    for params in initial:
        model = torch.nn.Sequential(
            torch.nn.Linear(1, config.hidden), torch.nn.Tanh(), torch.nn.Linear(config.hidden, 1)
        )
        with torch.no_grad():
            for layer, p in zip((model[0], model[2]), params):
                layer.weight.copy_(torch.from_numpy(np.array(p["W"]).T))  # (out, in)
                layer.bias.copy_(torch.from_numpy(np.array(p["b"])))
        optimizer = torch.optim.SGD(model.parameters(), lr=config.learning_rate)
        for _ in range(config.steps):
            optimizer.zero_grad()
            loss = 0.5 * ((model(X) - T) ** 2).sum(dim=1).mean()
            loss.backward()
            optimizer.step()
        models.append(model)
    return models, 0.0


def torch_losses(models: list, X, T) -> np.ndarray:
    """The MSE objective of each trained torch model: ``(M,)``."""
    import torch

    X, T = torch.from_numpy(X), torch.from_numpy(np.asarray(T, np.float32))
    with torch.no_grad():
        return np.asarray([float(0.5 * ((m(X) - T) ** 2).sum(dim=1).mean()) for m in models])


def final_losses(mlp, params, X, T, *, stacked: bool = False) -> np.ndarray:
    """The MSE objective of the final params: ``(M,)`` for stacked params, else ``(1,)``."""
    objective = lambda p: jaxmlp.objective(mlp, p, X, jnp.asarray(T))  # noqa: E731
    return np.atleast_1d(np.asarray(jax.vmap(objective)(params) if stacked else objective(params)))


def timed(run) -> tuple[float, float, tuple]:
    """``(wall seconds, CPU seconds of this process, run())``."""
    start, start_cpu = time.perf_counter(), time.process_time()
    out = run()
    return time.perf_counter() - start, time.process_time() - start_cpu, out


def main(config: Config, command: str = "python -m experiments.bench.sweep") -> dict:
    """Runs the rounds, writes the markdown section and ``metrics.json``; returns the metrics."""
    mlp, X, T, key = workload(config)
    try:
        import torch

        torch.set_num_threads(config.torch_threads)
        have_torch = True
    except ImportError:
        have_torch = False
    # The members' initial params, as fit_many draws them, for PyTorch.
    first = jaxmlp.fit_many(mlp, X, T, key=key, seeds=range(config.members), epochs=1)
    initial = [unstack(first, i, initial=True) for i in range(config.members)]

    runs = {
        FIT_MANY: lambda: run_fit_many(config, mlp, X, T, key),
        FIT: lambda: run_fit(config, mlp, X, T, key),
    }
    if have_torch:
        runs[TORCH] = lambda: run_torch(config, X, T, initial)
    # The final losses are computed after the timed runs: only training is timed.
    evaluate = {
        FIT_MANY: lambda params: final_losses(mlp, params, X, T, stacked=True),
        FIT: lambda trained: np.concatenate([final_losses(mlp, p, X, T) for p in trained]),
        TORCH: lambda models: torch_losses(models, X, T),
    }
    times = {name: {"cold": [], "warm": [], "warm_cpu": [], "compile": []} for name in runs}
    trained = {}
    for _ in range(config.repeats):
        for name, run in runs.items():
            if name != TORCH:
                jax.clear_caches()
                cold, _, (_, compile_time) = timed(run)
                times[name]["cold"].append(cold)
                times[name]["compile"].append(compile_time)
            warm, warm_cpu, (trained[name], _) = timed(run)
            times[name]["warm"].append(warm)
            times[name]["warm_cpu"].append(warm_cpu)
            if name == TORCH:
                times[name]["cold"].append(warm)
                times[name]["compile"].append(0.0)

    losses = {name: evaluate[name](out) for name, out in trained.items()}
    rows = {}
    for name in IMPLEMENTATIONS:
        if name not in runs:
            rows[name] = {"skipped": "torch is not installed"}
            continue
        row = {key: statistics.median(values) for key, values in times[name].items()}
        row["compile_measured"] = row["cold"] - row["warm"]
        row["final_loss_median"] = float(np.median(losses[name]))
        row["max_loss_difference"] = float(np.max(np.abs(losses[name] - losses[FIT_MANY])))
        rows[name] = row
    for name, row in rows.items():
        if "skipped" not in row:
            row["speedup_cold"] = row["cold"] / rows[FIT_MANY]["cold"]
            row["speedup_warm"] = row["warm"] / rows[FIT_MANY]["warm"]
            row["speedup_warm_cpu"] = row["warm_cpu"] / rows[FIT_MANY]["warm_cpu"]
    metrics = {
        "config": dataclasses.asdict(config),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {**machine(), "load_average_1min": os.getloadavg()[0]},
        "versions": versions(),
        "rows": rows,
        "targets": check_targets(rows),
    }
    publish(config.section, markdown(metrics, command), metrics, config.out, config.results)
    return metrics


def check_targets(rows: dict) -> list[dict]:
    """fit_many's speed-up over each baseline, with and without compilation, against its target."""
    checked = []
    for name, at_least in TARGETS.items():
        if "skipped" in rows[name]:
            continue
        for when, label in (("cold", "with compile"), ("warm", "without compile")):
            checked.append(
                {
                    "target": f"fit_many ≥ {at_least:g}× faster than {name}, {label}",
                    "value": rows[name][f"speedup_{when}"],
                    "at_least": at_least,
                }
            )
    return checked


def markdown(metrics: dict, command: str) -> str:
    c, m, v = metrics["config"], metrics["machine"], metrics["versions"]
    lines = [
        "## Sweeps: many small models in one program",
        "",
        f"- Command: `{command}`",
        f"- Date: {metrics['date']}",
        f"- Machine: {m['cpu']}, {m['cores']} cores, 1-minute load average "
        f"{m['load_average_1min']:.1f} at the end; JAX backend {m['jax_backend']} "
        f"({m['jax_device']}); PyTorch on {c['torch_threads']} thread(s)",
        "- Versions: "
        + ", ".join(f"{name} {version}" for name, version in v.items())
        + f", Python {m['python']}",
        f"- Workload: {c['members']} regressors 1-{c['hidden']}-1 (tanh, identity output, MSE), "
        f"full-batch gradient descent (learning rate {c['learning_rate']:g}) on n = {c['n']} "
        f"points of sin(x), {c['steps']} steps, float32, one seed each; jaxmlp "
        f'grad="{c["grad"]}"',
        "- Timed: training, from the initial draws to the trained params; the final losses "
        "are computed after the timed runs.",
        f"- Median of {c['repeats']} round(s). With compile: a cold run after "
        "`jax.clear_caches()`; without compile: the same run again, warm; compile: their "
        "difference (jaxmlp's own count of XLA compile seconds in brackets). CPU: the "
        "process's CPU seconds in the warm run, steadier than wall time on a shared machine.",
        "",
        "| implementation | with compile (s) | without compile (s) | compile (s) "
        "| without compile, CPU (s) | fit_many speed-up, with compile | without compile "
        "| without compile, CPU | median final loss | max loss difference to fit_many |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in metrics["rows"].items():
        if "skipped" in row:
            lines.append(f"| {name} | {row['skipped']} | | | | | | | | |")
            continue
        speedups = [
            "1 (reference)" if name == FIT_MANY else f"{row[f'speedup_{when}']:.1f}×"
            for when in ("cold", "warm", "warm_cpu")
        ]
        lines.append(
            f"| {name} | {row['cold']:.2f} | {row['warm']:.2f} "
            f"| {row['compile_measured']:.2f} ({row['compile']:.2f}) | {row['warm_cpu']:.2f} "
            f"| {speedups[0]} | {speedups[1]} | {speedups[2]} "
            f"| {row['final_loss_median']:.3g} | {row['max_loss_difference']:.1e} |"
        )
    lines += ["", "| target | measured | met |", "|---|---:|---|"]
    for target in metrics["targets"]:
        value, at_least = target["value"], target["at_least"]
        lines.append(
            f"| {target['target']} | {value:.1f}× | {'yes' if value >= at_least else 'no'} |"
        )
    lines += ["", *_step_times(metrics)]
    return "\n".join(lines) + "\n"


def _step_times(metrics: dict) -> list[str]:
    """Warm time per gradient step of one model: fit_many's per member, against the others'."""
    c, rows = metrics["config"], metrics["rows"]
    per_member_step = {
        name: row["warm"] / (c["steps"] * c["members"]) * 1e6
        for name, row in rows.items()
        if "skipped" not in row
    }
    ours = per_member_step.pop(FIT_MANY)
    others = "; ".join(f"{name}: {us:.1f} µs" for name, us in per_member_step.items())
    lines = [
        f"- Warm time per gradient step of one model: {FIT_MANY}: {ours:.1f} µs (its "
        f"{c['members']} members side by side); {others}."
    ]
    if "skipped" not in rows[FIT]:
        cpu = {
            name: rows[name]["warm_cpu"] / (c["steps"] * c["members"]) * 1e6
            for name in (FIT_MANY, FIT)
        }
        cores = metrics["machine"]["cores"]
        lines.append(
            f"- CPU time per gradient step of one model, warm: {FIT_MANY}: {cpu[FIT_MANY]:.1f} "
            f"µs; {FIT}: {cpu[FIT]:.1f} µs. Where the two are close, one model's step has no "
            "overhead left for a sweep to share: fit_many's gain over fit is its members "
            f"running on the {cores} cores side by side, at most about {cores}× on this machine."
        )
    return lines


def parse_args(argv=None) -> Config:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="4 members, 20 steps, one round")
    parser.add_argument("--repeats", type=int, help="rounds")
    parser.add_argument("--steps", type=int, help="gradient descent steps")
    parser.add_argument("--grad", choices=("autodiff", "backprop"), help="jaxmlp's gradient")
    parser.add_argument("--out", help=f"markdown file to update (default {Config.out})")
    parser.add_argument("--section", help=f"its markers' name (default {Config.section})")
    parser.add_argument("--results", help=f"folder for metrics.json (default {Config.results})")
    args = parser.parse_args(argv)
    fields = QUICK.copy() if args.quick else {}
    for field in ("repeats", "steps", "grad", "out", "section", "results"):
        if getattr(args, field) is not None:
            fields[field] = getattr(args, field)
    config = Config(**fields)
    if config.repeats < 1 or config.steps < 1:
        parser.error("--repeats and --steps must be positive")
    return config


if __name__ == "__main__":
    main(parse_args(), command=" ".join(["python -m experiments.bench.sweep", *sys.argv[1:]]))

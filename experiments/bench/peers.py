"""Training throughput of jaxmlp against PyTorch eager, scikit-learn and a plain JAX loop.

Synthetic MNIST-shaped data (``n = 60000`` float32 examples, 10 classes), three workloads
(the lecture's sigmoid MLP, a modern relu MLP with Adam, a small digits-sized MLP) and the
modern one again at batch 1024, where the matmuls are large enough to approach the machine's
peak. Every implementation trains full epochs that reshuffle the data, and keeps the last,
smaller batch. The implementations run in rounds, one epoch each per round (each round
starting with the next one), so that machine noise hits all of them alike; speed-ups are
medians of the per-round ratios. The first round
(compilation, caches) is not timed.

What is timed, per epoch:

- jaxmlp: ``jaxmlp.fit`` continued from its ``history.state`` for one more epoch, with
  ``epochs_per_program=1``; the epoch's wall time as ``fit`` records it in ``history.time``
  (the compiled epoch and fetching its metrics; the one-off input checks and compilation of
  a ``fit`` call are not part of an epoch).
- PyTorch eager: ``torch.nn`` with the same initial weights and optimizer, a
  ``torch.randperm`` per epoch and indexed batches (skipped when torch is not installed:
  ``pip install '.[bench]'``), on torch's default threads (one per core) unless
  ``--torch-threads`` says otherwise. On a machine busy with other work its threads wait for
  each other at every op, which can slow it far more than the load slows anything else: the
  table records the load average, and a run on a loaded machine is best repeated with
  ``--torch-threads 1``.
- scikit-learn: ``MLPClassifier.partial_fit`` (one epoch), only where its model is the same
  (relu hidden layers, softmax output with log-loss, Adam).
- plain JAX: one ``jax.jit``-compiled step (gather, ``jax.value_and_grad``, optax update),
  called from a Python loop over the batches of a NumPy permutation.

GFLOP/s counts the matmuls only: the forward pass ``2 n Σ n_in n_out``, the weight gradients
as much again, and the input gradients of every layer but the first.

Run ``python -m experiments.bench.peers`` (``--quick`` for a smoke test). The table is printed
and written into ``BENCHMARKS.md`` between the benchmark markers; the numbers also go to
``results/benchmark/metrics.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import os
import statistics
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxmlp
from experiments.bench.record import machine, publish, section_markers, versions

SECTION = "benchmark"  # the markers of this section in BENCHMARKS.md
START_MARKER, END_MARKER = section_markers(SECTION)
N_CLASSES = 10


@dataclasses.dataclass(frozen=True)
class Workload:
    """One model, loss, optimizer and batch size, trained the same way by every implementation."""

    name: str
    sizes: tuple[int, ...]  # (d, h_1, ..., c)
    hidden: str  # hidden activation
    output: str  # output activation
    loss: str  # jaxmlp's loss name: "mse" (½ Σ_k (t_k - y_hat_k)²) or "cross_entropy"
    optimizer: str  # "sgd" or "adam"
    learning_rate: float
    batch_size: int
    sklearn: bool = False  # scikit-learn's MLPClassifier is this exact model
    # Epochs per timed sample (their mean): the small model's 30-40 ms epochs, timed one at a
    # time, moved the backprop ÷ autodiff ratio by ±20% from run to run.
    epochs_per_sample: int = 1

    def describe(self) -> str:
        sizes = "-".join(map(str, self.sizes))
        optimizer = {"sgd": "SGD", "adam": "Adam"}[self.optimizer]
        return (
            f"{sizes} {self.hidden}/{self.output}, {self.loss}, "
            f"{optimizer} {self.learning_rate:g}, batch {self.batch_size}"
        )


LECTURE = Workload("lecture", (784, 256, 10), "sigmoid", "sigmoid", "mse", "sgd", 0.1, 128)
MODERN = Workload(
    "modern", (784, 512, 512, 10), "relu", "softmax", "cross_entropy", "adam", 1e-3, 256, True
)
SMALL = Workload("small", (64, 32, 10), "sigmoid", "sigmoid", "mse", "sgd", 0.1, 32, False, 8)
# The modern model at a batch large enough for the matmuls to approach the machine's peak.
MODERN_1024 = dataclasses.replace(MODERN, name="modern-1024", batch_size=1024, sklearn=False)
WORKLOADS = {w.name: w for w in (LECTURE, MODERN, SMALL, MODERN_1024)}

JAXMLP_AUTODIFF = 'jaxmlp fit, grad="autodiff"'
JAXMLP_BACKPROP = 'jaxmlp fit, grad="backprop"'
PLAIN_JAX = "plain JAX loop (jit one step)"
TORCH = "PyTorch eager"
SKLEARN = "scikit-learn partial_fit"
IMPLEMENTATIONS = (JAXMLP_AUTODIFF, JAXMLP_BACKPROP, PLAIN_JAX, TORCH, SKLEARN)


@dataclasses.dataclass(frozen=True)
class Config:
    workloads: tuple[str, ...] = tuple(WORKLOADS)  # which of WORKLOADS to run
    n: int = 60_000  # training examples, as MNIST's training set
    repeats: int = 5  # timed epochs (rounds) per implementation, after one untimed round
    peak_repeats: int = 3  # timed 2048² matmuls for the peak, at the start and in every round
    torch_threads: int | None = None  # torch.set_num_threads; None keeps torch's default
    seed: int = 0  # data, initial params and every implementation's shuffling
    out: str = "BENCHMARKS.md"  # the markdown file whose benchmark section is rewritten
    results: str = "results/benchmark"  # folder for metrics.json


QUICK = dict(n=512, repeats=1, peak_repeats=1)


def flops_per_example(sizes: tuple[int, ...]) -> int:
    """Matmul FLOPs of one training example: forward, weight gradients, input gradients.

    The first layer's input gradient (with respect to the data) is never computed.
    """
    layers = [n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    return 2 * sum(layers) + 2 * sum(layers) + 2 * sum(layers[1:])


class MatmulPeak:
    """The float32 matmul throughput of the default device: 2048² ``jnp.dot``, GFLOP/s.

    Sampled at the start and again in every round of every workload, so that the peak sees
    the same machine load as the epochs it is compared with; the peak is the median sample.
    """

    SIZE = 2048

    def __init__(self, repeats: int):
        key_a, key_b = jax.random.split(jax.random.key(0))
        self.a = jax.random.normal(key_a, (self.SIZE, self.SIZE), jnp.float32)
        self.b = jax.random.normal(key_b, (self.SIZE, self.SIZE), jnp.float32)
        self.dot = jax.jit(jnp.dot)
        self.dot(self.a, self.b).block_until_ready()
        self.repeats, self.samples = max(repeats, 1), []
        self.sample()

    def sample(self) -> None:
        for _ in range(self.repeats):
            start = time.perf_counter()
            self.dot(self.a, self.b).block_until_ready()
            self.samples.append(2 * self.SIZE**3 / (time.perf_counter() - start) / 1e9)

    @property
    def gflops(self) -> float:
        return statistics.median(self.samples)


def synthetic_data(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-shaped data: ``X: (n, d)`` float32 "pixels" in [0, 1), ``y: (n,)`` labels."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, d), dtype=np.float32)
    y = rng.integers(0, N_CLASSES, n).astype(np.int32)
    return X, y


class JaxmlpRunner:
    """``jaxmlp.fit``, one epoch per call, continued from the previous call's ``TrainState``."""

    def __init__(self, workload: Workload, params, X, y, seed: int, grad: str):
        self.mlp = jaxmlp.MLP(workload.sizes, workload.hidden, workload.output)
        self.workload, self.grad = workload, grad
        self.X, self.y = jnp.asarray(X), y  # on the device once, as a user would keep it
        self.state = params
        self.key = jax.random.key(seed)

    def epoch(self) -> float:
        w = self.workload
        epochs = 1 if isinstance(self.state, list) else int(self.state.epoch) + 1
        _, history = jaxmlp.fit(
            self.mlp,
            self.state,
            self.X,
            self.y,
            key=self.key,
            loss=w.loss,
            optimizer=w.optimizer,
            learning_rate=w.learning_rate,
            batch_size=w.batch_size,
            epochs=epochs,
            grad=self.grad,
            epochs_per_program=1,
        )
        self.state = history.state
        return history.time[-1]


class PlainJaxRunner:
    """What a user writes by hand: a jitted step, a Python loop over the batches."""

    def __init__(self, workload: Workload, params, X, y, seed: int):
        self.workload = workload
        self.X = jnp.asarray(X)
        self.T = jax.nn.one_hot(y, N_CLASSES, dtype=self.X.dtype)
        self.rng = np.random.default_rng(seed)
        optimizer = {"sgd": optax.sgd, "adam": optax.adam}[workload.optimizer](
            workload.learning_rate
        )
        self.params, self.opt_state = params, optimizer.init(params)
        hidden = {"sigmoid": jax.nn.sigmoid, "relu": jax.nn.relu}[workload.hidden]

        def loss_fn(params, x, t):
            q = x
            for layer in params[:-1]:
                q = hidden(q @ layer["W"] + layer["b"])
            a = q @ params[-1]["W"] + params[-1]["b"]
            if workload.output == "softmax":
                return -jnp.mean(jnp.sum(t * jax.nn.log_softmax(a), axis=-1))
            return jnp.mean(0.5 * jnp.sum((t - jax.nn.sigmoid(a)) ** 2, axis=-1))

        @functools.partial(jax.jit, donate_argnums=(0, 1))
        def step(params, opt_state, X, T, indices):
            loss, grads = jax.value_and_grad(loss_fn)(params, X[indices], T[indices])
            updates, opt_state = optimizer.update(grads, opt_state, params)
            return optax.apply_updates(params, updates), opt_state, loss

        self.step = step

    def epoch(self) -> float:
        start = time.perf_counter()
        n, batch_size = self.X.shape[0], self.workload.batch_size
        permutation = self.rng.permutation(n).astype(np.int32)
        for first in range(0, n, batch_size):
            indices = permutation[first : first + batch_size]
            self.params, self.opt_state, loss = self.step(
                self.params, self.opt_state, self.X, self.T, indices
            )
        jax.block_until_ready(self.params)
        return time.perf_counter() - start


class TorchRunner:
    """PyTorch eager: ``torch.nn`` with the same initial weights, ``randperm`` per epoch."""

    def __init__(self, workload: Workload, params, X, y, seed: int, threads: int | None):
        import torch

        if threads is not None:
            torch.set_num_threads(threads)
        self.torch, self.workload = torch, workload
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        hidden = {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU}[workload.hidden]
        modules = []
        for layer in params:
            W, b = np.asarray(layer["W"]), np.asarray(layer["b"])
            linear = torch.nn.Linear(*W.shape)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(W.T.copy()))  # torch stores (n_out, n_in)
                linear.bias.copy_(torch.from_numpy(b.copy()))
            modules += [linear, hidden()]
        modules.pop()
        if workload.output == "sigmoid":
            modules.append(torch.nn.Sigmoid())
        self.model = torch.nn.Sequential(*modules).to(self.device)
        optimizer = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[workload.optimizer]
        self.optimizer = optimizer(self.model.parameters(), lr=workload.learning_rate)
        self.X = torch.from_numpy(X).to(self.device)
        labels = torch.from_numpy(y.astype(np.int64))
        if workload.loss == "mse":
            self.T = torch.nn.functional.one_hot(labels, N_CLASSES).to(self.X.dtype)
        else:
            self.T = labels  # cross_entropy takes the labels: the same loss as one-hot targets
        self.T = self.T.to(self.device)
        self.generator = torch.Generator().manual_seed(seed)

    def loss(self, output, target):
        if self.workload.loss == "mse":
            return 0.5 * ((target - output) ** 2).sum(dim=1).mean()
        return self.torch.nn.functional.cross_entropy(output, target)

    def epoch(self) -> float:
        torch = self.torch
        start = time.perf_counter()
        n, batch_size = self.X.shape[0], self.workload.batch_size
        permutation = torch.randperm(n, generator=self.generator).to(self.device)
        for first in range(0, n, batch_size):
            indices = permutation[first : first + batch_size]
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.loss(self.model(self.X[indices]), self.T[indices])
            loss.backward()
            self.optimizer.step()
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start


class SklearnRunner:
    """scikit-learn's ``MLPClassifier.partial_fit``: one epoch of shuffled mini-batches."""

    def __init__(self, workload: Workload, params, X, y, seed: int):
        from sklearn.neural_network import MLPClassifier

        self.model = MLPClassifier(
            hidden_layer_sizes=workload.sizes[1:-1],
            activation=workload.hidden,
            solver=workload.optimizer,
            learning_rate_init=workload.learning_rate,
            batch_size=workload.batch_size,
            alpha=0.0,  # no L2, as the others
            shuffle=True,
            random_state=seed,
        )
        self.X, self.y = X, y

    def epoch(self) -> float:
        start = time.perf_counter()
        self.model.partial_fit(self.X, self.y, classes=np.arange(N_CLASSES))
        return time.perf_counter() - start


def make_runners(workload: Workload, X, y, config: Config) -> tuple[dict, dict]:
    """The runners of ``workload`` in round order, and a note for each one skipped."""
    mlp = jaxmlp.MLP(workload.sizes, workload.hidden, workload.output)
    seed = config.seed
    params = jaxmlp.init_params(jax.random.key(seed), mlp)
    runners, skipped = {}, {}
    # jaxmlp and torch alternate: a round runs autodiff, torch, backprop, plain JAX, sklearn,
    # starting one further on each round (run_workload).
    runners[JAXMLP_AUTODIFF] = JaxmlpRunner(workload, params, X, y, seed, "autodiff")
    try:
        runners[TORCH] = TorchRunner(workload, params, X, y, seed, config.torch_threads)
    except ImportError:
        skipped[TORCH] = "skipped: torch is not installed (pip install '.[bench]')"
    runners[JAXMLP_BACKPROP] = JaxmlpRunner(workload, params, X, y, seed, "backprop")
    runners[PLAIN_JAX] = PlainJaxRunner(workload, params, X, y, seed)
    if workload.sklearn:
        runners[SKLEARN] = SklearnRunner(workload, params, X, y, seed)
    else:
        skipped[SKLEARN] = "n/a: scikit-learn has no matching model"
    return runners, skipped


def run_workload(workload: Workload, config: Config, peak: MatmulPeak) -> dict:
    """Times ``config.repeats`` rounds (after an untimed one) of every implementation."""
    X, y = synthetic_data(config.n, workload.sizes[0], config.seed)
    runners, skipped = make_runners(workload, X, y, config)
    times = {name: [] for name in runners}
    names = list(runners)
    for round_ in range(config.repeats + 1):
        if round_ > 0:
            peak.sample()
        # Each round starts one implementation further on, so that none always runs right
        # after the same one: PyTorch's OpenMP threads spin for a while after its epoch, and
        # a short epoch run next (the small workload's 30 ms) paid for it every round.
        first = round_ % len(names)
        for name in names[first:] + names[:first]:
            samples = workload.epochs_per_sample
            seconds = sum(runners[name].epoch() for _ in range(samples)) / samples
            print(f"{workload.name} round {round_} {name}: {seconds:.3f} s", file=sys.stderr)
            if round_ > 0:
                times[name].append(seconds)
    return {"workload": dataclasses.asdict(workload), "times": times, "skipped": skipped}


def summarize(result: dict, config: Config, peak: float) -> dict:
    """Each implementation's median epoch, throughput and speed-up from its epoch times."""
    workload, times, skipped = result["workload"], result["times"], result["skipped"]
    flops = flops_per_example(tuple(workload["sizes"])) * config.n
    reference = times[JAXMLP_AUTODIFF]
    rows = {}
    for name in IMPLEMENTATIONS:
        if name in skipped:
            rows[name] = {"skipped": skipped[name]}
            continue
        epoch = statistics.median(times[name])
        gflops = flops / epoch / 1e9
        rows[name] = {
            "epoch_s": epoch,
            "epoch_times_s": times[name],
            "samples_per_s": config.n / epoch,
            "gflops": gflops,
            "fraction_of_peak": gflops / peak,
            # How many times faster jaxmlp (autodiff) is: the median of the per-round ratios.
            "jaxmlp_speedup": statistics.median(t / r for t, r in zip(times[name], reference)),
        }
    return {"workload": workload, "rows": rows}


TARGETS = (
    # (workload, implementation, what is compared, at least)
    ("lecture", TORCH, "speed-up over", 2.0),
    ("modern", TORCH, "speed-up over", 1.4),
    ("modern", SKLEARN, "speed-up over", 3.0),
    ("small", TORCH, "speed-up over", 12.0),
    ("lecture", JAXMLP_BACKPROP, "backprop ÷ autodiff throughput", 0.95),
    ("modern", JAXMLP_BACKPROP, "backprop ÷ autodiff throughput", 0.95),
    ("small", JAXMLP_BACKPROP, "backprop ÷ autodiff throughput", 0.95),
    ("modern-1024", JAXMLP_AUTODIFF, "fraction of the matmul peak", 0.75),
)


def check_targets(results: dict) -> list[dict]:
    """Each target of the issue with the measured value, where its workload ran."""
    checked = []
    for workload, name, what, at_least in TARGETS:
        row = results.get(workload, {}).get("rows", {}).get(name)
        if row is None or "skipped" in row:
            continue
        if what == "speed-up over":
            value, label = row["jaxmlp_speedup"], f"{workload}: jaxmlp ≥ {at_least:g}× {name}"
        elif what.startswith("backprop"):
            value = 1 / row["jaxmlp_speedup"]
            label = (
                f'{workload}: grad="backprop" within 5% of grad="autodiff" '
                f"(backprop ÷ autodiff throughput ≥ {at_least:g})"
            )
        else:
            value = row["fraction_of_peak"]
            label = f"{workload}: jaxmlp ≥ {at_least:.0%} of the matmul peak"
        checked.append({"target": label, "value": value, "at_least": at_least})
    return checked


def torch_threads() -> int | None:
    """The threads PyTorch ran on (after ``--torch-threads``), or ``None`` without torch."""
    try:
        import torch
    except ImportError:
        return None
    return torch.get_num_threads()


def _torch_threads_note(threads: int | None) -> str:
    if threads is None:
        return "PyTorch not installed"
    return f"PyTorch on {threads} thread{'s' if threads != 1 else ''}"


def _number(value: float) -> str:
    return f"{value:.3g}" if value < 1000 else f"{value:,.0f}"


def markdown(metrics: dict, command: str) -> str:
    m, v = metrics["machine"], metrics["versions"]
    lines = [
        "## Training throughput",
        "",
        f"- Command: `{command}`",
        f"- Date: {metrics['date']}",
        f"- Machine: {m['cpu']}, {m['cores']} cores; JAX backend {m['jax_backend']} "
        f"({m['jax_device']})",
        "- Versions: "
        + ", ".join(f"{name} {version}" for name, version in v.items())
        + f", Python {m['python']}",
        f"- Load: 1-minute load average {metrics['load_average'][0]:.1f} at the start, "
        f"{metrics['load_average'][1]:.1f} at the end, on {m['cores']} cores; "
        + _torch_threads_note(metrics["torch_threads"]),
        f"- Data: synthetic, n = {metrics['config']['n']}, float32, {N_CLASSES} classes; "
        f"median of {metrics['config']['repeats']} samples per implementation (a sample: one "
        f"epoch{_pooled_note(metrics)}), in alternating rounds after an untimed one, each "
        "round starting one implementation further on",
        f"- float32 matmul peak (2048² `jnp.dot`, median of {len(metrics['peak_samples_gflops'])} "
        f"samples taken through the run): {metrics['peak_gflops']:.1f} GFLOP/s (samples "
        f"{min(metrics['peak_samples_gflops']):.1f} to {max(metrics['peak_samples_gflops']):.1f})",
        "",
        "| workload | implementation | epoch (s) | samples/s | GFLOP/s | % of peak "
        "| jaxmlp speed-up |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, result in metrics["workloads"].items():
        workload = Workload(**{**result["workload"], "sizes": tuple(result["workload"]["sizes"])})
        label = f"{name} ({workload.describe()})"
        for implementation, row in result["rows"].items():
            if "skipped" in row:
                lines.append(f"| {label} | {implementation} | {row['skipped']} | | | | |")
                continue
            speedup = (
                "1 (reference)"
                if implementation == JAXMLP_AUTODIFF
                else f"{row['jaxmlp_speedup']:.2f}×"
            )
            lines.append(
                f"| {label} | {implementation} | {row['epoch_s']:.3f} "
                f"| {_number(row['samples_per_s'])} | {_number(row['gflops'])} "
                f"| {row['fraction_of_peak']:.0%} | {speedup} |"
            )
    lines += [
        "",
        "jaxmlp speed-up: the median over rounds of (this epoch's time ÷ jaxmlp autodiff's epoch "
        "time in the same round). GFLOP/s counts the matmuls of the forward pass, the weight "
        "gradients and the input gradients of every layer but the first.",
        "",
        "| target | measured | met |",
        "|---|---:|---|",
    ]
    for target in metrics["targets"]:
        value, at_least = target["value"], target["at_least"]
        shown = f"{value:.0%}" if "peak" in target["target"] else f"{value:.2f}"
        lines.append(f"| {target['target']} | {shown} | {'yes' if value >= at_least else 'no'} |")
    lines += _ceilings(metrics)
    return "\n".join(lines) + "\n"


def _pooled_note(metrics: dict) -> str:
    """``"; small: the mean of 8"`` for the workloads timed several epochs per sample."""
    pooled = [
        f"{name}: the mean of {result['workload']['epochs_per_sample']}"
        for name, result in metrics["workloads"].items()
        if result["workload"]["epochs_per_sample"] > 1
    ]
    return "".join(f"; {note}" for note in pooled)


def _ceilings(metrics: dict) -> list[str]:
    """Per speed-up target: the most any float32 implementation of the same FLOPs could reach.

    A peer at a fraction ``f`` of the matmul peak can be beaten at most ``1 / f`` times (by an
    implementation running at the peak); a target above that is out of reach in this run.
    """
    notes = []
    for workload, name, what, at_least in TARGETS:
        rows = metrics["workloads"].get(workload, {}).get("rows", {})
        row, ours = rows.get(name, {}), rows.get(JAXMLP_AUTODIFF, {})
        if what != "speed-up over" or "fraction_of_peak" not in row or "epoch_s" not in ours:
            continue
        ceiling = 1 / row["fraction_of_peak"]
        verdict = "out of reach in this run" if ceiling < at_least else "within reach"
        notes.append(
            f"- {workload}: {name} runs at {_percent(row['fraction_of_peak'])} of the matmul "
            f"peak, so at the peak an implementation is at most {ceiling:.3g}× faster: the "
            f"{at_least:g}× target is {verdict}; jaxmlp runs at "
            f"{_percent(ours['fraction_of_peak'])} of the peak ({row['jaxmlp_speedup']:.2f}×)."
        )
    return ["", *notes] if notes else []


def _percent(fraction: float) -> str:
    return f"{fraction:.0%}" if fraction >= 0.01 else f"{fraction:.1%}"


def main(config: Config, command: str = "python -m experiments.bench.peers") -> dict:
    """Runs the workloads, writes the markdown section and ``metrics.json``; returns the metrics."""
    load_before = os.getloadavg()[0]
    peak = MatmulPeak(config.peak_repeats)
    timed = {name: run_workload(WORKLOADS[name], config, peak) for name in config.workloads}
    results = {name: summarize(result, config, peak.gflops) for name, result in timed.items()}
    metrics = {
        "config": dataclasses.asdict(config),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "load_average": [load_before, os.getloadavg()[0]],
        "torch_threads": torch_threads(),
        "versions": versions(),
        "peak_gflops": peak.gflops,
        "peak_samples_gflops": peak.samples,
        "workloads": results,
        "targets": check_targets(results),
    }
    publish(SECTION, markdown(metrics, command), metrics, config.out, config.results)
    return metrics


def parse_args(argv=None) -> Config:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="tiny n and one round (smoke test)")
    parser.add_argument(
        "--workloads", nargs="+", choices=tuple(WORKLOADS), help="default: all of them"
    )
    parser.add_argument("--repeats", type=int, help="timed epochs per implementation")
    parser.add_argument("--n", type=int, help="training examples")
    parser.add_argument(
        "--torch-threads", type=int, help="torch.set_num_threads (default: torch's)"
    )
    parser.add_argument("--out", help=f"markdown file to update (default {Config.out})")
    parser.add_argument("--results", help=f"folder for metrics.json (default {Config.results})")
    args = parser.parse_args(argv)
    fields = QUICK.copy() if args.quick else {}
    for field in ("repeats", "n", "out", "results", "torch_threads"):
        if getattr(args, field) is not None:
            fields[field] = getattr(args, field)
    if args.workloads:
        fields["workloads"] = tuple(args.workloads)
    config = Config(**fields)
    if config.repeats < 1 or config.n < 1 or (config.torch_threads or 1) < 1:
        parser.error("--repeats, --n and --torch-threads must be positive")
    return config


if __name__ == "__main__":
    main(parse_args(), command=" ".join(["python -m experiments.bench.peers", *sys.argv[1:]]))

"""Training throughput of jaxmlp against its peers, all timed by one rule from the caller's side.

Synthetic MNIST-shaped data (``n = 60000`` float32 examples, 10 classes), three workloads
(the lecture's sigmoid MLP, a modern relu MLP with Adam, a small digits-sized MLP) and the
modern one again at batch 1024, where the matmuls are large enough to approach the machine's
peak (``experiments/bench/workloads.py``). The implementations (``experiments/bench/runners.py``):

- jaxmlp: ``jaxmlp.fit``, ``grad="autodiff"`` (the reference) and ``grad="backprop"``;
- plain JAX: one ``jax.jit``-compiled step (gather, ``jax.value_and_grad``, optax update),
  called from a Python loop over the batches of a NumPy permutation;
- PyTorch eager, and PyTorch with ``torch.compile`` (inductor) on forward and loss;
- Keras 3 on JAX, ``model.fit`` with its default ``steps_per_execution`` and with the fastest
  of a few (chosen per workload in the warm-up);
- scikit-learn: ``MLPClassifier.fit``, only where its model is the same (relu hidden layers,
  softmax output with log-loss, Adam);
- matmuls alone, not a peer: the workload's products and an SGD update, nothing else, on the
  batches of a fresh permutation (``runners.MatmulsAloneRunner``), timed by the same rule:
  what an implementation would take if the rest of its step cost nothing, which tells a
  target out of reach from one not yet reached.

PyTorch and Keras are optional (``pip install '.[bench]'``); a peer that cannot run here is a
row that says why. PyTorch runs on torch's default threads (one per core) unless
``--torch-threads`` says otherwise: on a machine busy with other work its threads wait for each
other at every op, so the table records the load average.

The timing rule, the same for every implementation (``TIMING_RULE``): every call starts from
the same initial params with a fresh optimizer state and trains whole epochs, reshuffled every
epoch, keeping the last, smaller batch; it is timed around the call a user makes, until the
params are ready. A sample of an epoch's time is (a call training ``1 + k`` epochs - a call
training 1 epoch) / ``k``: what a call pays once (compilation, input checks, transfers) drops
out for all alike. It is reported in its own columns: the warm-up (the first 1-epoch call's
time over the median warm one) and the per-call overhead (a warm 1-epoch call's time over one
epoch). A first, untimed round warms every implementation up; then come the rounds, each
starting one implementation further on, so that machine noise hits all alike; speed-ups are
medians of the per-round ratios. The final training loss of each (after ``1 + k`` epochs, on
the whole training set, by one loss function) is printed next to its time, and a peer whose
loss is far from jaxmlp's is flagged: it is not training the same problem.

GFLOP/s counts the matmuls only: the forward pass ``2 n Σ n_in n_out``, the weight gradients
as much again, and the input gradients of every layer but the first.

Run ``python -m experiments.bench.peers`` (``make bench``; ``--quick`` for a smoke test). The
table is printed and written into ``BENCHMARKS.md`` between the benchmark markers; the numbers
also go to ``results/benchmark/metrics.json``.
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
from experiments.bench import runners
from experiments.bench.record import machine, publish, section_markers, versions
from experiments.bench.workloads import (
    N_CLASSES,
    WORKLOADS,
    Workload,
    flops_per_example,
    synthetic_data,
)

SECTION = "benchmark"  # the markers of this section in BENCHMARKS.md
START_MARKER, END_MARKER = section_markers(SECTION)

JAXMLP_AUTODIFF = 'jaxmlp fit, grad="autodiff"'
JAXMLP_BACKPROP = 'jaxmlp fit, grad="backprop"'
PLAIN_JAX = "plain JAX loop (jit one step)"
TORCH = "PyTorch eager"
TORCH_COMPILE = "PyTorch torch.compile (inductor, forward and loss)"
KERAS = "Keras 3 on JAX, model.fit"
KERAS_TUNED = "Keras 3 on JAX, model.fit, tuned steps_per_execution"
SKLEARN = "scikit-learn MLPClassifier.fit"
MATMULS_ALONE = "matmuls alone: the products and an SGD update on gathered batches (no model)"
# --skip's keys and the table's names, in the order of a round: jaxmlp alternates with the
# others, so that none of them always runs right after the same one.
IMPLEMENTATIONS = {
    "jaxmlp": JAXMLP_AUTODIFF,
    "torch": TORCH,
    "jaxmlp-backprop": JAXMLP_BACKPROP,
    "keras": KERAS,
    "jax": PLAIN_JAX,
    "torch-compile": TORCH_COMPILE,
    "keras-tuned": KERAS_TUNED,
    "sklearn": SKLEARN,
    "matmuls": MATMULS_ALONE,
}
KERAS_BEST = (KERAS, KERAS_TUNED)  # a target against Keras takes the faster of the two

TIMING_RULE = (
    "Timing rule, the same for every implementation: each call starts from the same initial "
    "params with a fresh optimizer state and trains whole epochs, reshuffled every epoch (the "
    "last, smaller batch kept), timed from the caller's side around the call a user makes "
    "(`jaxmlp.fit`, Keras's `model.fit`, scikit-learn's `MLPClassifier.fit`; for PyTorch and "
    "the plain JAX loop, the loop over the epochs) until the params are ready. An epoch's time "
    "is (a call of 1 + k epochs − a call of 1 epoch) / k{k}, so that what a call pays once "
    "(compilation, input checks, transfers) drops out for all alike; it is shown apart: "
    "warm-up is the first 1-epoch call's time over the median warm one, per call is a warm "
    "1-epoch call's time over one epoch. Final loss: the training loss after 1 + k epochs, on "
    "all n examples, by jaxmlp's objective for every implementation."
)


@dataclasses.dataclass(frozen=True)
class Config:
    workloads: tuple[str, ...] = tuple(WORKLOADS)  # which of WORKLOADS to run
    skip: tuple[str, ...] = ()  # keys of IMPLEMENTATIONS left out (never "jaxmlp")
    n: int = 60_000  # training examples, as MNIST's training set
    repeats: int = 5  # timed rounds, after one untimed warm-up round
    peak_repeats: int = 3  # timed 2048² matmuls for the peak, at the start and in every round
    torch_threads: int | None = None  # torch.set_num_threads; None keeps torch's default
    keras_steps: tuple[int, ...] = (16, 64, 256)  # steps_per_execution tried by keras-tuned
    loss_tolerance: float = 0.05  # a final loss further than this from jaxmlp's is flagged
    # On a GPU, float32 matmuls on every side: "float32" in full, or "tf32" (JAX's default
    # there, not PyTorch's). A CPU computes them in full float32 either way.
    matmul_precision: str = "float32"
    seed: int = 0  # data, initial params and every implementation's shuffling
    out: str = "BENCHMARKS.md"  # the markdown file whose section is rewritten
    section: str = SECTION  # its markers, e.g. "benchmark_gpu" for a run on a GPU
    results: str = "results/benchmark"  # folder for metrics.json


QUICK = dict(n=512, repeats=1, peak_repeats=1)


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


def make_runners(workload: Workload, X, y, config: Config) -> tuple[dict, dict]:
    """The runners of ``workload`` in round order, and the reason for each one left out."""
    mlp = jaxmlp.MLP(workload.sizes, workload.hidden, workload.output)
    seed, threads = config.seed, config.torch_threads
    params = jaxmlp.init_params(jax.random.key(seed), mlp)
    makers = {
        JAXMLP_AUTODIFF: lambda: runners.JaxmlpRunner(workload, params, X, y, seed, "autodiff"),
        TORCH: lambda: runners.TorchRunner(workload, params, X, y, seed, threads, compile=False),
        JAXMLP_BACKPROP: lambda: runners.JaxmlpRunner(workload, params, X, y, seed, "backprop"),
        KERAS: lambda: runners.KerasRunner(workload, params, X, y, seed),
        PLAIN_JAX: lambda: runners.PlainJaxRunner(workload, params, X, y, seed),
        TORCH_COMPILE: lambda: runners.TorchRunner(
            workload, params, X, y, seed, threads, compile=True
        ),
        KERAS_TUNED: lambda: runners.KerasTunedRunner(
            workload, params, X, y, seed, config.keras_steps
        ),
        SKLEARN: lambda: runners.SklearnRunner(workload, params, X, y, seed),
        MATMULS_ALONE: lambda: runners.MatmulsAloneRunner(workload, params, X, y, seed),
    }
    made, left_out = {}, {}
    for key, name in IMPLEMENTATIONS.items():
        if key in config.skip:
            left_out[name] = "not run (--skip)"
        elif name == SKLEARN and not workload.sklearn:
            left_out[name] = "n/a: scikit-learn has no matching model"
        else:
            try:
                made[name] = makers[name]()
            except runners.Unavailable as reason:
                left_out[name] = f"cannot run: {reason}"
    return made, left_out


def _failure(error: Exception) -> str:
    message = str(error).strip().splitlines()
    return f"failed: {type(error).__name__}" + (f": {message[0]}" if message else "")


def run_workload(workload: Workload, config: Config, peak: MatmulPeak) -> dict:
    """Warms every implementation up, then times ``config.repeats`` rounds of each."""
    X, y = synthetic_data(config.n, workload.sizes[0], config.seed)
    made, left_out = make_runners(workload, X, y, config)
    k = workload.epochs_per_sample
    first_call = {}

    def attempt(name: str, call):
        """``call()``; a peer that fails is left out with the reason (jaxmlp's error raises)."""
        try:
            return call()
        except Exception as error:
            if name == JAXMLP_AUTODIFF:
                raise
            print(f"{workload.name} {name}: {_failure(error)}", file=sys.stderr)
            left_out[name] = _failure(error)
            del made[name]

    for name, runner in list(made.items()):
        first_call[name] = attempt(name, lambda: runner.warm_up(1 + k))
    names = list(made)
    times = {name: {"call_1": [], "call_k": [], "epoch": []} for name in names}
    for round_ in range(config.repeats):
        peak.sample()
        first = round_ % len(names)
        for name in names[first:] + names[:first]:
            if name not in made:
                continue
            runner = made[name]

            def sample():
                runner.reset()
                one = runners.seconds(lambda: runner.train(1))
                runner.reset()
                return one, runners.seconds(lambda: runner.train(1 + k))

            calls = attempt(name, sample)
            if calls is None:
                continue
            times[name]["call_1"].append(calls[0])
            times[name]["call_k"].append(calls[1])
            times[name]["epoch"].append((calls[1] - calls[0]) / k)
            print(
                f"{workload.name} round {round_ + 1} {name}: calls {calls[0]:.3f} s, "
                f"{calls[1]:.3f} s; epoch {times[name]['epoch'][-1]:.3f} s",
                file=sys.stderr,
            )
    # After the timed rounds: each runner holds its params of its last call, 1 + k epochs.
    w, mlp = workload, jaxmlp.MLP(workload.sizes, workload.hidden, workload.output)
    T = jaxmlp.one_hot(y, N_CLASSES)
    losses = {
        name: None
        if runner.no_model
        else float(jaxmlp.objective(mlp, runner.params(), X, T, w.loss))
        for name, runner in made.items()
    }
    return {
        "workload": dataclasses.asdict(workload),
        "times": {name: times[name] for name in made},
        "first_call": {name: first_call[name] for name in made},
        "final_loss": losses,
        "notes": {name: runner.note for name, runner in made.items() if runner.note},
        "skipped": left_out,
    }


def summarize(result: dict, config: Config, peak: float) -> dict:
    """Each implementation's median epoch, throughput, speed-up, warm-up and final loss."""
    workload, times, skipped = result["workload"], result["times"], result["skipped"]
    flops = flops_per_example(tuple(workload["sizes"])) * config.n
    reference = times[JAXMLP_AUTODIFF]["epoch"]
    reference_loss = result["final_loss"][JAXMLP_AUTODIFF]
    rows = {}
    for name in IMPLEMENTATIONS.values():
        if name in skipped:
            rows[name] = {"skipped": skipped[name]}
            continue
        epoch, call_1 = (
            statistics.median(times[name]["epoch"]),
            statistics.median(times[name]["call_1"]),
        )
        loss = result["final_loss"][name]
        gflops = flops / epoch / 1e9
        rows[name] = {
            "epoch_s": epoch,
            "epoch_times_s": times[name]["epoch"],
            "call_1_epoch_s": times[name]["call_1"],
            f"call_{1 + workload['epochs_per_sample']}_epochs_s": times[name]["call_k"],
            "samples_per_s": config.n / epoch,
            "gflops": gflops,
            "fraction_of_peak": gflops / peak,
            # How many times faster jaxmlp (autodiff) is: the median of the per-round ratios.
            "jaxmlp_speedup": statistics.median(
                t / r for t, r in zip(times[name]["epoch"], reference)
            ),
            "warm_up_s": result["first_call"][name] - call_1,
            "per_call_s": call_1 - epoch,
            "final_loss": loss,  # None for the matmuls alone: no model
            "loss_difference": None
            if loss is None
            else (loss - reference_loss) / abs(reference_loss),
            "same_problem": loss is None
            or abs(loss - reference_loss) <= config.loss_tolerance * abs(reference_loss),
            "note": result["notes"].get(name, ""),
        }
    return {"workload": workload, "rows": rows}


TARGETS = (
    # (workload, implementation or the fastest of several, what is compared, at least)
    ("lecture", TORCH, "speed-up over", 2.0),
    ("lecture", KERAS_BEST, "speed-up over", 1.6),
    ("modern", TORCH, "speed-up over", 1.5),
    ("modern", KERAS_BEST, "speed-up over", 1.3),
    ("modern", SKLEARN, "speed-up over", 3.0),
    ("small", TORCH, "speed-up over", 12.0),
    ("lecture", JAXMLP_BACKPROP, "backprop ÷ autodiff throughput", 0.95),
    ("modern", JAXMLP_BACKPROP, "backprop ÷ autodiff throughput", 0.95),
    ("small", JAXMLP_BACKPROP, "backprop ÷ autodiff throughput", 0.95),
    ("lecture", JAXMLP_AUTODIFF, "fraction of the matmul peak", 0.85),
    ("modern", JAXMLP_AUTODIFF, "fraction of the matmul peak", 0.85),
    ("modern-1024", JAXMLP_AUTODIFF, "fraction of the matmul peak", 0.75),
)


def target_row(rows: dict, implementation: str | tuple[str, ...]) -> tuple[str, dict] | None:
    """``(name, row)`` of ``implementation``, or of the fastest that ran of a tuple of them."""
    names = (implementation,) if isinstance(implementation, str) else implementation
    ran = [(name, rows[name]) for name in names if "epoch_s" in rows.get(name, {})]
    return min(ran, key=lambda pair: pair[1]["epoch_s"], default=None)


def check_targets(results: dict) -> list[dict]:
    """Each target of the issue with the measured value, where its workload ran."""
    checked = []
    for workload, implementation, what, at_least in TARGETS:
        found = target_row(results.get(workload, {}).get("rows", {}), implementation)
        if found is None:
            continue
        name, row = found
        if what == "speed-up over":
            if not isinstance(implementation, str):
                name = f"{name} (the faster Keras setting)"
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
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _k_note(metrics: dict) -> str:
    """``" (k = 2; small: k = 8)"``: the epochs per sample of the workloads that ran."""
    ks = {name: r["workload"]["epochs_per_sample"] for name, r in metrics["workloads"].items()}
    common = statistics.mode(ks.values()) if ks else 2
    others = "".join(f"; {name}: k = {k}" for name, k in ks.items() if k != common)
    return f" (k = {common}{others})"


def markdown(metrics: dict, command: str) -> str:
    m, v = metrics["machine"], metrics["versions"]
    lines = [
        "## Training throughput",
        "",
        TIMING_RULE.format(k=_k_note(metrics)),
        "",
        f"- Command: `{command}`",
        f"- Date: {metrics['date']}",
        f"- Machine: {m['cpu']}, {m['cores']} cores; JAX backend {m['jax_backend']} "
        f"({m['jax_device']}); float32 matmuls: {m['float32_matmuls']}",
        "- Versions: "
        + ", ".join(f"{name} {version}" for name, version in v.items())
        + f", Python {m['python']}",
        f"- Load: 1-minute load average {metrics['load_average'][0]:.1f} at the start, "
        f"{metrics['load_average'][1]:.1f} at the end, on {m['cores']} cores; "
        + _torch_threads_note(metrics["torch_threads"]),
        f"- Data: synthetic, n = {metrics['config']['n']}, float32, {N_CLASSES} classes; "
        f"median of {metrics['config']['repeats']} samples per implementation, in rounds after "
        "an untimed warm-up round, each round starting one implementation further on",
        f"- float32 matmul peak (2048² `jnp.dot`, median of {len(metrics['peak_samples_gflops'])} "
        f"samples taken through the run): {metrics['peak_gflops']:.1f} GFLOP/s (samples "
        f"{min(metrics['peak_samples_gflops']):.1f} to {max(metrics['peak_samples_gflops']):.1f})",
        "",
        "| workload | implementation | epoch (s) | samples/s | GFLOP/s | % of peak "
        "| jaxmlp speed-up | warm-up (s) | per call (s) | final loss |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    flagged = []
    for name, result in metrics["workloads"].items():
        workload = Workload(**{**result["workload"], "sizes": tuple(result["workload"]["sizes"])})
        label = f"{name} ({workload.describe()})"
        for implementation, row in result["rows"].items():
            if "skipped" in row:
                lines.append(f"| {label} | {implementation} | {row['skipped']} | | | | | | | |")
                continue
            speedup = (
                "1 (reference)"
                if implementation == JAXMLP_AUTODIFF
                else f"{row['jaxmlp_speedup']:.2f}×"
            )
            loss = "n/a" if row["final_loss"] is None else f"{row['final_loss']:.4g}"
            if not row["same_problem"]:
                loss += f" ⚠ {row['loss_difference']:+.0%}"
                flagged.append((name, implementation, row))
            shown = f"{implementation} ({row['note']})" if row["note"] else implementation
            lines.append(
                f"| {label} | {shown} | {row['epoch_s']:.3f} "
                f"| {_number(row['samples_per_s'])} | {_number(row['gflops'])} "
                f"| {row['fraction_of_peak']:.0%} | {speedup} | {row['warm_up_s']:.2f} "
                f"| {row['per_call_s']:.3f} | {loss} |"
            )
    lines += [
        "",
        "jaxmlp speed-up: the median over rounds of (this epoch's time ÷ jaxmlp autodiff's epoch "
        "time in the same round). GFLOP/s counts the matmuls of the forward pass, the weight "
        "gradients and the input gradients of every layer but the first. The matmuls-alone "
        "row is no model: it is what an implementation would take here if everything in its "
        "step but these products (activations, biases, loss, optimizer, bookkeeping) cost "
        "nothing; its speed-up is jaxmlp's epoch over its own (below 1: jaxmlp is slower).",
    ]
    tolerance = metrics["config"]["loss_tolerance"]
    lines += [
        f"- ⚠ {name}: {implementation}'s final loss {row['final_loss']:.4g} is "
        f"{row['loss_difference']:+.0%} from jaxmlp's (more than ±{tolerance:.0%}): it is not "
        "training the same problem, and its time is no comparison."
        for name, implementation, row in flagged
    ]
    lines += ["", "| target | measured | met |", "|---|---:|---|"]
    for target in metrics["targets"]:
        value, at_least = target["value"], target["at_least"]
        shown = f"{value:.0%}" if "peak" in target["target"] else f"{value:.2f}"
        lines.append(f"| {target['target']} | {shown} | {'yes' if value >= at_least else 'no'} |")
    lines += _ceilings(metrics)
    return "\n".join(lines) + "\n"


def _ceilings(metrics: dict) -> list[str]:
    """Per target, how far an implementation of the same FLOPs could go on this machine.

    Two measures. A peer at a fraction ``f`` of the matmul peak can be beaten at most ``1 / f``
    times by an implementation running at the peak. Closer to the machine, where the
    matmuls-alone row ran: an implementation whose step cost nothing but its products would
    beat a peer (its epoch ÷ the row's) times and reach the row's share of the peak. A target
    beyond that is out of reach unless XLA's products themselves get faster.
    """
    notes = []
    for workload, implementation, what, at_least in TARGETS:
        rows = metrics["workloads"].get(workload, {}).get("rows", {})
        found, ours = target_row(rows, implementation), rows.get(JAXMLP_AUTODIFF, {})
        alone = rows.get(MATMULS_ALONE, {})
        if "epoch_s" not in ours or what.startswith("backprop") or found is None:
            continue
        name, row = found
        if what == "fraction of the matmul peak":
            if "epoch_s" in alone:
                # By the rounds' ratio, as every comparison here: jaxmlp's share of the peak
                # over (the matmuls' epoch ÷ jaxmlp's), not a ratio of two noisy medians.
                share, ratio = ours["fraction_of_peak"], alone["jaxmlp_speedup"]
                if ratio >= 1:
                    notes.append(
                        f"- {workload}: the matmuls alone were no faster than jaxmlp in this run "
                        f"({1 / ratio:.2f}× its speed): no bound on the {at_least:.0%} target "
                        f"from them; jaxmlp runs at {_percent(share)} of the peak."
                    )
                    continue
                reach = share / ratio
                verdict = "out of reach" if reach < at_least else "within reach"
                notes.append(
                    f"- {workload}: the matmuls alone run at {_percent(reach)} of the matmul "
                    f"peak: the {at_least:.0%} target is {verdict}; jaxmlp runs at "
                    f"{_percent(share)}, its epoch {1 / ratio:.2f}× the matmuls' alone."
                )
            continue
        ceiling = 1 / row["fraction_of_peak"]
        line = (
            f"- {workload}: {name} runs at {_percent(row['fraction_of_peak'])} of the matmul "
            f"peak, so at the peak an implementation is at most {ceiling:.3g}× faster"
        )
        if "epoch_s" in alone and alone["jaxmlp_speedup"] < 1:  # else they bound nothing
            ceiling = statistics.median(  # per round, as every ratio here
                t / b for t, b in zip(row["epoch_times_s"], alone["epoch_times_s"])
            )
            line += f"; the matmuls alone are {ceiling:.3g}× faster than it"
        verdict = "out of reach in this run" if ceiling < at_least else "within reach"
        notes.append(
            f"{line}: the {at_least:g}× target is {verdict}; jaxmlp is "
            f"{row['jaxmlp_speedup']:.2f}× faster, at {_percent(ours['fraction_of_peak'])} of "
            "the peak."
        )
    return ["", *notes] if notes else []


def _percent(fraction: float) -> str:
    return f"{fraction:.0%}" if fraction >= 0.01 else f"{fraction:.1%}"


MATMUL_PRECISION = {  # Config.matmul_precision: (JAX's, PyTorch's) setting on a GPU
    "float32": ("highest", "highest"),
    "tf32": ("tensorfloat32", "high"),
}


def set_matmul_precision(precision: str) -> str:
    """Sets every implementation's float32 matmul precision on a GPU; says which it is."""
    if jax.default_backend() == "cpu":
        return "full float32 (CPU)"
    jax_precision, torch_precision = MATMUL_PRECISION[precision]
    jax.config.update("jax_default_matmul_precision", jax_precision)  # Keras on JAX too
    try:
        import torch

        torch.set_float32_matmul_precision(torch_precision)
    except ImportError:
        pass
    return {"float32": "full float32", "tf32": "TF32"}[precision] + " on every side"


def main(config: Config, command: str = "python -m experiments.bench.peers") -> dict:
    """Runs the workloads, writes the markdown section and ``metrics.json``; returns the metrics."""
    load_before = os.getloadavg()[0]
    precision = set_matmul_precision(config.matmul_precision)
    peak = MatmulPeak(config.peak_repeats)
    timed = {name: run_workload(WORKLOADS[name], config, peak) for name in config.workloads}
    results = {name: summarize(result, config, peak.gflops) for name, result in timed.items()}
    metrics = {
        "config": dataclasses.asdict(config),
        "timing_rule": TIMING_RULE.format(k=""),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {**machine(), "float32_matmuls": precision},
        "load_average": [load_before, os.getloadavg()[0]],
        "torch_threads": torch_threads(),
        "versions": versions(),
        "peak_gflops": peak.gflops,
        "peak_samples_gflops": peak.samples,
        "workloads": results,
        "targets": check_targets(results),
    }
    publish(config.section, markdown(metrics, command), metrics, config.out, config.results)
    return metrics


def parse_args(argv=None) -> Config:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="tiny n and one round (smoke test)")
    parser.add_argument(
        "--workloads", nargs="+", choices=tuple(WORKLOADS), help="default: all of them"
    )
    others = tuple(key for key in IMPLEMENTATIONS if key != "jaxmlp")
    parser.add_argument("--skip", nargs="+", choices=others, help="implementations left out")
    parser.add_argument("--repeats", type=int, help="timed rounds per implementation")
    parser.add_argument("--n", type=int, help="training examples")
    parser.add_argument(
        "--torch-threads", type=int, help="torch.set_num_threads (default: torch's)"
    )
    parser.add_argument(
        "--keras-steps",
        type=int,
        nargs="+",
        help=f"steps_per_execution tried by keras-tuned (default {Config.keras_steps})",
    )
    parser.add_argument(
        "--matmul-precision",
        choices=tuple(MATMUL_PRECISION),
        help=f"float32 matmuls on a GPU, every side alike (default {Config.matmul_precision})",
    )
    parser.add_argument("--out", help=f"markdown file to update (default {Config.out})")
    parser.add_argument("--section", help=f"its markers' name (default {Config.section})")
    parser.add_argument("--results", help=f"folder for metrics.json (default {Config.results})")
    args = parser.parse_args(argv)
    fields = QUICK.copy() if args.quick else {}
    for field in ("repeats", "n", "out", "section", "results", "torch_threads", "matmul_precision"):
        if getattr(args, field) is not None:
            fields[field] = getattr(args, field)
    for field in ("workloads", "skip", "keras_steps"):
        if getattr(args, field):
            fields[field] = tuple(getattr(args, field))
    config = Config(**fields)
    positive = (config.repeats, config.n, config.torch_threads or 1, *config.keras_steps)
    if min(positive) < 1:
        parser.error("--repeats, --n, --torch-threads and --keras-steps must be positive")
    return config


if __name__ == "__main__":
    main(parse_args(), command=" ".join(["python -m experiments.bench.peers", *sys.argv[1:]]))

"""Hand-written backprop vs autodiff vs finite differences: error per layer and dtype, step time.

The lecture derives the gradients of the 2-layer sigmoid MLP with ``J = ½ Σ_k (t_k - y_hat_k)²``
by the chain rule; ``jaxmlp.backprop`` generalises them to any depth, activation and loss through
the recursion ``δ^l = (W^(l+1) δ^(l+1)) ⊙ σ'(p^l)``, ``∂J/∂W^l = q^(l-1) δ^lᵀ``, ``∂J/∂b^l = δ^l``.
If the derivation is right, the hand-written gradient equals ``jax.grad`` of the objective up to
floating-point rounding, and both equal central finite differences up to the differences' own
truncation and rounding error.

For each architecture (the lecture's ``(4, 5, 3)`` sigmoid/MSE, and deeper ones with tanh, relu
and gelu hidden layers, softmax and sigmoid outputs, MSE, cross-entropy and binary cross-entropy)
and each dtype, three gradients of the objective on ``seeds`` random problems (weights, batch and
targets) are compared on every entry of every parameter array; each seed must pass, and the
figures show the worst seed:

- backprop: ``jaxmlp.backprop``, the hand-written recursion;
- autodiff: ``jax.grad(jaxmlp.objective)``;
- finite differences: central differences ``(J(θ + h e_i) - J(θ - h e_i)) / 2h`` for every
  parameter ``i``, with ``jaxmlp.gradcheck``'s steps (``h = 1e-3`` in float32, ``1e-6`` in
  float64), vmapped over the ``2 P`` shifted parameter vectors.

Each is one jitted program, the same program that is then timed: ``jaxmlp.gradcheck``'s
``gradient_check`` makes the same comparisons eagerly, op by op, and samples the entries it
differentiates numerically, which costs a compilation per operation and shape (minutes here,
on a shared 2-core machine). Per layer (``W^l`` and ``b^l`` together) the experiment reports
the maximum absolute error and the relative error: that maximum divided by the layer's largest
gradient entry. The initial weights and biases are scikit-learn's uniform scheme, so that the
biases are not zero.

Step time: the median wall time of one call of each jitted gradient, compilation excluded; the
three paths take turns call by call, so that a busy machine slows all three alike.

Finite differences are a good check only in float64: in float32 their rounding error, about
``ε |J| / h ≈ 1e-4 |J|``, is of the order of ``1e-3`` of the largest gradient entry here, and
more where a relu unit's pre-activation lies within ``h`` of its kink. The claim on them is
judged in float64; the float32 numbers are shown.

float64 runs inside ``jax.enable_x64(True)``; the module does not switch 64-bit mode globally.

Run ``python -m experiments.backprop_check`` (``--quick`` for the small size).
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

import jaxmlp

from .common import Claim, ClaimSpec, figure_grid, run, save_figure, share_verdict, write_metrics

NAME = "backprop_check"
DTYPES = ("float32", "float64")
PATHS = ("backprop", "autodiff", "finite differences")
# Rounding error: a relative error of at most this many machine epsilons of the dtype.
ROUNDING_EPS = 100
# float64 central differences with h = 1e-6: truncation ~ h² and rounding ~ ε |J| / h ~ 1e-10,
# so a correct gradient is within this relative error; a wrong formula is off by O(1).
FD_TOLERANCE = 1e-6
CLAIMS = {
    "autodiff": ClaimSpec(
        claim="Backpropagation: ∂J/∂W_l'k = -(t_k - ŷ_k) ŷ_k (1 - ŷ_k) q_l', ∂J/∂W_lj = "
        "Σ_k [-(t_k - ŷ_k) ŷ_k (1 - ŷ_k) W_jk] q_j (1 - q_j) x_l, ... (generalised to p hidden "
        "layers, other activations and losses) is the gradient of J",
        measure="the largest relative difference, per layer, between the hand-written gradient "
        "and jax.grad of the objective, per architecture, dtype and seed",
        rule=f"equal up to rounding: at most {ROUNDING_EPS} machine epsilons of the dtype. "
        "Supported: every architecture, dtype and seed; partly supported: some; not supported: "
        "none.",
    ),
    "finite_differences": ClaimSpec(
        claim="The same formulas, against an independent check: central finite differences",
        measure="the largest relative difference, per layer, between the hand-written gradient "
        "and central differences of J, in float64, per architecture and seed (float32 shown)",
        rule=f"at most {FD_TOLERANCE:.0e} (the differences' own truncation and rounding error "
        "is about 1e-9 here). Supported: every architecture and seed; partly supported: some; "
        "not supported: none.",
    ),
}


@dataclasses.dataclass(frozen=True)
class Architecture:
    """An MLP and the loss its gradient is checked on."""

    name: str
    sizes: tuple[int, ...]  # (d, h_1, ..., h_p, c)
    hidden: str  # hidden activation
    output: str  # output activation
    loss: str  # jaxmlp's loss name

    @property
    def mlp(self) -> jaxmlp.MLP:
        return jaxmlp.MLP(self.sizes, hidden=self.hidden, output=self.output)

    @property
    def label(self) -> str:
        sizes = "-".join(map(str, self.sizes))
        loss = {"mse": "MSE", "cross_entropy": "CE", "binary_cross_entropy": "BCE"}[self.loss]
        return f"{sizes} {self.hidden}/{self.output}/{loss}"


ARCHITECTURES = (
    Architecture("lecture", (4, 5, 3), "sigmoid", "sigmoid", "mse"),
    Architecture("deep tanh", (8, 16, 16, 16, 4), "tanh", "softmax", "mse"),
    Architecture("relu", (8, 32, 32, 5), "relu", "softmax", "cross_entropy"),
    Architecture("gelu", (6, 16, 16, 3), "gelu", "sigmoid", "binary_cross_entropy"),
)
BY_NAME = {arch.name: arch for arch in ARCHITECTURES}


@dataclasses.dataclass(frozen=True)
class Config:
    seed: int = 0  # PRNG seed of the inputs, targets, weights and the entries checked
    results: Path | None = None  # results root; None is ./results
    architectures: tuple[str, ...] = tuple(BY_NAME)  # names of the ARCHITECTURES checked
    seeds: int = 5  # random problems (weights, batch, targets) per architecture and dtype
    n: int = 256  # examples in the batch the gradients are compared and timed on
    time_repeats: int = 100  # timed calls of backprop and of autodiff; the median is reported
    fd_repeats: int = 10  # timed calls of the (much slower) finite-difference gradient


QUICK = Config(n=32, seeds=3, time_repeats=20, fd_repeats=2)


def problem(arch: Architecture, key, n: int, dtype):
    """Params, inputs ``X: (n, d)`` and one-hot targets ``T: (n, c)`` of ``dtype``."""
    key_params, key_X, key_y = jax.random.split(key, 3)
    mlp = arch.mlp
    params = jaxmlp.init_params(key_params, mlp, init="sklearn", dtype=dtype)
    X = jax.random.normal(key_X, (n, mlp.n_inputs), dtype)
    y = jax.random.randint(key_y, (n,), 0, mlp.n_outputs)
    return params, X, jaxmlp.one_hot(y, mlp.n_outputs, dtype)


def gradient_functions(arch: Architecture, h: float) -> dict:
    """The three jitted gradient paths, each ``(params, X, T) -> grads``."""
    mlp, loss = arch.mlp, arch.loss

    def objective(params, X, T):
        return jaxmlp.objective(mlp, params, X, T, loss)

    def finite_differences(params, X, T):
        flat, unravel = ravel_pytree(params)  # (P,)
        steps = h * jnp.eye(flat.shape[0], dtype=flat.dtype)  # (P, P): one direction per row

        def value(v):
            return objective(unravel(v), X, T)

        forward = jax.vmap(value)(flat[None, :] + steps)  # (P,)
        backward = jax.vmap(value)(flat[None, :] - steps)
        return unravel((forward - backward) / (2 * h))

    return {
        "backprop": jax.jit(lambda params, X, T: jaxmlp.backprop(mlp, params, X, T, loss)),
        "autodiff": jax.jit(jax.grad(objective)),
        "finite differences": jax.jit(finite_differences),
    }


def layer_errors(grads: dict, n_layers: int) -> dict:
    """Per layer: max absolute and relative error of backprop vs autodiff and vs finite
    differences, and the largest autodiff gradient entry (the relative errors' scale)."""
    grads = jax.tree.map(np.asarray, grads)  # NumPy: no compilation per shape
    out = {key: [] for key in ("abs_autodiff", "rel_autodiff", "abs_numeric", "rel_numeric")}
    out["max_gradient"] = []
    for l in range(n_layers):
        by_hand, autodiff = grads["backprop"][l], grads["autodiff"][l]
        scale = max(float(np.max(np.abs(autodiff[name]))) for name in ("W", "b"))
        scale = max(scale, float(np.finfo(autodiff["W"].dtype).tiny))
        for other, path in (("autodiff", "autodiff"), ("numeric", "finite differences")):
            error = max(
                float(np.max(np.abs(by_hand[name] - grads[path][l][name]))) for name in ("W", "b")
            )
            out[f"abs_{other}"].append(error)
            out[f"rel_{other}"].append(error / scale)
        out["max_gradient"].append(scale)
    return out


def step_times(functions: dict, params, X, T, repeats: int, fd_repeats: int) -> dict:
    """Seconds per call of each compiled gradient, the paths taking turns.

    Returns:
      ``{"median": {path: s}, "min": {path: s}}``; the minimum is the least disturbed by
      other processes on a shared machine.
    """
    samples = {path: [] for path in functions}
    for round_ in range(repeats):
        for path, grad in functions.items():
            if path == "finite differences" and round_ >= fd_repeats:
                continue
            start = time.perf_counter()
            jax.block_until_ready(grad(params, X, T))
            samples[path].append(time.perf_counter() - start)
    return {
        "median": {path: statistics.median(times) for path, times in samples.items()},
        "min": {path: min(times) for path, times in samples.items()},
    }


def main(config: Config) -> dict:
    checked = [BY_NAME[name] for name in config.architectures]
    results = {arch.name: {} for arch in checked}
    keys = jax.random.split(jax.random.key(config.seed), len(checked))
    for arch, key in zip(checked, keys):
        for dtype in DTYPES:
            with jax.enable_x64(dtype == "float64"):
                h = 1e-6 if dtype == "float64" else 1e-3  # as jaxmlp.gradcheck
                functions = gradient_functions(arch, h)  # compiled once, for every seed
                per_seed = []
                for s in range(config.seeds):
                    params, X, T = problem(
                        arch, jax.random.fold_in(key, s), config.n, jnp.dtype(dtype)
                    )
                    grads = {path: grad(params, X, T) for path, grad in functions.items()}
                    per_seed.append(layer_errors(grads, arch.mlp.n_layers))
                # Per layer, the worst seed; per seed, the worst layer.
                errors = {k: np.max([e[k] for e in per_seed], axis=0).tolist() for k in per_seed[0]}
                errors["worst_per_seed"] = {
                    k: [max(e[k]) for e in per_seed] for k in ("rel_autodiff", "rel_numeric")
                }
                times = step_times(functions, params, X, T, config.time_repeats, config.fd_repeats)
                errors["step_time_s"], errors["step_time_min_s"] = times["median"], times["min"]
            errors["finite_difference_step"] = h
            results[arch.name][dtype] = errors
    metrics = {
        "config": dataclasses.asdict(config),
        "architectures": {
            arch.name: {**dataclasses.asdict(arch), "n_params": arch.mlp.n_params}
            for arch in checked
        },
        "machine_epsilon": {dtype: float(np.finfo(dtype).eps) for dtype in DTYPES},
        "results": results,
    }
    _plot_errors(metrics, config)
    _plot_times(metrics, config)
    write_metrics(NAME, metrics, config.results)
    print(format_table(metrics))
    return metrics


def format_table(metrics: dict) -> str:
    """One row per architecture and dtype: the worst layer's errors and the step times."""
    header = (
        f"{'architecture':<34} {'dtype':<8} {'rel |bp-ad|':>11} {'rel |bp-fd|':>11} "
        + " ".join(f"{path[:14] + ' ms':>17}" for path in PATHS)
    )
    lines = [header]
    for arch in _checked(metrics):
        for dtype in DTYPES:
            r = metrics["results"][arch.name][dtype]
            times = " ".join(f"{1e3 * r['step_time_s'][path]:>17.3f}" for path in PATHS)
            lines.append(
                f"{arch.label:<34} {dtype:<8} {max(r['rel_autodiff']):>11.2e} "
                f"{max(r['rel_numeric']):>11.2e} {times}"
            )
    return "\n".join(lines)


def _checked(metrics: dict) -> list[Architecture]:
    return [BY_NAME[name] for name in metrics["results"]]


def _plot_errors(metrics: dict, config: Config) -> None:
    """Rows: absolute and relative error; columns: dtypes; one line per architecture and path."""
    import matplotlib.pyplot as plt

    figure, axes = figure_grid(2, len(DTYPES), size=4.2)
    checked = _checked(metrics)
    colors = plt.get_cmap("tab10")(np.arange(len(checked)))
    for col, dtype in enumerate(DTYPES):
        eps = metrics["machine_epsilon"][dtype]
        floor = eps * 1e-3  # an exact zero is drawn here
        for row, kind in enumerate(("abs", "rel")):
            ax = axes[row, col]
            for arch, color in zip(checked, colors):
                r = metrics["results"][arch.name][dtype]
                layers = np.arange(1, len(r[f"{kind}_autodiff"]) + 1)
                for path, style in (("autodiff", "-o"), ("numeric", "--s")):
                    values = np.maximum(np.asarray(r[f"{kind}_{path}"]), floor)
                    ax.plot(layers, values, style, color=color, markersize=4, label=None)
            if kind == "rel":
                ax.axhline(eps, color="black", linestyle=":", linewidth=1)
                ax.text(0.99, eps, "machine ε", va="bottom", ha="right", fontsize=7,
                        transform=ax.get_yaxis_transform(),
                        bbox=dict(facecolor="white", edgecolor="none", pad=1))  # fmt: skip
            ax.axhline(floor, color="gray", linestyle="-", linewidth=0.5)
            ax.set_yscale("log")
            ax.set_xticks(range(1, max(len(a.sizes) for a in checked)))
            ax.set_xlabel("layer $l$ ($W^l$ and $b^l$)")
            what = "max |error|" if kind == "abs" else "max |error| / max |gradient|"
            ax.set_ylabel(what)
            ax.set_title(f"{dtype}: {'absolute' if kind == 'abs' else 'relative'} error per layer")
            ax.text(0.99, floor, "exactly 0", va="bottom", ha="right", fontsize=7, color="gray",
                    transform=ax.get_yaxis_transform())  # fmt: skip
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=color, label=arch.label) for arch, color in zip(checked, colors)
    ] + [
        Line2D([], [], color="black", marker="o", label="backprop vs autodiff"),
        Line2D(
            [],
            [],
            color="black",
            linestyle="--",
            marker="s",
            label="backprop vs finite differences",
        ),
    ]
    figure.suptitle(
        "Hand-written backprop against jax.grad and central finite differences: the worst of "
        f"{config.seeds} seeds per layer",
        y=1.0,
    )
    figure.tight_layout()
    figure.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2, fontsize=8
    )
    save_figure(figure, NAME, "errors_per_layer.png", config.results)


def _plot_times(metrics: dict, config: Config) -> None:
    """Grouped bars: per architecture, the median step time of each gradient path."""
    import matplotlib.pyplot as plt

    figure, axes = figure_grid(1, len(DTYPES), size=4.6)
    colors = plt.get_cmap("tab10")(np.arange(len(PATHS)))
    width = 0.8 / len(PATHS)
    checked = _checked(metrics)
    x = np.arange(len(checked))
    for col, dtype in enumerate(DTYPES):
        ax = axes[0, col]
        for i, (path, color) in enumerate(zip(PATHS, colors)):
            ms = [1e3 * metrics["results"][a.name][dtype]["step_time_s"][path] for a in checked]
            ax.bar(x + (i - 1) * width, ms, width, color=color, label=path)
        ax.set_yscale("log")
        ax.set_xticks(x)
        ax.set_xticklabels([f"{a.name}\n({a.mlp.n_params} params)" for a in checked], fontsize=8)
        ax.set_ylabel("median time of one gradient (ms, log scale)")
        ax.set_title(f"{dtype}, batch of {config.n}, jitted")
    figure.tight_layout(rect=(0, 0.07, 1, 1))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    save_figure(figure, NAME, "step_time.png", config.results)


def claims(metrics: dict) -> list[Claim]:
    results = metrics["results"]
    names = list(results)

    def worst(dtype, kind):
        return max(max(results[name][dtype][kind]) for name in names)

    def per_seed(name, dtype, kind):
        found = results[name][dtype].get("worst_per_seed", {}).get(kind)
        return found if found is not None else [max(results[name][dtype][kind])]

    checks = [
        value <= ROUNDING_EPS * metrics["machine_epsilon"][dtype]
        for name in names
        for dtype in DTYPES
        for value in per_seed(name, dtype, "rel_autodiff")
    ]
    seeds = len(per_seed(names[0], DTYPES[0], "rel_autodiff"))
    autodiff_claim = Claim(
        CLAIMS["autodiff"],
        f"worst layer, {len(names)} architectures × {seeds} seeds: "
        + ", ".join(
            f"{dtype} {worst(dtype, 'rel_autodiff'):.1e} "
            f"(ε = {metrics['machine_epsilon'][dtype]:.1e})"
            for dtype in DTYPES
        )
        + f"; {sum(checks)} of {len(checks)} within {ROUNDING_EPS} ε",
        share_verdict(sum(checks), len(checks)),
    )
    numeric = [
        value <= FD_TOLERANCE
        for name in names
        for value in per_seed(name, "float64", "rel_numeric")
    ]
    numeric_claim = Claim(
        CLAIMS["finite_differences"],
        f"worst layer: float64 {worst('float64', 'rel_numeric'):.1e} ({sum(numeric)} of "
        f"{len(numeric)} within {FD_TOLERANCE:.0e}); float32, where the differences' own "
        f"rounding error is ε·J/h ≈ 1e-4·J, {worst('float32', 'rel_numeric'):.1e}",
        share_verdict(sum(numeric), len(numeric)),
    )
    return [autodiff_claim, numeric_claim]


if __name__ == "__main__":
    run(__name__, Config, QUICK, main)

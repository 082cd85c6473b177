"""Softmax regression vs a 2-layer MLP on XOR, circles, moons and spirals: boundaries and accuracy.

The lecture: "If the data is not separable by linear decision boundaries, Softmax Regression
will not find a high accuracy classifier", and a multi-layered perceptron, which learns a
transformation of the data followed by the classifier, can. Two models are trained on each of
four 2-D problems (a noisy XOR cloud, two concentric circles, two moons and two spiral arms):

- softmax regression, ``MLP((2, c), output="softmax")``: ``y_hat = softmax(Wᵀx + b)``;
- the 2-layer MLP ``(2, h, c)``: tanh hidden units, softmax output.

Both minimise the cross-entropy with Adam, full batch, from the same data (softmax regression
from zero weights, the MLP from Glorot-uniform ones); each problem has an
independent test sample of the training set's size, and both splits are standardised with the
training split's mean and variance. Each seed draws new data and new initial weights; the
accuracies are means over seeds with their 95% intervals, and the two models compare seed by
seed. The figure shows the predicted class over the plane (seed 0).

Two moons is the control: its classes overlap only at the tips, so a straight line already
classifies most points (about 0.87 here); the claim about softmax regression is judged on the
other three, the one about the MLP on all four.

Run ``python -m experiments.linear_limits`` (``--quick`` for the small size).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import numpy as np

import jaxmlp
from jaxmlp.data import load

from .common import (
    Claim,
    ClaimSpec,
    accuracy_interval,
    figure_grid,
    paired,
    run,
    save_figure,
    share_verdict,
    write_metrics,
)

NAME = "linear_limits"
MODELS = ("softmax regression", "2-layer MLP")
# The problems (jaxmlp.data specs without n), in the figure's row order.
DATASETS = {
    "XOR": "xor:noise=0.35",
    "circles": "circles:noise=0.08,factor=0.5",
    "moons": "moons:noise=0.15",
    "spirals": "spirals:k=2,noise=0.05,turns=1",
}
NOT_LINEARLY_SEPARABLE = ("XOR", "circles", "spirals")
HIGH_ACCURACY = 0.9  # a "high accuracy classifier": test accuracy at least this
CLAIMS = {
    "linear_fails": ClaimSpec(
        claim="If the data is not separable by linear decision boundaries, Softmax Regression "
        "will not find a high accuracy classifier",
        measure="test accuracy of softmax regression on XOR, circles and spirals, over seeds",
        rule=f"per problem, the 95% interval's upper end below {HIGH_ACCURACY} (high accuracy). "
        "Supported: on all three; partly supported: on some; not supported: on none.",
    ),
    "mlp_succeeds": ClaimSpec(
        claim="A single network learns a data transformation (linear / non-linear) followed "
        "by a c-class classifier",
        measure="test accuracy of the 2-layer MLP on all four problems, and its difference "
        "from softmax regression seed by seed",
        rule=f"per problem, the MLP's 95% interval at or above {HIGH_ACCURACY} and its paired "
        "difference from softmax regression above 0 beyond its interval. Supported: on all "
        "four; partly supported: on some; not supported: on none.",
    ),
}


@dataclasses.dataclass(frozen=True)
class Config:
    seed: int = 0  # PRNG seed of the data, the initial weights and the training
    results: Path | None = None  # results root; None is ./results
    n: int = 1000  # training points per problem (the test sample has as many)
    seeds: int = 5  # independent draws of data and initial weights
    hidden: int = 32  # hidden units h of the MLP (2, h, c)
    linear_epochs: int = 1000  # full-batch Adam steps for softmax regression
    linear_learning_rate: float = 0.05  # Adam step size for softmax regression
    mlp_epochs: int = 3000  # full-batch Adam steps for the MLP
    mlp_learning_rate: float = 0.01  # Adam step size for the MLP
    mesh: int = 200  # the decision-boundary plot evaluates a mesh × mesh grid


QUICK = Config(n=300, seeds=3, linear_epochs=500, mlp_epochs=1500, mesh=120)


def models(config: Config, c: int) -> dict[str, tuple[jaxmlp.MLP, int, float]]:
    """Each model's architecture, epochs and learning rate for ``c`` classes."""
    return {
        "softmax regression": (
            jaxmlp.MLP((2, c), output="softmax"),
            config.linear_epochs,
            config.linear_learning_rate,
        ),
        "2-layer MLP": (
            jaxmlp.MLP((2, config.hidden, c), hidden="tanh", output="softmax"),
            config.mlp_epochs,
            config.mlp_learning_rate,
        ),
    }


def train(mlp: jaxmlp.MLP, key, X, y, epochs: int, learning_rate: float):
    """Params of ``mlp`` after full-batch Adam on the cross-entropy.

    Softmax regression (no hidden layer) starts from zero weights, its objective being convex;
    an MLP from ``init_params``' Glorot-uniform weights.
    """
    key_init, key_fit = jax.random.split(key)
    if mlp.n_hidden == 0:
        params = [{"W": np.zeros(mlp.sizes, np.float32), "b": np.zeros(mlp.sizes[1], np.float32)}]
    else:
        params = jaxmlp.init_params(key_init, mlp)
    params, _ = jaxmlp.fit(
        mlp,
        params,
        X,
        y,
        key=key_fit,
        loss="cross_entropy",
        optimizer="adam",
        learning_rate=learning_rate,
        epochs=epochs,
    )
    return params


def main(config: Config) -> dict:
    accuracy = {name: {model: [] for model in MODELS} for name in DATASETS}
    train_accuracy = {name: {model: [] for model in MODELS} for name in DATASETS}
    chance = {}
    shown = {}  # seed 0's data and params, for the figure
    for seed in range(config.seeds):
        key_data, key_models = jax.random.split(
            jax.random.fold_in(jax.random.key(config.seed), seed)
        )
        for name, spec in DATASETS.items():
            data = load(spec, key_data, n=config.n, scale="standardize")
            c = data.n_classes
            # Chance: always predicting the most frequent training class.
            majority = np.bincount(data.y_train, minlength=c).argmax()
            chance.setdefault(name, []).append(float(np.mean(data.y_test == majority)))
            for model, (mlp, epochs, lr) in models(config, c).items():
                params = train(mlp, key_models, data.X_train, data.y_train, epochs, lr)
                test = jaxmlp.evaluate(mlp, params, data.X_test, data.y_test, "cross_entropy")
                fit = jaxmlp.evaluate(mlp, params, data.X_train, data.y_train, "cross_entropy")
                accuracy[name][model].append(test["accuracy"])
                train_accuracy[name][model].append(fit["accuracy"])
                if seed == 0:
                    shown[name, model] = (mlp, params, data)

    metrics = {
        "config": config,
        "chance": {name: float(np.mean(values)) for name, values in chance.items()},
        "test_accuracy": _means(accuracy),
        "train_accuracy": _means(train_accuracy),
        "test_accuracy_min": {
            name: {model: float(np.min(v)) for model, v in row.items()}
            for name, row in accuracy.items()
        },
        "test_accuracy_per_seed": accuracy,
    }
    _plot_boundaries(shown, metrics, config)
    write_metrics(NAME, metrics, config.results)
    print(format_table(metrics))
    return metrics


def _means(table: dict) -> dict:
    return {
        name: {model: float(np.mean(v)) for model, v in row.items()} for name, row in table.items()
    }


def format_table(metrics: dict) -> str:
    """The test accuracies, mean [95% interval] over seeds, as a markdown table."""
    per_seed = metrics["test_accuracy_per_seed"]
    lines = [f"| problem | chance | {MODELS[0]} | {MODELS[1]} |", "|---|---|---|---|"]
    for name, row in per_seed.items():
        cells = " | ".join(accuracy_interval(row[model]).format(3) for model in MODELS)
        lines.append(f"| {name} | {metrics['chance'][name]:.3f} | {cells} |")
    return "\n".join(lines) + "\n"


table = format_table


def _plot_boundaries(shown: dict, metrics: dict, config: Config) -> None:
    """Rows: problems; columns: models; the predicted class over the plane, and the points."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    figure, axes = figure_grid(len(DATASETS), len(MODELS), size=3.4)
    for row, name in enumerate(DATASETS):
        data = shown[name, MODELS[0]][2]
        points = np.concatenate([data.X_train, data.X_test])
        low, high = points.min(axis=0) - 0.4, points.max(axis=0) + 0.4
        g0, g1 = np.meshgrid(*(np.linspace(low[i], high[i], config.mesh) for i in range(2)))
        grid = np.stack([g0.ravel(), g1.ravel()], axis=1).astype(np.float32)  # (mesh², 2)
        c = data.n_classes
        colors = plt.get_cmap("coolwarm" if c == 2 else "viridis")(np.linspace(0, 1, c))
        for col, model in enumerate(MODELS):
            mlp, params, _ = shown[name, model]
            ax = axes[row, col]
            region = np.asarray(jaxmlp.predict(mlp, params, grid)).reshape(g0.shape)
            ax.contourf(g0, g1, region, levels=np.arange(c + 1) - 0.5, colors=colors, alpha=0.3)
            for k in range(c):
                train = data.X_train[data.y_train == k]
                test = data.X_test[data.y_test == k]
                ax.scatter(*train.T, s=6, color=colors[k], edgecolor="none")
                ax.scatter(*test.T, s=10, color=colors[k], marker="x", linewidths=0.6)
            accuracy = metrics["test_accuracy_per_seed"][name][model][0]
            ax.set_title(f"{name}: {model}\ntest accuracy {accuracy:.3f}", fontsize=10)
            ax.set_xlabel("$x_1$ (standardised)")
            ax.set_ylabel("$x_2$ (standardised)")
            ax.set_xlim(low[0], high[0])
            ax.set_ylim(low[1], high[1])
    marker = dict(linestyle="none", color="dimgray")
    handles = [
        Line2D([], [], marker="o", markersize=3, label="training point", **marker),
        Line2D([], [], marker="x", markersize=4, label="test point", **marker),
        Patch(color=colors[0], alpha=0.5, label="class 0 (colour of points and region)"),
        Patch(color=colors[-1], alpha=0.5, label="class 1"),
    ]
    figure.suptitle("Predicted class over the plane (shaded) and the data; seed 0", y=1.0)
    figure.tight_layout()
    figure.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2)
    save_figure(figure, NAME, "decision_boundaries.png", config.results)


def claims(metrics: dict) -> list[Claim]:
    per_seed = metrics["test_accuracy_per_seed"]
    linear, mlp = MODELS
    found = {
        name: {model: accuracy_interval(v) for model, v in row.items()}
        for name, row in per_seed.items()
    }

    low = [name for name in NOT_LINEARLY_SEPARABLE if found[name][linear].high < HIGH_ACCURACY]
    linear_claim = Claim(
        CLAIMS["linear_fails"],
        "softmax regression test accuracy: "
        + ", ".join(
            f"{name} {found[name][linear].format(3)} (chance {metrics['chance'][name]:.2f})"
            for name in NOT_LINEARLY_SEPARABLE
        )
        + f"; moons, nearly linearly separable: {found['moons'][linear].format(3)}",
        share_verdict(len(low), len(NOT_LINEARLY_SEPARABLE)),
    )
    gains = {name: paired(per_seed[name][mlp], per_seed[name][linear]) for name in per_seed}
    high = [
        name
        for name in per_seed
        if found[name][mlp].low >= HIGH_ACCURACY and gains[name].sign() > 0
    ]
    mlp_claim = Claim(
        CLAIMS["mlp_succeeds"],
        "2-layer MLP test accuracy (minus softmax regression's): "
        + ", ".join(
            f"{name} {found[name][mlp].format(3)} ({gains[name].format(3)})" for name in per_seed
        )
        + f"; {len(per_seed[NOT_LINEARLY_SEPARABLE[0]][mlp])} seeds",
        share_verdict(len(high), len(per_seed)),
    )
    return [linear_claim, mlp_claim]


if __name__ == "__main__":
    run(__name__, Config, QUICK, main)

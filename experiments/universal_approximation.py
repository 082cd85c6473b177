"""One hidden sigmoid layer from 1 unit to many: the error on sin, |x|, a step and a 2-D function.

The lecture: an MLP with one hidden layer can approximate any function (Hornik, 1991), with
the caveat that the number of hidden units may need to go to infinity. Every width of a target
and every seed train at once, in one vmapped program (``jaxmlp.fit_many``: a member of width
``w`` is the widest network with its units ``w + 1 …`` held at zero), by full-batch Adam on the
MSE ``J = ½ (t - y_hat)²`` with a cosine-decayed learning rate, from random points of the
interval ``[-1, 1]`` (the square ``[-1, 1]²`` for the 2-D function ``sin πx₁ · sin πx₂``). The
seeds set the initial params. The error is measured on a dense grid: the mean squared error
``mean (f - y_hat)²`` (the sup norm ``max |f - y_hat|`` is shown too; for the step, whose jump
no continuous network can follow, only the mean squared error can fall). The widths run are
listed in the table below.

The library's inits start every bias at 0, which centres every sigmoid at ``x = 0``; the
inputs are given as ``s·(x, 1)``, so that each unit's weight on the constant input is a
random offset and the units' centres spread over the interval (``s`` sets their slopes).
This is the same function class: ``σ(w s x + v s + b)`` is a sigmoid unit of ``x``.

The lecture's caveat, "the number of hidden neurons may go to infinity", is about the theorem:
it bounds no width. A finite run cannot test it apart from the claim itself: whether the error
still falls at the widest net run depends as much on the training budget (and float32) as on
the function, so it is shown in the table and the figure, not judged.

Run ``python -m experiments.universal_approximation [--quick]``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import numpy as np
from matplotlib.ticker import NullFormatter

import jaxmlp
from jaxmlp.data import synthetic
from jaxmlp.training.sweep import predict_many

from .common import (
    RESULTS,
    Claim,
    ClaimSpec,
    figure_grid,
    interval,
    plot_band,
    run,
    save_figure,
    share_verdict,
    trend,
    trend_verdict,
    write_metrics,
)

NAME = "universal_approximation"
TARGETS_2D = {"sine_2d": lambda X: np.sin(np.pi * X[:, :1]) * np.sin(np.pi * X[:, 1:2])}
LABELS = {
    "sine": "sin πx",
    "abs": "|x|",
    "step": "step",
    "sawtooth": "sawtooth",
    "sine_2d": "sin πx₁ · sin πx₂",
}
CLAIMS = {
    "approximates": ClaimSpec(
        claim="Multi-layered Perceptrons with only one hidden layer have been proved to have "
        "the capability of approximating any function",
        measure="the mean squared error on a dense grid against the hidden width, per target, "
        "over seeds",
        rule="per target, the rank correlation of the error with the width, per seed; its mean "
        "and 95% interval over seeds. A target is approximated when it is below 0 beyond the "
        "interval with a mean ≤ -0.7 (the error falls as units are added). Supported: every "
        "target; partly supported: some, or only a weaker fall; not supported: none.",
    ),
}


@dataclasses.dataclass(frozen=True)
class Config:
    seed: int = 0  # training points and initial params
    widths: tuple[int, ...] = tuple(2**k for k in range(8))  # hidden widths, 1 … 128
    targets: tuple[str, ...] = ("sine", "abs", "step", "sine_2d")  # the functions
    n: int = 256  # random training points of a 1-D target, uniform on [-1, 1]
    n_2d: int = 512  # random training points of a 2-D target, uniform on [-1, 1]²
    grid: int = 4001  # evaluation points on [-1, 1] (the 2-D grid is 201 × 201)
    input_scale: float = 10.0  # s: the network sees s·(x, 1)
    epochs: int = 3000  # full-batch Adam updates
    learning_rate: float = 0.01  # Adam's initial learning rate, decayed by a cosine to 0
    seeds: int = 5  # initial params per width
    results: Path = RESULTS  # results root; output goes to <results>/universal_approximation/


QUICK = Config(widths=tuple(2**k for k in range(7)), epochs=2000, seeds=3)


def problem(name: str, config: Config, key):
    """Training points ``(X, t)`` and the evaluation grid ``(X_grid, f(X_grid))``."""
    if name in TARGETS_2D:
        f = TARGETS_2D[name]
        X = np.asarray(jax.random.uniform(key, (config.n_2d, 2), minval=-1.0, maxval=1.0))
        axis = np.linspace(-1, 1, 201, dtype=np.float32)
        X_grid = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
        return (X, f(X).astype(np.float32)), (X_grid, f(X_grid))
    X, t = synthetic.regression(key, name, n=config.n)
    X_grid = np.linspace(-1, 1, config.grid, dtype=np.float32)[:, None]
    return (X, t), (X_grid, synthetic.REGRESSION_TARGETS[name](X_grid))


def with_constant(X: np.ndarray, scale: float) -> np.ndarray:
    """``s·(x, 1)``: ``(n, d) -> (n, d + 1)``."""
    return scale * np.concatenate([X, np.ones((len(X), 1), X.dtype)], axis=1)


def slope(widths, errors) -> float:
    """The least-squares slope of ``log error`` against ``log width``."""
    return float(np.polyfit(np.log(widths), np.log(np.maximum(errors, 1e-30)), 1)[0])


def main(config: Config) -> dict:
    unknown = set(config.targets) - set(synthetic.REGRESSION_TARGETS) - set(TARGETS_2D)
    if unknown:
        raise ValueError(f"targets={config.targets!r}: {sorted(unknown)} are not known")
    if config.seeds < 2 or len(config.widths) < 3:
        raise ValueError(
            f"seeds={config.seeds} and widths={config.widths}: need 2 seeds for an interval "
            "and 3 widths for a trend"
        )
    key_data, key_fit = jax.random.split(jax.random.key(config.seed))
    widths = np.array(config.widths)
    S, W = config.seeds, len(widths)
    metrics = {"config": dataclasses.asdict(config), "targets": {}}
    fits = {}
    for name in config.targets:
        (X, t), (X_grid, f_grid) = problem(name, config, jax.random.fold_in(key_data, 0))
        d = X.shape[1]
        mlp = jaxmlp.MLP((d + 1, int(widths.max()), 1), hidden="sigmoid", output="identity")
        result = jaxmlp.fit_many(
            mlp,
            with_constant(X, config.input_scale),
            t,
            key=key_fit,
            seeds=range(S),
            widths=list(config.widths),
            grid=True,
            init="lecun_uniform",
            loss="mse",
            optimizer="adam",
            learning_rates=config.learning_rate,
            schedule="cosine",
            epochs=config.epochs,
        )
        # Members: seeds outermost, widths innermost.
        y_hat = np.asarray(predict_many(result, with_constant(X_grid, config.input_scale)))
        error = (y_hat[..., 0] - f_grid[:, 0]).reshape(S, W, -1)  # (seeds, widths, grid)
        mse = (error**2).mean(axis=-1)
        metrics["targets"][name] = {
            "d": d,
            "sup": np.abs(error).max(axis=-1),  # (seeds, widths)
            "mse": mse,
            "train_loss": result.history.train_loss[:, -1].reshape(S, W),
            "mse_slope": slope(widths, mse.mean(axis=0)),
            "fit_seconds": result.history.time,
            "compile_seconds": result.history.compile_time,
        }
        fits[name] = (X_grid, f_grid, y_hat.reshape(S, W, -1, 1)[0])  # seed 0, for the figure
        print(
            f"{name}: MSE at widths {config.widths}: "
            + ", ".join(f"{v:.1e}" for v in mse.mean(axis=0)),
            flush=True,
        )
    plot_errors(metrics, config)
    plot_fits(fits, config)
    write_metrics(NAME, metrics, config.results)
    return metrics


def plot_errors(metrics: dict, config: Config) -> None:
    figure, axes = figure_grid(1, 2, size=5.0)
    widths = np.array(config.widths)
    for i, (name, m) in enumerate(metrics["targets"].items()):
        for ax, key in zip(axes[0], ("sup", "mse")):
            plot_band(ax, widths, m[key], LABELS[name], f"C{i}", log=True)
    axes[0, 0].axhline(
        0.5,
        color="C2",
        linestyle=":",
        linewidth=1,
        label="half the step's jump: no continuous fit gets closer",
    )
    axes[0, 0].set(title="Sup-norm error", ylabel="max |f(x) − ŷ(x)| on the grid (log)")
    axes[0, 1].set(
        title="Mean squared error (judged)", ylabel="mean (f(x) − ŷ(x))² on the grid (log)"
    )
    for ax in axes[0]:
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("hidden units (log)")
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.grid(alpha=0.3, which="both")
    figure.suptitle(
        f"One hidden sigmoid layer, widths {widths.min()} … {widths.max()}, full-batch Adam for "
        f"{config.epochs} epochs: geometric mean and 95% interval over {config.seeds} seeds"
    )
    figure.tight_layout(rect=(0, 0.08, 1, 1))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    save_figure(figure, NAME, "error_vs_width.png", config.results)


def plot_fits(fits: dict, config: Config) -> None:
    widths = list(config.widths)
    shown = sorted({widths[round(i * (len(widths) - 1) / 3)] for i in range(4)})
    one_d = [name for name in fits if fits[name][0].shape[1] == 1]
    two_d = [name for name in fits if fits[name][0].shape[1] == 2]
    cols = 4
    rows = -(-len(one_d) // cols) + len(two_d)
    figure, axes = figure_grid(rows, cols, size=3.4)
    for ax in axes.flat:
        ax.set_visible(False)
    for ax, name in zip(axes.flat, one_d):
        X_grid, f_grid, y_hat = fits[name]
        ax.set_visible(True)
        ax.plot(X_grid[:, 0], f_grid[:, 0], color="black", linewidth=2.5, label="target")
        for k, w in enumerate(shown):
            ax.plot(
                X_grid[:, 0],
                y_hat[widths.index(w), :, 0],
                color=f"C{k}",
                label=f"{w} unit{'s' * (w > 1)}",
            )
        ax.set(title=LABELS[name], xlabel="x")
        ax.legend(fontsize=7)
    for row, name in enumerate(two_d, start=-(-len(one_d) // cols)):
        X_grid, f_grid, y_hat = fits[name]
        side = int(np.sqrt(len(X_grid)))
        panels = [("target " + LABELS[name], f_grid[:, 0])] + [
            (f"{w} units", y_hat[widths.index(w), :, 0]) for w in shown[-(cols - 1) :]
        ]
        for ax, (title, values) in zip(axes[row], panels):
            ax.set_visible(True)
            ax.imshow(
                values.reshape(side, side),
                extent=(-1, 1, -1, 1),
                origin="lower",
                cmap="coolwarm",
                vmin=-1.1,
                vmax=1.1,
            )
            ax.set(title=title, xlabel="x₁")
        axes[row, 0].set_ylabel("x₂")
    for row in range(-(-len(one_d) // cols)):
        axes[row, 0].set_ylabel("f(x) (black) and ŷ(x)")
    figure.subplots_adjust(wspace=0.25, hspace=0.4, right=0.9)
    for row in range(rows - len(two_d), rows):
        box = axes[row, -1].get_position()
        colorbar_axes = figure.add_axes((0.92, box.y0, 0.012, box.height))
        figure.colorbar(axes[row, 0].images[0], cax=colorbar_axes, label="f, ŷ")
    figure.suptitle("Fits of one hidden sigmoid layer at a few widths (seed 0)")
    save_figure(figure, NAME, "fits.png", config.results)


def table(metrics: dict) -> str:
    """Mean squared error per target and width: geometric mean [95% interval] over seeds."""
    widths = metrics["config"]["widths"]
    lines = [
        f"Widths run: {', '.join(map(str, widths))}; {metrics['config']['seeds']} seeds. Mean "
        "squared error on the grid, geometric mean [95% interval] over seeds (an error spans "
        "orders of magnitude between seeds).",
        "",
        "| target | " + " | ".join(f"{w} unit{'s' * (w > 1)}" for w in widths) + " |",
        "|---" * (1 + len(widths)) + "|",
    ]
    for name, m in metrics["targets"].items():
        mse = np.asarray(m["mse"])
        cells = " | ".join(_format(mse[:, i]) for i in range(len(widths)))
        label = LABELS[name].replace("|", "\\|")  # a "|" would end the markdown cell
        lines.append(f"| {label} | {cells} |")
    return "\n".join(lines) + "\n"


def _format(errors) -> str:
    """Positive errors over seeds: their geometric mean and its 95% interval."""
    found = interval(np.log(np.maximum(np.asarray(errors, np.float64), 1e-300)))
    low, high = (np.exp(v) if np.isfinite(v) else v for v in (found.low, found.high))
    return f"{np.exp(found.mean):.1e} [{low:.1e}, {high:.1e}]"


def falls(mse, widths) -> str:
    """The verdict of one target's error falling with the width (``mse: (seeds, widths)``)."""
    return trend_verdict(trend(widths, mse), -1)


def claims(metrics: dict) -> list[Claim]:
    targets = metrics["targets"]
    widths = metrics["config"]["widths"]
    verdicts = {name: falls(m["mse"], widths) for name, m in targets.items()}
    supported = sum(v == "supported" for v in verdicts.values())
    weaker = sum(v == "partly supported" for v in verdicts.values())
    approximates = share_verdict(supported, len(targets))
    if approximates == "not supported" and weaker:
        approximates = "partly supported"

    def mse_at(m, i):
        return np.asarray(m["mse"])[:, i]

    first = Claim(
        CLAIMS["approximates"],
        f"MSE (geometric mean over seeds) from {widths[0]} to {widths[-1]} units: "
        + ", ".join(
            f"{name} {_format(mse_at(m, 0))} → {_format(mse_at(m, -1))} "
            f"(rank correlation {trend(widths, m['mse']).format(2)})"
            for name, m in targets.items()
        ),
        approximates,
    )
    return [first]


if __name__ == "__main__":
    run(__name__, Config, QUICK, main)

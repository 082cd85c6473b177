"""One hidden sigmoid layer of width 1 … 1024 fits sin, |x|, a step, a sawtooth and a 2-D function.

The lecture: an MLP with one hidden layer can approximate any function (Hornik, 1991), with
the caveat that the number of hidden units may need to go to infinity. Every width of a
target trains at once, in one vmapped program (``jaxmlp.fit_many``: a member of width ``w``
is the widest network with its units ``w + 1 …`` held at zero), by full-batch Adam on the
MSE ``J = ½ (t - y_hat)²`` with a cosine-decayed learning rate, from random points of the
interval ``[-1, 1]`` (the square ``[-1, 1]²`` for the 2-D function ``sin πx₁ · sin πx₂``).
The error is measured on a dense grid: the sup norm ``max |f - y_hat|`` and the mean squared
error, with the slope of ``log error`` against ``log width`` fitted by least squares.

The library's inits start every bias at 0, which centres every sigmoid at ``x = 0``; the
inputs are given as ``s·(x, 1)``, so that each unit's weight on the constant input is a
random offset and the units' centres spread over the interval (``s`` sets their slopes).
This is the same function class: ``σ(w s x + v s + b)`` is a sigmoid unit of ``x``.

A network of sigmoids is continuous, so for the step (jump 1) and the sawtooth (jumps 2) its
sup-norm error cannot fall below half the jump, at any width: only the mean squared error can
converge there. Hornik's sup-norm result is for continuous targets.

Verdicts: the error falls with width if its Spearman rank correlation with the width is at
most -0.7; the caveat holds for a continuous target whose sup-norm error is still falling over
the wider half of the widths (slope < 0); a discontinuous target fails to converge in sup norm
if its sup-norm error at the largest width is still at least 0.45 × its jump.

Run ``python -m experiments.universal_approximation [--quick]``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jax
import numpy as np
from matplotlib.ticker import NullFormatter
from scipy.stats import spearmanr

import jaxmlp
from jaxmlp.data import synthetic
from jaxmlp.sweep import predict_many

from .common import RESULTS, Claim, figure_grid, run, save_figure, write_metrics

NAME = "universal_approximation"
TARGETS_2D = {"sine_2d": lambda X: np.sin(np.pi * X[:, :1]) * np.sin(np.pi * X[:, 1:2])}
JUMPS = {"step": 1.0, "sawtooth": 2.0}  # the discontinuous targets and their jumps
LABELS = {
    "sine": "sin πx",
    "abs": "|x|",
    "step": "step",
    "sawtooth": "sawtooth",
    "sine_2d": "sin πx₁ · sin πx₂",
}
FALLS = -0.7  # rank correlation with the width at or below which an error falls
SUP_FLOOR = 0.45  # sup-norm error >= this × the jump: no uniform convergence


@dataclasses.dataclass(frozen=True)
class Config:
    seed: int = 0  # training points and initial params
    widths: tuple[int, ...] = tuple(2**k for k in range(11))  # hidden widths, 1 … 1024
    targets: tuple[str, ...] = ("sine", "abs", "step", "sawtooth", "sine_2d")  # the functions
    n: int = 256  # random training points of a 1-D target, uniform on [-1, 1]
    n_2d: int = 512  # random training points of a 2-D target, uniform on [-1, 1]²
    grid: int = 4001  # evaluation points on [-1, 1] (the 2-D grid is 201 × 201)
    input_scale: float = 10.0  # s: the network sees s·(x, 1)
    epochs: int = 4000  # full-batch Adam updates
    learning_rate: float = 0.01  # Adam's initial learning rate, decayed by a cosine to 0
    results: Path = RESULTS  # results root; output goes to <results>/universal_approximation/


QUICK = Config(widths=tuple(2**k for k in range(7)), epochs=2000)


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
    key_data, key_fit = jax.random.split(jax.random.key(config.seed))
    widths = np.array(config.widths)
    wide = widths >= widths[len(widths) // 2]  # the wider half, for the late slope
    metrics = {"config": dataclasses.asdict(config), "targets": {}}
    fits = {}
    for name in config.targets:
        (X, t), (X_grid, f_grid) = problem(name, config, jax.random.fold_in(key_data, 0))
        d = X.shape[1]
        mlp = jaxmlp.MLP((d + 1, int(widths.max()), 1), hidden="sigmoid", output="identity")
        result = jaxmlp.fit_many(
            mlp, with_constant(X, config.input_scale), t, key=key_fit, widths=list(config.widths),
            init="lecun_uniform", loss="mse", optimizer="adam",
            learning_rates=config.learning_rate, schedule="cosine", epochs=config.epochs,
        )  # fmt: skip
        y_hat = np.asarray(predict_many(result, with_constant(X_grid, config.input_scale)))
        error = y_hat[..., 0] - f_grid[:, 0]  # (widths, grid)
        sup, mse = np.abs(error).max(axis=1), (error**2).mean(axis=1)
        metrics["targets"][name] = {
            "d": d,
            "jump": JUMPS.get(name, 0.0),
            "sup": sup,
            "mse": mse,
            "train_loss": result.history.train_loss[:, -1],
            "sup_slope": slope(widths, sup),
            "mse_slope": slope(widths, mse),
            "sup_slope_wide": slope(widths[wide], sup[wide]),
            "mse_slope_wide": slope(widths[wide], mse[wide]),
            "sup_rho": float(spearmanr(widths, sup).statistic),
            "mse_rho": float(spearmanr(widths, mse).statistic),
            "fit_seconds": result.history.time,
            "compile_seconds": result.history.compile_time,
        }
        fits[name] = (X_grid, f_grid, y_hat)
    plot_errors(metrics, config)
    plot_fits(fits, config)
    write_metrics(NAME, metrics, config.results)
    return metrics


def plot_errors(metrics: dict, config: Config) -> None:
    figure, axes = figure_grid(1, 2, size=5.0)
    widths = np.array(config.widths)
    for i, (name, m) in enumerate(metrics["targets"].items()):
        color = f"C{i}"
        for ax, key in zip(axes[0], ("sup", "mse")):
            label = f"{LABELS[name]} (slope {m[key + '_slope']:+.2f})"
            ax.plot(widths, m[key], "o-", color=color, markersize=4, label=label)
        if m["jump"]:
            axes[0, 0].axhline(m["jump"] / 2, color=color, linestyle=":", linewidth=1)
    axes[0, 0].set(
        title="Sup-norm error (dotted: half the jump,\nthe floor of any continuous fit)",
        ylabel="max |f(x) − ŷ(x)| on the grid (log)",
    )
    axes[0, 1].set(title="Mean squared error", ylabel="mean (f(x) − ŷ(x))² on the grid (log)")
    for ax in axes[0]:
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("hidden units (log)")
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    figure.suptitle(
        f"One hidden sigmoid layer, full-batch Adam for {config.epochs} epochs, "
        "all widths in one vmapped program"
    )
    figure.tight_layout()
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
                values.reshape(side, side), extent=(-1, 1, -1, 1), origin="lower",
                cmap="coolwarm", vmin=-1.1, vmax=1.1,
            )  # fmt: skip
            ax.set(title=title, xlabel="x₁")
        axes[row, 0].set_ylabel("x₂")
    for row in range(-(-len(one_d) // cols)):
        axes[row, 0].set_ylabel("f(x) (black) and ŷ(x)")
    figure.subplots_adjust(wspace=0.25, hspace=0.4, right=0.9)
    for row in range(rows - len(two_d), rows):
        box = axes[row, -1].get_position()
        colorbar_axes = figure.add_axes((0.92, box.y0, 0.012, box.height))
        figure.colorbar(axes[row, 0].images[0], cax=colorbar_axes, label="f, ŷ")
    figure.suptitle("Fits of one hidden sigmoid layer at a few widths")
    save_figure(figure, NAME, "fits.png", config.results)


def claims(metrics: dict) -> list[Claim]:
    targets = metrics["targets"]
    continuous = [n for n, m in targets.items() if not m["jump"]]
    jumps = [n for n, m in targets.items() if m["jump"]]
    out = []

    falls = [n for n, m in targets.items() if m["mse_rho"] <= FALLS]
    out.append(
        Claim(
            claim="One hidden layer approximates any function: the error falls as the width "
            "grows (Hornik)",
            measured="MSE slope vs width: "
            + ", ".join(
                f"{n} {m['mse_slope']:+.2f} ({m['mse'][0]:.1e} → {m['mse'][-1]:.1e})"
                for n, m in targets.items()
            ),
            verdict=_share_verdict(len(falls), len(targets)),
        )
    )
    if continuous:
        still = [n for n in continuous if targets[n]["sup_slope_wide"] < 0]
        fell = [n for n in continuous if targets[n]["sup_rho"] <= FALLS]
        if len(still) == len(continuous):
            verdict = "supported"
        elif fell:
            verdict = "partly supported"
        else:
            verdict = "not supported"
        out.append(
            Claim(
                claim="Caveat: the number of hidden units may need to go to infinity (continuous "
                "targets: the sup-norm error is still falling at the largest widths)",
                measured="sup-norm slope over all / the wider half of the widths: "
                + ", ".join(
                    f"{n} {targets[n]['sup_slope']:+.2f} / {targets[n]['sup_slope_wide']:+.2f} "
                    f"(sup {targets[n]['sup'][-1]:.1e} at the largest width)"
                    for n in continuous
                ),
                verdict=verdict,
            )
        )
    if jumps:
        stuck = [n for n in jumps if targets[n]["sup"][-1] >= SUP_FLOOR * targets[n]["jump"]]
        out.append(
            Claim(
                claim="Discontinuous targets (step, sawtooth) do not converge in sup norm: a "
                "continuous network stays at least half the jump away",
                measured=", ".join(
                    f"{n}: sup {targets[n]['sup'][0]:.2f} → {targets[n]['sup'][-1]:.2f} (jump "
                    f"{targets[n]['jump']:g}, slope {targets[n]['sup_slope']:+.2f}), MSE slope "
                    f"{targets[n]['mse_slope']:+.2f}"
                    for n in jumps
                ),
                verdict=_share_verdict(len(stuck), len(jumps)),
            )
        )
    return out


def _share_verdict(hits: int, total: int) -> str:
    if hits == total:
        return "supported"
    return "partly supported" if 2 * hits >= total else "not supported"


if __name__ == "__main__":
    run(__name__, Config, QUICK, main)

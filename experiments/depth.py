"""Depth at an equal parameter budget: test accuracy of p = 0 … 6 hidden layers as n grows.

The lecture closes with ``y = f_{p+1}(… f_2(f_1(x)))`` and the claim that deep networks
excel when large volumes of data are available. Here every depth ``p >= 1`` gets the width
``h`` (the same in every hidden layer) whose parameter count is closest to a fixed budget;
``p = 0`` is softmax regression, the linear baseline, with its own ``(d + 1) c`` parameters.
Relu hidden layers, a softmax output with cross-entropy, Adam, He init, and the same number
of updates for every depth and training-set size ``n``, on spirals and on digits.

One compiled program serves every ``n`` of a depth: each training set is repeated to the same
length ``N`` (the largest ``n``, which every ``n`` divides), so an epoch of the repeated set is
``N / n`` passes over the ``n`` examples. The training sets are nested (the first ``n`` of one
random pool) and every depth sees the same ones; the seeds change the init and the shuffling.

Verdict, per dataset, from two trends over ``n`` (Spearman rank correlation ``rho``): the
depth with the best mean test accuracy, and the advantage of depth, the mean test accuracy of
the deep nets (``p >= 3``) minus that of one hidden layer. The claim is about data volume, so
a constant advantage of depth is not enough. ``supported``: both rise with ``n``
(``rho >= 0.7``) and the deep nets lead at the largest ``n``; ``partly supported``: one of the
two rises; else ``not supported``.

Run ``python -m experiments.depth [--quick]``.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import jax
import numpy as np
from scipy.stats import spearmanr

import jaxmlp
from jaxmlp.data import load_digits, split, synthetic

from .common import RESULTS, Claim, figure_grid, run, save_figure, write_metrics

NAME = "depth"
DEEP = 3  # p >= DEEP counts as deep in the verdict
STRONG = 0.7  # rank correlation that counts as a rising trend


@dataclasses.dataclass(frozen=True)
class Config:
    seed: int = 0  # data pools, splits, inits and shuffling
    datasets: tuple[str, ...] = ("spirals", "digits")  # which of the two to run
    depths: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)  # hidden layers p
    spirals_sizes: tuple[int, ...] = (32, 64, 128, 256, 512, 1024, 2048, 4096)  # training n
    spirals_test: int = 2000  # spirals test points
    spirals_turns: float = 1.5  # turns of each of the 3 spiral arms
    spirals_noise: float = 0.05  # spirals noise
    spirals_budget: int = 2000  # parameters of every p >= 1 net on spirals
    digits_sizes: tuple[int, ...] = (40, 80, 160, 320, 640, 1280)  # training n (of 1797 digits)
    digits_budget: int = 5000  # parameters of every p >= 1 net on digits
    updates: int = 3000  # Adam updates for every depth and n
    batch_size: int = 32  # mini-batch size
    learning_rate: float = 3e-3  # Adam's learning rate
    seeds: int = 3  # runs (init and shuffling) per depth and n; accuracies are averaged
    results: Path = RESULTS  # results root; output goes to <results>/depth/


QUICK = Config(spirals_sizes=(64, 512, 4096), digits_sizes=(80, 320, 1280), updates=1500, seeds=2)


def width_for_budget(d: int, c: int, p: int, budget: int) -> int:
    """The width ``h`` of ``p`` equal hidden layers whose parameter count is closest to budget."""
    widths = range(1, budget + 1)
    return min(widths, key=lambda h: abs(jaxmlp.MLP((d,) + (h,) * p + (c,)).n_params - budget))


def datasets(config: Config, key) -> dict:
    """Each dataset's training pool, test set, sizes and budget."""
    key_spirals, key_test, key_digits = jax.random.split(key, 3)
    out = {}
    for name in config.datasets:
        if name == "spirals":
            spirals = lambda key, n: synthetic.spirals(  # noqa: E731
                key, n, k=3, noise=config.spirals_noise, turns=config.spirals_turns
            )
            pool = spirals(key_spirals, max(config.spirals_sizes))
            test = spirals(key_test, config.spirals_test)
            out[name] = (pool, test, config.spirals_sizes, config.spirals_budget)
        elif name == "digits":
            X, y = load_digits()
            pool, test = split(key_digits, X, y, (0.75, 0.25))
            out[name] = (pool, test, config.digits_sizes, config.digits_budget)
        else:
            raise ValueError(f"datasets={config.datasets!r}: {name!r} is not spirals or digits")
    return out


def main(config: Config) -> dict:
    if 1 not in config.depths or max(config.depths) < DEEP:
        raise ValueError(
            f"depths={config.depths!r} must hold p = 1 and a p >= {DEEP}: the verdict compares them"
        )
    key_data, key_runs = jax.random.split(jax.random.key(config.seed))
    metrics = {"config": dataclasses.asdict(config), "datasets": {}}
    for name, ((X_pool, y_pool), (X_test, y_test), sizes, budget) in datasets(
        config, key_data
    ).items():
        N = max(sizes)
        if any(N % n for n in sizes) or N > len(X_pool):
            raise ValueError(
                f"{name} sizes={sizes} must each divide the largest, which must be at most "
                f"the pool of {len(X_pool)} examples"
            )
        d, c = X_pool.shape[1], int(y_pool.max()) + 1
        epochs = math.ceil(config.updates * config.batch_size / N)
        rows = []
        for p in config.depths:
            h = width_for_budget(d, c, p, budget) if p else 0
            mlp = jaxmlp.MLP((d,) + (h,) * p + (c,), hidden="relu", output="softmax")
            accuracy = np.zeros((len(sizes), config.seeds))
            for i, n in enumerate(sizes):
                repeat = np.arange(N) % n  # the first n of the pool, repeated to length N
                X, y = X_pool[repeat], y_pool[repeat]
                for s in range(config.seeds):
                    key_init, key_fit = jax.random.split(jax.random.fold_in(key_runs, s))
                    params = jaxmlp.init_params(key_init, mlp, init="he")
                    params, _ = jaxmlp.fit(
                        mlp, params, X, y, key=key_fit, loss="cross_entropy",
                        optimizer="adam", learning_rate=config.learning_rate,
                        batch_size=config.batch_size, epochs=epochs,
                    )  # fmt: skip
                    result = jaxmlp.evaluate(mlp, params, X_test, y_test, loss="cross_entropy")
                    accuracy[i, s] = result["accuracy"]
            rows.append(
                {
                    "p": p,
                    "width": h,
                    "n_params": mlp.n_params,
                    "accuracy": accuracy.mean(axis=1),
                    "accuracy_std": accuracy.std(axis=1),
                }
            )
        metrics["datasets"][name] = {
            "sizes": list(sizes),
            "budget": budget,
            "epochs": epochs,
            "n_test": len(X_test),
            "depths": rows,
            **trends(rows, sizes),
        }
    plot(metrics, config)
    write_metrics(NAME, metrics, config.results)
    return metrics


def trends(rows: list[dict], sizes) -> dict:
    """The best depth per ``n`` and the deep-minus-one-hidden-layer gap per ``n``."""
    accuracy = np.array([row["accuracy"] for row in rows])  # (depths, sizes)
    depths = np.array([row["p"] for row in rows])
    best = depths[np.argmax(accuracy, axis=0)]
    deep = accuracy[depths >= DEEP].mean(axis=0)
    one = accuracy[list(depths).index(1)]
    return {"best_depth": best, "deep_minus_one": deep - one}


def plot(metrics: dict, config: Config) -> None:
    import matplotlib.pyplot as plt

    names = list(metrics["datasets"])
    figure, axes = figure_grid(1, len(names), size=5.0)
    for ax, name in zip(axes[0], names):
        data = metrics["datasets"][name]
        sizes = np.array(data["sizes"])
        for row in data["depths"]:
            color = "black" if row["p"] == 0 else plt.cm.plasma(0.85 * (row["p"] - 1) / 5)
            label = (
                f"p = 0 (softmax regression, {row['n_params']} params)"
                if row["p"] == 0
                else f"p = {row['p']}, h = {row['width']} ({row['n_params']} params)"
            )
            style = "--" if row["p"] == 0 else "-"
            acc, std = np.asarray(row["accuracy"]), np.asarray(row["accuracy_std"])
            ax.plot(sizes, acc, style, marker="o", markersize=4, color=color, label=label)
            ax.fill_between(sizes, acc - std, acc + std, color=color, alpha=0.12)
        ax.set_xscale("log")
        ax.set_xticks(sizes, [str(n) for n in sizes])
        ax.minorticks_off()
        ax.set(
            title=f"{name}: budget ≈ {data['budget']} params, {config.updates} Adam updates",
            xlabel="training set size n (log)",
            ylabel=f"test accuracy (mean ± std of {config.seeds} seeds, {data['n_test']} test)",
        )
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    figure.suptitle("Depth p at an equal parameter budget, as the training set grows")
    figure.tight_layout()
    save_figure(figure, NAME, "accuracy_vs_n.png", config.results)


def rank_correlation(x, y) -> float:
    """Spearman's rho; nan when either side is constant."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(spearmanr(x, y).statistic)


def claims(metrics: dict) -> list[Claim]:
    out = []
    for name, data in metrics["datasets"].items():
        sizes, best, gap = data["sizes"], data["best_depth"], data["deep_minus_one"]
        rho_best = rank_correlation(sizes, best)
        rho_gap = rank_correlation(sizes, gap)
        rises = [rho >= STRONG for rho in (rho_best, rho_gap) if np.isfinite(rho)]
        leads = gap[-1] > 0
        if len(rises) == 2 and all(rises) and leads:
            verdict = "supported"
        elif any(rises):
            verdict = "partly supported"
        else:
            verdict = "not supported"
        best_text = ", ".join(f"n={n}: p={p}" for n, p in zip(sizes, best))
        gap_text = ", ".join(f"{g:+.3f}" for g in gap)
        out.append(
            Claim(
                claim=f"Deep networks excel when large volumes of data are available ({name})",
                measured=f"best depth {best_text} (rho {rho_best:+.2f}); accuracy of p ≥ {DEEP} "
                f"minus p = 1 over n: {gap_text} (rho {rho_gap:+.2f})",
                verdict=verdict,
            )
        )
    return out


if __name__ == "__main__":
    run(__name__, Config, QUICK, main)

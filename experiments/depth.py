"""Depth at an equal parameter budget: test accuracy of p = 0 … 4 hidden layers as n grows.

The lecture closes with ``y = f_{p+1}(… f_2(f_1(x)))`` and the claim that deep networks excel
when large volumes of data are available. Here every depth ``p >= 1`` gets the width ``h`` (the
same in every hidden layer) whose parameter count is closest to a fixed budget; ``p = 0`` is
softmax regression, the linear baseline, with its own ``(d + 1) c`` parameters. Relu hidden
layers, a softmax output with cross-entropy, Adam, He init, and the same number of updates for
every depth and training-set size ``n``, on spirals and on digits.

Each seed draws its own data (a spirals sample, or a split of the 1797 digits), init and
shuffling; within a seed the training sets are nested (the first ``n`` of one random pool) and
every depth sees the same ones, so depths compare seed by seed. One compiled program serves
every ``n`` of a depth: each training set is repeated to the length ``N`` of the largest (which
every ``n`` divides), so an epoch of the repeated set is ``N / n`` passes over the ``n`` examples.

Run ``python -m experiments.depth [--quick]``.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import jax
import numpy as np

import jaxmlp
from jaxmlp.data import load_digits, split, synthetic

from .common import (
    RESULTS,
    Claim,
    ClaimSpec,
    Interval,
    accuracy_interval,
    figure_grid,
    interval,
    paired,
    plot_band,
    run,
    save_figure,
    trend,
    trend_verdict,
    write_metrics,
)

NAME = "depth"
CLAIMS = {
    "data_volume": ClaimSpec(
        claim="Such deep overparameterized neural networks excel at learning on problems where "
        "large volumes of data are available",
        measure="test accuracy of the deepest net minus one hidden layer, at an equal parameter "
        "budget, seed by seed, at each training-set size n; its rank correlation with n per "
        "seed, and its value at the largest n",
        rule="deep minus shallow at the largest n below 0 beyond its 95% interval: not "
        "supported. Above 0 beyond it, and the advantage grows with data (the rank correlation "
        "with n above 0 beyond its 95% interval over seeds, with a mean ≥ 0.7): supported. One "
        "of the two: partly supported. Neither (ties, or no clear growth): not supported.",
    )
}


@dataclasses.dataclass(frozen=True)
class Config:
    seed: int = 0  # data pools, splits, inits and shuffling
    datasets: tuple[str, ...] = ("spirals", "digits")  # which of the two to run
    depths: tuple[int, ...] = (0, 1, 2, 4)  # hidden layers p: 0, 1 and deeper ones
    spirals_sizes: tuple[int, ...] = (64, 128, 256, 512, 1024, 2048)  # training n
    spirals_test: int = 2000  # spirals test points
    spirals_turns: float = 1.5  # turns of each of the 3 spiral arms
    spirals_noise: float = 0.05  # spirals noise
    spirals_budget: int = 2000  # parameters of every p >= 1 net on spirals
    digits_sizes: tuple[int, ...] = (40, 80, 160, 320, 640, 1280)  # training n (of 1347 digits)
    digits_budget: int = 5000  # parameters of every p >= 1 net on digits
    updates: int = 3000  # Adam updates for every depth and n
    batch_size: int = 32  # mini-batch size
    learning_rate: float = 3e-3  # Adam's learning rate
    seeds: int = 5  # runs per depth and n: each its own data, init and shuffling
    results: Path = RESULTS  # results root; output goes to <results>/depth/


QUICK = Config(
    spirals_sizes=(64, 256, 1024, 2048), digits_sizes=(40, 160, 640, 1280), updates=1500, seeds=3
)


def width_for_budget(d: int, c: int, p: int, budget: int) -> int:
    """The width ``h`` of ``p`` equal hidden layers whose parameter count is closest to budget."""
    widths = range(1, budget + 1)
    return min(widths, key=lambda h: abs(jaxmlp.MLP((d,) + (h,) * p + (c,)).n_params - budget))


def pools(name: str, config: Config, key) -> list:
    """Per seed: ``((X_pool, y_pool), (X_test, y_test))``."""
    out = []
    for s in range(config.seeds):
        key_pool, key_test = jax.random.split(jax.random.fold_in(key, s))
        if name == "spirals":
            draw = lambda key, n: synthetic.spirals(  # noqa: E731
                key, n, k=3, noise=config.spirals_noise, turns=config.spirals_turns
            )
            out.append(
                (draw(key_pool, max(config.spirals_sizes)), draw(key_test, config.spirals_test))
            )
        elif name == "digits":
            X, y = load_digits()
            out.append(split(key_pool, X, y, (0.75, 0.25)))
        else:
            raise ValueError(f"datasets={config.datasets!r}: {name!r} is not spirals or digits")
    return out


def deep_and_shallow(depths) -> tuple[int, int]:
    """The depths the claim compares: the deepest, and one hidden layer."""
    return max(depths), 1


def main(config: Config) -> dict:
    if 1 not in config.depths or max(config.depths) < 2:
        raise ValueError(
            f"depths={config.depths!r} must hold p = 1 and a deeper p: the claim compares them"
        )
    if config.seeds < 2:
        raise ValueError(f"seeds={config.seeds} must be at least 2: an interval needs two")
    key_data, key_runs = jax.random.split(jax.random.key(config.seed))
    metrics = {"config": dataclasses.asdict(config), "datasets": {}}
    for name in config.datasets:
        sizes = config.spirals_sizes if name == "spirals" else config.digits_sizes
        budget = config.spirals_budget if name == "spirals" else config.digits_budget
        data = pools(name, config, jax.random.fold_in(key_data, len(name)))
        N = max(sizes)
        (X_pool, y_pool), (X_test, _) = data[0]
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
            accuracy = np.zeros((config.seeds, len(sizes)))
            for s, ((X_pool, y_pool), (X_test, y_test)) in enumerate(data):
                key_init, key_fit = jax.random.split(jax.random.fold_in(key_runs, s))
                for i, n in enumerate(sizes):
                    repeat = np.arange(N) % n  # the first n of the pool, repeated to length N
                    params = jaxmlp.init_params(key_init, mlp, init="he")
                    params, _ = jaxmlp.fit(
                        mlp,
                        params,
                        X_pool[repeat],
                        y_pool[repeat],
                        key=key_fit,
                        loss="cross_entropy",
                        optimizer="adam",
                        learning_rate=config.learning_rate,
                        batch_size=config.batch_size,
                        epochs=epochs,
                    )
                    accuracy[s, i] = jaxmlp.evaluate(mlp, params, X_test, y_test)["accuracy"]
            rows.append({"p": p, "width": h, "n_params": mlp.n_params, "accuracy": accuracy})
            print(
                f"{name} p={p}: "
                + ", ".join(
                    f"n={n} {accuracy_interval(accuracy[:, i]).format(3)}"
                    for i, n in enumerate(sizes)
                ),
                flush=True,
            )
        deep, shallow = deep_and_shallow(config.depths)
        by_p = {row["p"]: row["accuracy"] for row in rows}
        metrics["datasets"][name] = {
            "sizes": list(sizes),
            "budget": budget,
            "epochs": epochs,
            "n_test": len(X_test),
            "depths": rows,
            "deep": deep,
            "gap": by_p[deep] - by_p[shallow],  # (seeds, sizes)
        }
    plot(metrics, config)
    write_metrics(NAME, metrics, config.results)
    print(table(metrics))
    return metrics


def plot(metrics: dict, config: Config) -> None:
    import matplotlib.pyplot as plt

    names = list(metrics["datasets"])
    figure, axes = figure_grid(2, len(names), size=5.0)
    deepest = max(config.depths)
    for col, name in enumerate(names):
        data = metrics["datasets"][name]
        sizes = np.array(data["sizes"])
        ax = axes[0, col]
        for row in data["depths"]:
            p = row["p"]
            color = "black" if p == 0 else plt.cm.plasma(0.85 * (p - 1) / max(deepest - 1, 1))
            label = (
                f"p = 0 (softmax regression, {row['n_params']} params)"
                if p == 0
                else f"p = {p}, h = {row['width']} ({row['n_params']} params)"
            )
            plot_band(ax, sizes, row["accuracy"], label, color, linestyle="--" if p == 0 else "-")
        ax.set(
            title=f"{name}: budget ≈ {data['budget']} params, {config.updates} Adam updates",
            ylabel=f"test accuracy ({data['n_test']} test points)",
        )
        # Below the panel: over it, the legend would hide the lines of some n.
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
        ax = axes[1, col]
        plot_band(ax, sizes, data["gap"], f"p = {data['deep']} minus p = 1", "C3")
        ax.axhline(0, color="black", linewidth=1, label="no difference")
        ax.set(
            title=f"{name}: deep minus one hidden layer, seed by seed",
            ylabel="difference in test accuracy",
        )
        ax.legend(fontsize=7, loc="best")
        for ax in axes[:, col]:
            ax.set_xscale("log")
            ax.set_xticks(sizes, [str(n) for n in sizes])
            ax.minorticks_off()
            ax.set_xlabel("training set size n (log)")
            ax.grid(alpha=0.3)
    figure.suptitle(
        f"Depth p at an equal parameter budget as the training set grows: mean and 95% "
        f"interval over {config.seeds} seeds (each its own data, init and shuffling)"
    )
    figure.tight_layout(rect=(0, 0, 1, 0.97))
    save_figure(figure, NAME, "accuracy_vs_n.png", config.results)


def table(metrics: dict) -> str:
    """Test accuracy per depth and n, mean [95% interval], as markdown tables."""
    out = []
    for name, data in metrics["datasets"].items():
        sizes = data["sizes"]
        out += [
            f"{name} (budget ≈ {data['budget']} parameters):",
            "",
            "| p | width | params | " + " | ".join(f"n = {n}" for n in sizes) + " |",
            "|---" * (3 + len(sizes)) + "|",
        ]
        for row in data["depths"]:
            accuracy = np.asarray(row["accuracy"])
            cells = " | ".join(accuracy_interval(column).format(3) for column in accuracy.T)
            out.append(f"| {row['p']} | {row['width'] or '-'} | {row['n_params']} | {cells} |")
        gap = np.asarray(data["gap"])
        cells = " | ".join(interval(gap[:, i]).format(3) for i in range(len(sizes)))
        out += [f"| p = {data['deep']} minus p = 1 | | | {cells} |", ""]
    return "\n".join(out)


def verdict(rho: Interval, last: Interval) -> str:
    """The claim's rule: ``rho``, the per-seed rank correlation of deep minus shallow with n;
    ``last``, deep minus shallow at the largest n. The advantage grows with data when the
    rank correlation is a supported rising trend (``trend_verdict``)."""
    if last.sign() < 0:
        return "not supported"
    grows = trend_verdict(rho, +1) == "supported"
    if last.sign() > 0 and grows:
        return "supported"
    if last.sign() > 0 or grows:
        return "partly supported"
    return "not supported"


def claims(metrics: dict) -> list[Claim]:
    out = []
    for name, data in metrics["datasets"].items():
        sizes, gap = data["sizes"], np.asarray(data["gap"])
        rho = trend(sizes, gap)
        last = paired(gap[:, -1], np.zeros(len(gap)))
        values = ", ".join(f"n={n}: {interval(gap[:, i]).format(3)}" for i, n in enumerate(sizes))
        out.append(
            Claim(
                CLAIMS["data_volume"],
                f"test accuracy of p = {data['deep']} minus p = 1: {values}; rank correlation "
                f"with n {rho.format(2)} ({rho.n} seeds)",
                verdict(rho, last),
                on=name,
            )
        )
    return out


if __name__ == "__main__":
    run(__name__, Config, QUICK, main)

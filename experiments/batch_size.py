"""Full-batch GD vs mini-batches vs SGD from one init: speed per epoch, update, second; exploration.

The lecture's 2-layer sigmoid MLP with the MSE loss ``J = ½ Σ_k (t_k - y_hat_k)²`` learns two
moons with plain gradient descent at one learning rate, on batches of ``b`` examples: ``b = n``
(full batch), the mini-batches 512, 128, 32, 8, and ``b = 1`` (SGD). Every run starts from the
same initial params; the runs of one batch size differ only in the shuffling seed. Each epoch is
one ``jaxmlp.fit`` call continued from the previous ``history.state`` (the same trajectory as a
single call), so that the params after every epoch are at hand.

Measured:

- speed: the full training loss after every epoch against epochs, updates and wall-clock
  seconds (``history.time``: the compiled epoch, not the host's bookkeeping), and the cost on
  each axis to first reach ``tau``, the lowest loss that every batch size reaches (linearly
  interpolated between epochs, so at epoch resolution);
- exploration: the distance the params travel, ``Σ_e ‖θ_e - θ_{e-1}‖`` over epochs, the net
  ``‖θ_end - θ_0‖``, and over the shuffling seeds the spread of the final losses, the mean
  pairwise distance between final params and the mean pairwise disagreement of their test
  predictions.

Each sub-claim's verdict comes from the Spearman rank correlation ``rho`` between the batch size
and the measured quantity over the batch sizes: ``supported`` if ``|rho| >= 0.7`` in the
claimed direction, ``partly supported`` if ``|rho| >= 0.3`` in that direction, else
``not supported``.

Run ``python -m experiments.batch_size [--quick]``.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import jax
import numpy as np
from jax.flatten_util import ravel_pytree
from matplotlib.ticker import NullFormatter
from scipy.stats import spearmanr

import jaxmlp
from jaxmlp.data import synthetic

from .common import RESULTS, VERDICTS, Claim, figure_grid, run, save_figure, write_metrics

NAME = "batch_size"
STRONG, WEAK = 0.7, 0.3  # |rho| thresholds of "supported" and "partly supported"


@dataclasses.dataclass(frozen=True)
class Config:
    seed: int = 0  # data, the one initial params, and the shuffling seeds
    n: int = 1024  # two-moons training points
    n_test: int = 1024  # two-moons test points, for the disagreement of predictions
    noise: float = 0.2  # two-moons noise
    hidden: int = 16  # hidden units h of the 2-layer sigmoid MLP
    batch_sizes: tuple[int | None, ...] = (None, 512, 128, 32, 8, 1)  # None: full batch
    learning_rate: float = 2.0  # plain gradient descent, the same for every batch size
    epochs: int = 150  # epochs for every batch size
    shuffles: int = 6  # shuffling seeds per batch size, all from the same initial params
    results: Path = RESULTS  # results root; output goes to <results>/batch_size/


QUICK = Config(epochs=25, shuffles=3)


def label(batch_size: int, n: int) -> str:
    if batch_size == n:
        return f"full batch ({n})"
    return "SGD (1)" if batch_size == 1 else f"batch {batch_size}"


def train_path(mlp, params0, data, batch_size, key, config):
    """Trains one run epoch by epoch; returns its per-epoch losses, times and params."""
    X, T = data  # T: (n, c) one-hot targets, so that fit does not re-encode them every epoch
    flat = [ravel_pytree(params0)[0]]
    losses = [jaxmlp.evaluate(mlp, params0, X, T)["loss"]]
    seconds = [0.0]
    state = params0
    for epoch in range(1, config.epochs + 1):
        params, history = jaxmlp.fit(
            mlp, state, X, T, key=key, loss="mse", optimizer="sgd",
            learning_rate=config.learning_rate, batch_size=batch_size, epochs=epoch,
            epochs_per_program=1,
        )  # fmt: skip
        state = history.state
        flat.append(ravel_pytree(params)[0])
        losses.append(jaxmlp.evaluate(mlp, params, X, T)["loss"])
        seconds.append(seconds[-1] + history.time[-1])
    return np.array(losses), np.array(seconds), np.stack(flat), params


def cost_to_reach(x: np.ndarray, loss: np.ndarray, tau: float) -> float:
    """The first ``x`` where ``loss`` falls to ``tau``, linearly interpolated; nan if never."""
    below = np.flatnonzero(loss <= tau)
    if not len(below):
        return float("nan")
    i = below[0]
    if i == 0:
        return float(x[0])
    fraction = (loss[i - 1] - tau) / (loss[i - 1] - loss[i])
    return float(x[i - 1] + fraction * (x[i] - x[i - 1]))


def mean_pairwise(values: list, distance) -> float:
    pairs = list(itertools.combinations(values, 2))
    return float(np.mean([distance(a, b) for a, b in pairs])) if pairs else 0.0


def main(config: Config) -> dict:
    key_data, key_test, key_init, key_shuffle = jax.random.split(jax.random.key(config.seed), 4)
    X, y = synthetic.two_moons(key_data, config.n, noise=config.noise)
    X_test, y_test = synthetic.two_moons(key_test, config.n_test, noise=config.noise)
    mlp = jaxmlp.MLP((2, config.hidden, 2), hidden="sigmoid", output="sigmoid")
    params0 = jaxmlp.init_params(key_init, mlp)
    T = np.asarray(jaxmlp.one_hot(y, 2))  # (n, 2)

    regimes = []
    for batch_size in config.batch_sizes:
        b = config.n if batch_size is None else min(batch_size, config.n)
        runs = [
            train_path(mlp, params0, (X, T), batch_size, jax.random.fold_in(key_shuffle, s), config)
            for s in range(config.shuffles)
        ]
        losses = np.stack([r[0] for r in runs])  # (shuffles, epochs + 1)
        seconds = np.stack([r[1] for r in runs])
        paths = [r[2] for r in runs]  # each (epochs + 1, n_params)
        finals = [r[3] for r in runs]
        predictions = [np.asarray(jaxmlp.predict(mlp, p, X_test)) for p in finals]
        steps_per_epoch = -(-config.n // b)
        regimes.append(
            {
                "label": label(b, config.n),
                "batch_size": b,
                "steps_per_epoch": steps_per_epoch,
                "loss": losses.mean(axis=0),
                "loss_min": losses.min(axis=0),
                "loss_max": losses.max(axis=0),
                "seconds": seconds.mean(axis=0),
                "final_loss": losses[:, -1],
                "final_loss_std": float(losses[:, -1].std()),
                "test_accuracy": float(np.mean([np.mean(pred == y_test) for pred in predictions])),
                "path_length": float(
                    np.mean([np.linalg.norm(np.diff(p, axis=0), axis=1).sum() for p in paths])
                ),
                "net_distance": float(np.mean([np.linalg.norm(p[-1] - p[0]) for p in paths])),
                # path / net: 1 for a straight walk, larger the more it wanders
                "tortuosity": float(
                    np.mean(
                        [
                            np.linalg.norm(np.diff(p, axis=0), axis=1).sum()
                            / np.linalg.norm(p[-1] - p[0])
                            for p in paths
                        ]
                    )
                ),
                "pairwise_distance": mean_pairwise(
                    [p[-1] for p in paths], lambda a, b: np.linalg.norm(a - b)
                ),
                "disagreement": mean_pairwise(predictions, lambda a, b: np.mean(a != b)),
                "trajectory": paths[0],  # for the figure only
            }
        )

    # tau: the lowest loss that every batch size reaches within the epochs.
    tau = max(float(r["loss"].min()) for r in regimes)
    epochs_axis = np.arange(config.epochs + 1)
    for r in regimes:
        r["epochs_to_tau"] = cost_to_reach(epochs_axis, r["loss"], tau)
        r["updates_to_tau"] = cost_to_reach(epochs_axis * r["steps_per_epoch"], r["loss"], tau)
        r["seconds_to_tau"] = cost_to_reach(r["seconds"], r["loss"], tau)

    plot_curves(regimes, tau, config)
    plot_exploration(regimes, config)
    metrics = {
        "config": dataclasses.asdict(config),
        "n_params": mlp.n_params,
        "tau": tau,
        "regimes": [{k: v for k, v in r.items() if k != "trajectory"} for r in regimes],
    }
    write_metrics(NAME, metrics, config.results)
    return metrics


def plot_curves(regimes, tau, config):
    figure, axes = figure_grid(1, 3, size=4.6)
    colors = _colors(len(regimes))
    for r, color in zip(regimes, colors):
        epochs = np.arange(len(r["loss"]))
        updates = epochs * r["steps_per_epoch"]
        for ax, x in zip(axes[0], (epochs, updates, r["seconds"])):
            ax.plot(x[1:], r["loss"][1:], color=color, label=r["label"])
            ax.fill_between(x[1:], r["loss_min"][1:], r["loss_max"][1:], color=color, alpha=0.2)
    titles = ("per epoch", "per update", "per second")
    xlabels = ("epoch", "updates (log)", "wall-clock seconds, compile excluded (log)")
    for ax, title, xlabel in zip(axes[0], titles, xlabels):
        ax.axhline(tau, color="gray", linestyle="--", linewidth=1, label=f"τ = {tau:.3f}")
        ax.set(title=f"Training loss {title}", xlabel=xlabel, ylabel="training loss J (log)")
        ax.set_yscale("log")
        ax.grid(alpha=0.3, which="both")
    for ax in axes[0, 1:]:
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
    axes[0, 0].legend(fontsize=8)
    figure.suptitle(
        f"Two moons, {config.hidden}-unit sigmoid MLP, MSE, learning rate "
        f"{config.learning_rate:g}: mean (band: min–max) over {config.shuffles} shuffling seeds, "
        "same init"
    )
    figure.tight_layout()
    save_figure(figure, NAME, "loss_curves.png", config.results)


def plot_exploration(regimes, config):
    figure, axes = figure_grid(1, 4, size=3.8)
    sizes = np.array([r["batch_size"] for r in regimes])
    ax = axes[0, 0]
    ax.plot(sizes, [r["path_length"] for r in regimes], "o-", label="path Σ‖θ_e − θ_{e−1}‖")
    ax.plot(sizes, [r["net_distance"] for r in regimes], "s-", label="net ‖θ_end − θ_0‖")
    ax.set(title="Distance the params travel", xlabel="batch size b (log)", ylabel="distance (log)")
    ax.set_yscale("log")
    ax.legend(fontsize=8)

    ax = axes[0, 1]
    ax.plot(sizes, [r["pairwise_distance"] for r in regimes], "o-", color="C2", label="params")
    ax.set(
        title="Spread of solutions over seeds",
        xlabel="batch size b (log)",
        ylabel="mean pairwise ‖θ_i − θ_j‖ (symlog)",
    )
    ax.set_yscale("symlog", linthresh=0.01)  # full batch: exactly 0, it does not shuffle
    twin = ax.twinx()
    twin.plot(sizes, [r["disagreement"] for r in regimes], "s--", color="C3", label="predictions")
    twin.set_ylabel("test predictions that differ (fraction)", color="C3")
    ax.legend(
        ax.get_lines() + twin.get_lines(),
        ["‖θ_i − θ_j‖ (left)", "predictions differ (right)"],
        fontsize=8,
    )

    ax = axes[0, 2]
    for s, r in zip(sizes, regimes):
        ax.scatter(np.full(len(r["final_loss"]), s), r["final_loss"], color="C0", alpha=0.7)
    ax.set(
        title="Final training loss per seed",
        xlabel="batch size b (log)",
        ylabel="final training loss J",
    )
    for ax in axes[0, :3]:
        ax.set_xscale("log")
        ax.grid(alpha=0.3)

    # The seed-0 trajectories on the two principal directions of all of them together.
    ax = axes[0, 3]
    stacked = np.concatenate([r["trajectory"] for r in regimes])
    centre = stacked.mean(axis=0)
    _, _, Vt = np.linalg.svd(stacked - centre, full_matrices=False)
    for r, color in zip(regimes, _colors(len(regimes))):
        xy = (r["trajectory"] - centre) @ Vt[:2].T
        ax.plot(xy[:, 0], xy[:, 1], ".-", color=color, markersize=3, label=r["label"])
    ax.plot(*((regimes[0]["trajectory"][0] - centre) @ Vt[:2].T), "k*", markersize=12)
    ax.set(title="Trajectories (seed 0; ★ init)", xlabel="principal direction 1")
    ax.set_ylabel("principal direction 2")
    ax.legend(fontsize=7)
    figure.suptitle(
        f"Exploration over {config.epochs} epochs and {config.shuffles} shuffling seeds"
    )
    figure.tight_layout()
    save_figure(figure, NAME, "exploration.png", config.results)


def _colors(k):
    import matplotlib.pyplot as plt

    return [plt.cm.viridis(i / max(k - 1, 1)) for i in range(k)]


def rank_correlation(x, y) -> float:
    """Spearman's rho; nan when either side is constant or has a nan."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if np.any(~np.isfinite(y)) or np.ptp(y) == 0 or np.ptp(x) == 0:
        return float("nan")
    return float(spearmanr(x, y).statistic)


def trend_verdict(rho: float, sign: int) -> str:
    """``sign = -1``: the claim says the quantity falls as the batch grows."""
    if not np.isfinite(rho):
        return "not supported"
    signed = sign * rho
    return (
        "supported"
        if signed >= STRONG
        else "partly supported"
        if signed >= WEAK
        else ("not supported")
    )


def weaker(*verdicts: str) -> str:
    return max(verdicts, key=VERDICTS.index)


def claims(metrics: dict) -> list[Claim]:
    regimes = metrics["regimes"]
    sizes = [r["batch_size"] for r in regimes]
    tau = metrics["tau"]

    def row(key, fmt):
        return ", ".join(f"b={r['batch_size']}: {fmt.format(r[key])}" for r in regimes)

    out = []
    for key, axis, fmt in (
        ("epochs_to_tau", "per epoch", "{:.3g}"),
        ("updates_to_tau", "per update", "{:.3g}"),
        ("seconds_to_tau", "per second", "{:.2g} s"),
    ):
        rho = rank_correlation(sizes, [r[key] for r in regimes])
        out.append(
            Claim(
                claim=f"Larger batches converge faster ({axis})",
                measured=f"{axis.split()[1]}s to reach J ≤ {tau:.3f}: {row(key, fmt)}; "
                f"rank correlation with b: {rho:+.2f}",
                verdict=trend_verdict(rho, -1),
            )
        )
    rho_path = rank_correlation(sizes, [r["path_length"] for r in regimes])
    rho_net = rank_correlation(sizes, [r["net_distance"] for r in regimes])
    out.append(
        Claim(
            claim="Larger batches explore less of the parameter space (distance travelled)",
            measured=f"path Σ‖Δθ‖ over epochs: {row('path_length', '{:.2f}')} "
            f"(rho {rho_path:+.2f}); net ‖θ_end − θ_0‖: {row('net_distance', '{:.2f}')} "
            f"(rho {rho_net:+.2f})",
            verdict=weaker(trend_verdict(rho_path, -1), trend_verdict(rho_net, -1)),
        )
    )
    rho_spread = rank_correlation(sizes, [r["pairwise_distance"] for r in regimes])
    rho_disagree = rank_correlation(sizes, [r["disagreement"] for r in regimes])
    out.append(
        Claim(
            claim="Smaller batches explore more: their solutions differ more between shuffles",
            measured=f"mean pairwise ‖θ_i − θ_j‖: {row('pairwise_distance', '{:.2f}')} "
            f"(rho {rho_spread:+.2f}); test predictions that differ: "
            f"{row('disagreement', '{:.3f}')} (rho {rho_disagree:+.2f})",
            verdict=weaker(trend_verdict(rho_spread, -1), trend_verdict(rho_disagree, -1)),
        )
    )
    return out


if __name__ == "__main__":
    run(__name__, Config, QUICK, main)

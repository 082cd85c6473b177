"""Full batch, mini-batches and SGD, each at its own learning rate: convergence and exploration.

The lecture's 2-layer sigmoid MLP with the MSE loss ``J = ½ Σ_k (t_k - y_hat_k)²`` learns two
moons by plain gradient descent on batches of ``b`` examples: ``b = n`` (full batch), mini-batches
and ``b = 1`` (SGD). A comparison at one learning rate would favour whichever batch size that
rate suits, so every ``b`` gets its own: each trains at every rate of a grid from the same seeds,
for the same number of updates, and keeps the rate whose best validation loss within that
budget is lowest on average over the seeds (the validation set is an independent two-moons
sample; the test sample is used only for the disagreement of predictions). Seeds set the
initial params and the shuffling; seed ``s`` starts from the same params for every ``b``.

Convergence is measured both ways the lecture can mean it: per update and per pass over the
data (epoch), on the runs of the chosen rate (``shuffles`` per seed, below). ``tau`` is the
lowest training loss that every batch size reaches on its median run within the budget (below
the plateau where the sigmoid units first stall); the cost to reach it is read off the whole
training loss after every epoch (interpolated linearly between epochs, so to within one
epoch: ``n`` updates for SGD), the median over a seed's shuffles. A run that does not reach
``tau`` within the budget counts as the slowest (its cost is infinite, its rank the last).

Exploration is measured as the spread of solutions: from each seed's initial params, ``shuffles``
runs that differ only in the order of the examples, and the mean pairwise distance ``‖θ_i - θ_j‖``
between their params, at matched update counts (``n, 2n, 4n, ...``) and at a matched distance
from the start (the net distance ``‖θ - θ_0‖`` that every run reaches; the spread interpolated
there), since a run that moves further would otherwise seem to explore more. Full-batch gradient
descent does not shuffle, so its spread is 0 by construction: it is shown, and the trend is read
over the mini-batch sizes only.

Run ``python -m experiments.batch_size [--quick]``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path

import jax
import numpy as np
from jax.flatten_util import ravel_pytree
from matplotlib.ticker import NullFormatter

import jaxmlp
from jaxmlp.data import synthetic
from jaxmlp.training.sweep import member_keys

from .common import (
    RESULTS,
    Claim,
    ClaimSpec,
    accuracy_interval,
    figure_grid,
    interval,
    plot_band,
    run,
    save_figure,
    trend,
    trend_verdict,
    write_metrics,
)

NAME = "batch_size"
MIN_TIMED_SECONDS = 1.0  # a total training time below this is not reported: too short to mean much

_CONVERGES = "Gradient descent on larger batch sizes: faster convergence to a local minimum"
_EXPLORES = "Gradient descent on smaller batch sizes: more exploration of the parameter space"
_TREND_RULE = (
    "per seed, the rank correlation of {what} with b; its mean and 95% interval over seeds. "
    "Supported: below 0 beyond the interval with a mean ≤ -0.7; partly supported: below 0 "
    "beyond the interval, weaker; not supported: the interval holds 0, or is above it."
)
CLAIMS = {
    "per_update": ClaimSpec(
        claim=_CONVERGES + " (per update)",
        measure="updates to reach tau, the lowest training loss every batch size reaches on its "
        "median seed, each b at its own learning rate",
        rule=_TREND_RULE.format(what="the updates to tau"),
    ),
    "per_epoch": ClaimSpec(
        claim=_CONVERGES + " (per pass over the data)",
        measure="epochs to reach the same tau",
        rule=_TREND_RULE.format(what="the epochs to tau"),
    ),
    "spread_updates": ClaimSpec(
        claim=_EXPLORES + " (spread of solutions at matched updates)",
        measure="mean pairwise ‖θ_i - θ_j‖ between runs from one init that differ only in "
        "their shuffling, after the same number of updates; mini-batch sizes only (full batch "
        "does not shuffle: 0)",
        rule=_TREND_RULE.format(what="the spread"),
    ),
    "spread_distance": ClaimSpec(
        claim=_EXPLORES + " (spread of solutions at matched distance)",
        measure="the same spread where the runs have moved the same net distance ‖θ - θ_0‖ "
        "from the init (the distance every run reaches), mini-batch sizes only",
        rule=_TREND_RULE.format(what="the spread at that distance"),
    ),
}


@dataclasses.dataclass(frozen=True)
class Config:
    seed: int = 0  # data, initial params and shuffling
    n: int = 256  # two-moons training points
    n_val: int = 512  # two-moons validation points: the learning rate of each b is chosen on them
    n_test: int = 1024  # two-moons test points: the disagreement of predictions
    noise: float = 0.2  # two-moons noise
    hidden: int = 16  # hidden units h of the 2-layer sigmoid MLP
    batch_sizes: tuple[int, ...] = (256, 64, 16, 4, 1)  # b; n is full batch; each divides n
    learning_rates: tuple[float, ...] = tuple(2.0**k for k in range(1, 9))  # grid per b: 2 … 256
    passes: int = 64  # budget: passes × n updates for every b (SGD: `passes` epochs)
    seeds: int = 5  # initial params (and shuffling) per comparison
    shuffles: int = 4  # runs per seed that differ only in their shuffling, for the spread
    results: Path = RESULTS  # results root; output goes to <results>/batch_size/


QUICK = Config(passes=16, seeds=3, shuffles=3)


def label(b: int, n: int) -> str:
    if b == n:
        return f"b = {n} (full batch)"
    return "b = 1 (SGD)" if b == 1 else f"b = {b}"


def check(config: Config) -> None:
    n = config.n
    if any(b < 1 or n % b for b in config.batch_sizes) or n not in config.batch_sizes:
        raise ValueError(
            f"batch_sizes={config.batch_sizes} must each divide n={n}, with n (full batch) "
            "among them: then every checkpoint n, 2n, 4n, ... updates is a whole epoch for each"
        )
    if config.passes < 2 or config.passes & (config.passes - 1):
        raise ValueError(f"passes={config.passes} must be a power of 2, at least 2")
    if config.seeds < 2 or config.shuffles < 2:
        raise ValueError(
            f"seeds={config.seeds} and shuffles={config.shuffles} must be at least 2: "
            "an interval needs two seeds, a spread two runs"
        )


def mse(Y_hat: np.ndarray, T: np.ndarray) -> np.ndarray:
    """The lecture's J, mean over examples: ``(..., n, c) -> (...)``."""
    return 0.5 * np.sum((T - Y_hat) ** 2, axis=-1).mean(axis=-1)


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


def at_distance(distance: np.ndarray, value: np.ndarray, D: float) -> float:
    """``value`` where ``distance`` (along checkpoints) first reaches ``D``, linearly
    interpolated; nan if it never does."""
    distance, value = np.asarray(distance, float), np.asarray(value, float)
    above = np.flatnonzero(distance >= D)
    if not len(above):
        return float("nan")
    i = above[0]
    if i == 0:
        return float(value[0])
    fraction = (D - distance[i - 1]) / (distance[i] - distance[i - 1])
    return float(value[i - 1] + fraction * (value[i] - value[i - 1]))


def mean_pairwise(values, distance) -> float:
    return float(np.mean([distance(a, b) for a, b in itertools.combinations(values, 2)]))


def sweep(mlp, data, b: int, config: Config, key) -> dict:
    """Every learning rate of the grid from every seed, for the budget; the one whose best
    validation loss within the budget is lowest (mean over seeds) is chosen."""
    (X, T), (X_val, T_val) = data["train"], data["val"]
    steps = config.n // b
    L = len(config.learning_rates)
    result = jaxmlp.fit_many(
        mlp,
        X,
        T,
        key=key,
        seeds=range(config.seeds),
        learning_rates=config.learning_rates,
        grid=True,
        batch_size=b,
        epochs=config.passes * config.n // steps,
        loss="mse",
        optimizer="sgd",
        validation=(X_val, T_val),
    )
    # The best a rate reaches within the budget, not where it ends: a fast rate may overfit
    # late, and a run that diverged has not found anything.
    val_loss = np.nanmin(result.history.val_loss, axis=1)
    diverged = np.array([reason == "diverged" for reason in result.history.stop_reason])
    val_loss = np.where(diverged | np.isnan(val_loss), np.inf, val_loss).reshape(config.seeds, L)
    best = int(np.argmin(val_loss.mean(axis=0)))
    return {
        "batch_size": b,
        "label": label(b, config.n),
        "steps_per_epoch": steps,
        "val_loss": val_loss,  # (seeds, learning rates): the best within the budget
        "learning_rate": config.learning_rates[best],
        "edge_of_grid": best in (0, L - 1),
    }


def initial_params(mlp, key, seed: int):
    """Seed ``seed``'s initial params, as ``fit_many`` draws them: the same for every b."""
    return jaxmlp.init_params(member_keys(key, seed)[0], mlp)


def shuffled_runs(mlp, data, b: int, learning_rate: float, config: Config, keys) -> dict:
    """From each seed's init, ``shuffles`` runs: the training loss after every epoch and the
    params at ``n · 2^k`` updates."""
    X, T = data["train"]
    steps = config.n // b
    checkpoints = [config.n * 2**k for k in range(int(np.log2(config.passes)) + 1)]
    S, J = config.seeds, config.shuffles
    flat = np.zeros((S, J, len(checkpoints) + 1, mlp.n_params))
    curve = np.zeros((S, J, 1 + config.passes * config.n // steps))
    predictions = np.zeros((S, J, len(data["test"][0])), np.int64)
    seconds, diverged = 0.0, 0
    for s in range(S):
        params0 = initial_params(mlp, keys["fit"], s)
        initial = float(mse(np.asarray(jaxmlp.forward_batch(mlp, params0, X)), T))
        for j in range(J):
            state, losses = params0, [initial]
            flat[s, j, 0] = ravel_pytree(params0)[0]
            key = jax.random.fold_in(jax.random.fold_in(keys["shuffle"], s), j)
            for k, updates in enumerate(checkpoints, start=1):
                if state is None:  # diverged: the last finite params stay
                    flat[s, j, k] = flat[s, j, k - 1]
                    continue
                try:
                    params, history = jaxmlp.fit(
                        mlp,
                        state,
                        X,
                        T,
                        key=key,
                        loss="mse",
                        optimizer="sgd",
                        learning_rate=learning_rate,
                        batch_size=b,
                        epochs=updates // steps,
                        validation=(X, T),  # the whole training loss after every epoch
                        epochs_per_program=b,  # n updates per compiled block, for every b
                    )
                    state, seconds = history.state, seconds + history.time[-1]
                    losses += history.val_loss
                except jaxmlp.DivergenceError as error:
                    # A run that diverges never reaches tau: nan from here on.
                    params, state, diverged = error.params, None, diverged + 1
                flat[s, j, k] = ravel_pytree(params)[0]
            losses += [np.nan] * (curve.shape[-1] - len(losses))
            curve[s, j] = losses
            predictions[s, j] = np.asarray(jaxmlp.predict(mlp, params, data["test"][0]))
    distance = np.linalg.norm(flat - flat[:, :, :1], axis=-1).mean(axis=1)  # (S, K + 1)
    pairs = list(itertools.combinations(range(J), 2))
    spread = np.mean([np.linalg.norm(flat[:, i] - flat[:, j], axis=-1) for i, j in pairs], 0)
    disagreement = np.mean([np.mean(predictions[:, i] != predictions[:, j], axis=-1)
                            for i, j in pairs], axis=0)  # fmt: skip
    return {
        "curve": curve,  # (seeds, shuffles, epochs + 1): training loss, epoch 0 the init
        "checkpoints": [0, *checkpoints],
        "distance": distance,  # (seeds, checkpoints): mean over shuffles of ‖θ - θ_0‖
        "spread": spread,  # (seeds, checkpoints): mean pairwise ‖θ_i - θ_j‖ over shuffles
        "disagreement": disagreement,  # (seeds,): test predictions that differ, at the end
        "seconds": seconds,  # training and the per-epoch loss, compile excluded, all runs
        "diverged": diverged,  # runs whose loss became non-finite
    }


def main(config: Config) -> dict:
    check(config)
    key_data, key_val, key_test, key_fit, key_shuffle = jax.random.split(
        jax.random.key(config.seed), 5
    )
    mlp = jaxmlp.MLP((2, config.hidden, 2), hidden="sigmoid", output="sigmoid")
    data = {}
    for split, key, n in (
        ("train", key_data, config.n),
        ("val", key_val, config.n_val),
        ("test", key_test, config.n_test),
    ):
        X, y = synthetic.two_moons(key, n, noise=config.noise)
        data[split] = (np.asarray(X), np.asarray(jaxmlp.one_hot(y, 2)))

    regimes = []
    for b in config.batch_sizes:
        regime = sweep(mlp, data, b, config, key_fit)
        keys = {"fit": key_fit, "shuffle": key_shuffle}
        regime.update(shuffled_runs(mlp, data, b, regime["learning_rate"], config, keys))
        final = interval(regime["curve"][:, :, -1].mean(axis=1))
        print(
            f"{regime['label']}: learning rate {regime['learning_rate']:g}, final training "
            f"loss {final.format(4)}",
            flush=True,
        )
        regimes.append(regime)

    # tau: the lowest training loss every batch size reaches on its median run.
    tau = max(float(np.median(np.nanmin(r["curve"], axis=-1))) for r in regimes)
    for r in regimes:
        epochs = np.arange(r["curve"].shape[-1])
        cost = np.array([[cost_to_reach(epochs, c, tau) for c in runs] for runs in r["curve"]])
        cost = np.where(np.isnan(cost), np.inf, cost)  # inf: not within the budget
        r["epochs_to_tau"] = np.median(cost, axis=1)  # (seeds,): the median shuffle's
        r["updates_to_tau"] = r["epochs_to_tau"] * r["steps_per_epoch"]
        # Kept for the figure: each seed's mean over shuffles, at about 200 epochs.
        shown = np.unique(np.geomspace(1, len(epochs), 200).astype(int) - 1)
        r["curve"], r["curve_epochs"] = r["curve"].mean(axis=1)[:, shown], epochs[shown]
    # D: the net distance from the init that every run of a mini-batch size reaches.
    mini = [r for r in regimes if r["batch_size"] < config.n]
    D = min(float(r["distance"][s].max()) for r in mini for s in range(config.seeds))
    for r in regimes:
        r["spread_at_distance"] = np.array(
            [at_distance(r["distance"][s], r["spread"][s], D) for s in range(config.seeds)]
        )
    metrics = {
        "config": dataclasses.asdict(config),
        "n_params": mlp.n_params,
        "tau": tau,
        "matched_distance": D,
        "regimes": regimes,
    }
    plot_convergence(metrics, config)
    plot_exploration(metrics, config)
    write_metrics(NAME, metrics, config.results)
    print(table(metrics))
    return metrics


def _colors(k):
    import matplotlib.pyplot as plt

    return [plt.cm.viridis(0.9 * i / max(k - 1, 1)) for i in range(k)]


def plot_convergence(metrics: dict, config: Config) -> None:
    regimes, tau = metrics["regimes"], metrics["tau"]
    figure, axes = figure_grid(1, 3, size=4.6)
    colors = _colors(len(regimes))
    ax = axes[0, 0]
    lrs = np.array(config.learning_rates)
    for r, color in zip(regimes, colors):
        val = np.where(np.isfinite(r["val_loss"]), r["val_loss"], np.nan)
        plot_band(ax, lrs, val, r["label"], color, log=True)
        chosen = val[:, config.learning_rates.index(r["learning_rate"])]
        ax.plot(
            r["learning_rate"],
            np.exp(np.mean(np.log(chosen))),
            "o",
            markersize=11,
            markerfacecolor="none",
            markeredgecolor=color,
        )
    ax.plot(
        [],
        [],
        "o",
        markersize=11,
        markerfacecolor="none",
        markeredgecolor="gray",
        label="the rate chosen for b",
    )
    ax.set(
        title=f"Best validation loss within {config.passes}·n updates",
        xlabel="learning rate (log)",
        ylabel="validation loss J (log)",
    )
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    for ax, axis in zip(axes[0, 1:], ("updates", "epochs")):
        for r, color in zip(regimes, colors):
            epochs = np.asarray(r["curve_epochs"])
            x = epochs * r["steps_per_epoch"] if axis == "updates" else epochs
            plot_band(
                ax,
                x[1:],
                r["curve"][:, 1:],
                f"{r['label']}, lr {r['learning_rate']:g}",
                color,
                marker="",
                log=True,
            )
        ax.axhline(tau, color="black", linestyle="--", linewidth=1,
                   label=f"τ = {tau:.4f}: every b reaches it (median run)")  # fmt: skip
        ax.set(
            title=f"Training loss per {axis[:-1]}",
            xlabel=f"{axis} (log)",
            ylabel="training loss J (log)",
        )
        ax.set_xscale("log")
        ax.set_yscale("log")
    for ax in axes[0]:
        ax.grid(alpha=0.3, which="both")
    axes[0, 0].legend(fontsize=7)
    figure.suptitle(
        f"Two moons, n = {config.n}, {config.hidden}-unit sigmoid MLP, MSE, plain gradient "
        f"descent: geometric mean and 95% interval over {config.seeds} seeds"
    )
    figure.tight_layout(rect=(0, 0.1, 1, 1))
    # The curves' legend below the panels, where it hides no curve.
    handles, labels = axes[0, 1].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    save_figure(figure, NAME, "convergence.png", config.results)


def plot_exploration(metrics: dict, config: Config) -> None:
    regimes = metrics["regimes"]
    mini = [r for r in regimes if r["batch_size"] < config.n]
    colors = _colors(len(regimes))[1:]
    figure, axes = figure_grid(1, 3, size=4.6)
    for r, color in zip(mini, colors):
        name = f"{r['label']}, lr {r['learning_rate']:g}"
        updates = np.array(r["checkpoints"])
        plot_band(axes[0, 0], updates[1:], r["spread"][:, 1:], name, color, log=True)
        plot_band(axes[0, 2], updates[1:], r["distance"][:, 1:], name, color, log=True)
        spread, distance = r["spread"].mean(axis=0), r["distance"].mean(axis=0)
        axes[0, 1].plot(distance, spread, "o-", markersize=4, color=color, label=name)
    D = metrics["matched_distance"]
    axes[0, 1].axvline(
        D, color="black", linestyle="--", linewidth=1, label=f"matched distance {D:.2f}"
    )
    axes[0, 0].set(
        title="Spread of solutions over shuffles",
        xlabel="updates (log)",
        ylabel="mean pairwise ‖θ_i − θ_j‖ (log)",
    )
    axes[0, 1].set(
        title="Spread against net distance from the init",
        xlabel="‖θ − θ_0‖ (mean over shuffles; log)",
        ylabel="mean pairwise ‖θ_i − θ_j‖ (log)",
    )
    axes[0, 2].set(
        title="Net distance from the init", xlabel="updates (log)", ylabel="‖θ − θ_0‖ (log)"
    )
    for ax in axes[0]:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.grid(alpha=0.3, which="both")
    checkpoints = mini[0]["checkpoints"][1:]
    for ax in axes[0, ::2]:  # the checkpoints, n · 2^k updates
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xticks(checkpoints, [str(u) for u in checkpoints], rotation=45)
    figure.suptitle(
        f"Exploration from one init per seed: {config.shuffles} shuffles each, geometric mean "
        f"and 95% interval over {config.seeds} seeds (full batch: spread 0, it does not shuffle)"
    )
    figure.tight_layout(rect=(0, 0.08, 1, 1))
    handles, labels = axes[0, 1].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=5, fontsize=8, frameon=False)
    save_figure(figure, NAME, "exploration.png", config.results)


def costs(values, digits: int) -> str:
    """Costs over seeds: their interval, or their median and how many never got there."""
    values = np.asarray(values, np.float64)
    missed = int(np.sum(np.isinf(values)))
    if not missed:
        return interval(values, (0.0, math.inf)).format(digits)
    return f"median {np.median(values):.{digits}f}, {missed} of {len(values)} seeds not reached"


def table(metrics: dict) -> str:
    """Per batch size: its learning rate and every measured quantity, as a markdown table."""
    lines = [
        "| b | learning rate | updates to τ | epochs to τ | spread at the end | spread at "
        "matched distance | predictions that differ | training time |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in metrics["regimes"]:
        edge = " (edge of the grid)" if r["edge_of_grid"] else ""
        edge += f" ({r['diverged']} runs diverged)" if r.get("diverged") else ""
        full = r["batch_size"] == metrics["config"]["n"]
        matched = "0 (does not shuffle)" if full else interval(r["spread_at_distance"]).format(3)
        seconds = (
            f"{r['seconds']:.1f} s" if r["seconds"] >= MIN_TIMED_SECONDS else "< 1 s: not timed"
        )
        lines.append(
            f"| {r['label']} | {r['learning_rate']:g}{edge} | "
            f"{costs(r['updates_to_tau'], 0)} | {costs(r['epochs_to_tau'], 2)} "
            f"| {interval(np.asarray(r['spread'])[:, -1]).format(3)} | "
            f"{matched} | "
            f"{accuracy_interval(r['disagreement']).format(3)} | {seconds} |"
        )
    return "\n".join(lines) + "\n"


def claims(metrics: dict) -> list[Claim]:
    regimes = metrics["regimes"]
    n = metrics["config"]["n"]
    mini = [r for r in regimes if r["batch_size"] < n]
    tau, D = metrics["tau"], metrics["matched_distance"]

    def judged(key, rows, field, digits, note):
        sizes = [r["batch_size"] for r in rows]
        per_seed = np.array([r[field] for r in rows], np.float64).T  # (seeds, batch sizes)
        rho = trend(sizes, per_seed)
        values = ", ".join(f"b={r['batch_size']}: {costs(r[field], digits)}" for r in rows)
        return Claim(
            CLAIMS[key],
            f"{note}: {values}; rank correlation with b {rho.format(2)} ({rho.n} seeds)",
            trend_verdict(rho, -1),
        )

    end = [dict(r, spread_end=np.asarray(r["spread"])[:, -1]) for r in mini]
    return [
        judged("per_update", regimes, "updates_to_tau", 0, f"updates to J ≤ {tau:.4f}"),
        judged("per_epoch", regimes, "epochs_to_tau", 2, f"epochs to J ≤ {tau:.4f}"),
        judged(
            "spread_updates",
            end,
            "spread_end",
            3,
            f"spread after {metrics['config']['passes']}·n updates",
        ),
        judged("spread_distance", mini, "spread_at_distance", 3, f"spread at ‖θ − θ_0‖ = {D:.2f}"),
    ]


if __name__ == "__main__":
    run(__name__, Config, QUICK, main)

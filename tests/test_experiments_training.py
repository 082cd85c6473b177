"""The training experiments (batch size, universal approximation, depth): a tiny run of each
writes its metrics and figures, and each verdict rule, fed numbers on both sides, gives every
outcome it can."""

import json

import numpy as np
import pytest

from experiments import batch_size, depth, universal_approximation
from experiments.common import VERDICTS, Interval


def check_outputs(module, metrics, root, figures):
    folder = root / module.NAME
    stored = json.loads((folder / "metrics.json").read_text())
    assert stored.keys() == metrics.keys()
    for figure in figures:
        path = folder / figure
        assert path.exists() and path.stat().st_size > 1000, f"{figure} is missing or empty"
    found = module.claims(stored)
    assert found and all(c.verdict in VERDICTS for c in found)
    assert all(c.claim and c.measured and "|" not in c.measured for c in found)
    # The verdicts come from the numbers: the same whether from memory or from the JSON file.
    assert [c.verdict for c in found] == [c.verdict for c in module.claims(metrics)]
    assert module.table(stored)
    return stored


# batch_size


@pytest.mark.heavy
def test_batch_size_tiny_run(tmp_path):
    config = batch_size.Config(
        n=8, n_val=16, n_test=16, hidden=3, batch_sizes=(8, 1), learning_rates=(1.0, 4.0),
        passes=2, seeds=2, shuffles=2, results=tmp_path,
    )  # fmt: skip
    metrics = check_outputs(
        batch_size, batch_size.main(config), tmp_path, ["convergence.png", "exploration.png"]
    )
    full, sgd = metrics["regimes"]
    assert (full["batch_size"], full["steps_per_epoch"]) == (8, 1)
    assert (sgd["batch_size"], sgd["steps_per_epoch"]) == (1, 8)
    for regime in metrics["regimes"]:
        assert regime["learning_rate"] in config.learning_rates
        assert np.shape(regime["val_loss"]) == (2, 2)  # seeds × learning rates
        assert regime["checkpoints"] == [0, 8, 16]
        assert np.allclose(np.asarray(regime["distance"])[:, 0], 0)
        # Budget: passes × n = 16 updates: 16 epochs of full batch, 2 of SGD; epoch 0 too.
        epochs = 16 // regime["steps_per_epoch"]
        assert regime["curve_epochs"][0] == 0 and regime["curve_epochs"][-1] == epochs
        assert np.shape(regime["curve"]) == (2, len(regime["curve_epochs"]))
        # tau is reached on at least the median seed of every batch size, within the budget;
        # a seed that does not reach it costs inf.
        cost = np.asarray(regime["epochs_to_tau"], float)
        assert np.isfinite(cost).any() and np.all((cost <= epochs) | np.isinf(cost))
    # Both start from each seed's same init: the same loss at epoch 0.
    assert np.allclose(np.asarray(full["curve"])[:, 0], np.asarray(sgd["curve"])[:, 0])
    # Full-batch gradient descent does not shuffle: every shuffle ends at the same params.
    assert np.allclose(full["spread"], 0, atol=1e-6)
    assert np.asarray(sgd["spread"])[:, -1].min() > 0
    assert len(batch_size.claims(metrics)) == len(batch_size.CLAIMS)


def test_batch_size_rejects_sizes_that_do_not_divide_n():
    with pytest.raises(ValueError, match="must each divide n=10"):
        batch_size.check(batch_size.Config(n=10, batch_sizes=(10, 4, 1)))
    with pytest.raises(ValueError, match="passes=3"):
        batch_size.check(batch_size.Config(passes=3))


def batch_metrics(updates, epochs, spread_end, spread_at_distance):
    """Claims' input: each argument ``(batch sizes, seeds)``, batch sizes (4, 2, 1) of n = 4."""
    regimes = []
    for i, b in enumerate((4, 2, 1)):
        end = np.asarray(spread_end[i], float)
        regimes.append(
            {
                "batch_size": b,
                "updates_to_tau": np.asarray(updates[i], float),
                "epochs_to_tau": np.asarray(epochs[i], float),
                "spread": np.stack([np.zeros_like(end), end], axis=1),
                "spread_at_distance": np.asarray(spread_at_distance[i], float),
            }
        )
    return {
        "config": {"n": 4, "passes": 2},
        "tau": 0.05,
        "matched_distance": 1.0,
        "regimes": regimes,
    }


def seeds_of(*values, jitter=0.01):
    """Five seeds of each value, slightly apart, so that intervals are not of width 0."""
    return [[v + jitter * s for s in range(5)] for v in values]


def test_batch_size_rules_each_way():
    # Per update, larger batches are faster; per epoch, slower; the spread falls with b
    # (only the mini-batch sizes 2 and 1 count; with two sizes a trend is -1 or +1).
    lecture_like = batch_metrics(
        updates=seeds_of(10, 20, 40),
        epochs=seeds_of(12, 8, 4),
        spread_end=seeds_of(0, 1, 2),
        spread_at_distance=seeds_of(0, 0.5, 1.0),
    )
    verdicts = [c.verdict for c in batch_size.claims(lecture_like)]
    assert verdicts == ["supported", "not supported", "supported", "supported"]
    reversed_ = batch_metrics(
        updates=seeds_of(40, 20, 10),
        epochs=seeds_of(1, 2, 3),
        spread_end=seeds_of(0, 2, 1),
        spread_at_distance=seeds_of(0, 1.0, 0.5),
    )
    verdicts = [c.verdict for c in batch_size.claims(reversed_)]
    assert verdicts == ["not supported", "supported", "not supported", "not supported"]


def test_batch_size_weak_trend_is_partly_supported():
    # Updates 1, 3, 2 for b = 4, 2, 1: a rank correlation of -0.5 in every seed, beyond the
    # interval but weak.
    metrics = batch_metrics(
        updates=seeds_of(1, 3, 2),
        epochs=seeds_of(1, 2, 3),
        spread_end=seeds_of(0, 1, 2),
        spread_at_distance=seeds_of(0, 1, 2),
    )
    per_update = batch_size.claims(metrics)[0]
    assert per_update.verdict == "partly supported", per_update.measured


def test_at_distance_and_cost_to_reach_interpolate():
    assert batch_size.cost_to_reach(np.array([0, 10, 20]), np.array([1.0, 0.5, 0.1]), 0.3) == 15
    assert np.isnan(batch_size.cost_to_reach(np.arange(3), np.array([1.0, 0.9, 0.8]), 0.1))
    distance, spread = np.array([0.0, 2.0, 4.0]), np.array([0.0, 1.0, 3.0])
    assert batch_size.at_distance(distance, spread, 3.0) == 2.0
    assert np.isnan(batch_size.at_distance(distance, spread, 5.0))


# depth


@pytest.mark.heavy
def test_depth_tiny_run(tmp_path):
    config = depth.Config(
        datasets=("spirals",), depths=(1, 2), spirals_sizes=(16, 32), spirals_test=60,
        spirals_budget=100, updates=20, seeds=2, results=tmp_path,
    )  # fmt: skip
    metrics = check_outputs(depth, depth.main(config), tmp_path, ["accuracy_vs_n.png"])
    spirals = metrics["datasets"]["spirals"]
    assert [row["p"] for row in spirals["depths"]] == [1, 2]
    for row in spirals["depths"]:  # every depth near the budget
        assert abs(row["n_params"] - config.spirals_budget) / config.spirals_budget < 0.15
        assert np.shape(row["accuracy"]) == (2, 2)  # seeds × sizes
    one, deep = (np.asarray(row["accuracy"]) for row in spirals["depths"])
    assert np.allclose(spirals["gap"], deep - one)


def test_depth_width_for_budget():
    # (d + 1) h + (h + 1) c for one hidden layer: 64 inputs, 10 classes, 5000 parameters.
    assert depth.width_for_budget(64, 10, 1, 5000) == 67
    with pytest.raises(ValueError, match="must hold p = 1"):
        depth.main(depth.Config(depths=(0, 2)))


def _i(low, high):
    return Interval((low + high) / 2, low, high, 5)


@pytest.mark.parametrize(
    "rho, last, expected",
    [
        (_i(0.75, 0.95), _i(0.02, 0.05), "supported"),
        (_i(-0.2, 0.3), _i(0.02, 0.05), "partly supported"),  # leads, no growth
        (_i(0.75, 0.95), _i(-0.01, 0.02), "partly supported"),  # grows, tie at the end
        (_i(0.1, 0.3), _i(-0.01, 0.02), "not supported"),  # weak growth, tie
        (_i(0.75, 0.95), _i(-0.05, -0.01), "not supported"),  # deep nets lose at the end
    ],
    ids=["grows_and_leads", "leads_only", "grows_only", "ties", "loses"],
)
def test_depth_rule(rho, last, expected):
    assert depth.verdict(rho, last) == expected


def test_depth_claims_each_way():
    sizes = [40, 80, 160, 320, 640]

    def metrics(gap):
        return {"datasets": {"d": {"sizes": sizes, "deep": 4, "gap": np.asarray(gap)}}}

    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.003, (5, 5))
    # Deep nets lose at every n, less as n grows (digits at quick size): not supported.
    losing = np.array([-0.06, -0.05, -0.03, -0.02, -0.01]) + noise
    assert depth.claims(metrics(losing))[0].verdict == "not supported"
    growing = np.array([-0.02, 0.0, 0.03, 0.06, 0.1]) + noise
    assert depth.claims(metrics(growing))[0].verdict == "supported"


# universal_approximation


@pytest.mark.heavy
def test_universal_approximation_tiny_run(tmp_path):
    config = universal_approximation.Config(
        widths=(1, 2, 4), targets=("sine", "step", "sine_2d"), n=32, n_2d=32, grid=101,
        epochs=20, seeds=2, results=tmp_path,
    )  # fmt: skip
    metrics = check_outputs(
        universal_approximation,
        universal_approximation.main(config),
        tmp_path,
        ["error_vs_width.png", "fits.png"],
    )
    targets = metrics["targets"]
    assert list(targets) == ["sine", "step", "sine_2d"]
    assert (targets["sine"]["d"], targets["sine_2d"]["d"]) == (1, 2)
    for target in targets.values():
        mse, sup = np.asarray(target["mse"]), np.asarray(target["sup"])
        assert mse.shape == sup.shape == (2, 3)  # seeds × widths
        assert np.all(np.isfinite(mse)) and np.all(mse <= sup**2 + 1e-6)
    # A continuous fit cannot get closer than half the jump of the step, at any width.
    assert np.min(targets["step"]["sup"]) >= 0.5 - 0.05
    assert "Widths run: 1, 2, 4" in universal_approximation.table(metrics)


def test_universal_approximation_rejects_unknown_targets():
    with pytest.raises(ValueError, match="not known"):
        universal_approximation.main(universal_approximation.Config(targets=("cosine",)))


def test_universal_approximation_rules_each_way():
    widths = [1, 2, 4, 8]
    rng = np.random.default_rng(0)

    def metrics(*rows):
        targets = {
            name: {"mse": np.asarray(row) * np.exp(rng.normal(0, 0.02, (5, len(widths))))}
            for name, row in zip(("sine", "abs"), rows)
        }
        return {"config": {"widths": widths}, "targets": targets}

    falling = [1e-1, 1e-2, 1e-3, 1e-4]
    flat = [1e-2, 1e-2, 1e-2, 1e-2]
    weak = [1e-2, 1e-1, 3e-2, 1e-3]  # ranks 2, 4, 3, 1: rank correlation -0.4 in every seed
    verdicts = [
        ((falling, falling), "supported"),
        ((falling, flat), "partly supported"),
        ((weak, flat), "partly supported"),
        ((flat, flat), "not supported"),
    ]
    for rows, expected in verdicts:
        (found,) = universal_approximation.claims(metrics(*rows))
        assert found.verdict == expected, (rows, found.measured)


def test_batch_size_run_that_diverges_never_reaches_tau(monkeypatch):
    import jax

    import jaxmlp

    def diverges(mlp, state, *args, **kwargs):
        params = state if isinstance(state, list) else state.params
        raise jaxmlp.DivergenceError("loss is nan", params, None, None)

    monkeypatch.setattr(jaxmlp, "fit", diverges)
    config = batch_size.Config(n=4, n_test=3, hidden=2, passes=2, seeds=2, shuffles=2)
    mlp = jaxmlp.MLP((2, 2, 2), hidden="sigmoid", output="sigmoid")
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]], np.float32)
    data = {"train": (X, np.eye(2, dtype=np.float32)[[0, 1, 0, 1]]), "test": (X[:3], None)}
    keys = {"fit": jax.random.key(0), "shuffle": jax.random.key(1)}
    runs = batch_size.shuffled_runs(mlp, data, 1, 1.0, config, keys)
    assert runs["diverged"] == 4  # every run of both seeds
    assert np.all(np.isfinite(runs["curve"][..., 0])) and np.all(np.isnan(runs["curve"][..., 1:]))
    assert np.allclose(runs["distance"], 0)  # the last finite params: the init
    epochs = np.arange(runs["curve"].shape[-1])
    assert np.isnan(batch_size.cost_to_reach(epochs, runs["curve"][0, 0], 0.01))

"""The training experiments (batch size, universal approximation, depth) at a tiny size: each
writes its metrics and figures, and its claims carry a verdict computed from the numbers."""

import json

import numpy as np
import pytest

from experiments import batch_size, depth, universal_approximation
from experiments.common import VERDICTS


def check_outputs(module, metrics, root, figures):
    folder = root / module.NAME
    assert json.loads((folder / "metrics.json").read_text()).keys() == metrics.keys()
    for figure in figures:
        path = folder / figure
        assert path.exists() and path.stat().st_size > 1000, f"{figure} is missing or empty"
    stored = json.loads((folder / "metrics.json").read_text())
    found = module.claims(stored)
    assert found and all(c.verdict in VERDICTS for c in found)
    assert all(c.claim and c.measured for c in found)
    # The verdicts come from the numbers: the same whether from memory or from the JSON file.
    assert [c.verdict for c in found] == [c.verdict for c in module.claims(metrics)]
    return stored


def test_batch_size_measures_speed_and_exploration(tmp_path):
    config = batch_size.Config(
        n=64, n_test=64, hidden=4, batch_sizes=(None, 1), epochs=3, shuffles=2, results=tmp_path
    )
    metrics = check_outputs(
        batch_size, batch_size.main(config), tmp_path, ["loss_curves.png", "exploration.png"]
    )
    full, sgd = metrics["regimes"]
    assert (full["batch_size"], full["steps_per_epoch"]) == (64, 1)
    assert (sgd["batch_size"], sgd["steps_per_epoch"]) == (1, 64)
    for regime in metrics["regimes"]:
        assert len(regime["loss"]) == config.epochs + 1  # epoch 0 (the init) too
        assert regime["loss"][0] == pytest.approx(full["loss"][0])  # one init for all
        assert all(np.isfinite(regime["loss"])) and regime["path_length"] > 0
        assert regime["path_length"] >= regime["net_distance"] - 1e-6  # a path is never shorter
        assert 0 <= regime["disagreement"] <= 1 and regime["epochs_to_tau"] <= config.epochs
    # Full-batch gradient descent does not shuffle: every seed ends at the same params.
    assert full["pairwise_distance"] == pytest.approx(0, abs=1e-6)
    assert full["final_loss_std"] == pytest.approx(0, abs=1e-7)
    assert len(batch_size.claims(metrics)) == 5


def test_depth_compares_depths_at_one_budget(tmp_path):
    config = depth.Config(
        datasets=("spirals",),
        depths=(1, 3),
        spirals_sizes=(16, 64),
        spirals_test=100,
        spirals_budget=200,
        updates=40,
        seeds=1,
        results=tmp_path,
    )
    metrics = check_outputs(depth, depth.main(config), tmp_path, ["accuracy_vs_n.png"])
    spirals = metrics["datasets"]["spirals"]
    assert [row["p"] for row in spirals["depths"]] == [1, 3]
    for row in spirals["depths"]:  # every depth near the budget
        assert abs(row["n_params"] - config.spirals_budget) / config.spirals_budget < 0.1
    for row in spirals["depths"]:
        assert len(row["accuracy"]) == 2 and all(0 <= a <= 1 for a in row["accuracy"])
    assert set(spirals["best_depth"]) <= {1, 3}


def test_depth_width_for_budget():
    # (d + 1) h + (h + 1) c for one hidden layer: 64 inputs, 10 classes, 5000 parameters.
    assert depth.width_for_budget(64, 10, 1, 5000) == 67
    with pytest.raises(ValueError, match="must hold p = 1"):
        depth.main(depth.Config(depths=(0, 2)))


def test_universal_approximation_measures_errors_against_width(tmp_path):
    config = universal_approximation.Config(
        widths=(1, 2, 4),
        targets=("sine", "step", "sine_2d"),
        n=64,
        n_2d=64,
        grid=201,
        epochs=30,
        results=tmp_path,
    )
    metrics = check_outputs(
        universal_approximation,
        universal_approximation.main(config),
        tmp_path,
        ["error_vs_width.png", "fits.png"],
    )
    targets = metrics["targets"]
    assert list(targets) == ["sine", "step", "sine_2d"]
    assert (targets["sine"]["d"], targets["sine_2d"]["d"]) == (1, 2)
    assert (targets["sine"]["jump"], targets["step"]["jump"]) == (0.0, 1.0)
    for target in targets.values():
        assert len(target["sup"]) == len(target["mse"]) == len(config.widths)
        assert all(np.isfinite(target["sup"])) and all(np.isfinite(target["mse"]))
        # The sup norm bounds the mean squared error: mse <= sup².
        assert all(m <= s**2 + 1e-6 for m, s in zip(target["mse"], target["sup"]))
    # A continuous fit cannot get closer than half the jump of the step, at any width.
    assert min(targets["step"]["sup"]) >= 0.5 - 0.05
    assert len(universal_approximation.claims(metrics)) == 3


def test_universal_approximation_rejects_unknown_targets(tmp_path):
    with pytest.raises(ValueError, match="not known"):
        universal_approximation.main(universal_approximation.Config(targets=("cosine",)))

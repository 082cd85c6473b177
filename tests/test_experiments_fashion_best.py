"""experiments/fashion_best.py: its verdict rules both ways, and a quick run on a subset."""

import dataclasses
import json
import os

import pytest

from experiments import fashion_best
from experiments.common import TARGET_VERDICTS
from jaxmlp.data import FASHION_MNIST_DIR

MET, NOT_MET, _, FULL_SIZE = TARGET_VERDICTS


@pytest.mark.parametrize(
    "accuracies, verdict",
    [([0.912, 0.909, 0.911], MET), ([0.910, 0.910, 0.910], MET), ([0.911, 0.905, 0.909], NOT_MET)],
    ids=["mean-above", "mean-at", "mean-below"],
)
def test_the_accuracy_target_is_the_mean_of_the_seeds(accuracies, verdict):
    assert fashion_best.accuracy_verdict(accuracies, full=True) == verdict
    assert fashion_best.accuracy_verdict(accuracies, full=False) == FULL_SIZE


@pytest.mark.parametrize(
    "fit_times, sklearn_time, verdict",
    [
        ([40.0, 49.0, 80.0], 200.0, MET),
        ([40.0, 50.0, 55.0], 200.0, NOT_MET),
        ([60.0] * 3, 200.0, NOT_MET),
    ],
    ids=["median-below", "median-at", "all-above"],
)
def test_the_time_target_is_the_median_fit_against_a_quarter_of_sklearn(
    fit_times, sklearn_time, verdict
):
    assert fashion_best.time_verdict(fit_times, sklearn_time, full=True) == verdict
    assert fashion_best.time_verdict(fit_times, None, full=True) == FULL_SIZE
    assert fashion_best.time_verdict(fit_times, sklearn_time, full=False) == FULL_SIZE


def test_the_search_picks_the_best_validation_accuracy_first_on_a_tie():
    assert fashion_best.best([{"val_accuracy": a} for a in (0.90, 0.91, 0.905)]) == 1
    assert fashion_best.best([{"val_accuracy": a} for a in (0.91, 0.90, 0.91)]) == 0


@pytest.mark.heavy
@pytest.mark.skipif(not os.path.isdir(FASHION_MNIST_DIR), reason="Fashion-MNIST not installed")
def test_a_quick_run_searches_on_validation_then_scores_the_seeds_on_test(tmp_path):
    config = dataclasses.replace(fashion_best.QUICK, results=tmp_path, n_train=1200, n_test=500)
    metrics = fashion_best.main(config)
    written = json.loads((tmp_path / fashion_best.NAME / "metrics.json").read_text())
    assert written["size"] == "custom" and len(written["search"]) == 2
    for entry in written["search"]:
        assert (entry["n_train"], entry["n_val"]) == (1000, 200)
        assert 0.3 < entry["val_accuracy"] <= 1.0  # above chance after 3 epochs
    chosen = written["search"][written["chosen"]]
    assert chosen["val_accuracy"] == max(e["val_accuracy"] for e in written["search"])
    final = written["final"]
    assert final["recipe"] == chosen["recipe"] and (final["n_train"], final["n_test"]) == (
        1200,
        500,
    )
    assert len(final["test_accuracy"]) == len(final["fit_time"]) == 2
    assert all(0.3 < a <= 1.0 for a in final["test_accuracy"])
    assert [t["verdict"] for t in written["targets"]] == [FULL_SIZE, FULL_SIZE]
    assert metrics["final"]["test_accuracy"] == final["test_accuracy"]


def test_skip_search_takes_a_candidates_index_and_refuses_others(capsys):
    parse = fashion_best.Config  # the command line replaces the field through Config's check
    assert parse(skip_search=2).skip_search == 2
    for bad in (-1, len(fashion_best.CANDIDATES), 1.0, True):
        with pytest.raises(ValueError, match=r"skip_search \(--skip-search\) must be .*\[0, "):
            parse(skip_search=bad)
    with pytest.raises(SystemExit) as exit_:  # refused before anything runs
        fashion_best.run(
            "experiments.fashion_best", fashion_best.Config, fashion_best.QUICK,
            lambda config: pytest.fail("ran"), ["--quick", "--skip-search", "2"],
            options=fashion_best.OPTIONS,
        )  # fmt: skip
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "error: skip_search (--skip-search) must be a candidate's index in [0, 2), got 2" in err


def test_skip_search_on_the_command_line_sets_the_field_and_keeps_the_full_size():
    seen = []
    fashion_best.run(
        "experiments.fashion_best", fashion_best.Config, fashion_best.QUICK, seen.append,
        ["--skip-search", "1"], options=fashion_best.OPTIONS,
    )  # fmt: skip
    assert seen[0].skip_search == 1 and fashion_best.size(seen[0]) == "full"
    assert fashion_best.size(fashion_best.Config()) == "full"


@pytest.mark.heavy
@pytest.mark.skipif(not os.path.isdir(FASHION_MNIST_DIR), reason="Fashion-MNIST not installed")
def test_a_skipped_search_trains_only_the_given_candidate(tmp_path):
    config = dataclasses.replace(
        fashion_best.QUICK, results=tmp_path, n_train=600, n_test=300, seeds=(0,), skip_search=1
    )
    written = fashion_best.main(config)
    assert written["search"] is None and written["chosen"] == 1
    assert written["final"]["recipe"] == dataclasses.asdict(fashion_best.QUICK.candidates[1])
    assert 0.3 < written["final"]["test_accuracy"][0] <= 1.0


def test_a_recipe_refuses_an_unknown_scale_and_shifts_out_of_0_1():
    with pytest.raises(ValueError, match="scale must be 'none' or 'standardize_global', got 'x'"):
        fashion_best.Recipe(scale="x")
    with pytest.raises(ValueError, match="shift=1 fills with zeros, black only in"):
        fashion_best.Recipe(shift=1, scale="standardize_global")


def test_a_globally_standardized_recipe_scores_through_its_training_scaler():
    import numpy as np

    import jaxmlp

    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (64, 784)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    recipe = fashion_best.Recipe(hidden=(8,), epochs=1, scale="standardize_global")
    trained, fit_time = fashion_best.train(recipe, X, y, seed=0)
    assert fit_time > 0 and trained.scaler.name == "standardize_global"
    np.testing.assert_allclose(trained.scaler.offset, X.astype(np.float64).mean())
    X_new = X[:16] * 0.5  # other images: the training images' mean and std apply, not theirs
    by_hand = (X_new - X.astype(np.float64).mean()) / X.astype(np.float64).std()
    predicted = np.asarray(jaxmlp.predict(trained.mlp, trained.params, by_hand.astype(np.float32)))
    assert trained.accuracy(X_new, predicted) == 1.0
    assert trained.accuracy(X_new, (predicted + 1) % 10) == 0.0


def test_the_search_ranks_each_candidate_by_its_mean_over_search_fits(monkeypatch):
    import numpy as np

    # Seed 0 favours the first candidate, seed 1 the second by more: the mean picks the second.
    scores = {(0, 0): 0.91, (0, 1): 0.90, (1, 0): 0.905, (1, 1): 0.915}
    recipes = (fashion_best.Recipe(hidden=(8,)), fashion_best.Recipe(hidden=(9,)))
    fits = []

    class Stub:
        def __init__(self, score):
            self.score = score

        def accuracy(self, X, y):
            return self.score

    def train(recipe, X, y, seed):
        fits.append((recipes.index(recipe), seed))
        return Stub(scores[recipes.index(recipe), seed]), 1.0

    data = np.zeros((12, 784), np.float32), np.arange(12) % 2
    monkeypatch.setattr(
        fashion_best, "load_data", lambda config, validation: (*data, *data, None, None)
    )
    monkeypatch.setattr(fashion_best, "train", train)
    found = fashion_best.search(fashion_best.Config(candidates=recipes))
    assert fits == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert [e["val_accuracies"] for e in found] == [[0.91, 0.90], [0.905, 0.915]]
    assert fashion_best.best(found) == 1 and found[1]["val_accuracy"] == pytest.approx(0.91)
    one = fashion_best.search(fashion_best.Config(candidates=recipes, search_fits=1, seed=1))
    assert fits[4:] == [(0, 1), (1, 1)] and fashion_best.best(one) == 1
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match=f"search_fits must be a positive integer, got {bad}"):
            fashion_best.Config(search_fits=bad)


def _metrics(search: bool) -> dict:
    recipe = fashion_best.Recipe(hidden=(64,), epochs=3)
    entry = {"describe": recipe.describe(), "val_accuracies": [0.85, 0.86], "fit_time": [1.0, 1.1]}
    return {
        "size": "full",
        "config": {"seeds": [0, 1, 2]},
        "search": [entry | {"val_accuracy": 0.855}] if search else None,
        "chosen": 0,
        "final": {
            "describe": recipe.describe(),
            "test_accuracy": [0.9120, 0.9100, 0.9110],
            "fit_time": [10.0, 11.0, 12.0],
        },
        "sklearn": {"fit_time": 80.0, "test_accuracy": 0.8886, "epochs": 192},
    }


@pytest.mark.parametrize("search", [True, False])
def test_the_report_holds_the_targets_the_search_and_the_seeds(tmp_path, search):
    from experiments.common import write_metrics
    from experiments.report import write_report

    write_metrics(fashion_best.NAME, _metrics(search), tmp_path)
    text = write_report(tmp_path).read_text()
    rows = {line for line in text.splitlines() if line.startswith("| Fashion-MNIST mean")}
    assert rows == {
        "| Fashion-MNIST mean test accuracy of one MLP ≥ 0.910 | 0.9110 (seeds 0, 1, 2: "
        "0.9120, 0.9100, 0.9110) | **met** |"
    }
    assert "| its fit time < 0.25 × scikit-learn's MLPClassifier((100,)) | median 11.0 s" in text
    section = text[text.index("## fashion_best") :]
    assert "Claims, measurements and rules" not in section  # it tests no claim of the lecture
    assert ("| candidate | validation accuracy" in section) == search
    assert ("0.8550 (0.8500, 0.8600) | 1.0, 1.1 |" in section) == search
    assert "0.9110 (0.9120, 0.9100, 0.9110) | 10.0, 11.0, 12.0 |" in section
    assert "| scikit-learn MLPClassifier((100,)), 192 epochs | 0.8886 (one fit) | 80.0 |" in section

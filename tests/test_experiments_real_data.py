"""Smoke tests of experiments/real_data.py: a tiny run writes its metrics, table, figures and claims."""

import dataclasses
import json
import math
from pathlib import Path

import pytest

from experiments import real_data
from experiments.common import VERDICTS, Claim
from experiments.report import write_report
from jaxmlp.data import FASHION_MNIST_DIR

# A few epochs of each model: enough to beat chance, small enough to run in seconds.
TINY_RECIPES = dict(
    digits_softmax=dataclasses.replace(real_data.Config().digits_softmax, epochs=5),
    digits_lecture=dataclasses.replace(real_data.Config().digits_lecture, epochs=5),
    digits_modern=dataclasses.replace(real_data.Config().digits_modern, epochs=5, patience=2),
)


def tiny_config(tmp_path: Path, **changes) -> real_data.Config:
    tiny = dict(datasets=("digits",), results=tmp_path, sklearn_max_iter=10, **TINY_RECIPES)
    return real_data.Config(**(tiny | changes))


def check_metrics(metrics: dict, datasets: tuple[str, ...]) -> None:
    assert metrics["size"] == "custom"
    assert list(metrics["datasets"]) == list(datasets)
    assert len(metrics["load_average_start"]) == 3
    for name in datasets:
        result = metrics["datasets"][name]
        assert result["n_train"] > 0 and result["n_val"] > 0 and result["n_test"] > 0
        assert set(result["models"]) == set(real_data.MODELS)
        for model, entry in result["models"].items():
            # Well above chance (0.1): these runs are tiny (2 epochs of 2000 images at most).
            assert 0.3 < entry["test_accuracy"] <= 1.0, (name, model)
            assert entry["fit_time"] > 0
        for model in real_data.JAXMLP_MODELS:
            entry = result["models"][model]
            history = entry["history"]
            assert history["epoch"] == list(range(1, entry["epochs"] + 1))
            assert len(history["val_accuracy"]) == entry["epochs"]
            assert math.isclose(
                entry["time_fraction_of_sklearn"],
                entry["fit_time"] / result["models"]["sklearn"]["fit_time"],
            )
        assert result["models"]["sklearn"]["epochs"] <= 10


def test_tiny_digits_run_writes_metrics_figures_and_claims(tmp_path):
    config = tiny_config(tmp_path)
    metrics = real_data.main(config)

    folder = tmp_path / real_data.NAME
    written = json.loads((folder / "metrics.json").read_text())
    check_metrics(written, ("digits",))
    assert written["config"]["sklearn_max_iter"] == 10
    assert written["table"].count("| digits |") == len(real_data.MODELS)
    assert (folder / "table.md").read_text() == written["table"]
    for figure in ("accuracy_vs_time.png", "learning_curves.png"):
        assert (folder / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    found = real_data.claims(written)
    assert found == real_data.claims(metrics)
    # Without Fashion-MNIST only the softmax-regression claim can be tested.
    assert len(found) == 1 and "digits" in found[0].claim
    assert all(isinstance(c, Claim) and c.verdict in VERDICTS for c in found)
    models = written["datasets"]["digits"]["models"]
    assert f"{models['softmax']['test_accuracy']:.4f}" in found[0].measured

    # The report shows the table in the experiment's section.
    report = write_report(tmp_path).read_text()
    assert written["table"] in report.split("## real_data", 1)[1]


def test_claims_follow_the_numbers():
    def metrics(modern, lecture, softmax, times):
        names = ("softmax", "lecture", "modern", "sklearn")
        accuracies = (softmax, lecture, modern, 0.88)
        models = {
            name: {"test_accuracy": accuracy, "fit_time": time}
            for name, accuracy, time in zip(names, accuracies, times)
        }
        fashion = {"n_train": 54000, "models": models}
        return {"size": "full", "datasets": {"fashion-mnist": fashion}}

    fast = (1.0, 20.0, 20.0, 300.0)
    slow = (1.0, 40.0, 40.0, 300.0)
    verdicts = [c.verdict for c in real_data.claims(metrics(0.91, 0.89, 0.84, fast))]
    assert verdicts == ["supported", "supported", "supported"]
    verdicts = [c.verdict for c in real_data.claims(metrics(0.91, 0.87, 0.88, slow))]
    assert verdicts == ["partly supported", "not supported", "partly supported"]


def test_sizes_are_named():
    assert real_data.size_name(real_data.Config(seed=3)) == "full"
    assert real_data.size_name(real_data.QUICK) == "quick"
    assert real_data.QUICK.fashion_train is not None


@pytest.mark.slow
@pytest.mark.skipif(not Path(FASHION_MNIST_DIR).exists(), reason="Fashion-MNIST is not installed")
def test_tiny_fashion_mnist_run(tmp_path):
    recipes = {
        f"fashion_{model}": dataclasses.replace(
            real_data.Config().recipe("fashion-mnist", model), epochs=2
        )
        for model in real_data.JAXMLP_MODELS
    }
    config = tiny_config(tmp_path, datasets=("fashion-mnist",), fashion_train=2000, **recipes)
    metrics = real_data.main(config)
    check_metrics(metrics, ("fashion-mnist",))
    assert metrics["datasets"]["fashion-mnist"]["n_train"] == 2000
    found = real_data.claims(metrics)
    assert len(found) == 3 and all(c.verdict in VERDICTS for c in found)

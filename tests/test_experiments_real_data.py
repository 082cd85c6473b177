"""Smoke tests of experiments/real_data.py: a tiny run writes its metrics, table, figures and claims."""

import dataclasses
import json
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
    tiny = dict(
        datasets=("digits",), results=tmp_path, seeds=2, sklearn_max_iter=10, **TINY_RECIPES
    )
    return real_data.Config(**(tiny | changes))


def check_metrics(metrics: dict, datasets: tuple[str, ...], sklearn: bool = True) -> None:
    assert metrics["size"] == "custom"
    assert list(metrics["datasets"]) == list(datasets)
    assert len(metrics["load_average_start"]) == 3
    seeds = metrics["config"]["seeds"]
    for name in datasets:
        result = metrics["datasets"][name]
        assert result["n_train"] > 0 and result["n_val"] > 0 and result["n_test"] > 0
        assert set(result["models"]) == set(real_data.JAXMLP_MODELS)
        for model, entry in result["models"].items():
            assert len(entry["test_accuracy"]) == len(entry["fit_time"]) == seeds
            # Well above chance (0.1): these runs are tiny (5 epochs at most).
            assert all(0.3 < a <= 1.0 for a in entry["test_accuracy"]), (name, model)
            assert all(t > 0 for t in entry["fit_time"])
            history = entry["history"]  # seed 0's
            assert history["epoch"] == list(range(1, entry["epochs"][0] + 1))
            assert len(history["val_accuracy"]) == entry["epochs"][0]
        assert ("sklearn" in result) == sklearn
        if sklearn:
            assert result["sklearn"]["epochs"] <= 10
            assert 0.3 < result["sklearn"]["test_accuracy"] <= 1.0


@pytest.mark.heavy
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
    assert len(found) == 1 and "digits" in found[0].claim
    assert all(isinstance(c, Claim) and c.verdict in VERDICTS for c in found)
    assert "2 seeds" in found[0].measured
    # Without Fashion-MNIST there is no target to report.
    assert real_data.targets(written) == []

    # The report shows the table in the experiment's section and the rule before it.
    published = tmp_path / "RESULTS.md"
    report = write_report(tmp_path, publish=published).read_text()
    section = report.split("## real_data", 1)[1]
    assert written["table"] in section
    assert real_data.CLAIMS["mlp_beats_linear"].rule in section
    assert "## The lecture's claims" in report and "## The project's targets" in report
    assert "| linear_limits | | not run | |" in report  # the others did not run here
    assert "![accuracy_vs_time](real_data/accuracy_vs_time.png)" in report
    # Published without figures (results/ is not committed), with the machine it ran on.
    text = published.read_text()
    assert "![" not in text and "`results/real_data/accuracy_vs_time.png`" in text
    assert "Machine: " in text and "jax " in text and "scikit-learn " in text


def fashion_metrics(modern, lecture, softmax, times, size="full", sklearn_time=300.0):
    """Five seeds of each model: accuracies and fit times jittered around the given means."""
    jitter = [0.001 * s for s in range(5)]
    models = {
        name: {"test_accuracy": [a + j for j in jitter], "fit_time": [t + j for j in jitter]}
        for name, a, t in zip(("softmax", "lecture", "modern"), (softmax, lecture, modern), times)
    }
    fashion = {"n_train": 54000, "models": models}
    fashion["sklearn"] = {"test_accuracy": 0.88, "fit_time": sklearn_time}
    return {"size": size, "datasets": {"fashion-mnist": fashion}}


def test_claims_follow_the_numbers():
    verdicts = [c.verdict for c in real_data.claims(fashion_metrics(0.91, 0.89, 0.84, (1, 20, 20)))]
    assert verdicts == ["supported"]
    verdicts = [c.verdict for c in real_data.claims(fashion_metrics(0.91, 0.84, 0.88, (1, 20, 20)))]
    assert verdicts == ["partly supported"]
    verdicts = [c.verdict for c in real_data.claims(fashion_metrics(0.85, 0.84, 0.88, (1, 20, 20)))]
    assert verdicts == ["not supported"]


def test_targets_follow_the_numbers():
    def verdicts(*args, **kwargs):
        return [t.verdict for t in real_data.targets(fashion_metrics(*args, **kwargs))]

    # modern accuracy, modern time, lecture accuracy, lecture time
    assert verdicts(0.91, 0.89, 0.84, (1, 20, 20)) == ["met"] * 4
    assert verdicts(0.89, 0.87, 0.84, (1, 40, 40)) == ["not met"] * 4
    assert (
        verdicts(0.898, 0.878, 0.84, (1, 29.998, 29.998))[0::2]
        == ["undecided (within the interval)"] * 2
    )
    # A quick run cannot measure them: it says so, and where the full run is.
    quick = real_data.targets(fashion_metrics(0.85, 0.83, 0.8, (1, 5, 5), size="quick"))
    assert [t.verdict for t in quick] == ["measured at full size"] * 4
    assert all(real_data.FULL_RUN in t.measured for t in quick)


def test_sizes_are_named():
    assert real_data.size_name(real_data.Config(seed=3)) == "full"
    assert real_data.size_name(real_data.QUICK) == "quick"
    assert real_data.QUICK.fashion_train is not None


@pytest.mark.heavy
@pytest.mark.slow
@pytest.mark.skipif(not Path(FASHION_MNIST_DIR).exists(), reason="Fashion-MNIST is not installed")
def test_tiny_fashion_mnist_run(tmp_path):
    recipes = {
        f"fashion_{model}": dataclasses.replace(
            real_data.Config().recipe("fashion-mnist", model), epochs=2
        )
        for model in real_data.JAXMLP_MODELS
    }
    config = tiny_config(
        tmp_path, datasets=("fashion-mnist",), fashion_train=2000, sklearn_datasets=(), **recipes
    )
    metrics = real_data.main(config)
    check_metrics(metrics, ("fashion-mnist",), sklearn=False)
    assert metrics["datasets"]["fashion-mnist"]["n_train"] == 2000
    found = real_data.claims(metrics)
    assert len(found) == 1 and found[0].verdict in VERDICTS
    assert [t.verdict for t in real_data.targets(metrics)] == ["measured at full size"] * 4

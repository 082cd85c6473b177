"""Smoke tests of the lecture experiments linear_limits, feature_extraction and backprop_check:
each runs at a tiny size and writes sane numbers, readable figures and valid claims."""

import json

import numpy as np
import pytest

from experiments import backprop_check, feature_extraction, linear_limits
from experiments.common import VERDICTS, Claim


def _outputs(root, name, figures):
    """The metrics.json written under ``root/name``, after checking the figures are there."""
    folder = root / name
    for figure in figures:
        path = folder / figure
        assert path.exists(), f"{figure} was not written"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{figure} is not a PNG"
        assert path.stat().st_size > 10_000, f"{figure} is nearly empty"
    assert not list(folder.glob(".*.tmp")), "no temporary file is left behind"
    return json.loads((folder / "metrics.json").read_text())


def _check_claims(module, metrics):
    claims = module.claims(metrics)
    assert claims, "an experiment tests at least one claim"
    for claim in claims:
        assert isinstance(claim, Claim)
        assert claim.verdict in VERDICTS
        assert claim.claim and claim.measured and "\n" not in claim.measured
        # REPORT.md puts them in a Markdown table, which a "|" would break.
        assert "|" not in claim.claim + claim.measured
    return claims


@pytest.mark.heavy
def test_linear_limits_mlp_beats_softmax_regression(tmp_path):
    config = linear_limits.Config(
        results=tmp_path, n=80, seeds=2, linear_epochs=100, mlp_epochs=400,
        mlp_learning_rate=0.03, mesh=30,
    )  # fmt: skip
    returned = linear_limits.main(config)
    metrics = _outputs(tmp_path, "linear_limits", ["decision_boundaries.png"])
    assert metrics["test_accuracy"] == returned["test_accuracy"]

    per_seed = metrics["test_accuracy_per_seed"]
    assert set(per_seed) == set(linear_limits.DATASETS)
    for row in per_seed.values():
        assert set(row) == set(linear_limits.MODELS)
        assert all(len(v) == 2 and all(0.0 <= a <= 1.0 for a in v) for v in row.values())
    linear, mlp = linear_limits.MODELS
    # XOR is the textbook case: no line separates it, one hidden layer does.
    accuracy = metrics["test_accuracy"]
    assert accuracy["XOR"][mlp] > 0.9
    assert accuracy["XOR"][linear] < 0.75
    assert metrics["chance"]["XOR"] == pytest.approx(0.5, abs=0.05)
    assert metrics["config"]["seeds"] == 2

    claims = _check_claims(linear_limits, metrics)
    assert claims[0].measured.count("chance") == len(linear_limits.NOT_LINEARLY_SEPARABLE)
    assert "| XOR |" in linear_limits.table(metrics)


def _linear_limits_metrics(linear, mlp, seeds=5):
    """Per-seed accuracies: ``linear`` and ``mlp`` map a problem to its mean accuracy."""
    jitter = [0.002 * s for s in range(seeds)]
    names = list(linear_limits.DATASETS)
    return {
        "chance": {name: 0.5 for name in names},
        "test_accuracy_per_seed": {
            name: {
                linear_limits.MODELS[0]: [linear[name] + j for j in jitter],
                linear_limits.MODELS[1]: [mlp[name] - j for j in jitter],
            }
            for name in names
        },
    }


def test_linear_limits_verdicts_follow_the_numbers():
    names = list(linear_limits.DATASETS)
    good = _linear_limits_metrics({n: 0.5 for n in names}, {n: 0.99 for n in names})
    assert [c.verdict for c in linear_limits.claims(good)] == ["supported", "supported"]
    bad = _linear_limits_metrics({n: 0.95 for n in names}, {n: 0.6 for n in names})
    assert [c.verdict for c in linear_limits.claims(bad)] == ["not supported", "not supported"]
    mixed = _linear_limits_metrics(
        {n: 0.95 if n == "XOR" else 0.5 for n in names},
        {n: 0.6 if n == "XOR" else 0.99 for n in names},
    )
    verdicts = [c.verdict for c in linear_limits.claims(mixed)]
    assert verdicts == ["partly supported", "partly supported"]
    # The MLP at 0.97 but no better than softmax regression at 0.97: not a success.
    tie = _linear_limits_metrics({n: 0.97 for n in names}, {n: 0.975 for n in names})
    assert linear_limits.claims(tie)[1].verdict == "not supported"


@pytest.mark.heavy
def test_feature_extraction_tiny_on_digits(tmp_path):
    config = feature_extraction.Config(
        results=tmp_path, datasets=("digits",), seeds=2, digits_n=200, tsne_iterations=250,
        tsne_perplexity=10.0, linear_epochs=100, hidden=8, mlp_epochs=300,
    )  # fmt: skip
    feature_extraction.main(config)
    metrics = _outputs(
        tmp_path, "feature_extraction", ["embeddings.png", "hidden_representation.png"]
    )
    accuracy = metrics["test_accuracy"]
    rows = {*feature_extraction.TRANSFORMS, *feature_extraction.MLP_ROWS}
    assert set(accuracy) == {"digits"} and set(accuracy["digits"]) == rows
    assert set(metrics["val_accuracy"]["digits"]) == rows
    assert all(len(v) == 2 and all(0 <= a <= 1 for a in v) for v in accuracy["digits"].values())
    mean = {row: np.mean(v) for row, v in accuracy["digits"].items()}
    chance = metrics["chance"]["digits"]
    assert chance < 0.2  # ten classes
    assert mean["raw"] > 0.7  # 64 pixels are nearly linearly separable
    assert mean["2-layer MLP"] > 0.7
    # Two pixels are not enough, but better than guessing.
    assert chance < mean["lasso"] < mean["raw"]
    assert len(metrics["axes"]["digits"]["lasso"]) == config.dims
    assert metrics["axes"]["digits"]["raw"] == "64 input features"
    assert metrics["dimensions"]["digits"]["raw"] == "64-D"
    assert metrics["dimensions"]["digits"]["PCA"] == "2-D"
    assert "(64-D)" in feature_extraction.table(metrics)
    _check_claims(feature_extraction, metrics)


def test_choices_are_made_on_the_validation_split():
    # Seed 0: PCA is best on validation but worst on test; the choice follows validation.
    metrics = {
        "val_accuracy": {"d": {"PCA": [0.9, 0.5], "Isomap": [0.6, 0.5], "t-SNE": [0.5, 0.8],
                               "lasso": [0.5, 0.5]}},
        "test_accuracy": {"d": {"PCA": [0.4, 0.4], "Isomap": [0.9, 0.9], "t-SNE": [0.3, 0.7],
                                "lasso": [0.5, 0.5]}},
    }  # fmt: skip
    assert list(feature_extraction.chosen(metrics, "d")) == [0.4, 0.7]
    assert feature_extraction.best_and_worst(metrics, "d") == ("PCA", "lasso")


def test_lasso_selects_the_squares_on_circles(key):
    from jaxmlp.data import standardize, synthetic

    X, y = synthetic.circles(key, 200, noise=0.05)
    F, names = feature_extraction.polynomial_features(X, 3, ["x1", "x2"])
    assert names[:5] == ["x1", "x2", "x1^2", "x1 x2", "x2^2"]
    chosen = feature_extraction.lasso_selection(standardize(F)(F), y, 2, 2)
    # x1² + x2² is the radius², which tells the circles apart.
    assert [names[i] for i in chosen] == ["x1^2", "x2^2"]


def test_output_layer_view_reads_the_decision_direction():
    import numpy as np

    rng = np.random.default_rng(0)
    Q = rng.normal(size=(100, 4)).astype(np.float32)
    W2 = np.zeros((4, 2), np.float32)
    W2[2] = [-1.0, 1.0]  # only unit 3 decides between the two classes
    projected = feature_extraction.output_layer_view(Q, W2, 2)(Q)
    centred = Q - Q.mean(axis=0)
    np.testing.assert_allclose(np.abs(projected[:, 0]), np.abs(centred[:, 2]), atol=1e-5)
    # Moving q along the decision direction moves the first coordinate only.
    moved = Q + np.array([0, 0, 1, 0], np.float32)[None, :]
    shift = feature_extraction.output_layer_view(Q, W2, 2)(moved) - projected
    np.testing.assert_allclose(np.abs(shift), [[1.0, 0.0]] * len(Q), atol=1e-5)


def test_pca_matches_numpy():
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 5)) @ rng.normal(size=(5, 5))
    projected = feature_extraction.pca(X.astype(np.float32), 2)(X.astype(np.float32))
    centred = X - X.mean(axis=0)
    _, _, Vt = np.linalg.svd(centred, full_matrices=False)
    expected = centred @ Vt[:2].T
    # Singular vectors are defined up to sign.
    np.testing.assert_allclose(np.abs(projected), np.abs(expected), rtol=1e-3, atol=1e-3)


@pytest.mark.heavy
def test_backprop_check_tiny(tmp_path):
    config = backprop_check.Config(
        results=tmp_path, architectures=("lecture",), n=8, seeds=2, time_repeats=2, fd_repeats=1
    )
    backprop_check.main(config)
    metrics = _outputs(tmp_path, "backprop_check", ["errors_per_layer.png", "step_time.png"])
    assert set(metrics["results"]) == {"lecture"}
    for name, by_dtype in metrics["results"].items():
        n_layers = len(backprop_check.BY_NAME[name].sizes) - 1
        for dtype, r in by_dtype.items():
            eps = metrics["machine_epsilon"][dtype]
            for key in ("abs_autodiff", "rel_autodiff", "abs_numeric", "rel_numeric"):
                assert len(r[key]) == n_layers, (name, dtype, key)
            assert len(r["worst_per_seed"]["rel_autodiff"]) == 2
            # The hand-written gradient is autodiff's up to rounding.
            assert max(r["rel_autodiff"]) <= 100 * eps, (name, dtype)
            assert all(scale > 0 for scale in r["max_gradient"])
            assert set(r["step_time_s"]) == set(backprop_check.PATHS)
            for path, median in r["step_time_s"].items():
                assert 0 < r["step_time_min_s"][path] <= median
        assert max(by_dtype["float64"]["rel_numeric"]) < 1e-6
    assert metrics["machine_epsilon"]["float32"] > metrics["machine_epsilon"]["float64"]
    claims = _check_claims(backprop_check, metrics)
    assert [claim.verdict for claim in claims] == ["supported", "supported"]


def test_backprop_check_verdicts_flag_a_wrong_gradient():
    def metrics(rel_autodiff, rel_numeric):
        """Two seeds; the second always right, the first as given."""
        row = {
            "rel_autodiff": [rel_autodiff, 0.0],
            "rel_numeric": [rel_numeric, 0.0],
            "worst_per_seed": {"rel_autodiff": [rel_autodiff, 1e-17],
                               "rel_numeric": [rel_numeric, 1e-10]},
        }  # fmt: skip
        return {
            "machine_epsilon": {"float32": 1.2e-7, "float64": 2.2e-16},
            "results": {"lecture": {"float32": row, "float64": row}},
        }

    right = backprop_check.claims(metrics(1e-16, 1e-9))
    assert [claim.verdict for claim in right] == ["supported", "supported"]
    # A formula off by a few percent on one seed: far above rounding, seen by both checks.
    wrong = backprop_check.claims(metrics(0.03, 0.03))
    assert [claim.verdict for claim in wrong] == ["partly supported", "partly supported"]
    # Wrong on every seed and dtype: not supported.
    row = metrics(0.03, 0.03)["results"]["lecture"]["float64"]
    row["worst_per_seed"] = {"rel_autodiff": [0.03, 0.03], "rel_numeric": [0.03, 0.03]}
    everywhere = {
        "machine_epsilon": {"float32": 1.2e-7, "float64": 2.2e-16},
        "results": {"lecture": {"float32": row, "float64": row}},
    }
    verdicts = [claim.verdict for claim in backprop_check.claims(everywhere)]
    assert verdicts == ["not supported", "not supported"]


def _feature_metrics(rows_by_dataset, seeds=5):
    """Per-seed validation and test accuracies (the same means, slightly jittered)."""
    out = {"val_accuracy": {}, "test_accuracy": {}}
    for name, rows in rows_by_dataset.items():
        for split in out:
            out[split][name] = {
                row: [value + 0.002 * s for s in range(seeds)] for row, value in rows.items()
            }
    return out


def _feature_rows(raw, transforms, mlp):
    return {
        "raw": raw,
        **dict(zip(feature_extraction.EXTRACTED, transforms)),
        "2-layer MLP": mlp,
        "MLP hidden layer q": mlp,
    }


def test_feature_extraction_verdicts_follow_the_numbers():
    lecture_like = _feature_metrics(
        {
            "circles": _feature_rows(0.5, (0.5, 0.5, 0.55, 0.99), 0.99),
            "spirals": _feature_rows(0.5, (0.5, 0.95, 0.9, 0.55), 0.97),
            "digits": _feature_rows(0.95, (0.55, 0.65, 0.95, 0.35), 0.97),
        }
    )
    verdicts = [claim.verdict for claim in feature_extraction.claims(lecture_like)]
    assert verdicts == ["supported", "supported", "supported"]
    # No transform helps or differs, and the MLP falls behind: none of it is borne out.
    flat = _feature_metrics(
        {
            name: _feature_rows(0.5, (0.5, 0.5, 0.5, 0.5), 0.4)
            for name in feature_extraction.DATASETS
        }
    )
    verdicts = [claim.verdict for claim in feature_extraction.claims(flat)]
    assert verdicts == ["not supported", "not supported", "not supported"]
    # One of the two hard problems helped; the MLP behind on digits only.
    mixed = _feature_metrics(
        {
            "circles": _feature_rows(0.5, (0.5, 0.5, 0.55, 0.99), 0.99),
            "spirals": _feature_rows(0.5, (0.5, 0.5, 0.5, 0.5), 0.97),
            "digits": _feature_rows(0.95, (0.55, 0.65, 0.95, 0.35), 0.9),
        }
    )
    verdicts = [claim.verdict for claim in feature_extraction.claims(mixed)]
    assert verdicts == ["partly supported", "partly supported", "partly supported"]

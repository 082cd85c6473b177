"""Smoke tests of the lecture experiments linear_limits, feature_extraction and backprop_check:
each runs at a tiny size and writes sane numbers, readable figures and valid claims."""

import json

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


def test_linear_limits_mlp_beats_softmax_regression(tmp_path):
    config = linear_limits.Config(
        results=tmp_path, n=80, repeats=1, linear_epochs=100, mlp_epochs=400,
        mlp_learning_rate=0.03, mesh=30,
    )  # fmt: skip
    returned = linear_limits.main(config)
    metrics = _outputs(tmp_path, "linear_limits", ["decision_boundaries.png"])
    assert metrics["test_accuracy"] == returned["test_accuracy"]

    accuracy = metrics["test_accuracy"]
    assert set(accuracy) == set(linear_limits.DATASETS)
    for row in accuracy.values():
        assert set(row) == set(linear_limits.MODELS)
        assert all(0.0 <= value <= 1.0 for value in row.values())
    linear, mlp = linear_limits.MODELS
    # XOR is the textbook case: no line separates it, one hidden layer does.
    assert accuracy["XOR"][mlp] > 0.9
    assert accuracy["XOR"][linear] < 0.75
    assert accuracy["XOR"][mlp] > accuracy["XOR"][linear] + 0.2
    assert metrics["chance"]["XOR"] == pytest.approx(0.5, abs=0.05)
    assert metrics["config"]["repeats"] == 1

    claims = _check_claims(linear_limits, metrics)
    assert claims[0].measured.count("chance") == len(linear_limits.NOT_LINEARLY_SEPARABLE)


def test_linear_limits_verdicts_follow_the_numbers():
    linear, mlp = linear_limits.MODELS
    names = list(linear_limits.DATASETS)
    good = {
        "chance": {name: 0.5 for name in names},
        "test_accuracy": {name: {linear: 0.5, mlp: 0.99} for name in names},
    }
    assert [c.verdict for c in linear_limits.claims(good)] == ["supported", "supported"]
    bad = {
        "chance": good["chance"],
        "test_accuracy": {name: {linear: 0.9, mlp: 0.6} for name in names},
    }
    assert [c.verdict for c in linear_limits.claims(bad)] == ["not supported", "not supported"]
    mixed = {
        "chance": good["chance"],
        "test_accuracy": {**good["test_accuracy"], "XOR": {linear: 0.9, mlp: 0.6}},
    }
    verdicts = [c.verdict for c in linear_limits.claims(mixed)]
    assert verdicts == ["partly supported", "partly supported"]


def test_feature_extraction_tiny_on_digits(tmp_path):
    config = feature_extraction.Config(
        results=tmp_path, datasets=("digits",), digits_n=150, tsne_iterations=250,
        tsne_perplexity=10.0, linear_epochs=100, hidden=8, mlp_epochs=300,
    )  # fmt: skip
    feature_extraction.main(config)
    metrics = _outputs(
        tmp_path, "feature_extraction", ["embeddings.png", "hidden_representation.png"]
    )
    accuracy = metrics["test_accuracy"]
    assert set(accuracy) == {"digits"}
    assert set(accuracy["digits"]) == {*feature_extraction.TRANSFORMS, *feature_extraction.MLP_ROWS}
    assert all(0.0 <= value <= 1.0 for value in accuracy["digits"].values())
    chance = metrics["chance"]["digits"]
    assert chance < 0.2  # ten classes
    assert accuracy["digits"]["raw"] > 0.7  # 64 pixels are nearly linearly separable
    assert accuracy["digits"]["2-layer MLP"] > 0.7
    # Two pixels are not enough, but better than guessing.
    assert chance < accuracy["digits"]["lasso"] < accuracy["digits"]["raw"]
    assert len(metrics["axes"]["digits"]["lasso"]) == config.dims
    assert metrics["axes"]["digits"]["raw"] == "64 input features"
    _check_claims(feature_extraction, metrics)


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


def test_backprop_check_tiny(tmp_path):
    config = backprop_check.Config(
        results=tmp_path, architectures=("lecture",), n=8, time_repeats=2, fd_repeats=1
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
            # The hand-written gradient is autodiff's up to rounding.
            assert max(r["rel_autodiff"]) <= 100 * eps, (name, dtype)
            assert all(scale > 0 for scale in r["max_gradient"])
            assert set(r["step_time_s"]) == set(backprop_check.PATHS)
            assert all(t > 0 for t in r["step_time_s"].values())
            for path, median in r["step_time_s"].items():
                assert 0 < r["step_time_min_s"][path] <= median
        assert max(by_dtype["float64"]["rel_numeric"]) < 1e-6
    assert metrics["machine_epsilon"]["float32"] > metrics["machine_epsilon"]["float64"]
    claims = _check_claims(backprop_check, metrics)
    assert [claim.verdict for claim in claims] == ["supported", "supported"]


def test_backprop_check_verdicts_flag_a_wrong_gradient():
    def metrics(rel_autodiff, rel_numeric):
        row = {"rel_autodiff": [rel_autodiff, 0.0], "rel_numeric": [rel_numeric, 0.0]}
        return {
            "machine_epsilon": {"float32": 1.2e-7, "float64": 2.2e-16},
            "results": {"lecture": {"float32": row, "float64": row}},
        }

    right = backprop_check.claims(metrics(1e-16, 1e-9))
    assert [claim.verdict for claim in right] == ["supported", "supported"]
    # A formula off by a few percent: far above rounding, and visible to finite differences.
    wrong = backprop_check.claims(metrics(0.03, 0.03))
    assert [claim.verdict for claim in wrong] == ["not supported", "not supported"]
    # Rounding-level in float32 only: float64 exposes what float32 hides.
    float32_only = metrics(1e-7, 1e-9)
    assert backprop_check.claims(float32_only)[0].verdict == "partly supported"


def test_feature_extraction_verdicts_follow_the_numbers():
    def table(raw, transforms, mlp):
        row = {"raw": raw, **dict(zip(feature_extraction.TRANSFORMS[1:], transforms))}
        return {**row, "2-layer MLP": mlp, "MLP hidden layer q": mlp}

    lecture_like = {
        "test_accuracy": {
            "circles": table(0.5, (0.5, 0.5, 0.55, 0.99), 0.99),
            "spirals": table(0.5, (0.5, 0.95, 0.9, 0.55), 0.97),
            "digits": table(0.95, (0.55, 0.65, 0.95, 0.35), 0.97),
        }
    }
    verdicts = [claim.verdict for claim in feature_extraction.claims(lecture_like)]
    assert verdicts == ["supported", "supported", "supported"]
    # No transform helps and the MLP falls behind: nothing the lecture says is borne out.
    flat = {
        "test_accuracy": {
            name: table(0.5, (0.51, 0.5, 0.5, 0.5), 0.4) for name in feature_extraction.DATASETS
        }
    }
    verdicts = [claim.verdict for claim in feature_extraction.claims(flat)]
    assert verdicts == ["not supported", "partly supported", "not supported"]

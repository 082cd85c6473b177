"""The estimators' ``sample_weight`` (fit, partial_fit, the early-stopping split) and
jaxmlp's ``dropout`` extra."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_moons, make_regression

from jaxmlp.sklearn import MLPClassifier, MLPRegressor

# Seconds a test (a program each): make test runs them, make test-quick not.
pytestmark = pytest.mark.heavy


def test_lbfgs_weights_of_two_are_the_rows_twice():
    # One full batch: Σ w J / Σ w and scikit-learn's alpha / Σ w are those of the repeated rows.
    X, y = make_regression(40, 3, noise=5.0, random_state=0)
    w = np.where(np.arange(40) < 10, 2.0, 1.0)
    params = dict(hidden_layer_sizes=(5,), solver="lbfgs", alpha=1.0, max_iter=30, random_state=0)
    X_twice, y_twice = np.concatenate([X, X[:10]]), np.concatenate([y, y[:10]])
    with pytest.warns(Warning):  # ConvergenceWarning after 30 iterations
        weighted = MLPRegressor(**params).fit(X, y, sample_weight=w)
    with pytest.warns(Warning):
        repeated = MLPRegressor(**params).fit(X_twice, y_twice)
    unweighted = MLPRegressor(**params).set_params(max_iter=30)
    with pytest.warns(Warning):
        unweighted.fit(X, y)
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-6, atol=1e-6)
    assert not np.allclose(weighted.predict(X), unweighted.predict(X), rtol=1e-3)


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_partial_fit_weights_of_two_are_the_rows_twice(Estimator):
    X, y = make_moons(50, noise=0.2, random_state=0)
    X_twice, y_twice = np.concatenate([X, X]), np.concatenate([y, y])
    # One full, unshuffled batch per call: each step sees the same weighted mean.
    params = dict(hidden_layer_sizes=(6,), alpha=0.1, shuffle=False, random_state=0)
    weighted = Estimator(batch_size=50, **params)
    repeated = Estimator(batch_size=100, **params)
    extra = {"classes": [0, 1]} if Estimator is MLPClassifier else {}
    for _ in range(3):
        weighted.partial_fit(X, y, sample_weight=np.full(50, 2.0), **extra)
        repeated.partial_fit(X_twice, y_twice, **extra)
    for ours, theirs in zip(weighted.coefs_, repeated.coefs_):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-5)


def test_the_early_stopping_split_keeps_each_rows_weight():
    # A third of the rows carry flipped labels and weigh 0: a validation score weighed by the
    # rows' own weights sees only the clean ones; unweighed, it would be about 2/3.
    X, y = make_blobs(300, centers=[[-3, 0], [3, 0]], random_state=0)
    noisy = np.random.default_rng(0).random(300) < 1 / 3
    y_noisy = np.where(noisy, 1 - y, y)
    model = MLPClassifier(
        (16,), early_stopping=True, learning_rate_init=0.02, max_iter=60, random_state=0
    )
    model.fit(X, y_noisy, sample_weight=(~noisy).astype(float))
    assert model.best_validation_score_ > 0.95
    assert model.score(X, y) > 0.9


def test_the_regressors_validation_r2_is_weighted():
    # Weights of 0 on rows with huge targets: the weighted R² ignores them.
    X, y = make_regression(200, 2, noise=1.0, random_state=0)
    outliers = np.arange(200) % 5 == 0
    y_out = np.where(outliers, y + 1e4, y)
    model = MLPRegressor(
        hidden_layer_sizes=(16,),
        early_stopping=True,
        learning_rate_init=0.05,
        max_iter=150,
        random_state=0,
    )
    model.fit(X, y_out, sample_weight=(~outliers).astype(float))
    assert model.best_validation_score_ > 0.8


@pytest.mark.parametrize(
    "sample_weight, match",
    [
        (np.ones(3), r"sample_weight.shape == \(3,\), expected \(20,\)"),
        (-np.ones(20), "Negative values in data passed to `sample_weight`"),
        (np.zeros(20), "Sample weights must contain at least one non-zero number"),
        (np.full(20, np.nan), "Input sample_weight contains NaN"),
    ],
    ids=["shape", "negative", "zero", "nan"],
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_bad_sample_weights_are_refused_naming_them(method, sample_weight, match):
    X, y = make_moons(20, random_state=0)
    model = MLPRegressor(hidden_layer_sizes=(4,), max_iter=2)
    with pytest.raises(ValueError, match=match):
        getattr(model, method)(X, y, sample_weight=sample_weight)
    assert not hasattr(model, "coefs_")


def test_dropout_is_a_parameter_passed_to_the_training():
    X, y = make_moons(100, noise=0.1, random_state=0)
    params = dict(hidden_layer_sizes=(32,), max_iter=5, tol=0, random_state=0)
    plain = MLPClassifier(**params)
    dropped = MLPClassifier(dropout=0.5, **params)
    assert plain.get_params()["dropout"] == 0.0 and dropped.get_params()["dropout"] == 0.5
    with pytest.warns(Warning):
        plain.fit(X, y)
    with pytest.warns(Warning):
        dropped.fit(X, y)
    assert not np.allclose(plain.loss_curve_, dropped.loss_curve_)
    with pytest.raises(ValueError, match="dropout"):
        MLPRegressor(dropout=1.5, max_iter=2).fit(X, y)


def test_a_number_or_a_list_of_weights_is_every_rows_weight():
    X, y = make_regression(30, 2, random_state=0)
    params = dict(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5, random_state=0)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning
        plain = MLPRegressor(**params).fit(X, y).predict(X)
        for sample_weight in (1, [1.0] * 30):
            weighted = MLPRegressor(**params).fit(X, y, sample_weight=sample_weight).predict(X)
            np.testing.assert_allclose(weighted, plain, rtol=1e-6)
    with pytest.raises(ValueError, match=r"sample_weight must be 1D array or scalar"):
        MLPRegressor(**params).fit(X, y, sample_weight=np.ones((30, 1)))

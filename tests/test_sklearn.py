"""The scikit-learn estimators: scikit-learn's own estimator checks, Pipeline, GridSearchCV."""

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_moons
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import jaxmlp
from jaxmlp.sklearn import MLPClassifier, MLPRegressor

# Checks expected to fail, each with its reason: none. scikit-learn itself skips one check,
# check_array_api_input, unless SCIPY_ARRAY_API=1: it feeds array-API namespaces (CuPy,
# PyTorch, array-api-strict) to estimators that declare array-API support, which these do
# not: they take what NumPy converts, and train with JAX. check_dataframe_column_names_consistency
# and the other pandas checks run because the dev extra installs pandas.
EXPECTED_FAILED_CHECKS = {}


@pytest.mark.heavy
@parametrize_with_checks(
    [MLPClassifier(random_state=0), MLPRegressor(random_state=0)],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS,
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.heavy
def test_classifier_in_a_pipeline_and_grid_search():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    model = MLPClassifier((32,), max_iter=40, learning_rate_init=0.01, random_state=0)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), model), {"mlpclassifier__alpha": [1e-4, 300.0]}, cv=2
    )
    search.fit(X_train, y_train)
    assert search.best_params_ == {"mlpclassifier__alpha": 1e-4}
    assert search.score(X_test, y_test) > 0.9


@pytest.mark.heavy
def test_string_labels_come_back_as_strings():
    X, y = make_moons(200, noise=0.1, random_state=0)
    names = np.array(["left", "right"])[y]
    model = MLPClassifier((16,), max_iter=200, learning_rate_init=0.03, random_state=0)
    model.fit(X, names)
    assert set(model.predict(X)) <= {"left", "right"}
    assert model.score(X, names) > 0.95
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.heavy
def test_the_lectures_sigmoid_mse_model_and_hand_written_gradients():
    X, y = make_moons(200, noise=0.1, random_state=0)
    common = dict(
        hidden_layer_sizes=(16,), activation="logistic", output="sigmoid", loss="mse",
        solver="adam", learning_rate_init=0.05, batch_size=20, max_iter=200,
        random_state=0,
        # Sigmoid units under MSE sit on a plateau (about 0.88 accuracy) for tens of epochs
        # before they escape it: no stop on a stalled training loss.
        n_iter_no_change=200,
    )  # fmt: skip
    by_hand = MLPClassifier(grad="backprop", **common).fit(X, y)
    by_autodiff = MLPClassifier(grad="autodiff", **common).fit(X, y)
    assert by_hand.score(X, y) > 0.95
    np.testing.assert_allclose(by_hand.loss_curve_, by_autodiff.loss_curve_, rtol=1e-4)


@pytest.mark.heavy
def test_partial_fit_and_warm_start_continue_training():
    X, y = make_moons(200, noise=0.1, random_state=0)
    model = MLPClassifier((16,), learning_rate_init=0.01, random_state=0)
    for _ in range(5):
        model.partial_fit(X, y, classes=[0, 1])
    assert model.n_iter_ == 5 and len(model.loss_curve_) == 5
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    warm = MLPClassifier((16,), max_iter=3, warm_start=True, random_state=0, tol=0)
    warm.fit(X, y).fit(X, y)
    assert warm.n_iter_ == 6


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(activation="softplus"), "activation='softplus'"),
        # Parameters that fit receives under another name are named as the user set them.
        (dict(learning_rate_init=-1), "learning_rate_init must be a finite number > 0, got -1"),
        (
            dict(learning_rate_init=float("nan")),
            "learning_rate_init must be a finite number > 0, got nan",
        ),
        (dict(alpha=float("inf")), "alpha must be a finite number >= 0, got inf"),
        (dict(max_iter=2.5), "max_iter must be a positive integer below 2\\*\\*31, got 2.5"),
        (
            dict(n_iter_no_change=0),
            "n_iter_no_change must be a positive integer below 2\\*\\*31, got 0",
        ),
        (dict(tol=-1e-4), "tol must be a finite number >= 0, got -0.0001"),
        (dict(batch_size=0), "batch_size must be a positive integer below 2\\*\\*31, got 0"),
        (dict(batch_size=True), "batch_size must be a positive integer below 2\\*\\*31, got True"),
        (
            dict(validation_fraction=1.0, early_stopping=True),
            r"validation_fraction must be a number in \(0, 1\), got 1.0",
        ),
        (dict(momentum=1.5), r"momentum must be a number in \[0, 1\], got 1.5"),
        (dict(early_stopping="yes"), "early_stopping must be True or False, got 'yes'"),
        (dict(solver="rmsprop"), "solver='rmsprop'"),
        (dict(hidden_layer_sizes=(0,)), "hidden_layer_sizes"),
        (dict(max_iter=0), "max_iter must be a positive integer below 2\\*\\*31, got 0"),
        (dict(alpha=-1), "alpha must be a finite number >= 0, got -1"),
    ],
    ids=[
        "activation",
        "learning_rate_init",
        "learning_rate_init-nan",
        "alpha-inf",
        "max_iter-fraction",
        "n_iter_no_change",
        "tol",
        "batch_size",
        "batch_size-bool",
        "validation_fraction",
        "momentum",
        "early_stopping",
        "solver",
        "hidden",
        "max_iter",
        "alpha",
    ],
)
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_bad_parameters_are_named(Estimator, params, match):
    X, y = make_moons(20, random_state=0)
    with pytest.raises(ValueError, match=match):
        Estimator(**params).fit(X, y)


@pytest.mark.filterwarnings("error")  # no numpy RuntimeWarning before the error
def test_a_value_beyond_float32_is_named_without_a_warning():
    X, y = make_moons(20, random_state=0)
    X[3, 1] = 1e39
    with pytest.raises(ValueError, match=r"X holds the value 1e\+39 at index \(3, 1\), beyond"):
        MLPClassifier((4,), max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match=r"y holds the value 1e\+39 at index \(3, 0\), beyond"):
        MLPRegressor((4,), max_iter=2).fit(X[:, :1], X[:, 1])


@pytest.mark.heavy
def test_a_fit_whose_update_overflows_raises_and_leaves_the_estimator_unfitted():
    # Features around ±100 and a huge learning rate: the first update overflows while its
    # loss is finite.
    X = np.random.default_rng(0).choice([-100.0, 100.0], size=(32, 4))
    y = np.zeros(32)
    regressor = MLPRegressor(
        (4,), solver="sgd", momentum=0, learning_rate_init=1e36, random_state=0
    )
    for train in (regressor.partial_fit, regressor.fit):
        with pytest.raises(jaxmlp.DivergenceError, match="epoch 1, step 1: the params"):
            train(X, y)
        assert not hasattr(regressor, "coefs_")

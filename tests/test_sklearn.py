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
    assert model.n_iter_ == 1 and len(model.loss_curve_) == 5  # n_iter_: the last call
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    warm = MLPClassifier((16,), max_iter=3, warm_start=True, random_state=0, tol=0)
    warm.fit(X, y).fit(X, y)
    # As scikit-learn: n_iter_ counts the last fit, loss_curve_ all of them.
    assert warm.n_iter_ == 3 and len(warm.loss_curve_) == 6


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


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_weights_and_predictions_follow_the_dtype_of_X(dtype):
    X, y = make_moons(40, random_state=0)
    X = X.astype(dtype)
    regressor = MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, tol=0).fit(X[:, :1], X[:, 1])
    classifier = MLPClassifier((4,), max_iter=2).fit(X, y)
    for model in (regressor, classifier):
        assert {w.dtype for w in model.coefs_ + model.intercepts_} == {np.dtype(dtype)}
    assert regressor.predict(X[:, :1]).dtype == dtype
    assert classifier.predict_proba(X).dtype == dtype


@pytest.mark.heavy
def test_a_fit_whose_update_overflows_raises_and_leaves_the_estimator_unfitted():
    # float32 features around ±100 and a huge learning rate: the first update overflows while its
    # loss is finite.
    X = np.random.default_rng(0).choice([-100.0, 100.0], size=(32, 4)).astype(np.float32)
    y = np.zeros(32)
    regressor = MLPRegressor(
        hidden_layer_sizes=(4,), solver="sgd", momentum=0, learning_rate_init=1e36,
        random_state=0,
    )  # fmt: skip
    for train in (regressor.partial_fit, regressor.fit):
        # scikit-learn's ValueError, and jaxmlp's error naming the step.
        with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
            train(X, y)
        with pytest.raises(jaxmlp.DivergenceError, match="epoch 1, step 1: the params"):
            train(X, y)
        assert not hasattr(regressor, "coefs_")


def test_the_parameters_are_scikit_learns_plus_jaxmlps_extras():
    import inspect

    import sklearn.neural_network as reference

    for ours, theirs, extras in (
        (MLPClassifier, reference.MLPClassifier, ["output", "loss", "grad", "dropout"]),
        (MLPRegressor, reference.MLPRegressor, ["output", "grad", "dropout"]),  # loss: theirs
    ):
        ours_params = inspect.signature(ours).parameters
        theirs_params = inspect.signature(theirs).parameters
        assert list(ours_params) == list(theirs_params) + extras
        for name, parameter in theirs_params.items():
            assert ours_params[name].default == parameter.default, name
            assert ours_params[name].kind == parameter.kind, name


@pytest.mark.heavy
def test_partial_fit_compiles_once():
    from jaxmlp.compiling import cached_programs

    X, y = make_moons(60, random_state=0)
    model = MLPClassifier((8,), random_state=0)
    model.partial_fit(X, y, classes=[0, 1])
    # The first call compiles the epoch's program; the second the copy of a state it continues
    # from (a few operations); then nothing.
    model.partial_fit(X, y)
    programs = cached_programs()
    for _ in range(4):
        model.partial_fit(X, y)
    assert cached_programs() == programs
    assert len(model.loss_curve_) == 6


def test_a_sparse_X_too_large_to_densify_is_refused_naming_the_bytes(monkeypatch):
    import scipy.sparse

    from jaxmlp.sklearn import inputs

    X, y = make_moons(40, random_state=0)
    monkeypatch.setattr(inputs, "DENSE_BYTES", 100)
    with pytest.raises(ValueError, match=r"dense copy would need 640 bytes, more than"):
        MLPClassifier((4,), max_iter=2).fit(scipy.sparse.csr_matrix(X), y)


@pytest.mark.heavy
def test_convergence_warning_and_an_infinite_n_iter_no_change():
    from sklearn.exceptions import ConvergenceWarning

    X, y = make_moons(40, random_state=0)
    model = MLPClassifier((4,), max_iter=30, tol=1e9, n_iter_no_change=np.inf, solver="sgd")
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(30\) reached"):
        model.fit(X, y)
    assert model.n_iter_ == 30
    assert model.best_loss_ == min(model.loss_curve_)
    assert model.validation_scores_ is None and model.best_validation_score_ is None


@pytest.mark.heavy
def test_the_regressors_validation_score_is_r2():

    X, y = make_moons(200, noise=0.1, random_state=0)
    model = MLPRegressor(
        hidden_layer_sizes=(8,), early_stopping=True, alpha=0.0, max_iter=5, random_state=0
    )
    with pytest.warns(Warning):
        model.fit(X[:, :1], X[:, 1])
    assert model.best_loss_ is None
    assert len(model.validation_scores_) == model.n_iter_
    assert np.all(np.isfinite(model.validation_scores_))
    assert model.best_validation_score_ == max(model.validation_scores_)
    assert model.best_validation_score_ <= 1
    # R² of the best params, not an accuracy (nan for real targets): near the fit's R².
    assert abs(model.best_validation_score_ - model.score(X[:, :1], X[:, 1])) < 0.3


def test_a_y_of_one_class_trains_and_predicts_that_class():
    # As scikit-learn's: one logistic unit; predict gives the class, predict_proba certainty.
    X = np.random.default_rng(0).normal(size=(20, 2))
    model = MLPClassifier((4,), early_stopping=True, validation_fraction=0.2, max_iter=5)
    with pytest.warns(Warning):  # ConvergenceWarning
        model.fit(X, np.full(20, "only"))
    assert list(model.classes_) == ["only"]
    assert model.n_outputs_ == 1 and model.out_activation_ == "logistic"
    assert set(model.predict(X)) == {"only"}
    np.testing.assert_array_equal(model.predict_proba(X), np.ones((20, 1)))
    assert model.validation_scores_ == [1.0] * model.n_iter_
    assert model.score(X, np.full(20, "only")) == 1.0


def test_a_float32_fit_starts_from_the_float64_fits_weights_rounded():
    # scikit-learn draws its initial weights in float64 and casts them: so does jaxmlp, and
    # float32 and float64 fits follow one path, up to rounding.
    X, y = make_moons(40, random_state=0)
    fits = {
        dtype: MLPRegressor(
            hidden_layer_sizes=(5, 3), max_iter=1, learning_rate_init=1e-9, random_state=1
        )
        for dtype in (np.float32, np.float64)
    }
    for dtype, model in fits.items():
        with pytest.warns(Warning):  # ConvergenceWarning after 1 iteration
            model.fit(X.astype(dtype), y)
    for w32, w64 in zip(fits[np.float32].coefs_, fits[np.float64].coefs_):
        assert w32.dtype == np.float32
        np.testing.assert_allclose(w32, w64.astype(np.float32), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("Estimator, score", [(MLPClassifier, 1.0), (MLPRegressor, 0.0)])
def test_a_constant_validation_score_stops_as_scikit_learns(Estimator, score):
    # One class (accuracy 1) or constant targets (R² 0) never improve: the fit stops after
    # n_iter_no_change + 2 epochs, as scikit-learn's, without a ConvergenceWarning.
    import warnings

    X = np.random.default_rng(0).normal(size=(10, 2))
    model = Estimator(hidden_layer_sizes=(4,), early_stopping=True, validation_fraction=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, np.ones(10))
    assert model.n_iter_ == 12 and model.validation_scores_ == [score] * 12


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_full_batch_sgd_follows_scikit_learns_path(momentum):
    # The same initial weights (drawn from random_state as scikit-learn draws them) and one
    # full batch per epoch: the loss curve and the predictions are scikit-learn's.
    import sklearn.neural_network as reference
    from sklearn.datasets import make_regression

    X, y = make_regression(100, 6, noise=10.0, random_state=0)
    y = (y - y.mean()) / y.std()
    params = dict(
        hidden_layer_sizes=(8, 4), solver="sgd", momentum=momentum, batch_size=100,
        learning_rate_init=0.01, max_iter=20, tol=0.0, random_state=3,
    )  # fmt: skip
    with pytest.warns(Warning):
        ours = MLPRegressor(**params).fit(X, y)
    with pytest.warns(Warning):
        theirs = reference.MLPRegressor(**params).fit(X, y)
    np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-9, atol=1e-12)


def test_lbfgs_stops_as_scikit_learns():
    # The same initial weights and scipy's tests: max_fun counts evaluations (not
    # iterations) and its path stays near scipy's (line searches differ: not bit for bit).
    import warnings

    import sklearn.neural_network as reference
    from sklearn.datasets import make_regression
    from sklearn.exceptions import ConvergenceWarning

    X, y = make_regression(100, 5, noise=20.0, random_state=0)
    y = (y - y.mean()) / y.std()
    params = dict(hidden_layer_sizes=(20,), solver="lbfgs", max_fun=10, tol=0.0, random_state=1)
    with pytest.warns(ConvergenceWarning, match="F,G EVALUATIONS EXCEEDS LIMIT"):
        ours = MLPRegressor(**params).fit(X, y)
    with pytest.warns(ConvergenceWarning, match="F,G EVALUATIONS EXCEEDS LIMIT"):
        theirs = reference.MLPRegressor(**params).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ < 10
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=2e-2)
    # tol is the gradient's tolerance: a loose one converges early, without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        loose = MLPRegressor(**{**params, "tol": 1e-1, "max_fun": 15000}).fit(X, y)
    assert loose.n_iter_ < 30


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_other_max_iter_tol_and_max_fun_compile_nothing_new(solver):
    import warnings

    from jaxmlp.compiling import cached_programs

    X, y = make_moons(40, random_state=0)
    settings = [dict(max_iter=150), dict(max_iter=200), dict(max_iter=10)]
    if solver == "lbfgs":  # its tolerances are data in its state
        settings += [dict(max_iter=200, tol=0.0, max_fun=10), dict(tol=1e-2, max_fun=50)]
    programs = None
    for params in settings:
        model = MLPRegressor(hidden_layer_sizes=(5,), solver=solver, random_state=0, **params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning, or none
            model.fit(X, y)
        programs = programs or cached_programs()
        assert cached_programs() == programs, params


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_verbose_prints_the_loss_and_the_validation_score_per_iteration(Estimator, capsys):
    X, y = make_moons(60, noise=0.1, random_state=0)
    model = Estimator(hidden_layer_sizes=(4,), early_stopping=True, max_iter=3, verbose=True)
    with pytest.warns(Warning):  # ConvergenceWarning
        model.fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines[::2]] == [
        "Iteration 1",
        "Iteration 2",
        "Iteration 3",
    ]
    scores = [float(line.removeprefix("Validation score: ")) for line in lines[1::2]]
    np.testing.assert_allclose(scores, model.validation_scores_, atol=1e-6)


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_clone_and_a_joblib_round_trip_keep_the_estimator(Estimator, tmp_path):
    joblib = pytest.importorskip("joblib")
    from sklearn.base import clone

    X, y = make_moons(120, noise=0.1, random_state=0)
    model = Estimator(hidden_layer_sizes=(8,), max_iter=30, learning_rate_init=0.05, random_state=0)
    cloned = clone(model)
    assert cloned.get_params() == model.get_params() and not hasattr(cloned, "coefs_")
    model.fit(X, y)
    joblib.dump(model, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    for a, b in zip(loaded.coefs_ + loaded.intercepts_, model.coefs_ + model.intercepts_):
        np.testing.assert_array_equal(a, b)
    # The loaded estimator trains on from where the saved one stopped, as the original does.
    loaded.partial_fit(X, y)
    model.partial_fit(X, y)
    np.testing.assert_allclose(loaded.predict(X), model.predict(X))
    assert loaded.n_iter_ == model.n_iter_

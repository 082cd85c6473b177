"""Sample and class weights: a weight k counts an example k times, 0 drops it, in the
objective, its gradients, ``fit`` and ``fit_many``; bad weights are refused by name."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from problems import random_problem
from sklearn.utils.class_weight import compute_class_weight

import jaxmlp
from jaxmlp.data.splits import split
from jaxmlp.training.sweep import member_keys, unstack

autodiff = jax.grad(jaxmlp.objective, argnums=1)
TOLERANCES = {  # as tests/test_backprop.py's
    jnp.float64: dict(rtol=1e-10, atol=1e-12),
    jnp.float32: dict(rtol=1e-5, atol=1e-6),
}
FIT = dict(rtol=1e-9, atol=1e-12)  # float64 runs whose sums are ordered otherwise
DTYPES = list(TOLERANCES)
DTYPE_IDS = ["float64", "float32"]


@pytest.fixture(scope="module")
def moons():
    data = jaxmlp.data.load("moons:n=40", jax.random.key(0))
    return data.X_train.astype(np.float64), data.y_train


def _mlp():
    return jaxmlp.MLP((2, 5, 2), "tanh", "softmax")


def _params(mlp, dtype=jnp.float64):
    return jaxmlp.init_params(jax.random.key(1), mlp, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=DTYPE_IDS)
@pytest.mark.parametrize("gradient", [jaxmlp.backprop, autodiff], ids=["backprop", "autodiff"])
def test_a_weight_of_2_is_the_row_twice_and_0_the_row_removed(gradient, dtype):
    mlp = jaxmlp.MLP((3, 4, 4, 2), "sigmoid", "softmax")
    params, X, T = random_problem(3, mlp, "cross_entropy", 6, dtype)
    weights = jnp.array([2.0, 1, 0, 1, 2, 1], dtype)
    rows = jnp.array([0, 0, 1, 3, 4, 4, 5])  # row 2 removed, rows 0 and 4 twice
    tolerance = TOLERANCES[dtype]
    for function in (jaxmlp.objective, gradient):
        weighted = function(mlp, params, X, T, "cross_entropy", 0.1, weights)
        duplicated = function(mlp, params, X[rows], T[rows], "cross_entropy", 0.1)
        chex.assert_trees_all_close(weighted, duplicated, **tolerance)


@pytest.mark.parametrize(
    "optimizer, grad", [("sgd", "autodiff"), ("sgd", "backprop"), ("adam", "autodiff")]
)
def test_full_batch_fit_with_weights_equals_fit_on_the_duplicated_rows(moons, optimizer, grad):
    X, y = moons
    mlp = _mlp()
    weights = np.tile([1.0, 2.0, 0.0, 3.0], len(X) // 4)
    rows = np.repeat(np.arange(len(X)), weights.astype(int))
    kwargs = dict(key=jax.random.key(2), loss="cross_entropy", optimizer=optimizer, epochs=4)
    kwargs |= dict(grad=grad, learning_rate=0.05)
    params, history = jaxmlp.fit(mlp, _params(mlp), X, y, sample_weight=weights, **kwargs)
    expected, expected_history = jaxmlp.fit(mlp, _params(mlp), X[rows], y[rows], **kwargs)
    chex.assert_trees_all_close(params, expected, **FIT)
    np.testing.assert_allclose(history.train_loss, expected_history.train_loss, **FIT)
    # An unweighted accuracy is an int32 count over n, in float32.
    np.testing.assert_allclose(history.train_accuracy, expected_history.train_accuracy, rtol=1e-6)


def test_the_weighted_accuracy_sums_the_weights_of_the_correct_examples(moons):
    X, y = moons
    mlp = _mlp()
    weights = np.linspace(0.0, 3.0, len(X))
    params = _params(mlp)
    _, history = jaxmlp.fit(
        mlp, params, X, y, key=jax.random.key(2), loss="cross_entropy", epochs=1,
        sample_weight=weights,
    )  # fmt: skip
    correct = np.asarray(jaxmlp.predict(mlp, params, X)) == y  # before the epoch's update
    assert 0 < correct.mean() < 1
    expected = np.sum(weights * correct) / np.sum(weights)
    assert history.train_accuracy[0] == pytest.approx(expected, rel=1e-12)
    assert expected != pytest.approx(correct.mean(), rel=1e-3)  # the test can tell them apart


@pytest.mark.parametrize("batch_size", [7, 8], ids=["remainder", "divides"])
def test_mini_batch_with_weights_of_one_trains_as_without_weights(moons, batch_size):
    X, y = moons
    mlp = _mlp()
    kwargs = dict(key=jax.random.key(2), loss="cross_entropy", epochs=3, batch_size=batch_size)
    params, history = jaxmlp.fit(mlp, _params(mlp), X, y, sample_weight=np.ones(len(X)), **kwargs)
    expected, expected_history = jaxmlp.fit(mlp, _params(mlp), X, y, **kwargs)
    chex.assert_trees_all_close(params, expected, **FIT)
    np.testing.assert_allclose(history.train_loss, expected_history.train_loss, **FIT)
    np.testing.assert_allclose(history.train_accuracy, expected_history.train_accuracy, rtol=1e-6)


def test_batches_whose_weights_are_all_zero_make_no_nan(moons):
    X, y = moons
    mlp = _mlp()
    weights = np.zeros(len(X))
    weights[:3] = 1.0  # most batches of 2 weigh nothing
    params, history = jaxmlp.fit(
        mlp, _params(mlp), X, y, key=jax.random.key(2), loss="cross_entropy", epochs=2,
        batch_size=2, sample_weight=weights,
    )  # fmt: skip
    assert np.isfinite(history.train_loss).all()
    assert all(np.isfinite(leaf).all() for leaf in jax.tree.leaves(params))
    # Only the three weighed examples move the params: as training on them alone would.
    assert not np.allclose(params[0]["W"], _params(mlp)[0]["W"])


def test_class_weights_equal_the_sample_weights_they_make(moons):
    X, y = moons
    mlp = _mlp()
    kwargs = dict(key=jax.random.key(2), loss="cross_entropy", epochs=3, batch_size=8)
    as_classes, _ = jaxmlp.fit(mlp, _params(mlp), X, y, class_weight={1: 3.0}, **kwargs)
    as_samples, _ = jaxmlp.fit(
        mlp, _params(mlp), X, y, sample_weight=np.where(y, 3.0, 1.0), **kwargs
    )
    chex.assert_trees_all_equal(as_classes, as_samples)
    # Both multiply: a sequence of one weight per class, times sample weights.
    sample_weight = np.linspace(0.5, 1.5, len(X))
    both, _ = jaxmlp.fit(
        mlp, _params(mlp), X, y, class_weight=[0.5, 2.0], sample_weight=sample_weight, **kwargs
    )
    product = sample_weight * np.where(y, 2.0, 0.5)
    chex.assert_trees_all_equal(
        both, jaxmlp.fit(mlp, _params(mlp), X, y, sample_weight=product, **kwargs)[0]
    )


def test_balanced_class_weights_are_scikit_learns(moons):
    from jaxmlp.sample_weights import class_weights

    y = np.array([0, 0, 0, 0, 0, 1, 1, 2, 2, 2])
    expected = compute_class_weight("balanced", classes=np.unique(y), y=y)
    np.testing.assert_allclose(class_weights("balanced", y, 3), expected, rtol=1e-15)
    np.testing.assert_allclose(expected, [10 / 15, 10 / 6, 10 / 9])
    # A class absent from y weighs nothing's worth: it is left at 1 and the others as sklearn's.
    np.testing.assert_allclose(class_weights("balanced", y, 4)[:3], expected, rtol=1e-15)


def test_the_validation_split_keeps_each_rows_weight(moons):
    X, y = moons
    mlp = _mlp()
    key = jax.random.key(5)
    weights = np.linspace(0.1, 2.0, len(X))
    params, history = jaxmlp.fit(
        mlp, _params(mlp), X, y, key=key, loss="cross_entropy", epochs=2,
        validation_fraction=0.25, sample_weight=weights,
    )  # fmt: skip
    key_holdout = jax.random.split(key)[0]  # fit's: split(key) = (holdout, train)
    (_, _), (held_out, _) = split(key_holdout, np.arange(len(X)), y, (0.75, 0.25), stratify=True)
    T_val = jaxmlp.one_hot(y[held_out], 2, jnp.float64)
    val_loss = jaxmlp.objective(
        mlp, params, X[held_out], T_val, "cross_entropy", weights=weights[held_out]
    )
    assert history.val_loss[-1] == pytest.approx(float(val_loss), rel=1e-12)
    plain = jaxmlp.objective(mlp, params, X[held_out], T_val, "cross_entropy")
    assert float(plain) != pytest.approx(float(val_loss), rel=1e-4)


def test_a_given_validation_set_is_weighed_by_its_own_weights_and_the_class_weights(moons):
    X, y = moons
    mlp = _mlp()
    X_val, y_val, w_val = X[:10], y[:10], np.linspace(1.0, 2.0, 10)
    kwargs = dict(key=jax.random.key(2), loss="cross_entropy", epochs=1, class_weight=[1.0, 3.0])
    params, history = jaxmlp.fit(
        mlp, _params(mlp), X, y, validation=(X_val, y_val, w_val), **kwargs
    )
    T_val = jaxmlp.one_hot(y_val, 2, jnp.float64)
    weights = w_val * np.where(y_val, 3.0, 1.0)
    expected = jaxmlp.objective(mlp, params, X_val, T_val, "cross_entropy", weights=weights)
    assert history.val_loss[0] == pytest.approx(float(expected), rel=1e-12)


@pytest.mark.heavy
def test_each_member_of_a_weighted_sweep_equals_its_weighted_fit(moons, key):
    X, y = moons
    mlp = _mlp()
    weights = np.tile([1.0, 2.0, 0.0, 0.5], len(X) // 4)
    kwargs = dict(loss="cross_entropy", batch_size=8, epochs=3, sample_weight=weights)
    kwargs |= dict(class_weight="balanced")
    result = jaxmlp.fit_many(
        mlp, X, y, key=key, seeds=[0, 1], learning_rates=[0.1, 0.3], dtype=jnp.float64, **kwargs
    )
    for i, (seed, lr) in enumerate([(0, 0.1), (1, 0.3)]):
        init_key, fit_key = member_keys(key, seed)
        params = jaxmlp.init_params(init_key, mlp, dtype=jnp.float64)
        alone, history = jaxmlp.fit(mlp, params, X, y, key=fit_key, learning_rate=lr, **kwargs)
        chex.assert_trees_all_close(unstack(result, i), alone, **FIT)
        np.testing.assert_allclose(result.history.train_loss[i], history.train_loss, **FIT)


REGRESSION = (np.linspace(-1, 1, 8)[:, None], np.linspace(0, 1, 8)[:, None])
BAD = {
    "negative": (dict(sample_weight=[1.0] * 39 + [-1.0]), r"sample_weight\[39\]=-1.0 must be"),
    "nan": (dict(sample_weight=[np.nan] + [1.0] * 39), r"sample_weight\[0\]=nan must be finite"),
    "shape": (dict(sample_weight=np.ones(39)), r"sample_weight has shape \(39,\) but \(40,\)"),
    "all-zero": (dict(sample_weight=np.zeros(40)), "sample_weight are all zero"),
    "all-zero-product": (
        dict(sample_weight=np.ones(40), class_weight={0: 0.0, 1: 0.0}),
        "sample_weight · class_weight is 0 for every example",
    ),
    "unknown-class": (dict(class_weight={2: 1.0}), "class_weight has the class 2, but"),
    "bool-class": (dict(class_weight={True: 1.0}), "class_weight has the class True"),
    "negative-class-weight": (dict(class_weight={0: -2.0}), r"class_weight\[0\]=-2.0 must be"),
    "length": (dict(class_weight=[1.0, 2.0, 3.0]), "class_weight has 3 weights but there are 2"),
    "unknown-string": (dict(class_weight="balance"), "class_weight='balance' is not known"),
    "regression": (dict(class_weight="balanced"), "class_weight='balanced' weighs classes"),
    "validation-all-zero": (
        dict(sample_weight=np.ones(40), validation=(np.zeros((3, 2)), [0, 1, 0], np.zeros(3))),
        "sample_weight_val are all zero",
    ),
}


@pytest.mark.parametrize("kwargs, match", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("entry", ["fit", "fit_many"])
def test_bad_weights_are_named(moons, entry, kwargs, match):
    X, y = moons
    mlp = _mlp()
    if "weighs classes" in match:
        X, y = REGRESSION
        mlp = jaxmlp.MLP((1, 3, 1), "tanh", "identity")
    with pytest.raises(ValueError, match=match):
        if entry == "fit":
            jaxmlp.fit(mlp, _params(mlp), X, y, key=jax.random.key(0), epochs=1, **kwargs)
        else:
            jaxmlp.fit_many(mlp, X, y, key=jax.random.key(0), epochs=1, **kwargs)


def test_a_validation_fraction_that_leaves_training_no_weight_is_refused(moons):
    X, y = moons
    mlp = _mlp()
    weights = np.zeros(len(X))
    weights[0] = 1.0  # the one weighed example may go either way: try both sides
    with pytest.raises(ValueError, match="split left by validation_fraction weighs 0"):
        for seed in range(20):
            jaxmlp.fit(
                mlp, _params(mlp), X, y, key=jax.random.key(seed), epochs=1,
                validation_fraction=0.5, sample_weight=weights,
            )  # fmt: skip

"""Dropout: masks of 0 and 1/(1 - rate) on the hidden outputs; the hand-written backprop
equals autodiff through them; fit trains with fresh masks per step, resumes exactly, and
rate 0 is training without dropout."""

import itertools

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from problems import HIDDEN, OUTPUT_LOSS, random_problem

import jaxmlp
from jaxmlp.dropout import dropout_masks

autodiff = jax.grad(jaxmlp.objective, argnums=1)
TOLERANCES = {  # as tests/test_backprop.py's
    jnp.float64: dict(rtol=1e-10, atol=1e-12),
    jnp.float32: dict(rtol=1e-5, atol=1e-6),
}
FIT = dict(rtol=1e-9, atol=1e-12)


def _grid():
    """Every activation with every (output, loss) pair at depth 1, float64; at depth 3 with masks
    shared by the batch, each activation and each pair once; float32 at depth 2. The quick tier
    keeps one case per hidden activation and per (output, loss) pair."""
    cases = itertools.product(HIDDEN, OUTPUT_LOSS)
    for i, (hidden, (output, loss)) in enumerate(cases):
        marks = () if i % len(OUTPUT_LOSS) == 0 else pytest.mark.heavy
        case_id = f"depth1-{hidden}-{output}-{loss}-per-example"
        yield pytest.param(1, hidden, output, loss, "per-example", jnp.float64, id=case_id,
                           marks=marks)  # fmt: skip
    pairs = zip(itertools.cycle(HIDDEN), OUTPUT_LOSS)
    for (hidden, (output, loss)), dtype in itertools.product(pairs, (jnp.float64, jnp.float32)):
        depth, kind = (3, "shared") if dtype == jnp.float64 else (2, "per-example")
        case_id = f"depth{depth}-{hidden}-{output}-{loss}-{kind}-{jnp.dtype(dtype).name}"
        marks = () if dtype == jnp.float32 and output == "softmax" else pytest.mark.heavy
        yield pytest.param(depth, hidden, output, loss, kind, dtype, id=case_id, marks=marks)


@pytest.mark.parametrize("depth, hidden, output, loss, kind, dtype", list(_grid()))
def test_backprop_equals_autodiff_through_fixed_masks(depth, hidden, output, loss, kind, dtype):
    mlp = jaxmlp.MLP((3, *[5] * depth, 3), hidden=hidden, output=output)
    params, X, T = random_problem(depth, mlp, loss, 16, dtype)
    n = 16 if kind == "per-example" else None
    masks = dropout_masks(jax.random.key(depth), mlp, 0.4, n, dtype)
    assert any(bool((m == 0).any()) for m in masks)  # some units are dropped
    grads = jaxmlp.backprop(mlp, params, X, T, loss, 0.1, masks=masks)
    chex.assert_trees_all_close(
        grads, autodiff(mlp, params, X, T, loss, 0.1, None, masks), **TOLERANCES[dtype]
    )
    unmasked = jaxmlp.backprop(mlp, params, X, T, loss, 0.1)
    assert not np.allclose(grads[0]["W"], unmasked[0]["W"])  # the masks matter


def test_rate_0_is_no_mask_exactly():
    mlp = jaxmlp.MLP((3, 5, 4, 2), "tanh", "softmax")
    params, X, T = random_problem(0, mlp, "cross_entropy", 8)
    masks = dropout_masks(jax.random.key(0), mlp, 0.0, 8, jnp.float64)
    assert all(bool((m == 1).all()) for m in masks)
    for function in (jaxmlp.objective, jaxmlp.backprop, autodiff):
        with_masks = function(mlp, params, X, T, "cross_entropy", 0.0, None, masks)
        chex.assert_trees_all_equal(with_masks, function(mlp, params, X, T, "cross_entropy"))


def test_masks_take_0_or_1_over_keep_and_average_1():
    mlp = jaxmlp.MLP((2, 300, 200, 1))
    rate = 0.3
    masks = dropout_masks(jax.random.key(7), mlp, rate, 400, jnp.float64)
    assert [m.shape for m in masks] == [(400, 300), (400, 200)]
    for m in masks:
        m = np.asarray(m)
        assert set(np.unique(m)) == {0.0, 1 / (1 - rate)}
        # E[m] = 1; the mean of k = 120000 or 80000 draws has sd sqrt(rate/(1-rate)/k) < 0.0024.
        assert abs(m.mean() - 1) < 0.01
        assert abs((m == 0).mean() - rate) < 0.01
    assert dropout_masks(jax.random.key(7), mlp, rate)[0].shape == (300,)


def test_a_dropped_unit_gets_no_gradient_in_the_weights_into_it():
    mlp = jaxmlp.MLP((3, 6, 6, 2), "sigmoid", "softmax")
    params, X, T = random_problem(4, mlp, "cross_entropy", 5)
    masks = [jnp.array([2.0, 0, 2, 2, 0, 2]), jnp.array([0.0, 2, 2, 0, 2, 2])]
    for gradient in (jaxmlp.backprop, autodiff):
        grads = gradient(mlp, params, X, T, "cross_entropy", 0.0, None, masks)
        for layer, m in zip(grads, masks):
            dropped = np.asarray(m) == 0
            assert (np.asarray(layer["W"])[:, dropped] == 0).all()  # the columns into it
            assert (np.asarray(layer["b"])[dropped] == 0).all()
            assert (np.asarray(layer["W"])[:, ~dropped] != 0).any()


@pytest.mark.parametrize("rate", [1.0, -0.1, float("nan"), "0.5"])
def test_a_bad_rate_is_named(rate):
    mlp = jaxmlp.MLP((2, 3, 1))
    params = jaxmlp.init_params(jax.random.key(0), mlp)
    X, y = np.zeros((4, 2), np.float32), np.array([0, 1, 0, 1])
    match = r"dropout must be a number in \[0, 1\), got"
    with pytest.raises(ValueError, match=match):
        dropout_masks(jax.random.key(0), mlp, rate)
    with pytest.raises(ValueError, match=match):
        jaxmlp.fit(mlp, params, X, y, key=jax.random.key(0), epochs=1, dropout=rate)
    with pytest.raises(ValueError, match=match):
        jaxmlp.fit_many(mlp, X, y, key=jax.random.key(0), epochs=1, dropout=rate)


def test_masks_of_the_wrong_shape_are_named():
    mlp = jaxmlp.MLP((3, 5, 2))
    params, X, T = random_problem(0, mlp, "mse", 4)
    with pytest.raises(ValueError, match=r"masks\[0\] has shape \(4,\) but \(5,\) or \(4, 5\)"):
        jaxmlp.objective(mlp, params, X, T, masks=[jnp.ones(4)])
    with pytest.raises(ValueError, match="masks must be a list of 1 masks"):
        jaxmlp.backprop(mlp, params, X, T, masks=[jnp.ones(5), jnp.ones(5)])


@pytest.fixture(scope="module")
def moons():
    data = jaxmlp.data.load("moons:n=48", jax.random.key(0))
    return data.X_train.astype(np.float64), data.y_train


def _fit(moons, params=None, **kwargs):
    X, y = moons
    mlp = jaxmlp.MLP((2, 16, 2), "tanh", "softmax")
    if params is None:
        params = jaxmlp.init_params(jax.random.key(1), mlp, dtype=jnp.float64)
    kwargs = dict(key=jax.random.key(2), loss="cross_entropy", epochs=4) | kwargs
    return jaxmlp.fit(mlp, params, X, y, **kwargs)


@pytest.mark.parametrize("batch_size", [None, 10], ids=["full-batch", "mini-batch"])
def test_fit_with_dropout_backprop_equals_autodiff_and_differs_from_no_dropout(moons, batch_size):
    params, history = _fit(moons, batch_size=batch_size, dropout=0.5, grad="autodiff")
    by_hand, by_hand_history = _fit(moons, batch_size=batch_size, dropout=0.5, grad="backprop")
    chex.assert_trees_all_close(params, by_hand, **FIT)
    np.testing.assert_allclose(history.train_loss, by_hand_history.train_loss, **FIT)
    plain, _ = _fit(moons, batch_size=batch_size)
    assert not np.allclose(params[0]["W"], plain[0]["W"])
    # Rate 0 draws no masks: the run without dropout, bit for bit.
    chex.assert_trees_all_equal(_fit(moons, batch_size=batch_size, dropout=0.0)[0], plain)


@pytest.mark.parametrize("batch_size", [None, 10], ids=["full-batch", "mini-batch"])
def test_a_run_with_dropout_resumed_midway_equals_the_run_straight(moons, batch_size):
    kwargs = dict(batch_size=batch_size, dropout=0.3, optimizer="adam", learning_rate=0.01)
    straight, _ = _fit(moons, epochs=6, **kwargs)
    _, first = _fit(moons, epochs=3, **kwargs)
    resumed, _ = _fit(moons, params=first.state, epochs=6, **kwargs)
    chex.assert_trees_all_equal(resumed, straight)


def test_validation_metrics_use_no_masks(moons):
    X, y = moons
    X_val, y_val = X[:12], y[:12]
    params, history = _fit(moons, dropout=0.5, batch_size=8, validation=(X_val, y_val))
    mlp = jaxmlp.MLP((2, 16, 2), "tanh", "softmax")
    T_val = jaxmlp.one_hot(y_val, 2, jnp.float64)
    expected = jaxmlp.objective(mlp, params, X_val, T_val, "cross_entropy")
    assert history.val_loss[-1] == pytest.approx(float(expected), rel=1e-12)


@pytest.mark.heavy
def test_each_member_of_a_sweep_with_dropout_equals_its_fit(moons, key):
    from jaxmlp.training.sweep import member_keys, unstack

    X, y = moons
    mlp = jaxmlp.MLP((2, 16, 2), "tanh", "softmax")
    kwargs = dict(loss="cross_entropy", batch_size=8, epochs=3, dropout=0.4)
    result = jaxmlp.fit_many(mlp, X, y, key=key, seeds=[0, 1], dtype=jnp.float64, **kwargs)
    for i, seed in enumerate([0, 1]):
        init_key, fit_key = member_keys(key, seed)
        params = jaxmlp.init_params(init_key, mlp, dtype=jnp.float64)
        alone, _ = jaxmlp.fit(mlp, params, X, y, key=fit_key, **kwargs)
        chex.assert_trees_all_close(unstack(result, i), alone, **FIT)

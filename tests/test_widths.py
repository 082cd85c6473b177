"""Tests of hidden-unit masks: a masked unit neither contributes nor changes."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxmlp
from jaxmlp.training.widths import check_widths, init_scales, mask_params, masked_optimizer

MLP = jaxmlp.MLP((2, 5, 4, 1), "sigmoid", "identity")
UNITS = [jnp.asarray([1, 1, 0, 0, 0], jnp.float64), jnp.asarray([1, 0, 0, 0], jnp.float64)]


@pytest.mark.heavy
def test_a_masked_network_computes_the_narrow_network(key):
    params = mask_params(jaxmlp.init_params(key, MLP, dtype=jnp.float64), UNITS)
    narrow = jaxmlp.MLP((2, 2, 1, 1), "sigmoid", "identity")
    sliced = [
        {"W": layer["W"][:n_in, :n_out], "b": layer["b"][:n_out]}
        for layer, n_in, n_out in zip(params, narrow.sizes[:-1], narrow.sizes[1:])
    ]
    X = jax.random.normal(key, (6, 2), jnp.float64)
    np.testing.assert_allclose(
        jaxmlp.forward_batch(MLP, params, X), jaxmlp.forward_batch(narrow, sliced, X), rtol=1e-12
    )


@pytest.mark.heavy
def test_the_mask_in_the_optimizer_state_keeps_masked_params_at_zero(key):
    params = mask_params(jaxmlp.init_params(key, MLP, dtype=jnp.float64), UNITS)
    X, T = jax.random.normal(key, (6, 2), jnp.float64), jnp.ones((6, 1), jnp.float64)
    grads = jax.grad(jaxmlp.objective, argnums=1)(MLP, params, X, T, "mse", 1e-2)
    # sigmoid(0) = 1/2: a zero unit still sends a gradient to its outgoing weights.
    assert np.any(np.asarray(grads[1]["W"][2:]) != 0)
    optimizer = masked_optimizer(MLP, optax.adam(0.1))
    state = optimizer.init(params)
    state = (state[0]._replace(units=tuple(UNITS)), *state[1:])
    for _ in range(3):
        grads = jax.grad(jaxmlp.objective, argnums=1)(MLP, params, X, T, "mse", 1e-2)
        updates, state = optimizer.update(grads, state, params)
        params = optax.apply_updates(params, updates)
    assert np.all(np.asarray(params[0]["W"][:, 2:]) == 0)
    assert np.all(np.asarray(params[0]["b"][2:]) == 0)
    assert np.all(np.asarray(params[1]["W"][2:]) == 0) and np.all(params[1]["W"][:, 1:] == 0)
    assert np.all(np.asarray(params[2]["W"][1:]) == 0)
    assert np.all(np.asarray(params[0]["W"][:, :2]) != 0), "the other units train"
    assert masked_optimizer(MLP, optimizer) is masked_optimizer(MLP, optimizer)


def test_init_scales_follow_each_scheme_fans():
    mlp = jaxmlp.MLP((3, 16, 2))
    widths = np.array([[4], [16]])
    glorot = init_scales(mlp, "glorot_uniform", widths)
    np.testing.assert_allclose(glorot[0], [np.sqrt(19 / 7), np.sqrt(18 / 6)])
    np.testing.assert_allclose(glorot[1], [1, 1])
    np.testing.assert_allclose(init_scales(mlp, "he", widths)[0], [1, 2])  # fan_in 3, 16 -> 4


WIDTH_ERRORS = {
    "too-wide": ((5, 9), r"hidden layer 2 width 9 must be an integer in \[1, 4\]"),
    "zero": (0, r"hidden layer 1 width 0"),
    "length": ((2,), "an int or a tuple of 2 hidden widths"),
    "float": (2.5, "an int or a tuple"),
}


@pytest.mark.parametrize("width, match", WIDTH_ERRORS.values(), ids=WIDTH_ERRORS.keys())
def test_bad_widths_are_named(width, match):
    with pytest.raises(ValueError, match=match):
        check_widths(MLP, width, "widths[0]")
    assert check_widths(MLP, 3, "w") == (3, 3) and check_widths(MLP, None, "w") == (5, 4)

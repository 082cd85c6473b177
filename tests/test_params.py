"""init_params: the params pytree, every scheme's scale, determinism and dtypes."""

import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxmlp

# A wide layer, so that sample statistics are close to the scheme's.
N_IN, N_OUT = 400, 300
FAN_AVG = (N_IN + N_OUT) / 2
# The variance of W each scheme aims at (glorot: 1/fan_avg, he: 2/fan_in, lecun: 1/fan_in).
VARIANCE = {
    "glorot_uniform": 1 / FAN_AVG,
    "glorot_normal": 1 / FAN_AVG,
    "he": 2 / N_IN,
    "he_normal": 2 / N_IN,
    "he_uniform": 2 / N_IN,
    "lecun": 1 / N_IN,
    "lecun_normal": 1 / N_IN,
    "lecun_uniform": 1 / N_IN,
    "sklearn": 6 / (N_IN + N_OUT) / 3,  # uniform in ±sqrt(6 / (n_in + n_out)), tanh hidden
}


def test_every_scheme_has_a_target_variance():
    assert set(VARIANCE) == set(jaxmlp.INITS)


@pytest.mark.parametrize("init", sorted(jaxmlp.INITS))
def test_shapes_per_layer(init, key):
    sizes = (3, 5, 4, 2)
    params = jaxmlp.init_params(key, jaxmlp.MLP(sizes), init=init)
    assert isinstance(params, list) and len(params) == len(sizes) - 1
    for layer, n_in, n_out in zip(params, sizes[:-1], sizes[1:]):
        assert set(layer) == {"W", "b"}
        chex.assert_shape(layer["W"], (n_in, n_out))
        chex.assert_shape(layer["b"], (n_out,))
        chex.assert_type((layer["W"], layer["b"]), jnp.float32)
        chex.assert_tree_all_finite(layer)


@pytest.mark.parametrize("init", sorted(jaxmlp.INITS))
def test_weight_variance(init, key):
    W = jaxmlp.init_params(key, jaxmlp.MLP((N_IN, N_OUT), hidden="tanh"), init=init)[0]["W"]
    assert float(jnp.mean(W)) == pytest.approx(0.0, abs=0.05 * math.sqrt(VARIANCE[init]))
    assert float(jnp.var(W)) == pytest.approx(VARIANCE[init], rel=0.03)


@pytest.mark.parametrize("init", sorted(set(jaxmlp.INITS) - {"sklearn"}))
def test_biases_start_at_zero(init, key):
    params = jaxmlp.init_params(key, jaxmlp.MLP((3, 5, 4, 2)), init=init)
    for layer in params:
        np.testing.assert_array_equal(layer["b"], 0.0)


def test_glorot_uniform_bound(key):
    W = jaxmlp.init_params(key, jaxmlp.MLP((N_IN, N_OUT)))[0]["W"]
    bound = math.sqrt(6 / (N_IN + N_OUT))
    assert float(jnp.max(jnp.abs(W))) <= bound
    assert float(jnp.max(jnp.abs(W))) > 0.99 * bound  # the bound is the scheme's, not smaller


@pytest.mark.parametrize("hidden, factor", [("sigmoid", 2.0), ("tanh", 6.0), ("relu", 6.0)])
def test_sklearn_bounds_with_the_logistic_factor(hidden, factor, key):
    mlp = jaxmlp.MLP((N_IN, 200, N_OUT), hidden=hidden)
    for layer, n_in, n_out in zip(
        jaxmlp.init_params(key, mlp, init="sklearn"), mlp.sizes, mlp.sizes[1:]
    ):
        bound = math.sqrt(factor / (n_in + n_out))
        for name in ("W", "b"):  # scikit-learn draws both from the same uniform
            largest = float(jnp.max(jnp.abs(layer[name])))
            assert 0.95 * bound < largest <= bound, (name, n_in, n_out)


def test_same_key_same_params_other_key_other_params(key):
    mlp = jaxmlp.MLP((3, 5, 4, 2))
    chex.assert_trees_all_equal(jaxmlp.init_params(key, mlp), jaxmlp.init_params(key, mlp))
    other = jaxmlp.init_params(jax.random.key(1), mlp)
    assert not np.allclose(jaxmlp.init_params(key, mlp)[0]["W"], other[0]["W"])


def test_layers_get_independent_keys(key):
    params = jaxmlp.init_params(key, jaxmlp.MLP((5, 5, 5, 5)), init="sklearn")
    assert not np.allclose(params[0]["W"], params[1]["W"])
    assert not np.allclose(params[1]["W"], params[2]["W"])
    assert not np.allclose(params[0]["W"][0], params[0]["b"])


def test_float64(key):
    params = jaxmlp.init_params(key, jaxmlp.MLP((3, 4, 2)), dtype=jnp.float64)
    chex.assert_type(jax.tree.leaves(params), jnp.float64)


def test_float64_without_x64_is_an_error(key):
    with jax.enable_x64(False):
        with pytest.raises(ValueError, match="dtype=float64 needs 64-bit JAX.*jax_enable_x64"):
            jaxmlp.init_params(key, jaxmlp.MLP((3, 2)), dtype=jnp.float64)
        # float32 still works there
        chex.assert_type(jax.tree.leaves(jaxmlp.init_params(key, jaxmlp.MLP((3, 2)))), jnp.float32)


def test_params_are_a_plain_pytree(key):
    params = jaxmlp.init_params(key, jaxmlp.MLP((3, 4, 2)))
    leaves, treedef = jax.tree.flatten(params)
    assert len(leaves) == 4
    chex.assert_trees_all_equal(jax.tree.unflatten(treedef, leaves), params)
    doubled = jax.tree.map(lambda x: 2 * x, params)
    np.testing.assert_array_equal(doubled[0]["W"], 2 * params[0]["W"])


@pytest.mark.heavy
@pytest.mark.parametrize("init", ["glorot_uniform", "he_normal", "sklearn"])
def test_draws_inside_jit_vmap_and_eval_shape(init, key):
    mlp = jaxmlp.MLP((5, 7, 3))
    direct = jaxmlp.init_params(key, mlp, init)
    chex.assert_trees_all_equal(jaxmlp.init_params(key, mlp, init), direct)
    # Under vmap the draw is still one run-once program: each member's bits are its own draw's.
    keys = jax.random.split(key, 3)
    stacked = jax.vmap(lambda k: jaxmlp.init_params(k, mlp, init))(keys)
    for i in range(3):
        member = jax.tree.map(lambda leaf: leaf[i], stacked)
        chex.assert_trees_all_equal(member, jaxmlp.init_params(keys[i], mlp, init))
    # Inside a user's jit the draw is part of an optimised program, which may fuse a multiply
    # and an add (one rounding): values equal but for the last bits. A key closed over by
    # the function is a constant there, not a tracer, and works as well.
    ulp = dict(rtol=5e-7, atol=1e-7)  # a few units in the last place of values near 1
    jitted = jax.jit(lambda k: jaxmlp.init_params(k, mlp, init))(key)
    chex.assert_trees_all_close(jitted, direct, **ulp)
    chex.assert_trees_all_close(
        jax.jit(lambda: jaxmlp.init_params(key, mlp, init))(), direct, **ulp
    )
    shapes = jax.eval_shape(lambda k: jaxmlp.init_params(k, mlp, init), key)
    chex.assert_trees_all_equal_shapes_and_dtypes(shapes, direct)

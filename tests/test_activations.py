"""Activations: values, derivatives next to them, numerical stability, user-supplied ones."""

import math

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from problems import HIDDEN, random_problem

import jaxmlp

# Includes p = 0 exactly: an all-zero input, or units behind all-off relu units, with the
# initial b = 0, reach it, and autodiff of max/min picks 0.5 there.
P = np.array([-1e3, -30.0, -3.0, -1.0, -1e-3, 0.0, 1e-3, 0.5, 1.0, 3.0, 30.0, 1e3])

# The textbook definitions, one scalar at a time.
REFERENCE = {
    "sigmoid": lambda p: 1 / (1 + math.exp(-p)) if p > -700 else 0.0,
    "tanh": math.tanh,
    "relu": lambda p: max(p, 0.0),
    "leaky_relu": lambda p: p if p > 0 else 0.01 * p,
    "elu": lambda p: p if p > 0 else math.expm1(p),
    "gelu": lambda p: p * 0.5 * (1 + math.erf(p / math.sqrt(2))),
    "identity": lambda p: p,
}


def test_every_elementwise_activation_has_a_reference():
    assert set(REFERENCE) == set(HIDDEN)


@pytest.mark.parametrize("name", HIDDEN)
def test_activation_values(name):
    activation = jaxmlp.ACTIVATIONS[name]
    expected = np.array([REFERENCE[name](float(p)) for p in P])
    np.testing.assert_allclose(activation(jnp.asarray(P)), expected, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name", HIDDEN)
def test_derivative_equals_autodiff(name):
    activation = jaxmlp.ACTIVATIONS[name]
    p = jnp.asarray(P)
    expected = jax.vmap(jax.grad(activation.fn))(p)
    np.testing.assert_allclose(
        activation.derivative(p, activation(p)), expected, rtol=1e-12, atol=1e-15
    )


@pytest.mark.parametrize("name", HIDDEN)
def test_derivative_keeps_shape_and_dtype(name):
    activation = jaxmlp.ACTIVATIONS[name]
    p = jnp.linspace(-2, 2, 12, dtype=jnp.float32).reshape(3, 4)
    q = activation(p)
    chex.assert_shape((q, activation.derivative(p, q)), (3, 4))
    chex.assert_type((q, activation.derivative(p, q)), jnp.float32)


@pytest.mark.parametrize("name", HIDDEN)
def test_finite_at_plus_minus_1e3_in_float32(name):
    activation = jaxmlp.ACTIVATIONS[name]
    p = jnp.array([-1e3, -100.0, 100.0, 1e3], jnp.float32)
    q = activation(p)
    chex.assert_tree_all_finite(
        (q, activation.derivative(p, q), jax.vmap(jax.grad(activation.fn))(p))
    )


def test_sigmoid_saturates_exactly_in_float32():
    sigmoid = jaxmlp.ACTIVATIONS["sigmoid"]
    q = sigmoid(jnp.array([-1e3, 1e3], jnp.float32))
    np.testing.assert_array_equal(q, [0.0, 1.0])
    np.testing.assert_array_equal(sigmoid.derivative(None, q), [0.0, 0.0])


def test_softmax_is_a_distribution_and_stable_in_float32():
    softmax = jaxmlp.ACTIVATIONS["softmax"]
    a = jnp.array([[1e3, 0.0, -1e3], [1.0, 2.0, 3.0], [-1e3, -1e3, -1e3]], jnp.float32)
    y_hat = softmax(a)
    chex.assert_tree_all_finite(y_hat)
    np.testing.assert_allclose(jnp.sum(y_hat, axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(y_hat[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(
        y_hat[1], np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum(), rtol=1e-6
    )
    np.testing.assert_allclose(y_hat[2], [1 / 3] * 3, rtol=1e-6)


@pytest.mark.heavy
@pytest.mark.parametrize("batch_shape", [(), (2, 3)], ids=str)
def test_softmax_derivative_is_its_jacobian(batch_shape):
    softmax = jaxmlp.ACTIVATIONS["softmax"]
    a = jax.random.normal(jax.random.key(1), (*batch_shape, 5), jnp.float64)
    jacobian = jax.jacobian(softmax.fn)
    for _ in batch_shape:
        jacobian = jax.vmap(jacobian)
    jacobian = jax.jit(jacobian)  # one compile instead of many small eager ones
    np.testing.assert_allclose(
        softmax.derivative(a, softmax(a)), jacobian(a), rtol=1e-12, atol=1e-15
    )


def test_softmax_is_not_elementwise_and_the_others_are():
    assert [name for name, act in jaxmlp.ACTIVATIONS.items() if not act.elementwise] == ["softmax"]


def _swish(p):
    return p * jax.nn.sigmoid(p)


def _swish_derivative(p, q):
    s = jax.nn.sigmoid(p)
    return s + p * s * (1 - s)


SWISH = jaxmlp.Activation("swish", _swish, _swish_derivative)


@pytest.mark.heavy
def test_user_activation_trains_end_to_end_by_hand_and_by_autodiff():
    mlp = jaxmlp.MLP((3, 3, 3, 3), hidden=SWISH, output="sigmoid")
    params, X, T = random_problem(0, mlp, "mse", 7)

    np.testing.assert_allclose(
        jaxmlp.forward_batch(mlp, params, X),
        jax.nn.sigmoid(
            _swish(
                _swish(X @ params[0]["W"] + params[0]["b"][None]) @ params[1]["W"]
                + params[1]["b"][None]
            )
            @ params[2]["W"]
            + params[2]["b"][None]
        ),
        rtol=1e-12,
    )
    grads = jaxmlp.backprop(mlp, params, X, T)
    chex.assert_trees_all_close(
        grads, jax.grad(jaxmlp.objective, argnums=1)(mlp, params, X, T), rtol=1e-10, atol=1e-12
    )


def test_user_activation_as_output():
    mlp = jaxmlp.MLP((3, 3, 3), hidden="tanh", output=SWISH)
    params, X, T = random_problem(1, mlp, "mse", 7)
    chex.assert_trees_all_close(
        jaxmlp.backprop(mlp, params, X, T),
        jax.grad(jaxmlp.objective, argnums=1)(mlp, params, X, T),
        rtol=1e-10,
        atol=1e-12,
    )


def test_backprop_uses_the_activations_own_derivative():
    # A wrong derivative changes the hand-written gradient but not autodiff, which never sees it.
    wrong = jaxmlp.Activation("swish", _swish, lambda p, q: 2 * _swish_derivative(p, q))
    mlp = jaxmlp.MLP((3, 3, 3), hidden=wrong, output="identity")
    params, X, T = random_problem(2, mlp, "mse", 7)
    by_hand = jaxmlp.backprop(mlp, params, X, T)
    by_autodiff = jax.grad(jaxmlp.objective, argnums=1)(mlp, params, X, T)
    np.testing.assert_allclose(
        by_hand[1]["W"], by_autodiff[1]["W"], rtol=1e-12
    )  # after the hidden layer
    np.testing.assert_allclose(by_hand[0]["W"], 2 * by_autodiff[0]["W"], rtol=1e-12)

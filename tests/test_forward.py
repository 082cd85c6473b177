"""forward on one example as the slides write it; forward_batch through vmap."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from problems import HIDDEN, random_problem

import jaxmlp


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_lecture_two_layer_forward():
    mlp = jaxmlp.MLP((2, 3, 1))
    params, X, _ = random_problem(0, mlp, "mse", 1)
    (W1, b1), (W2, b2) = [(np.asarray(layer["W"]), np.asarray(layer["b"])) for layer in params]
    x = np.asarray(X[0])
    # p = (W¹)ᵀ x + b¹, q = σ(p); a = (W²)ᵀ q + b², y_hat = σ(a)
    q = _sigmoid(W1.T @ x + b1)
    y_hat = _sigmoid(W2.T @ q + b2)
    np.testing.assert_allclose(jaxmlp.forward(mlp, params, x), y_hat, rtol=1e-12)


@pytest.mark.parametrize("d, c", [(4, 3), (784, 10), (2, 2)], ids=["4-3", "784-10", "2-2"])
def test_sizes_d_c_with_softmax_is_softmax_regression(d, c):
    mlp = jaxmlp.MLP((d, c), output="softmax")
    params, X, _ = random_problem(1, mlp, "cross_entropy", 6)
    W, b = np.asarray(params[0]["W"]), np.asarray(params[0]["b"])
    for x, y_hat in zip(np.asarray(X), np.asarray(jaxmlp.forward_batch(mlp, params, X))):
        # P(y = j | x) = exp(w_jᵀ x + b_j) / Σ_j' exp(w_j'ᵀ x + b_j')
        scores = np.exp(W.T @ x + b)
        np.testing.assert_allclose(y_hat, scores / scores.sum(), rtol=1e-12)
        assert y_hat.sum() == pytest.approx(1.0)


def test_deep_forward_is_a_composition():
    mlp = jaxmlp.MLP((4, 5, 6, 5, 3), hidden="tanh", output="identity")
    params, X, _ = random_problem(2, mlp, "mse", 1)
    q = np.asarray(X[0])
    for layer in params[:-1]:
        q = np.tanh(np.asarray(layer["W"]).T @ q + np.asarray(layer["b"]))  # f_l
    a = np.asarray(params[-1]["W"]).T @ q + np.asarray(params[-1]["b"])
    np.testing.assert_allclose(jaxmlp.forward(mlp, params, X[0]), a, rtol=1e-12)


@pytest.mark.parametrize("n", [1, 7, 64])
@pytest.mark.parametrize("output", ["sigmoid", "softmax", "identity"])
def test_forward_batch_agrees_with_forward(n, output):
    mlp = jaxmlp.MLP((5, 4, 3), hidden="relu", output=output)
    params, X, _ = random_problem(3, mlp, "mse", n)
    Y_hat = jaxmlp.forward_batch(mlp, params, X)
    chex.assert_shape(Y_hat, (n, 3))
    for i in range(n):
        np.testing.assert_allclose(Y_hat[i], jaxmlp.forward(mlp, params, X[i]), rtol=1e-12)


@pytest.mark.parametrize("hidden", HIDDEN)
def test_forward_keeps_float32(hidden, key):
    mlp = jaxmlp.MLP((5, 4, 3), hidden=hidden, output="softmax")
    params = jaxmlp.init_params(key, mlp)
    Y_hat = jaxmlp.forward_batch(mlp, params, jnp.ones((2, 5), jnp.float32))
    chex.assert_type(Y_hat, jnp.float32)
    chex.assert_tree_all_finite(Y_hat)


def test_forward_under_jit_and_vmap():
    mlp = jaxmlp.MLP((5, 4, 3), hidden="gelu", output="sigmoid")
    params, X, _ = random_problem(4, mlp, "mse", 8)
    forward = jax.jit(jaxmlp.forward, static_argnums=0)
    batched = jax.vmap(forward, in_axes=(None, None, 0))(mlp, params, X)
    np.testing.assert_allclose(batched, jaxmlp.forward_batch(mlp, params, X), rtol=1e-12)
    np.testing.assert_allclose(
        jax.jit(jaxmlp.forward_batch, static_argnums=0)(mlp, params, X), batched, rtol=1e-12
    )


@pytest.mark.parametrize(
    "output, low, high", [("sigmoid", 0, 1), ("tanh", -1, 1), ("softmax", 0, 1)]
)
def test_outputs_in_the_range_of_the_output_activation(output, low, high):
    mlp = jaxmlp.MLP((5, 4, 3), output=output)
    params, X, _ = random_problem(5, mlp, "mse", 64)
    Y_hat = jaxmlp.forward_batch(mlp, params, 3 * X)
    assert low < float(jnp.min(Y_hat)) and float(jnp.max(Y_hat)) < high

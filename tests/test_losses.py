"""Losses against their closed forms, their derivatives against autodiff, and one_hot."""

import chex
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxmlp
from jaxmlp.losses import (
    binary_cross_entropy,
    binary_cross_entropy_delta,
    cross_entropy,
    cross_entropy_delta,
    mse,
    mse_grad_y_hat,
)


def test_mse_is_the_lectures_J():
    # J = ½ Σ_k (t_k - y_hat_k)² = ½ (0.5² + 0.25² + 0²)
    t = jnp.array([1.0, 0.0, 0.5])
    y_hat = jnp.array([0.5, 0.25, 0.5])
    assert float(mse(None, y_hat, t)) == pytest.approx(0.5 * (0.25 + 0.0625))


def test_cross_entropy_closed_form():
    a = jnp.array([1.0, 2.0, 0.5])
    t = jnp.array([0.0, 1.0, 0.0])
    y_hat = np.exp(a) / np.exp(a).sum()
    assert float(cross_entropy(a, jax.nn.softmax(a), t)) == pytest.approx(
        -np.log(y_hat[1]), rel=1e-12
    )


def test_binary_cross_entropy_closed_form():
    a = jnp.array([1.5, -0.5, 0.0])
    t = jnp.array([1.0, 0.0, 1.0])
    y_hat = 1 / (1 + np.exp(-np.asarray(a)))
    expected = -np.sum(t * np.log(y_hat) + (1 - t) * np.log(1 - y_hat))
    assert float(binary_cross_entropy(a, jax.nn.sigmoid(a), t)) == pytest.approx(
        float(expected), rel=1e-12
    )


def test_losses_work_on_batches():
    a = jax.random.normal(jax.random.key(0), (4, 3))
    t = jaxmlp.one_hot(jnp.array([0, 2, 1, 1]), 3, jnp.float64)
    for loss in jaxmlp.LOSSES.values():
        chex.assert_shape(loss.value(a, jax.nn.softmax(a), t), (4,))


def test_cross_entropies_are_exact_and_finite_at_1e3_in_float32():
    a = jnp.array([1e3, 0.0, -1e3], jnp.float32)
    # The true class has y_hat = e^-1000, which is 0 in float32, yet -log y_hat = 1000.
    t = jnp.array([0.0, 1.0, 0.0], jnp.float32)
    assert float(cross_entropy(a, jax.nn.softmax(a), t)) == pytest.approx(1e3)
    # -log(1 - σ(1e3)) = 1e3 and -log σ(-1e3) = 1e3, though σ rounds to 1 and 0.
    t = jnp.array([0.0, 1.0, 1.0], jnp.float32)
    assert float(binary_cross_entropy(a, jax.nn.sigmoid(a), t)) == pytest.approx(
        1e3 + np.log(2) + 1e3
    )


def _value_of(loss, output):
    return lambda a, t: loss(a, output(a), t)


def test_mse_grad_equals_autodiff():
    y_hat = jnp.array([0.2, 0.9, -0.3])
    t = jnp.array([0.0, 1.0, 0.5])
    np.testing.assert_allclose(mse_grad_y_hat(y_hat, t), jax.grad(mse, argnums=1)(None, y_hat, t))


@pytest.mark.parametrize(
    "t",
    [[0.0, 1.0, 0.0], [0.2, 0.5, 0.3], [0.5, 1.0, 0.0]],
    ids=["one_hot", "soft_targets", "targets_not_summing_to_1"],
)
def test_cross_entropy_delta_equals_autodiff(t):
    a = jnp.array([0.3, -1.2, 2.0])
    t = jnp.array(t)
    expected = jax.grad(_value_of(cross_entropy, jax.nn.softmax))(a, t)
    np.testing.assert_allclose(cross_entropy_delta(jax.nn.softmax(a), t), expected, rtol=1e-12)


def test_binary_cross_entropy_delta_equals_autodiff():
    a = jnp.array([0.3, -1.2, 2.0])
    t = jnp.array([1.0, 0.0, 0.3])
    expected = jax.grad(_value_of(binary_cross_entropy, jax.nn.sigmoid))(a, t)
    np.testing.assert_allclose(
        binary_cross_entropy_delta(jax.nn.sigmoid(a), t), expected, rtol=1e-12
    )


def test_each_loss_gives_exactly_one_derivative():
    for loss in jaxmlp.LOSSES.values():
        assert (loss.grad_y_hat is None) != (loss.delta is None), loss.name
        assert (loss.delta is None) == (loss.output is None), loss.name


@pytest.mark.parametrize(
    "c, y, t",
    [
        (5, 2, [0, 0, 1, 0, 0]),
        (10, 7, [0, 0, 0, 0, 0, 0, 0, 1, 0, 0]),
        (3, 0, [1, 0, 0]),
    ],
    ids=["c=5,y=2", "c=10,y=7", "c=3,y=0"],
)
def test_one_hot_lecture_examples(c, y, t):
    np.testing.assert_array_equal(jaxmlp.one_hot(jnp.array([y]), c), [t])


def test_one_hot_batch_and_dtype():
    T = jaxmlp.one_hot(np.array([0, 1, 2]), 3, dtype=jnp.float64)
    np.testing.assert_array_equal(T, np.eye(3))
    assert T.dtype == jnp.float64
    assert jaxmlp.one_hot([0, 1], 2).dtype == jnp.float32


def test_one_hot_accepts_integral_floats_and_numpy_class_counts():
    y = np.array([0.0, 2.0, 1.0])
    np.testing.assert_array_equal(jaxmlp.one_hot(y, np.int64(3)), np.eye(3)[[0, 2, 1]])


@pytest.mark.parametrize(
    "y, bad", [([0, 3, 1], 3), ([-1, 0], -1), ([0, 17], 17)], ids=["c", "negative", "far"]
)
def test_one_hot_rejects_labels_outside_range(y, bad):
    with pytest.raises(ValueError, match=rf"y holds the label {bad}, outside \[0, 3\)"):
        jaxmlp.one_hot(np.array(y), 3)


def test_one_hot_rejects_fractional_labels():
    with pytest.raises(ValueError, match="y must hold integer class labels"):
        jaxmlp.one_hot(np.array([0.5, 1.0]), 3)


@pytest.mark.parametrize("c", [0, -2, 2.5, True], ids=str)
def test_one_hot_rejects_bad_class_counts(c):
    with pytest.raises(ValueError, match=rf"c={c!r} must be a positive integer"):
        jaxmlp.one_hot(np.array([0]), c)


def test_one_hot_under_jit():
    T = jax.jit(jaxmlp.one_hot, static_argnums=1)(jnp.array([2, 0]), 3)
    np.testing.assert_array_equal(T, [[0, 0, 1], [1, 0, 0]])

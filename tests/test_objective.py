"""objective: the mean per-example loss plus (l2/2) Σ‖W‖², biases unpenalised."""

import jax
import numpy as np
import pytest
from problems import OUTPUT_LOSS, random_problem

import jaxmlp


def _per_example_losses(mlp, params, X, T, loss):
    """Each example's loss by its textbook formula, in NumPy, from the outputs."""
    Y_hat = np.asarray(jaxmlp.forward_batch(mlp, params, X))
    T = np.asarray(T)
    if loss == "mse":
        return 0.5 * np.sum((T - Y_hat) ** 2, axis=1)
    if loss == "cross_entropy":
        return -np.sum(T * np.log(Y_hat), axis=1)
    return -np.sum(T * np.log(Y_hat) + (1 - T) * np.log(1 - Y_hat), axis=1)


@pytest.mark.parametrize("output, loss", OUTPUT_LOSS, ids=["-".join(c) for c in OUTPUT_LOSS])
def test_objective_value(output, loss):
    mlp = jaxmlp.MLP((4, 5, 3), hidden="tanh", output=output)
    params, X, T = random_problem(0, mlp, loss, 7)
    losses = _per_example_losses(mlp, params, X, T, loss)
    penalty = 0.5 * sum(np.sum(np.asarray(layer["W"]) ** 2) for layer in params)
    assert float(jaxmlp.objective(mlp, params, X, T, loss)) == pytest.approx(
        losses.mean(), rel=1e-12
    )
    assert float(jaxmlp.objective(mlp, params, X, T, loss, l2=0.3)) == pytest.approx(
        losses.mean() + 0.3 * penalty, rel=1e-12
    )
    weights = np.array([1.0, 0.0, 2.0, 0.5, 0.0, 1.0, 3.0])
    assert float(jaxmlp.objective(mlp, params, X, T, loss, weights=weights)) == pytest.approx(
        np.sum(weights * losses) / weights.sum(), rel=1e-12
    )


def test_biases_are_not_penalised():
    mlp = jaxmlp.MLP((4, 5, 3))
    params, X, T = random_problem(1, mlp, "mse", 7)
    shifted = [{"W": layer["W"], "b": layer["b"] + 10.0} for layer in params]
    difference = jaxmlp.objective(mlp, params, X, T, l2=1.0) - jaxmlp.objective(mlp, params, X, T)
    shifted_difference = jaxmlp.objective(mlp, shifted, X, T, l2=1.0) - jaxmlp.objective(
        mlp, shifted, X, T
    )
    assert float(shifted_difference) == pytest.approx(float(difference), rel=1e-12)


def test_objective_under_jit_with_traced_l2():
    mlp = jaxmlp.MLP((4, 5, 3), output="softmax")
    params, X, T = random_problem(2, mlp, "cross_entropy", 7)
    objective = jax.jit(jaxmlp.objective, static_argnums=(0, 4))
    for l2 in (0.0, 0.2):
        assert float(objective(mlp, params, X, T, "cross_entropy", l2)) == pytest.approx(
            float(jaxmlp.objective(mlp, params, X, T, "cross_entropy", l2)), rel=1e-12
        )

"""The Poisson regression head of scikit-learn's ``MLPRegressor(loss="poisson")``.

An exponential output activation and the half Poisson deviance up to a constant,
``J = Σ_k (y_hat_k - t_k a_k)`` with ``y_hat = exp(a)``, whose ``δ = ∂J/∂a = y_hat - t``
(the canonical pairing, as softmax with the cross-entropy).
"""

from __future__ import annotations

import jax.numpy as jnp

from ..activations import Activation
from ..losses import Loss


def exp_derivative(p, q):
    """``d exp(p)/dp = exp(p) = q``."""
    return q


def half_poisson(a, y_hat, t):
    """``J = Σ_k (exp(a_k) - t_k a_k)``."""
    return jnp.sum(y_hat - t * a, axis=-1)


def half_poisson_delta(y_hat, t):
    """``∂J/∂a = y_hat - t``."""
    return y_hat - t


EXP = Activation("exp", jnp.exp, exp_derivative)
POISSON = Loss("poisson", half_poisson, delta=half_poisson_delta, output="exp")

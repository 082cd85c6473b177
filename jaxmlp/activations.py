"""Activation functions, each next to its derivative.

An activation maps a pre-activation ``p`` to ``q = f(p)`` elementwise. Its derivative is
written as ``f'(p, q)``: given both the pre-activation and the output, so that the sigmoid
can use the slides' form ``q (1 - q)``. The hand-written backprop uses these derivatives;
``jax.grad`` differentiates ``fn`` itself and never sees them.

Softmax, not elementwise, is allowed only on the output layer; its derivative is the
Jacobian ``diag(y_hat) - y_hat y_hatᵀ`` (see ``backprop.py``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.scipy.special import erf

Array = jax.Array


@dataclasses.dataclass(frozen=True)
class Activation:
    """An elementwise ``q = fn(p)`` and ``dq/dp = derivative(p, q)`` (softmax: not elementwise).
    Pass your own as ``MLP(hidden=Activation("swish", fn, derivative))``."""

    name: str
    fn: Callable[[Array], Array]
    derivative: Callable[[Array, Array], Array]
    elementwise: bool = True

    def __call__(self, p: Array) -> Array:
        return self.fn(p)


def sigmoid(p: Array) -> Array:
    # lax.logistic never evaluates exp of a large positive number: stable for |p| ~ 1e3.
    return jax.nn.sigmoid(p)


def sigmoid_derivative(p: Array, q: Array) -> Array:
    return q * (1 - q)


def tanh(p: Array) -> Array:
    return jnp.tanh(p)


def tanh_derivative(p: Array, q: Array) -> Array:
    return 1 - q**2


def relu(p: Array) -> Array:
    # Not jnp.maximum(p, 0): its jax.grad at p = 0 (common: zero inputs, initial b = 0) is 0.5.
    return jax.nn.relu(p)


def relu_derivative(p: Array, q: Array) -> Array:
    # At p = 0 we take 0, as jax.grad of jax.nn.relu does.
    return (p > 0).astype(p.dtype)


LEAKY_SLOPE = 0.01


def leaky_relu(p: Array) -> Array:
    return jnp.where(p > 0, p, LEAKY_SLOPE * p)


def leaky_relu_derivative(p: Array, q: Array) -> Array:
    return jnp.where(p > 0, 1, LEAKY_SLOPE).astype(p.dtype)


ELU_ALPHA = 1.0


def elu(p: Array) -> Array:
    # The discarded branch must stay finite (0 · inf poisons jax.grad with NaN for large p);
    # clipped by jnp.where, as jnp.minimum(p, 0) has a jax.grad of 0.5 at p = 0.
    return jnp.where(p > 0, p, ELU_ALPHA * jnp.expm1(jnp.where(p > 0, 0, p)))


def elu_derivative(p: Array, q: Array) -> Array:
    return jnp.where(p > 0, 1, q + ELU_ALPHA).astype(p.dtype)


def gelu(p: Array) -> Array:
    """Exact GELU, ``p Φ(p)`` with Φ the standard normal CDF."""
    return p * _normal_cdf(p)


def gelu_derivative(p: Array, q: Array) -> Array:
    return _normal_cdf(p) + p * jnp.exp(-0.5 * p**2) / math.sqrt(2 * math.pi)


def _normal_cdf(p: Array) -> Array:
    return 0.5 * (1 + erf(p / math.sqrt(2)))


def identity(p: Array) -> Array:
    return p


def identity_derivative(p: Array, q: Array) -> Array:
    return jnp.ones_like(p)


def softmax(a: Array) -> Array:
    """``y_hat_k = exp(a_k) / Σ_k' exp(a_k')`` over the last axis, stable for large ``|a|``."""
    return jax.nn.softmax(a, axis=-1)


def softmax_derivative(a: Array, y_hat: Array) -> Array:
    """The Jacobian ``∂y_hat_k/∂a_j = y_hat_k (δ_kj - y_hat_j)``: ``(..., c) -> (..., c, c)``."""
    eye = jnp.eye(y_hat.shape[-1], dtype=y_hat.dtype)
    eye = jnp.broadcast_to(eye, y_hat.shape[:-1] + eye.shape)  # (..., c, c)
    return y_hat[..., :, None] * (eye - y_hat[..., None, :])


ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        Activation("sigmoid", sigmoid, sigmoid_derivative),
        Activation("tanh", tanh, tanh_derivative),
        Activation("relu", relu, relu_derivative),
        Activation("leaky_relu", leaky_relu, leaky_relu_derivative),
        Activation("elu", elu, elu_derivative),
        Activation("gelu", gelu, gelu_derivative),
        Activation("identity", identity, identity_derivative),
        Activation("softmax", softmax, softmax_derivative, elementwise=False),
    )
}


def get_activation(name: str | Activation, *, argument: str = "activation") -> Activation:
    """Looks an activation up by name; an ``Activation`` passes through unchanged."""
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise TypeError(
            f"{argument} must be an activation name or a jaxmlp.Activation, "
            f"got {type(name).__name__} {name!r}"
        )
    if name not in ACTIVATIONS:
        raise ValueError(
            f"{argument}={name!r} is not a known activation; choose one of "
            f"{sorted(ACTIVATIONS)} or pass a jaxmlp.Activation"
        )
    return ACTIVATIONS[name]

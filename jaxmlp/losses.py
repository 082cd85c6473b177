"""Per-example losses, each next to its derivative, and one-hot targets.

Every loss is a function of the output pre-activation ``a: (c,)``, the output
``y_hat = f(a): (c,)`` and the target ``t: (c,)``; cross-entropies are computed stably from
``a``. For the hand-written backprop each loss gives ``∂J/∂y_hat`` (chained through the output
activation) or, paired with its canonical output activation, ``δ = ∂J/∂a`` directly.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from .names import check_loss_output

Array = jax.Array


@dataclasses.dataclass(frozen=True)
class Loss:
    """A per-example loss ``J(a, y_hat, t)`` and its hand-written derivative.
    Exactly one of ``grad_y_hat`` (``∂J/∂y_hat``) and ``delta`` (``∂J/∂a``) is given;
    ``delta`` needs ``output`` to be the activation it was derived for."""

    name: str
    value: Callable[[Array, Array, Array], Array]
    grad_y_hat: Callable[[Array, Array], Array] | None = None
    delta: Callable[[Array, Array], Array] | None = None
    output: str | None = None


def mse(a: Array, y_hat: Array, t: Array) -> Array:
    """The lecture's ``J = ½ Σ_k (t_k - y_hat_k)²``."""
    return 0.5 * jnp.sum((t - y_hat) ** 2, axis=-1)


def mse_grad_y_hat(y_hat: Array, t: Array) -> Array:
    """``∂J/∂y_hat_k = -(t_k - y_hat_k)``."""
    return -(t - y_hat)


def cross_entropy(a: Array, y_hat: Array, t: Array) -> Array:
    """``J = -Σ_k t_k log y_hat_k`` with ``y_hat = softmax(a)``, from ``a`` by log-softmax."""
    return -jnp.sum(t * jax.nn.log_softmax(a, axis=-1), axis=-1)


def cross_entropy_delta(y_hat: Array, t: Array) -> Array:
    """``∂J/∂a = y_hat Σ_k t_k - t``, which is ``y_hat - t`` for a one-hot ``t``."""
    return y_hat * jnp.sum(t, axis=-1, keepdims=True) - t


def binary_cross_entropy(a: Array, y_hat: Array, t: Array) -> Array:
    """``J = -Σ_k [t_k log y_hat_k + (1 - t_k) log(1 - y_hat_k)]``, ``y_hat = σ(a)``, from ``a``.
    ``-log σ(a) = softplus(-a)`` and ``-log(1 - σ(a)) = softplus(a)`` give ``softplus(a) - t a``."""
    return jnp.sum(jax.nn.softplus(a) - t * a, axis=-1)


def binary_cross_entropy_delta(y_hat: Array, t: Array) -> Array:
    """``∂J/∂a = y_hat - t``."""
    return y_hat - t


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("mse", mse, grad_y_hat=mse_grad_y_hat),
        Loss("cross_entropy", cross_entropy, delta=cross_entropy_delta, output="softmax"),
        Loss(
            "binary_cross_entropy",
            binary_cross_entropy,
            delta=binary_cross_entropy_delta,
            output="sigmoid",
        ),
    )
}


def get_loss(name: str | Loss, output_name: str | None = None) -> Loss:
    """Looks a loss up by name and checks it fits the output activation ``output_name``."""
    if isinstance(name, Loss):
        loss = name
    elif isinstance(name, str) and name in LOSSES:
        loss = LOSSES[name]
    else:
        raise ValueError(f"loss={name!r} is not a known loss; choose one of {sorted(LOSSES)}")
    check_loss_output(loss.name, loss.output, output_name)
    return loss


def one_hot(y, c: int, dtype=jnp.float32) -> Array:
    """One-hot targets of labels ``y: (n,)`` in ``[0, c)``: ``T: (n, c)``.
    Raises ``ValueError`` for a label outside ``[0, c)`` (``jax.nn.one_hot`` gives a zero row)."""
    if isinstance(c, bool) or not isinstance(c, numbers.Integral) or c <= 0:
        raise ValueError(f"c={c!r} must be a positive integer number of classes")
    c = int(c)  # e.g. np.int64 from y.max() + 1
    if not isinstance(y, jax.core.Tracer):
        y_np = np.asarray(y)
        if y_np.size and not np.issubdtype(y_np.dtype, np.integer):
            if not np.issubdtype(y_np.dtype, np.number) or np.any(y_np != np.round(y_np)):
                raise ValueError(f"y must hold integer class labels, got dtype {y_np.dtype}")
            y = y_np.astype(np.int32)  # whole numbers such as 2.0; jax.nn.one_hot wants integers
        if y_np.size and (y_np.min() < 0 or y_np.max() >= c):
            bad = y_np[(y_np < 0) | (y_np >= c)][0].item()
            raise ValueError(f"y holds the label {bad!r}, outside [0, {c}) for c={c} classes")
    return jax.nn.one_hot(y, c, dtype=dtype)

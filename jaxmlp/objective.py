"""The training objective: the mean per-example loss plus an L2 penalty on the weights.

    objective = (1/n) Σ_i J(x⁽ⁱ⁾, t⁽ⁱ⁾) + (l2/2) Σ_layers ‖W‖²

With example weights the mean is ``Σ_i w_i J_i / Σ_i w_i``; with dropout masks each ``J_i``
is that of the network whose hidden outputs are ``q = σ(p) ⊙ m`` (``dropout.py``).
Differentiate it with ``jax.grad``; ``backprop.py`` computes the same gradient by hand.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from . import checks
from .forward import output_preactivation
from .losses import Loss, get_loss
from .mlp import MLP
from .params import Params


def example_loss(mlp: MLP, params: Params, x: jax.Array, t: jax.Array, loss: Loss) -> jax.Array:
    """The per-example loss ``J`` of one ``x: (d,)`` against ``t: (c,)``: a scalar."""
    a = output_preactivation(mlp, params, x)
    y_hat = mlp.output_activation(a)
    return loss.value(a, y_hat, t)


def l2_penalty(params: Params) -> jax.Array:
    """``½ Σ_layers ‖W‖²`` (biases are not penalised)."""
    return 0.5 * sum(jnp.sum(layer["W"] ** 2) for layer in params)


def losses_and_outputs(mlp: MLP, params: Params, X, T, loss: Loss, masks=None):
    """``(losses: (n,), Y_hat: (n, c))``: each example's ``J`` and output, without checks.
    ``masks``: dropout masks, one per hidden layer, ``(h_l,)`` shared or ``(n, h_l)``."""

    def loss_and_output(x, t, masks):
        a = output_preactivation(mlp, params, x, masks)
        y_hat = mlp.output_activation(a)
        return loss.value(a, y_hat, t), y_hat

    mask_axes = None if masks is None else [0 if jnp.ndim(m) == 2 else None for m in masks]
    return jax.vmap(loss_and_output, in_axes=(0, 0, mask_axes))(X, T, masks)


def objective(
    mlp: MLP, params: Params, X, T, loss: str | Loss = "mse", l2=0.0, weights=None, masks=None
):
    """The mean loss over a batch plus ``l2/2 · Σ‖W‖²``.

    Args:
      mlp: the architecture (static under ``jit``).
      params: the params pytree.
      X: ``(n, d)`` inputs, checked as ``jaxmlp.fit`` checks them.
      T: ``(n, c)`` targets (``jaxmlp.one_hot(y, c)`` for labels), as the loss needs them.
      loss: ``"mse"``, ``"cross_entropy"`` (softmax output) or ``"binary_cross_entropy"``.
      l2: the weight-decay coefficient, ``>= 0``.
      weights: ``(n,)`` example weights ``>= 0`` or ``None``: the mean is ``Σ w_i J_i / Σ w_i``.
      masks: dropout masks (``dropout_masks``), one per hidden layer, ``(h_l,)`` or
        ``(n, h_l)``, or ``None``.

    Returns:
      A scalar.

    Example:
      >>> import jax, jaxmlp
      >>> mlp = jaxmlp.MLP((2, 3, 1))
      >>> params = jaxmlp.init_params(jax.random.key(0), mlp)
      >>> grads = jax.grad(jaxmlp.objective, argnums=1)(mlp, params, jax.numpy.ones((4, 2)),
      ...                                                jax.numpy.zeros((4, 1)))
    """
    mlp, loss, X, T, l2, weights = check_objective_args(mlp, params, X, T, loss, l2, weights)
    checks.check_masks(mlp, masks, X.shape[0])
    losses, _ = losses_and_outputs(mlp, params, X, T, loss, masks)
    if weights is None:
        return jnp.mean(losses) + l2 * l2_penalty(params)
    return jnp.sum(weights * losses) / jnp.sum(weights) + l2 * l2_penalty(params)


def check_objective_args(mlp, params, X, T, loss, l2, weights):
    """The boundary checks shared by ``objective`` and ``backprop``."""
    dtype = checks.check_params(mlp, params)
    loss = get_loss(loss, mlp.output_activation.name)
    X = checks.check_inputs(mlp, X, dtype=dtype)
    T = checks.check_targets(mlp, T, X.shape[0], dtype=dtype, loss=loss)
    l2 = checks.check_l2(l2)
    weights = checks.check_weights(weights, X.shape[0], dtype=dtype)
    return mlp, loss, X, T, l2, weights

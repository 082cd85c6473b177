"""Using a trained MLP: outputs, class labels, and the loss and accuracy on a dataset."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from . import checks
from .compiling import cached_jit, small_work_options
from .forward import apply
from .losses import Loss, get_loss
from .mlp import MLP
from .objective import l2_penalty, losses_and_outputs
from .params import Params
from .targets import is_classification, predicted_labels, targets, true_labels


def predict_proba(mlp: MLP, params: Params, X) -> jax.Array:
    """The outputs ``Y_hat: (n, c)`` for inputs ``X: (n, d)`` (probabilities for softmax, sigmoid).

    ``X`` is checked as ``jaxmlp.fit`` checks it; ``uint8`` is refused: pass pixels as ``X / 255``.
    """
    dtype = checks.check_params(mlp, params)
    X = checks.check_inputs(mlp, X, dtype=dtype)
    return _predict_proba(mlp, params, jnp.asarray(X, dtype))


def _options(mlp: MLP, params, X, *rest) -> dict:
    """The forward pass's matmul FLOPs decide (``compiling.small_work_options``)."""
    return small_work_options(X.shape[0] * mlp.matmul_flops())


@cached_jit(static_argnums=(0,), options=_options)
def _predict_proba(mlp, params, X):
    return apply(mlp, params, X)


def predict(mlp: MLP, params: Params, X) -> jax.Array:
    """Class labels ``(n,)``: the argmax of the outputs, or ``y_hat > 0.5`` with one output."""
    return predicted_labels(predict_proba(mlp, params, X))


def evaluate(mlp: MLP, params: Params, X, y, loss: str | Loss = "mse", l2: float = 0.0) -> dict:
    """The objective and, for class labels, the accuracy on ``(X, y)``.

    Args:
      X: ``(n, d)`` inputs, checked as ``predict_proba`` checks them.
      y: ``(n,)`` class labels or ``(n, c)`` real targets, checked as ``jaxmlp.fit`` checks them.
      loss: the loss the model was trained with.
      l2: include the L2 term, as the training objective does.

    Returns:
      ``{"loss": float, "accuracy": float}``; ``accuracy`` is ``nan`` for real targets.
    """
    dtype = checks.check_params(mlp, params)
    loss = get_loss(loss, mlp.output_activation.name)
    X = checks.check_inputs(mlp, X, dtype=dtype)
    T = targets(mlp, y, X.shape[0], dtype, loss=loss)
    l2 = checks.check_l2(l2)
    value, accuracy = _evaluate(mlp, params, jnp.asarray(X, dtype), T, loss, l2)
    accuracy = float(accuracy) if is_classification(y) else float("nan")
    return {"loss": float(value), "accuracy": accuracy}


@cached_jit(static_argnums=(0, 4), options=_options)
def _evaluate(mlp, params, X, T, loss, l2):
    losses, Y_hat = losses_and_outputs(mlp, params, X, T, loss)
    value = jnp.mean(losses) + l2 * l2_penalty(params)
    return value, jnp.mean(predicted_labels(Y_hat) == true_labels(T))

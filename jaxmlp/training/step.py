"""One update: the objective's gradient (``jax.grad`` or the hand-written backprop), then optax.

Built from the lecture's pieces, with two speed devices of its own, each said where it is.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

from ..backprop import gradients
from ..dropout import dropout_masks
from ..objective import l2_penalty, losses_and_outputs
from ..targets import predicted_labels, true_labels
from . import parallel
from .optimizers import transformation
from .program import Program


def mean_loss(losses: jax.Array, weights: jax.Array | None = None) -> jax.Array:
    """The (``weights``-weighted) mean of ``losses: (n,)``, as a dot product.
    XLA's CPU reduction of a sweep's vmapped ``(M, n)`` losses is slow, a dot is fast
    everywhere; ``HIGHEST``, as a TPU's default float32 dot rounds to bfloat16."""
    highest = jax.lax.Precision.HIGHEST
    if weights is None:
        return jnp.dot(losses, jnp.full_like(losses, 1 / losses.shape[0]), precision=highest)
    return jnp.dot(weights, losses, precision=highest) / nonzero(jnp.sum(weights))


def nonzero(total: jax.Array) -> jax.Array:
    """``total``, or 1 where it is 0: a batch whose weights are all 0 has loss 0, not NaN."""
    return jnp.where(total > 0, total, jnp.ones_like(total))


def objective_and_outputs(program: Program, params, X, T, l2, weights=None, masks=None):
    """``(objective, Y_hat: (b, c))`` of ``X: (b, d)``, ``T: (b, c)``; ``l2 == 0`` adds no term.
    ``masks``: dropout masks ``(b, h_l)``, or ``None``."""
    losses, Y_hat = losses_and_outputs(program.mlp, params, X, T, program.loss, masks)
    value = mean_loss(losses, weights)
    if program.weight_decay:
        value = value + l2 * l2_penalty(params)
    return value, Y_hat


def value_and_grad(program: Program, params, X, T, l2, weights=None, masks=None):
    """``((objective, Y_hat), grads)`` by ``jax.grad`` or by the hand-written backprop."""
    if program.grad == "autodiff":
        value_and_grad = jax.value_and_grad(objective_and_outputs, argnums=1, has_aux=True)
        return value_and_grad(program, params, X, T, l2, weights, masks)
    (losses, Y_hat), grads = gradients(program.mlp, params, X, T, program.loss, weights, masks)
    value = mean_loss(losses, weights)
    if program.weight_decay:
        value = value + l2 * l2_penalty(params)
        grads = [{"W": g["W"] + l2 * p["W"], "b": g["b"]} for g, p in zip(grads, params)]
    return (value, Y_hat), grads


def train_step(program: Program, params, opt_state, X, T, l2, weights=None, key=None):
    """One update on ``X: (b, d)``, ``T: (b, c)``; rows of ``weights: (b,)`` 0 are padding;
    ``key`` draws the step's dropout masks when ``program.dropout``.
    Returns ``(params, opt_state, loss, n_correct)``, finite or not: the epoch checks;
    ``n_correct`` sums the weights of the correct examples if ``program.weighted``."""
    masks = None
    if program.dropout:
        dtype = jax.tree.leaves(params)[0].dtype
        masks = dropout_masks(key, program.mlp, program.dropout, X.shape[0], dtype)
    (value, Y_hat), grads = value_and_grad(program, params, X, T, l2, weights, masks)
    optimizer = transformation(program.optimizer)
    extra = {}
    if isinstance(optimizer, optax.GradientTransformationExtraArgs):
        # L-BFGS's line search evaluates the objective; other optimizers ignore these.
        extra = dict(
            value=value,
            grad=grads,
            value_fn=lambda p: objective_and_outputs(program, p, X, T, l2, weights, masks)[0],
        )
    updates, opt_state = optimizer.update(grads, opt_state, params, **extra)
    params = optax.apply_updates(params, updates)
    n_correct = jnp.zeros((), value.dtype if program.weighted else jnp.int32)
    if program.classification:
        correct = predicted_labels(Y_hat) == true_labels(T)
        if program.weighted:
            n_correct = jnp.dot(weights, correct.astype(weights.dtype))
        else:
            if weights is not None:
                correct = correct & (weights > 0)
            n_correct = jnp.sum(correct, dtype=jnp.int32)
    return params, opt_state, value, n_correct


def shard_batch(program: Program, batch: jax.Array) -> jax.Array:
    """With a mesh, the batch's rows split over the devices (one that does not divide: XLA's)."""
    data_devices = parallel.data_size(program.mesh)
    if data_devices == 1 or batch.shape[0] % data_devices:
        return batch
    return jax.lax.with_sharding_constraint(batch, parallel.batch_sharded(program.mesh))

"""Dropout: in training, each hidden unit's output is kept or zeroed at random.

A mask ``m`` on a hidden layer's output ``q``, drawn afresh for every example and step::

    q = σ(p) ⊙ m,   m_j = 1/(1 - rate) with probability 1 - rate, else 0

so that ``E[m_j] = 1`` and a unit's expected output is ``σ(p_j)`` as at prediction, which
uses no mask. Backprop multiplies ``δ`` by the same mask (``backprop.py``): a dropped unit
passes no gradient, and the weights into it get none.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .mlp import MLP
from .rules import check_scalar


def dropout_masks(key: jax.Array, mlp: MLP, rate, n: int | None = None, dtype=jnp.float32):
    """One mask per hidden layer: ``(h_l,)``, or ``(n, h_l)`` (one row per example).

    Args:
      key: PRNG key; one per layer is split from it.
      mlp: the architecture (its hidden widths ``h_l``).
      rate: the probability of dropping a unit, in ``[0, 1)``; may be traced under ``jit``.
      n: examples, or ``None`` for one mask shared by a batch.
      dtype: the masks' dtype (the params').

    Returns:
      A list of ``mlp.n_hidden`` arrays of values ``0`` and ``1/(1 - rate)``.
    """
    rate = check_rate(rate)
    keep = 1 - rate
    keys = jax.random.split(key, max(mlp.n_hidden, 1))
    masks = []
    for k, h in zip(keys, mlp.sizes[1:-1]):
        shape = (h,) if n is None else (n, h)
        masks.append(jax.random.bernoulli(k, keep, shape).astype(dtype) / jnp.asarray(keep, dtype))
    return masks


def check_rate(rate, name: str = "dropout"):
    """``rate`` checked to be in ``[0, 1)`` (a traced value passes as it is)."""
    if isinstance(rate, jax.core.Tracer):
        return rate
    return check_scalar(rate, "fraction_or_zero", name)

"""Narrower networks inside a wider one: hidden units masked out, for sweeps over width.

A network of hidden widths ``w_l <= h_l`` is held in ``h``-wide params whose units beyond
``w_l`` are zero. Zero params alone do not stay zero (sigmoid(0) = 1/2 passes a gradient on),
so ``mask_units`` zeroes their gradients, its mask in the optimizer state of each member.
"""

from __future__ import annotations

import dataclasses
import functools
import numbers
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..mlp import MLP
from ..params import Params
from .optimizers import transformation

# How an init's scale depends on a layer's fans: "avg" ~ 1/sqrt(n_in + n_out), "in" ~ 1/sqrt(n_in).
INIT_FANS = {
    "glorot_uniform": "avg",
    "glorot_normal": "avg",
    "sklearn": "avg",
    "he": "in",
    "he_normal": "in",
    "he_uniform": "in",
    "lecun": "in",
    "lecun_normal": "in",
    "lecun_uniform": "in",
}


class UnitMaskState(NamedTuple):
    """One ``(h_l,)`` 0/1 array per hidden layer: 1 for a member's units, 0 beyond its width."""

    units: tuple[jax.Array, ...]


def mask_units(mlp: MLP) -> optax.GradientTransformation:
    """Zeroes the gradients of the hidden units masked in its state; first in an ``optax.chain``."""

    def init(params):
        dtype = params[0]["W"].dtype
        return UnitMaskState(tuple(jnp.ones((h,), dtype) for h in mlp.sizes[1:-1]))

    def update(updates, state, params=None):
        del params
        return mask_params(updates, state.units), state

    return optax.GradientTransformation(init, update)


def mask_params(params: Params, units: Sequence[jax.Array]) -> Params:
    """``params`` (or gradients) times ``units``, one ``(h_l,)`` 0/1 mask per hidden layer."""
    masks_in, masks_out = [None, *units], [*units, None]
    masked = []
    for layer, m_in, m_out in zip(params, masks_in, masks_out):
        W, b = layer["W"], layer["b"]
        if m_in is not None:
            W = W * m_in[:, None]  # rows: the units this layer reads
        if m_out is not None:
            W, b = W * m_out[None, :], b * m_out  # columns: the units it computes
        masked.append({"W": W, "b": b})
    return masked


@functools.lru_cache(maxsize=64)
def masked_optimizer(mlp: MLP, optimizer: optax.GradientTransformation):
    """``optimizer`` after ``mask_units``; the same arguments return the same object.
    A line search (L-BFGS's) evaluates the objective of the member's units only: the gradient
    it keeps, which L-BFGS's ``gtol`` test reads, is then the narrow network's."""
    chain = optax.chain(mask_units(mlp), optimizer)

    def update(updates, state, params=None, **extra):
        if "value_fn" in extra:
            # A masked unit's outgoing weights would get a gradient (sigmoid(0) = 1/2).
            units, value_fn = state[0].units, extra["value_fn"]
            extra = {**extra, "value_fn": lambda p: value_fn(mask_params(p, units))}
        return chain.update(updates, state, params, **extra)

    return optax.GradientTransformationExtraArgs(chain.init, update)


@dataclasses.dataclass(frozen=True)
class MaskedOptimizer:
    """``masked_optimizer(mlp, optimizer)`` as a hashable value, for the cache of programs."""

    mlp: MLP
    optimizer: object

    def transformation(self) -> optax.GradientTransformation:
        return masked_optimizer(self.mlp, transformation(self.optimizer))


def check_widths(mlp: MLP, width, name: str) -> tuple[int, ...]:
    """One member's hidden widths: an int for every hidden layer, a tuple, or ``None`` (all)."""
    hidden = mlp.sizes[1:-1]
    if width is None:
        return hidden
    if not hidden:
        raise ValueError(f"{name}={width!r}: sizes={mlp.sizes} has no hidden layer to narrow")
    widths = width
    if isinstance(width, numbers.Integral) and not isinstance(width, bool):
        widths = (width,) * len(hidden)
    if not isinstance(widths, Sequence) or len(widths) != len(hidden):
        raise ValueError(
            f"{name}={width!r} must be an int or a tuple of {len(hidden)} hidden widths"
        )
    for l, (w, h) in enumerate(zip(widths, hidden)):
        if isinstance(w, bool) or not isinstance(w, numbers.Integral) or not 1 <= w <= h:
            raise ValueError(
                f"{name}={width!r}: hidden layer {l + 1} width {w!r} must be an integer in "
                f"[1, {h}] (sizes[{l + 1}]={h} is the largest width)"
            )
    return tuple(int(w) for w in widths)


def init_scales(mlp: MLP, init: str, widths: np.ndarray) -> np.ndarray:
    """``(M, n_layers)``: each member's factor from ``mlp``'s initial weight scale to its own.
    ``widths``: ``(M, p)``; an ``init`` not in ``INIT_FANS`` gets factors of 1."""
    if init not in INIT_FANS:
        return np.ones((len(widths), mlp.n_layers))
    M = len(widths)
    sizes = np.asarray(mlp.sizes, np.float64)
    member_sizes = np.concatenate(
        [np.full((M, 1), sizes[0]), widths, np.full((M, 1), sizes[-1])], axis=1
    )  # (M, n_layers + 1)

    def fan(sizes):
        n_in, n_out = sizes[..., :-1], sizes[..., 1:]
        return n_in + n_out if INIT_FANS[init] == "avg" else n_in

    return np.sqrt(fan(sizes) / fan(member_sizes))

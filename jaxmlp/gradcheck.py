"""The gradient check: hand-written backprop vs ``jax.grad`` vs central finite differences.

One row per parameter array, so a reader sees which layer's formula is wrong, if one is.
``failures`` passes or fails a check: both comparisons, relative to the array's largest
autodiff gradient entry, within the dtype's tolerance.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

from .backprop import backprop
from .losses import Loss
from .mlp import MLP
from .objective import objective
from .params import Params


@dataclasses.dataclass(frozen=True)
class GradCheckRow:
    """How far apart the three gradients of one parameter array are."""

    name: str  # e.g. "W1" (layer 1's weights, the slides' W¹)
    shape: tuple[int, ...]
    backprop_vs_autodiff: float  # max |g_backprop - g_autodiff|
    backprop_vs_numeric: float  # max |g_backprop - g_numeric| over the checked entries
    relative_error: float  # max |g_bp - g_ad| / max(|g_ad|, tiny)
    n_checked: int  # entries compared with finite differences
    numeric_relative_error: float = 0.0  # backprop_vs_numeric / max(|g_ad|, tiny)


# Relative tolerances vs autodiff (rounding) and central differences (1e-9 in float64, 1e-3 in
# float32, more near a relu kink): float32 only catches formulas off by a large factor.
TOLERANCES = {"float64": (1e-6, 1e-6), "float32": (1e-3, 1e-1)}


def gradient_check(
    mlp: MLP, params: Params, X, T, loss: str | Loss = "mse", l2=0.0, *, eps=None,
    max_entries: int = 64, key: jax.Array | None = None,
) -> list[GradCheckRow]:  # fmt: skip
    """Compares the three gradients of ``objective`` for every parameter array.

    Args:
      mlp, params, X, T, loss, l2: as ``jaxmlp.objective``.
      eps: finite-difference step; default ``1e-6`` in float64 and ``1e-3`` in float32.
      max_entries: at most this many entries of each array are checked numerically
        (chosen at random from ``key``), since each costs two objective evaluations.
      key: PRNG key for that choice; default ``jax.random.key(0)``.

    Returns:
      One ``GradCheckRow`` per parameter array, ``W1, b1, W2, b2, ...``.
    """
    by_hand = backprop(mlp, params, X, T, loss, l2)
    by_autodiff = jax.grad(objective, argnums=1)(mlp, params, X, T, loss, l2)
    dtype = params[0]["W"].dtype
    eps = eps if eps is not None else (1e-6 if dtype == jnp.float64 else 1e-3)

    @functools.partial(jax.jit, static_argnums=(1, 2))
    def shifted_value(params, l, name, i, delta):
        """The objective with flat entry ``i`` of ``params[l][name]`` moved by ``delta``."""
        moved = [dict(layer) for layer in params]
        array = moved[l][name]
        moved[l][name] = array.ravel().at[i].add(delta).reshape(array.shape)
        return objective(mlp, moved, X, T, loss, l2)

    key = key if key is not None else jax.random.key(0)
    rows = []
    for l, layer in enumerate(params):
        for name in ("W", "b"):
            key, key_entries = jax.random.split(key)
            g_hand = np.asarray(by_hand[l][name])
            g_auto = np.asarray(by_autodiff[l][name])
            size = g_hand.size
            flat = np.asarray(
                jax.random.choice(key_entries, size, (min(size, max_entries),), replace=False)
            )
            numeric_error = 0.0
            for i in flat:
                # One compiled program per parameter array, not one per entry.
                forward = float(shifted_value(params, l, name, i, eps))
                backward = float(shifted_value(params, l, name, i, -eps))
                numeric = (forward - backward) / (2 * eps)
                numeric_error = max(numeric_error, abs(float(g_hand.flat[i]) - numeric))
            difference = float(np.max(np.abs(g_hand - g_auto)))
            scale = max(float(np.max(np.abs(g_auto))), np.finfo(g_auto.dtype).tiny)
            rows.append(
                GradCheckRow(
                    name=f"{name}{l + 1}",
                    shape=g_hand.shape,
                    backprop_vs_autodiff=difference,
                    backprop_vs_numeric=numeric_error,
                    relative_error=difference / scale,
                    n_checked=len(flat),
                    numeric_relative_error=numeric_error / scale,
                )
            )
    return rows


def failures(rows: list[GradCheckRow], dtype) -> list[str]:
    """One line per comparison of ``rows`` over its ``TOLERANCES[dtype]``; empty if all pass."""
    name = np.dtype(dtype).name
    if name not in TOLERANCES:
        raise ValueError(
            f"dtype={name!r} has no gradient-check tolerance; expected one of {sorted(TOLERANCES)}"
        )
    out = []
    comparisons = (("autodiff", "relative_error"), ("finite differences", "numeric_relative_error"))
    for tolerance, (other, field) in zip(TOLERANCES[name], comparisons):
        worst = max(rows, key=lambda row: getattr(row, field))
        value = getattr(worst, field)
        if not value <= tolerance:  # a nan fails too
            out.append(
                f"the hand-written gradients differ from {other}: relative difference "
                f"{value:.2e} > {tolerance:.0e} (in {worst.name})"
            )
    return out


def format_table(rows: list[GradCheckRow]) -> str:
    """The rows as an aligned text table; the relative errors are what ``failures`` judges."""
    header = (
        f"{'param':<6} {'shape':<12} {'|bp - autodiff|':>16} {'|bp - numeric|':>15} "
        f"{'rel. autodiff':>13} {'rel. numeric':>12}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row.name:<6} {str(row.shape):<12} {row.backprop_vs_autodiff:>16.3e} "
            f"{row.backprop_vs_numeric:>15.3e} {row.relative_error:>13.2e} "
            f"{row.numeric_relative_error:>12.2e}"
        )
    return "\n".join(lines)

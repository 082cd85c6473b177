"""Random train/validation/test splits from a PRNG key, stratified for class labels."""

from __future__ import annotations

import math
import numbers

import jax
import numpy as np

from .checks import DataError, check_key, check_same_length


def split(
    key, X, y, fractions=(0.8, 0.2), *, stratify: bool | None = None
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Splits ``(X, y)`` at random into parts of the given fractions, e.g. train and test.

    Stratified, each class is split in the same fractions, and every part gets at least one
    sample of each class that has as many samples as there are parts. The arrays given are
    not modified; each part is a new array in random order.

    Args:
      key: PRNG key; the same key gives the same split.
      X: ``(n, ...)`` features.
      y: ``(n,)`` labels or ``(n, k)`` targets.
      fractions: the parts' sizes, positive numbers summing to 1.
      stratify: split each class separately; by default when ``y`` holds class labels
        (``(n,)`` integers, booleans or strings) and not when it holds real numbers.

    Returns:
      One ``(X_part, y_part)`` pair per fraction, e.g. ``(X_train, y_train), (X_test, y_test)``.
    """
    key = check_key(key)
    fractions = _check_fractions(fractions)
    X, y = np.asarray(X), np.asarray(y)
    check_same_length(X, y)
    if len(X) < len(fractions):
        raise DataError(f"cannot split {len(X)} samples into {len(fractions)} non-empty parts")
    if stratify is None:
        stratify = y.ndim == 1 and y.dtype.kind in "biuUS"
    perm = np.asarray(jax.random.permutation(key, len(X)))
    if stratify:
        y_perm = y[perm]
        groups = [perm[y_perm == label] for label in np.unique(y)]
    else:
        groups = [perm]
    parts = [[] for _ in fractions]
    for group in groups:
        bounds = np.cumsum(_allocate(len(group), fractions))[:-1]
        for part, chunk in zip(parts, np.split(group, bounds)):
            part.append(chunk)
    rank = np.empty(len(X), dtype=np.int64)
    rank[perm] = np.arange(len(X))
    indices = [np.concatenate(part) for part in parts]
    indices = [index[np.argsort(rank[index])] for index in indices]  # back to random order
    return tuple((X[index], y[index]) for index in indices)


def _check_fractions(fractions) -> tuple[float, ...]:
    try:
        values = tuple(fractions)
    except TypeError:
        values = ()
    valid = len(values) >= 2 and all(
        isinstance(f, numbers.Real) and not isinstance(f, bool) and 0 < f < 1 for f in values
    )
    if not valid or not math.isclose(sum(values), 1.0, abs_tol=1e-6):
        raise DataError(
            f"fractions={fractions!r} must be at least two numbers in (0, 1) summing to 1, "
            "e.g. (0.8, 0.2)"
        )
    return tuple(float(f) for f in values)


def _allocate(m: int, fractions: tuple[float, ...]) -> np.ndarray:
    """Whole counts summing to ``m``, near ``m * fractions``, none 0 if ``m`` allows."""
    exact = m * np.asarray(fractions)
    counts = np.floor(exact).astype(np.int64)
    by_remainder = np.argsort(-(exact - counts), kind="stable")
    counts[by_remainder[: m - counts.sum()]] += 1
    if m >= len(fractions):
        for part in np.flatnonzero(counts == 0):
            counts[np.argmax(counts)] -= 1
            counts[part] += 1
    return counts

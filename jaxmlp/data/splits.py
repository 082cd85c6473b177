"""Random train/validation/test splits from a PRNG key, stratified for class labels."""

from __future__ import annotations

import math
import numbers

import numpy as np

from .checks import DataError, check_key, check_same_length
from .sampling import permutation


def split(
    key, X, y, fractions=(0.8, 0.2), *, stratify: bool | None = None
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Splits ``(X, y)`` at random into parts of the given fractions, e.g. train and test.

    Stratified, each class is split in the same fractions, and every part gets at least one
    sample of each class that has as many samples as there are parts (a smaller class goes
    to the first parts, so that training sees it). The arrays given are not modified; each
    part is a new array in random order.

    Args:
      key: PRNG key; the same key gives the same split.
      X: ``(n, ...)`` features.
      y: ``(n,)`` labels or ``(n, k)`` targets.
      fractions: the parts' sizes, positive numbers summing to 1.
      stratify: split each class separately; by default when ``y`` holds class labels
        (``(n,)`` integers, booleans, strings) and not when it holds real numbers.

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
        stratify = y.ndim == 1 and y.dtype.kind in "biuUSO"
    perm = permutation(key, len(X))
    if stratify:
        y_perm = y[perm]
        groups = [perm[y_perm == label] for label in np.unique(y)]
    else:
        groups = [perm]
    parts = [[] for _ in fractions]
    counts = _allocate([len(group) for group in groups], fractions)  # (classes, parts)
    for group, group_counts in zip(groups, counts):
        for part, chunk in zip(parts, np.split(group, np.cumsum(group_counts)[:-1])):
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


def _allocate(sizes: list[int], fractions: tuple[float, ...]) -> np.ndarray:
    """Counts ``(classes, parts)``: near ``sizes[c] * fractions[j]``, with part totals near
    ``n * fractions[j]``, and no zero where a class has at least one sample per part."""
    sizes, fractions = np.asarray(sizes), np.asarray(fractions)
    exact = np.outer(sizes, fractions)
    counts = np.floor(exact).astype(np.int64)
    total = sizes.sum() * fractions
    target = np.floor(total).astype(np.int64)  # the part totals, by largest remainder
    target[np.argsort(target - total, kind="stable")[: sizes.sum() - target.sum()]] += 1
    need = target - counts.sum(axis=0)
    for c in np.argsort(counts.sum(axis=1) - sizes, kind="stable"):
        # Leftover samples go to the parts furthest below their totals; those of a class too
        # small for every part go to the first parts, so that training sees every class.
        first = np.arange(len(fractions)) if sizes[c] < len(fractions) else np.zeros_like(need)
        order = np.lexsort((counts[c] - exact[c], -need, first))
        for j in order[: sizes[c] - counts[c].sum()]:
            counts[c, j] += 1
            need[j] -= 1
    for c in np.flatnonzero(sizes >= len(fractions)):  # every part gets the class
        for j in np.flatnonzero(counts[c] == 0):
            counts[c, np.argmax(counts[c])] -= 1
            counts[c, j] += 1
    for j in np.flatnonzero(counts.sum(axis=0) == 0):  # only small classes: move one sample
        donor = np.argmax(counts.sum(axis=0))  # holds 2 or more, as n >= the number of parts
        c = np.argmax(counts[:, donor])
        counts[c, donor] -= 1
        counts[c, j] += 1
    return counts

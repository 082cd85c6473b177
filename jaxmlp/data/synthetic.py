"""Synthetic datasets from a PRNG key: 2-D classification problems and 1-D regression targets.

Each classifier returns ``X: (n, 2) float32`` and ``y: (n,) int32`` with balanced classes (class
``i`` holds every ``c``-th sample before shuffling); each regression target returns
``X: (n, 1)`` and ``t: (n, 1)``, both ``float32``. The same key gives the same arrays.

Example:
  >>> import jax
  >>> from jaxmlp.data import synthetic
  >>> X, y = synthetic.two_moons(jax.random.key(0), n=100, noise=0.1)
  >>> X.shape, y.shape, X.dtype, y.dtype
  ((100, 2), (100,), dtype('float32'), dtype('int32'))
"""

from __future__ import annotations

import jax
import numpy as np

from .checks import DataError, check_choice, check_count, check_key, check_real
from .sampling import normal, permutation, uniform


def xor(key, n: int = 4, noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: corners ``(±1, ±1)``, label 1 where exactly one coordinate is positive.

    With the defaults this is the four points themselves; with a larger ``n`` and ``noise``
    it is a gaussian cloud around each corner.

    Args:
      key: PRNG key.
      n: number of points, cycling over the four corners.
      noise: standard deviation of the gaussian noise added to each point.

    Returns:
      ``X: (n, 2)`` points and ``y: (n,)`` labels in ``{0, 1}``.
    """
    key, n, noise = check_key(key), check_count(n, "n", minimum=4), check_real(noise, "noise")
    order_key, noise_key = jax.random.split(key)
    corner = _balanced_labels(order_key, n, 4)
    corners = np.array([[-1, -1], [-1, 1], [1, 1], [1, -1]], np.float32)
    X = corners[corner] + noise * normal(noise_key, (n, 2))
    y = corner % 2  # corners 1 and 3 have exactly one positive coordinate
    return X.astype(np.float32), y.astype(np.int32)


def two_moons(key, n: int = 200, noise: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: class 0 above, class 1 below and shifted right.

    Args:
      key: PRNG key.
      n: number of points.
      noise: standard deviation of the gaussian noise added to each point.

    Returns:
      ``X: (n, 2)`` points and ``y: (n,)`` labels in ``{0, 1}``.
    """
    key, n, noise = check_key(key), check_count(n, "n", minimum=2), check_real(noise, "noise")
    label_key, angle_key, noise_key = jax.random.split(key, 3)
    y = _balanced_labels(label_key, n, 2)
    angle = np.pi * uniform(angle_key, (n,))
    upper = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    lower = np.stack([1 - np.cos(angle), 0.5 - np.sin(angle)], axis=1)
    X = np.where((y == 0)[:, None], upper, lower) + noise * normal(noise_key, (n, 2))
    return X.astype(np.float32), y


def circles(
    key, n: int = 200, noise: float = 0.05, factor: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: class 0 of radius 1, class 1 of radius ``factor``.

    Args:
      key: PRNG key.
      n: number of points.
      noise: standard deviation of the gaussian noise added to each point.
      factor: radius of the inner circle, in ``(0, 1)``.

    Returns:
      ``X: (n, 2)`` points and ``y: (n,)`` labels in ``{0, 1}``.
    """
    key, n, noise = check_key(key), check_count(n, "n", minimum=2), check_real(noise, "noise")
    if not check_real(factor, "factor", strict=True) < 1:
        raise DataError(f"factor={factor!r} must be in (0, 1): the inner circle's radius")
    label_key, angle_key, noise_key = jax.random.split(key, 3)
    y = _balanced_labels(label_key, n, 2)
    angle = 2 * np.pi * uniform(angle_key, (n,))
    radius = np.where(y == 0, 1.0, factor)
    X = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    X = X + noise * normal(noise_key, (n, 2))
    return X.astype(np.float32), y


def spirals(
    key, n: int = 300, k: int = 3, noise: float = 0.05, turns: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """``k`` interleaved spiral arms from the origin, one class per arm.

    Arm ``j`` at radius ``r`` in ``[0, 1]`` lies at angle ``2π j / k + 2π turns r``.

    Args:
      key: PRNG key.
      n: number of points.
      k: number of arms (classes), at least 2.
      noise: standard deviation of the gaussian noise added to each point.
      turns: how many full turns each arm makes.

    Returns:
      ``X: (n, 2)`` points and ``y: (n,)`` labels in ``[0, k)``.
    """
    key, k = check_key(key), check_count(k, "k", minimum=2)
    n, noise = check_count(n, "n", minimum=k), check_real(noise, "noise")
    turns = check_real(turns, "turns", strict=True)
    label_key, radius_key, noise_key = jax.random.split(key, 3)
    y = _balanced_labels(label_key, n, k)
    radius = uniform(radius_key, (n,))
    angle = 2 * np.pi * (y / k + turns * radius)
    X = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    X = X + noise * normal(noise_key, (n, 2))
    return X.astype(np.float32), y


def blobs(
    key, n: int = 300, k: int = 3, noise: float = 1.0, d: int = 2, spread: float = 5.0
) -> tuple[np.ndarray, np.ndarray]:
    """``k`` gaussian blobs in ``d`` dimensions, one class per blob.

    Args:
      key: PRNG key.
      n: number of points.
      k: number of blobs (classes), at least 2.
      noise: standard deviation of each blob.
      d: number of dimensions.
      spread: the centres are drawn uniformly from ``[-spread, spread]^d``.

    Returns:
      ``X: (n, d)`` points and ``y: (n,)`` labels in ``[0, k)``.
    """
    key, k, d = check_key(key), check_count(k, "k", minimum=2), check_count(d, "d")
    n, noise = check_count(n, "n", minimum=k), check_real(noise, "noise")
    spread = check_real(spread, "spread")
    label_key, centre_key, noise_key = jax.random.split(key, 3)
    y = _balanced_labels(label_key, n, k)
    centres = spread * (2 * uniform(centre_key, (k, d)) - 1)  # (k, d)
    X = centres[y] + noise * normal(noise_key, (n, d))
    return X.astype(np.float32), y


def _sawtooth(x: np.ndarray) -> np.ndarray:
    return 2 * (2 * x - np.floor(2 * x)) - 1  # period 1/2, from -1 up to 1


# 1-D regression targets on [-1, 1].
REGRESSION_TARGETS = {
    "sine": lambda x: np.sin(np.pi * x),
    "abs": np.abs,
    "step": lambda x: (x >= 0).astype(np.float32),
    "sawtooth": _sawtooth,
}


def regression(
    key, name: str, n: int = 200, noise: float = 0.0, interval: tuple[float, float] = (-1.0, 1.0)
) -> tuple[np.ndarray, np.ndarray]:
    """A 1-D regression problem ``t = f(x) + noise``, ``x`` uniform on ``interval``.

    Args:
      key: PRNG key.
      name: the target ``f``, one of ``REGRESSION_TARGETS``: ``"sine"`` (``sin πx``),
        ``"abs"`` (``|x|``), ``"step"`` (0 for ``x < 0``, else 1), ``"sawtooth"`` (period 1/2).
      n: number of points.
      noise: standard deviation of the gaussian noise added to the targets.
      interval: ``(low, high)`` range of the inputs.

    Returns:
      ``X: (n, 1)`` inputs and ``t: (n, 1)`` real targets.
    """
    key, n, noise = check_key(key), check_count(n, "n"), check_real(noise, "noise")
    target = REGRESSION_TARGETS[check_choice(name, "name", REGRESSION_TARGETS)]
    low, high = _check_interval(interval)
    x_key, noise_key = jax.random.split(key)
    X = low + (high - low) * uniform(x_key, (n, 1))
    t = target(X) + noise * normal(noise_key, (n, 1))
    return X.astype(np.float32), t.astype(np.float32)


def _check_interval(interval) -> tuple[float, float]:
    try:
        low, high = (check_real(v, "interval", minimum=-np.inf) for v in interval)
    except (TypeError, ValueError):
        low = high = None
    if low is None or not low < high:
        raise DataError(f"interval={interval!r} must be a pair (low, high) with low < high")
    return low, high


def _balanced_labels(key, n: int, c: int) -> np.ndarray:
    """``(n,) int32`` labels, each of the ``c`` classes ``n // c`` or ``n // c + 1`` times."""
    return (permutation(key, n) % c).astype(np.int32)

"""Random draws for the data package: ``jax.random`` at a few padded sizes, returned as numpy.

``jax.random`` compiles one kernel per array size, which costs a second or more for every new
``n``. Drawing a vector of the next power of two and keeping the first values compiles one
kernel per size class instead; the values are still a function of the key and shape alone.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from ..compiling import run_once


def uniform(key, shape) -> np.ndarray:
    """``float32`` values uniform in ``[0, 1)``, of ``shape``."""
    return _draw("uniform", key, shape)


def normal(key, shape) -> np.ndarray:
    """``float32`` standard normal values, of ``shape``."""
    return _draw("normal", key, shape)


def permutation(key, n: int) -> np.ndarray:
    """A random permutation of ``0 .. n-1``, ``(n,) int64``."""
    bits = _draw("bits", key, (n,))
    return np.argsort(bits, kind="stable")  # stable: equal bits still give one answer


def _draw(kind: str, key, shape) -> np.ndarray:
    size = math.prod(shape)
    padded = max(256, 1 << (size - 1).bit_length())
    return np.asarray(_sample(key, kind, padded))[:size].reshape(shape)


@functools.partial(run_once, static_argnums=(1, 2))
def _sample(key, kind: str, m: int) -> jax.Array:
    """``m`` values of ``kind``, in one program (eager ``jax.random`` compiles several)."""
    if kind == "uniform":
        return jax.random.uniform(key, (m,), dtype=jnp.float32)
    if kind == "normal":
        return jax.random.normal(key, (m,), dtype=jnp.float32)
    return jax.random.bits(key, (m,), dtype=jnp.uint32)

"""The per-epoch reshuffle: a keyed pseudo-random permutation of ``0 .. n-1`` without a sort.

``jax.random.permutation`` sorts, and XLA's CPU sort is slow next to a small model's epoch.
``permutation`` is a Feistel network over the indices, a bijection of ``[0, 4^h)`` whose values
below ``n`` are kept in order. Not uniform over all ``n!`` permutations, but each index lands in
each position, and each pair in each batch, as often as a uniform shuffle would.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

ROUNDS = 8


def _mix(x: jax.Array) -> jax.Array:
    """A bijective avalanche hash of uint32 words (MurmurHash3's finalizer)."""
    x = x ^ (x >> 16)
    x = x * jnp.uint32(0x85EBCA6B)
    x = x ^ (x >> 13)
    x = x * jnp.uint32(0xC2B2AE35)
    return x ^ (x >> 16)


def permutation(key: jax.Array, n: int) -> jax.Array:
    """A pseudo-random permutation of ``0 .. n-1`` drawn from ``key``: ``(n,) int32``."""
    if not 1 <= n <= 2**30:
        raise ValueError(f"n must be in [1, 2**30], got {n}")
    h = max(1, ((n - 1).bit_length() + 1) // 2)  # half the bits of the domain [0, 4^h) ∋ n-1
    mask = jnp.uint32(2**h - 1)
    round_keys = jax.random.bits(key, (ROUNDS,), jnp.uint32)
    i = jnp.arange(4**h, dtype=jnp.uint32)
    left, right = i >> h, i & mask
    for r in range(ROUNDS):
        left, right = right, left ^ (_mix(right ^ round_keys[r]) & mask)
    image = ((left << h) | right).astype(jnp.int32)  # a bijection of [0, 4^h)
    # Keep the images below n, in the order of i: a bijection of [0, n).
    keep = image < n
    position = jnp.cumsum(keep, dtype=jnp.int32) - 1
    return (
        jnp.zeros(n, jnp.int32)
        .at[jnp.where(keep, position, n)]
        .set(image, mode="drop", unique_indices=True)
    )

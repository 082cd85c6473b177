"""Test configuration: loud broadcasting, 64-bit JAX available, and a PRNG key fixture."""

import os

import jax
import pytest

# Tests compile as a fresh process does, and leave no programs in the user's cache directory
# (tests/test_compiling.py switches the persistent cache on where it tests it).
os.environ.setdefault("JAXMLP_COMPILATION_CACHE", "off")

# A (n,) vs (n, 1) broadcast in backprop must fail loudly, not broadcast silently.
jax.config.update("jax_numpy_rank_promotion", "raise")
# float64 for the gradient-equivalence tests; every array the tests make names its dtype.
jax.config.update("jax_enable_x64", True)


@pytest.fixture
def key():
    return jax.random.key(0)

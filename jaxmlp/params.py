"""The parameters of an MLP: a plain pytree, and how to initialise it.

Params are a list with one ``{"W": (n_in, n_out), "b": (n_out,)}`` dict per layer, in the
slides' convention: a layer computes ``p = Wᵀx + b``, so ``W[l, j]`` is the slide's ``W_lj``,
the weight from input unit ``l`` to unit ``j``. Layer 1 of the lecture's 2-layer MLP is
``params[0]`` with ``W: (d, h)``; layer 2 is ``params[1]`` with ``W: (h, c)``.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp

from . import checks
from .compiling import run_once
from .mlp import MLP

Params = list[dict[str, jax.Array]]


def _jax_init(initializer):
    """A ``jax.nn.initializers`` scheme for ``W``; biases start at zero."""
    return lambda key, n_in, n_out, mlp, dtype: (initializer(key, (n_in, n_out), dtype), None)


def _sklearn(key, n_in, n_out, mlp, dtype):
    # scikit-learn's MLP (`_init_coef`): W and b both uniform in ±sqrt(k / (n_in + n_out)),
    # k = 2 for logistic (sigmoid) hidden units and 6 otherwise.
    factor = 2.0 if mlp.hidden_activation.name == "sigmoid" else 6.0
    bound = math.sqrt(factor / (n_in + n_out))
    key_W, key_b = jax.random.split(key)
    W = jax.random.uniform(key_W, (n_in, n_out), dtype, -bound, bound)
    b = jax.random.uniform(key_b, (n_out,), dtype, -bound, bound)
    return W, b


_inits = jax.nn.initializers
INITS = {
    "glorot_uniform": _jax_init(_inits.glorot_uniform()),
    "glorot_normal": _jax_init(_inits.glorot_normal()),
    "he": _jax_init(_inits.he_normal()),
    "he_normal": _jax_init(_inits.he_normal()),
    "he_uniform": _jax_init(_inits.he_uniform()),
    "lecun": _jax_init(_inits.lecun_normal()),
    "lecun_normal": _jax_init(_inits.lecun_normal()),
    "lecun_uniform": _jax_init(_inits.lecun_uniform()),
    "sklearn": _sklearn,
}


def init_params(
    key: jax.Array, mlp: MLP, init: str = "glorot_uniform", dtype=jnp.float32
) -> Params:
    """Random initial parameters for ``mlp``; biases start at zero, except with ``"sklearn"``.

    Args:
      key: a PRNG key; one subkey per layer is split from it up front.
      mlp: the architecture.
      init: a scheme in ``INITS`` (``"he"``, ``"lecun"``: normal; ``"sklearn"``: its MLP's).
      dtype: ``jnp.float32`` or ``jnp.float64`` (needs 64-bit JAX, ``jax_enable_x64``).

    Returns:
      A list of ``mlp.n_layers`` dicts ``{"W": (n_in, n_out), "b": (n_out,)}``.

    Example:
      >>> import jax, jaxmlp
      >>> params = jaxmlp.init_params(jax.random.key(0), jaxmlp.MLP((4, 8, 3)))
      >>> [p["W"].shape for p in params]
      [(4, 8), (8, 3)]
    """
    if not isinstance(mlp, MLP):
        raise TypeError(f"mlp must be a jaxmlp.MLP, got {type(mlp).__name__}")
    if not isinstance(init, str) or init not in INITS:
        raise ValueError(f"init={init!r} is not a known scheme; choose one of {sorted(INITS)}")
    dtype = jnp.dtype(dtype)
    if dtype not in (jnp.float32, jnp.float64, jnp.float16, jnp.bfloat16):
        raise ValueError(f"dtype={dtype} must be a floating point type such as float32")
    checks.check_dtype_enabled(dtype, "dtype")
    return _draw(checks.check_key(key), mlp, init, dtype)


# One program, not an eager call per operation, compiled for a single run.
@functools.partial(run_once, static_argnums=(1, 2, 3))
def _draw(key: jax.Array, mlp: MLP, init: str, dtype) -> Params:
    keys = jax.random.split(key, mlp.n_layers)
    params = []
    for key_l, n_in, n_out in zip(keys, mlp.sizes[:-1], mlp.sizes[1:]):
        W, b = INITS[init](key_l, n_in, n_out, mlp, dtype)
        params.append({"W": W, "b": jnp.zeros((n_out,), dtype) if b is None else b})
    return params

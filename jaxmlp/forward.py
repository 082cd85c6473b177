"""The feedforward pass, on ONE example, as the slides write it; batches through ``vmap``.

For the lecture's 2-layer MLP:

    p = (W¹)ᵀ x + b¹,   q = σ(p)
    a = (W²)ᵀ q + b²,   y_hat = σ(a)

and for ``p`` hidden layers the first line repeats ``p`` times (``y = f_{p+1}(... f_1(x))``).
In training with dropout (``dropout.py``) a hidden layer's output is masked, ``q = σ(p) ⊙ m``.
"""

from __future__ import annotations

import jax

from . import checks
from .mlp import MLP
from .params import Params


def output_preactivation(mlp: MLP, params: Params, x: jax.Array, masks=None) -> jax.Array:
    """The output layer's pre-activation ``a``: ``x: (d,) -> a: (c,)``. No input checks.
    ``masks``: one dropout mask ``(h_l,)`` per hidden layer, or ``None``."""
    sigma = mlp.hidden_activation
    q = x
    for l, layer in enumerate(params[:-1]):
        p = q @ layer["W"] + layer["b"]  # the slides' Wᵀq, which vmap batches as Q @ W
        q = sigma(p) if masks is None else sigma(p) * masks[l]
    return q @ params[-1]["W"] + params[-1]["b"]


def forward(mlp: MLP, params: Params, x: jax.Array) -> jax.Array:
    """The MLP's output for one example.

    Args:
      mlp: the architecture (static under ``jit``).
      params: the params pytree from ``init_params``.
      x: ``(d,)`` one input.

    Returns:
      ``y_hat: (c,)``.

    Example:
      >>> import jax, jaxmlp
      >>> mlp = jaxmlp.MLP((2, 3, 1))
      >>> params = jaxmlp.init_params(jax.random.key(0), mlp)
      >>> jaxmlp.forward(mlp, params, jax.numpy.ones(2)).shape
      (1,)
    """
    dtype = checks.check_params(mlp, params)
    x = checks.check_inputs(mlp, x, name="x", ndim=1, dtype=dtype)
    return mlp.output_activation(output_preactivation(mlp, params, x))


def forward_batch(mlp: MLP, params: Params, X: jax.Array) -> jax.Array:
    """``forward`` over a batch through ``jax.vmap``: ``X: (n, d) -> Y_hat: (n, c)``."""
    dtype = checks.check_params(mlp, params)
    X = checks.check_inputs(mlp, X, dtype=dtype)
    return apply(mlp, params, X)


def apply(mlp: MLP, params: Params, X: jax.Array) -> jax.Array:
    """``forward`` vmapped over ``X: (n, d) -> Y_hat: (n, c)``, without input checks."""
    f = mlp.output_activation
    return jax.vmap(lambda x: f(output_preactivation(mlp, params, x)))(X)

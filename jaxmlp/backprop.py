"""Backpropagation by hand: the lecture's gradients, generalised to ``p`` hidden layers.

The slides derive, for the 2-layer MLP with ``J = ½ Σ_k (t_k - y_hat_k)²`` and sigmoid units::

    ∂J/∂W²_l'k = -(t_k - y_hat_k) y_hat_k (1 - y_hat_k) q_l'
    ∂J/∂b²_k   = -(t_k - y_hat_k) y_hat_k (1 - y_hat_k)
    ∂J/∂W¹_lj  = Σ_k [-(t_k - y_hat_k) y_hat_k (1 - y_hat_k) W²_jk] q_j (1 - q_j) x_l
    ∂J/∂b¹_j   = Σ_k [-(t_k - y_hat_k) y_hat_k (1 - y_hat_k) W²_jk] q_j (1 - q_j)

Naming the bracket ``δ`` (the gradient of ``J`` with respect to a layer's pre-activation)
turns them into a recursion that works for any depth. With ``q⁰ = x``, layer ``l`` computing
``p^l = (W^l)ᵀ q^(l-1) + b^l`` and ``q^l = σ(p^l)``, and the output layer ``L = p + 1`` computing
``a`` and ``y_hat = f(a)``::

    δ^L_k = Σ_k' ∂J/∂y_hat_k' · ∂y_hat_k'/∂a_k      (output delta)
    δ^l_j = Σ_k W^(l+1)_jk δ^(l+1)_k · σ'(p^l_j)     (backward recursion)
    ∂J/∂W^l_ij = q^(l-1)_i δ^l_j,   ∂J/∂b^l_j = δ^l_j

The output delta is elementwise, ``f'(a_k) ∂J/∂y_hat_k``, for an elementwise ``f``; for a
softmax output with MSE it is the full Jacobian ``∂y_hat_k'/∂a_k = y_hat_k' (δ_k'k - y_hat_k)``
applied to ``∂J/∂y_hat``; for softmax with cross-entropy and sigmoid with binary
cross-entropy the two factors collapse to ``δ = y_hat - t``.

With dropout (``dropout.py``) hidden layer ``l`` outputs ``q^l = σ(p^l) ⊙ m^l``, so the
recursion gains the mask, and a dropped unit passes no gradient back::

    δ^l_j = Σ_k W^(l+1)_jk δ^(l+1)_k · m^l_j · σ'(p^l_j)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from . import checks
from .losses import Loss, get_loss
from .mlp import MLP
from .objective import check_objective_args
from .params import Params


def output_delta(mlp: MLP, loss: Loss, a: jax.Array, y_hat: jax.Array, t: jax.Array) -> jax.Array:
    """``δ = ∂J/∂a`` at the output layer: ``(..., c)`` for one example or a batch."""
    if loss.delta is not None:
        return loss.delta(y_hat, t)
    dJ_dy_hat = loss.grad_y_hat(y_hat, t)
    f = mlp.output_activation
    if f.elementwise:
        return dJ_dy_hat * f.derivative(a, y_hat)
    jacobian = f.derivative(a, y_hat)  # (..., c, c): [k', k] = ∂y_hat_k'/∂a_k
    return jnp.einsum("...lk,...l->...k", jacobian, dJ_dy_hat)


def backprop(
    mlp: MLP, params: Params, X, T, loss: str | Loss = "mse", l2=0.0, weights=None, masks=None
):
    """The gradient of ``objective`` with respect to ``params``, computed by hand.

    Args: as ``jaxmlp.objective``: ``X: (n, d)``, ``T: (n, c)``, ``weights: (n,)`` or ``None``,
      ``masks``: dropout masks ``(h_l,)`` or ``(n, h_l)`` per hidden layer, or ``None``.

    Returns:
      A params-shaped pytree: ``[{"W": (n_in, n_out), "b": (n_out,)}, ...]``.
    """
    mlp, loss, X, T, l2, weights = check_objective_args(mlp, params, X, T, loss, l2, weights)
    checks.check_masks(mlp, masks, X.shape[0])
    _, grads = gradients(mlp, params, X, T, loss, weights, masks)
    return [{"W": g["W"] + l2 * p["W"], "b": g["b"]} for g, p in zip(grads, params)]


def gradients(mlp: MLP, params: Params, X, T, loss: Loss, weights=None, masks=None):
    """``((losses: (n,), Y_hat: (n, c)), grads)``: the (weighted) mean loss's gradient, no L2
    term and no input checks; the forward pass keeps every layer's ``p``, ``σ(p)`` and ``q``."""
    sigma = mlp.hidden_activation
    M = (
        [None] * mlp.n_hidden
        if masks is None
        else [m if m.ndim == 2 else m[None, :] for m in masks]
    )
    P, S, Q = [], [], [X]  # Q[0] is the input; S[l] = σ(P[l]), Q[l + 1] = S[l] ⊙ M[l]
    for layer, m in zip(params[:-1], M):
        P.append(Q[-1] @ layer["W"] + layer["b"][None, :])  # (n, h_l)
        S.append(sigma(P[-1]))
        Q.append(S[-1] if m is None else S[-1] * m)
    A = Q[-1] @ params[-1]["W"] + params[-1]["b"][None, :]  # (n, c)
    Y_hat = mlp.output_activation(A)

    # δ of the mean: each example's δ weighted by 1/n (or w_i / Σw).
    if weights is None:
        scale = 1.0 / X.shape[0]  # a Python float: X.dtype may be an integer type
    else:
        total = jnp.sum(weights)  # all 0 (a batch of padding): δ = 0, not NaN
        scale = (weights / jnp.where(total > 0, total, jnp.ones_like(total)))[:, None]
    delta = output_delta(mlp, loss, A, Y_hat, T) * scale  # (n, c)

    grads = [None] * mlp.n_layers
    for l in reversed(range(mlp.n_layers)):
        W = params[l]["W"]
        grads[l] = {"W": Q[l].T @ delta, "b": jnp.sum(delta, axis=0)}  # Σ_i q_i δ_iᵀ
        if l > 0:
            delta = delta @ W.T  # (n, h_(l-1))
            if M[l - 1] is not None:
                delta = delta * M[l - 1]
            delta = delta * sigma.derivative(P[l - 1], S[l - 1])
    return (loss.value(A, Y_hat, T), Y_hat), grads


def backprop_trace(
    mlp: MLP, params: Params, x: jax.Array, t: jax.Array, loss: str | Loss = "mse"
) -> dict:
    """Every quantity of the forward and backward pass for ONE ``x: (d,)``, ``t: (c,)``.

    Returns:
      A dict of ``p``, ``q`` (lists over the hidden layers), ``a``, ``y_hat``, ``J`` and
      ``delta``: ``δ^l = ∂J/∂(pre-activation of layer l)`` for each of the ``p + 1`` layers.
    """
    dtype = checks.check_params(mlp, params)
    loss = get_loss(loss, mlp.output_activation.name)
    x = checks.check_inputs(mlp, x, name="x", ndim=1, dtype=dtype)
    t = checks.check_targets(mlp, t, None, name="t", dtype=dtype, loss=loss)
    sigma = mlp.hidden_activation
    p, q = [], [x]
    for layer in params[:-1]:
        # p_j = Σ_l W_lj x_l + b_j,  q_j = σ(p_j)
        p.append(jnp.einsum("lj,l->j", layer["W"], q[-1]) + layer["b"])
        q.append(sigma(p[-1]))
    # a_k = Σ_l' W_l'k q_l' + b_k,  y_hat_k = f(a_k)
    a = jnp.einsum("lk,l->k", params[-1]["W"], q[-1]) + params[-1]["b"]
    y_hat = mlp.output_activation(a)

    deltas = [output_delta(mlp, loss, a, y_hat, t)]
    for l in reversed(range(mlp.n_hidden)):
        # δ_j = Σ_k W_jk δ_k · σ'(p_j)
        W_next = params[l + 1]["W"]
        deltas.insert(
            0, jnp.einsum("jk,k->j", W_next, deltas[0]) * sigma.derivative(p[l], q[l + 1])
        )
    return {
        "p": p,
        "q": q[1:],
        "a": a,
        "y_hat": y_hat,
        "J": loss.value(a, y_hat, t),
        "delta": deltas,
    }


def backprop_example(
    mlp: MLP, params: Params, x: jax.Array, t: jax.Array, loss: str | Loss = "mse"
) -> Params:
    """The gradient of the per-example loss ``J`` for ONE ``(x: (d,), t: (c,))``, in index notation.
    ``∂J/∂W_ij = q_i δ_j``, ``∂J/∂b_j = δ_j``, ``q`` the layer's input; no L2 term (that is the
    objective's). ``jax.vmap`` it for per-example gradients."""
    trace = backprop_trace(mlp, params, x, t, loss)
    inputs = [jnp.asarray(x), *trace["q"]]
    return [
        {"W": jnp.einsum("i,j->ij", q_in, delta), "b": delta}
        for q_in, delta in zip(inputs, trace["delta"])
    ]

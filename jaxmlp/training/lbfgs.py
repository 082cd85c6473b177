"""L-BFGS that decides when it has converged, as scipy's L-BFGS-B (scikit-learn's) does.

optax's ``lbfgs`` takes a step per update and never stops. ``stopping_lbfgs`` wraps it with
scipy's three tests, made after each iteration on the device from what optax's zoom line
search keeps (the accepted point's value and gradient, its number of evaluations): the
gradient's max-norm at the new point ``≤ gtol`` (scipy's ``pgtol``, no bounds to project
on), the relative decrease ``(f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ ftol`` (scipy's
``factr · eps``), and more than ``max_evaluations`` evaluations of the objective and its
gradient (scipy's ``maxfun``). The verdict is a code in the state (``stop_code``) that the
epoch loop reads: no host sync, no extra evaluation.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax

# scipy's L-BFGS-B defaults: factr = 1e7 times float64's epsilon, and maxfun.
FTOL = 1e7 * float(jnp.finfo(jnp.float64).eps)
MAX_EVALUATIONS = 15000
# stop_code's values.
RUNNING, CONVERGED, EVALUATIONS = 0, 1, 2


class LBFGSStopState(NamedTuple):
    """The inner ``optax.lbfgs`` state, the evaluations so far and the verdict."""

    inner: optax.OptState
    evaluations: jax.Array  # int32: the objective with its gradient, the first point's too
    stop_code: jax.Array  # int32: RUNNING, CONVERGED or EVALUATIONS


def stopping_lbfgs(
    gtol: float = 0.0, ftol: float = 0.0, max_evaluations: float = float("inf")
) -> optax.GradientTransformationExtraArgs:
    """``optax.lbfgs()`` whose state says when scipy's L-BFGS-B would stop (module doc).
    Its updates are optax's own: only ``stop_code`` and ``evaluations`` are added."""
    inner = optax.lbfgs()

    def init(params):
        # The first point is evaluated before the first update: one evaluation.
        return LBFGSStopState(inner.init(params), jnp.ones((), jnp.int32), jnp.zeros((), jnp.int32))

    def update(updates, state, params=None, *, value, grad, value_fn, **extra):
        updates, inner_state = inner.update(
            updates, state.inner, params, value=value, grad=grad, value_fn=value_fn, **extra
        )
        new_value = optax.tree_utils.tree_get(inner_state, "value")
        new_grad = optax.tree_utils.tree_get(inner_state, "grad")
        steps = optax.tree_utils.tree_get(inner_state, "num_linesearch_steps")
        evaluations = state.evaluations + steps.astype(jnp.int32)
        max_grad = optax.tree_utils.tree_max(jax.tree.map(jnp.abs, new_grad))
        scale = jnp.maximum(jnp.maximum(jnp.abs(value), jnp.abs(new_value)), 1.0)
        converged = (max_grad <= gtol) | ((value - new_value) / scale <= ftol)
        code = jnp.where(converged, CONVERGED, RUNNING)
        code = jnp.where(~converged & (evaluations > max_evaluations), EVALUATIONS, code)
        return updates, LBFGSStopState(inner_state, evaluations, code.astype(jnp.int32))

    return optax.GradientTransformationExtraArgs(init, update)


def stop_code(opt_state) -> jax.Array | None:
    """The verdict of a ``stopping_lbfgs`` state (``RUNNING``, ``CONVERGED`` or
    ``EVALUATIONS``), or ``None`` for any other optimizer's: a trace-time test."""
    if isinstance(opt_state, LBFGSStopState):
        return opt_state.stop_code
    return None

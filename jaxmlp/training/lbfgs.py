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
import numpy as np
import optax

# scipy's L-BFGS-B defaults: factr = 1e7 times float64's epsilon, and maxfun.
FTOL = 1e7 * float(jnp.finfo(jnp.float64).eps)
MAX_EVALUATIONS = 15000
# stop_code's values.
RUNNING, CONVERGED, EVALUATIONS = 0, 1, 2


# The options whose values live in the state, not in the compiled program: one program
# serves every tolerance (optimizers.NamedOptimizer leaves them out of its identity).
STATE_OPTIONS = ("ftol", "gtol", "max_evaluations")


class LBFGSStopState(NamedTuple):
    """The inner ``optax.lbfgs`` state, the evaluations so far, the verdict and the tests'
    thresholds (data, so that a new tolerance compiles nothing)."""

    inner: optax.OptState
    evaluations: jax.Array  # int32: the objective with its gradient, the first point's too
    stop_code: jax.Array  # int32: RUNNING, CONVERGED or EVALUATIONS
    gtol: jax.Array
    ftol: jax.Array
    max_evaluations: jax.Array  # int32, at most 2**31 - 1


def restart(opt_state, gtol=0.0, ftol=0.0, max_evaluations=float("inf")):
    """``opt_state`` with ``stopping_lbfgs``'s counters reset and these thresholds, for a fit
    that continues from it (each fit counts its own evaluations, as scipy's); any other
    optimizer's state unchanged. A state stacked over members (``fit_many``'s, leading axis
    ``M``) keeps its shape: every member gets these thresholds."""
    if _is_chain(opt_state):  # fit_many's narrower members: units masked, then L-BFGS
        return tuple(restart(inner, gtol, ftol, max_evaluations) for inner in opt_state)
    if not isinstance(opt_state, LBFGSStopState):
        return opt_state
    # Made with numpy, then put on the device: no program is compiled for them.
    shape, dtype = np.shape(opt_state.evaluations), np.dtype(opt_state.gtol.dtype)
    max_evaluations = min(max_evaluations, 2**31 - 1)
    return opt_state._replace(
        evaluations=jnp.asarray(np.ones(shape, np.int32)),
        stop_code=jnp.asarray(np.zeros(shape, np.int32)),
        gtol=jnp.asarray(np.full(shape, gtol, dtype)),
        ftol=jnp.asarray(np.full(shape, ftol, dtype)),
        max_evaluations=jnp.asarray(np.full(shape, max_evaluations, np.int32)),
    )


def stopping_lbfgs(
    gtol: float = 0.0, ftol: float = 0.0, max_evaluations: float = float("inf")
) -> optax.GradientTransformationExtraArgs:
    """``optax.lbfgs()`` whose state says when scipy's L-BFGS-B would stop (module doc).
    Its updates are optax's own: only ``stop_code`` and ``evaluations`` are added."""
    inner = optax.lbfgs()

    def init(params):
        # The first point is evaluated before the first update: one evaluation.
        dtype = jax.tree.leaves(params)[0].dtype
        one, zero = jnp.ones((), jnp.int32), jnp.zeros((), jnp.int32)
        state = LBFGSStopState(inner.init(params), one, zero, *(jnp.zeros((), dtype),) * 2, one)
        return restart(state, gtol, ftol, max_evaluations)

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
        converged = (max_grad <= state.gtol) | ((value - new_value) / scale <= state.ftol)
        # As scipy's driver: the limit is checked at the new point before the tests are.
        code = jnp.where(converged, CONVERGED, RUNNING)
        code = jnp.where(evaluations > state.max_evaluations, EVALUATIONS, code)
        return updates, state._replace(
            inner=inner_state, evaluations=evaluations, stop_code=code.astype(jnp.int32)
        )

    return optax.GradientTransformationExtraArgs(init, update)


def stop_code(opt_state) -> jax.Array | None:
    """The verdict of a ``stopping_lbfgs`` state (``RUNNING``, ``CONVERGED`` or
    ``EVALUATIONS``), or ``None`` for any other optimizer's: a trace-time test."""
    if isinstance(opt_state, LBFGSStopState):
        return opt_state.stop_code
    if _is_chain(opt_state):
        codes = [code for inner in opt_state if (code := stop_code(inner)) is not None]
        return codes[0] if codes else None
    return None


def _is_chain(opt_state) -> bool:
    # optax.chain keeps a plain tuple of its transformations' states; NamedTuples are states.
    return type(opt_state) is tuple

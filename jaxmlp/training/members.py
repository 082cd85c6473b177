"""The members of a sweep: the swept values, zipped or combined, and their initial states."""

from __future__ import annotations

import functools
import itertools
import numbers
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .. import checks
from ..compiling import run_once
from ..mlp import MLP
from ..params import init_params
from .optimizers import current_learning_rate, transformation, with_learning_rate
from .state import init_state
from .widths import UnitMaskState, check_widths, mask_params


def member_keys(key: jax.Array, seed: int) -> tuple[jax.Array, jax.Array]:
    """``(init_key, fit_key)`` of the member with ``seed`` in a ``fit_many(key=key)`` sweep.
    At full width it trains as ``fit(mlp, init_params(init_key, ...), X, y, key=fit_key)``."""
    key_members = jax.random.split(key)[0]
    init_key, fit_key = jax.random.split(jax.random.fold_in(key_members, seed))
    return init_key, fit_key


def swept_values(mlp: MLP, seeds, learning_rates, l2s, widths, grid: bool):
    """The swept values as arrays ``(M,)`` (widths ``(M, p)``), zipped or combined."""
    swept = {
        "seeds": _values(seeds, "seeds", functools.partial(checks.check_scalar, rule="seed")),
        "learning_rates": _values(learning_rates, "learning_rates", _check_learning_rate),
        "l2s": _values(l2s, "l2s", functools.partial(checks.check_scalar, rule="non_negative")),
        "widths": _values(widths, "widths", functools.partial(check_widths, mlp)),
    }
    if checks.check_scalar(grid, "bool", "grid", error=TypeError):
        members = list(itertools.product(*swept.values()))
    else:
        lengths = {name: len(values) for name, values in swept.items() if len(values) > 1}
        if len(set(lengths.values())) > 1:
            listed = ", ".join(f"{name} has {length}" for name, length in lengths.items())
            raise ValueError(
                f"the swept lists disagree in length: {listed} values; give lists of one "
                "length (a single value goes to every member), or grid=True for every "
                "combination"
            )
        M = max(len(values) for values in swept.values())
        members = [
            tuple(values[i if len(values) > 1 else 0] for values in swept.values())
            for i in range(M)
        ]
    seeds, learning_rates, l2s, widths = zip(*members)
    return (
        np.asarray(seeds, np.int64),
        np.asarray(learning_rates, np.float64),
        np.asarray(l2s, np.float64),
        np.asarray(widths, np.int64).reshape(len(members), mlp.n_hidden),
    )


def _values(values, name: str, check) -> list:
    """One swept argument as a list of checked values; a single value is a list of one."""
    if values is None or isinstance(values, numbers.Number | str | bytes):
        values = [values]
    elif isinstance(values, np.ndarray | jax.Array):
        values = np.asarray(values).tolist()
        values = values if isinstance(values, list) else [values]
    elif isinstance(values, Sequence | range):
        values = list(values)
    else:
        raise TypeError(f"{name} must be a number or a list of them, got {values!r}")
    if not values:
        raise ValueError(f"{name} is empty; give at least one value")
    return [check(value, name=f"{name}[{i}]") for i, value in enumerate(values)]


def _check_learning_rate(learning_rate, name: str) -> float:
    if learning_rate is None:
        return np.nan  # the transformation's own
    return checks.check_scalar(learning_rate, "positive", name)


def check_learning_rates(optimizer, learning_rates: np.ndarray, schedule: str) -> None:
    """What a sweep of several learning rates needs of the optimizer and schedule."""
    several = len(np.unique(learning_rates)) > 1
    if optimizer == "lbfgs" and several:
        raise ValueError(
            "optimizer='lbfgs' has no learning rate to sweep, got "
            f"learning_rates={list(learning_rates)}"
        )
    if isinstance(optimizer, str) and several and schedule in ("invscaling", "cosine"):
        raise ValueError(
            f"schedule={schedule!r} computes the learning rate from one initial value; "
            f"several learning_rates={list(learning_rates)} need schedule='constant' or "
            "'adaptive'"
        )
    if isinstance(optimizer, optax.GradientTransformation) and not (
        np.isnan(learning_rates).all() or has_learning_rate(optimizer)
    ):
        raise ValueError(
            f"learning_rates={list(learning_rates)} need an optimizer with an injected "
            "learning rate (optax.inject_hyperparams); this one has none: pass "
            "learning_rates=None"
        )


def has_learning_rate(optimizer) -> bool:
    layer = {
        "W": jax.ShapeDtypeStruct((1, 1), jnp.float32),
        "b": jax.ShapeDtypeStruct((1,), jnp.float32),
    }
    state = jax.eval_shape(transformation(optimizer).init, [layer])
    return current_learning_rate(state) is not None


@functools.partial(run_once, static_argnums=(0, 1, 2, 3))
def start_members(program, dtype, masked, init, key, seeds, scales, units, learning_rates):
    """``(state, initial_params)``: the members' stacked ``TrainState`` at epoch 0.
    Member ``i`` draws as ``fit`` would from ``member_keys(key, seeds[i])`` (floats to an ulp)."""

    def init_member(seed, scales, units, learning_rate):
        init_key, fit_key = member_keys(key, seed)
        train_key = jax.random.split(fit_key)[1]  # as fit: split(key) = (holdout, train)
        params = init_params(init_key, program.mlp, init, dtype)
        params = [{"W": l["W"] * s, "b": l["b"] * s} for l, s in zip(params, scales)]
        params = mask_params(params, [u.astype(dtype) for u in units])
        state = init_state(params, program.optimizer, train_key, track_best=program.track_best)
        opt_state = state.opt_state
        if masked:
            opt_state = (UnitMaskState(tuple(u.astype(dtype) for u in units)), *opt_state[1:])
        if learning_rate is not None:
            opt_state = with_learning_rate(opt_state, learning_rate)
        return state._replace(opt_state=opt_state)

    state = jax.vmap(init_member)(seeds, scales.astype(dtype), units, learning_rates)
    # Copies: the compiled program donates (reuses) the buffers of the state it is given.
    return jax.tree.map(jnp.copy, state), jax.tree.map(jnp.copy, state.params)

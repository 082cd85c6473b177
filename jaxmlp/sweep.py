"""Sweeps and ensembles: M models trained at once, by ``jax.vmap``, in one compiled program.

``fit_many`` stacks M members along a leading axis and vmaps the engine's block of epochs
(``train._run_block``: the epoch scan, ``train_step``, early stopping) over them. What differs
between members is data, never the program:

- seed: the member's initial params and its shuffling key (``member_keys``);
- learning rate: the injected hyperparameter in the member's optimizer state
  (``optax.inject_hyperparams``), so every member reads its own;
- l2: a traced scalar per member;
- hidden width: params are built at the MLP's (largest) widths, and a member of width
  ``w < h`` has every weight and bias of its units ``w + 1 .. h`` set to zero. A zero unit
  adds nothing to the next layer (its outgoing weights are zero), and a ``(h,)`` 0/1 mask
  held in the optimizer state multiplies the gradient of each of those weights and biases by
  zero before the optimizer sees it, so they receive no update and stay zero (``widths.py``).
  The member is then exactly the width-``w`` network, padded; ``unstack`` slices it back.

Each member has its own early stopping: the engine's per-epoch ``lax.cond`` becomes a
select under ``vmap``, so a member that has stopped keeps its state while the others train
on. A member that diverges (a step's loss, or its params or optimizer state after the
update, becomes non-finite) stops too, instead of ending the sweep: ``stop_reason``
``"diverged"``, its state and params those of the end of its last finite epoch (all finite;
its initial ones if the first epoch diverged), ``epochs_trained`` that epoch, and its history
``nan`` from the epoch that diverged on. ``final_metric`` then reports the params it returns,
but ``best_member`` never picks it: its training did not hold.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import numbers
import time
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from . import checks, train
from .compiling import cached_jit, run_once
from .forward import _forward_batch
from .losses import Loss, get_loss
from .mlp import MLP
from .optimizers import (
    current_learning_rate,
    named_optimizer,
    transformation,
    with_learning_rate,
)
from .params import Params, init_params
from .widths import (
    INIT_FANS,
    MaskedOptimizer,
    UnitMaskState,
    check_widths,
    init_scales,
    mask_params,
)

STOP_REASONS = {0: "epochs", 1: "early_stopping", 2: "learning_rate", 3: "diverged"}
METRICS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")


@dataclasses.dataclass
class SweepHistory:
    """Per-member, per-epoch metrics: arrays ``(M, epochs)``; column ``e`` is epoch ``e + 1``.

    Entries past a member's last epoch (it stopped) are ``nan``; so are ``val_*`` without
    a validation set and ``*_accuracy`` without classes.
    """

    train_loss: np.ndarray
    train_accuracy: np.ndarray
    val_loss: np.ndarray
    val_accuracy: np.ndarray
    learning_rate: np.ndarray
    epochs_trained: np.ndarray  # (M,) int
    best_epoch: np.ndarray  # (M,) int: the epoch of the returned params with restore_best, else 0
    stop_reason: tuple[str, ...]  # (M,): "epochs", "early_stopping", "learning_rate", "diverged"
    has_validation: bool
    compile_time: float  # seconds compiling the programs that initialise and train; 0 if cached
    time: float  # seconds training, compilation excluded


@dataclasses.dataclass
class SweepResult:
    """What ``fit_many`` returns: M members stacked along the leading axis of every array.

    ``params`` and ``initial_params`` have the shapes of ``mlp`` (the largest widths) with a
    leading ``M``; a narrower member's extra units are zero. ``widths[i]`` holds member
    ``i``'s hidden widths; ``unstack(result, i)`` gives its params at those widths.
    """

    mlp: MLP
    params: Params
    initial_params: Params
    seeds: np.ndarray  # (M,) int
    learning_rates: np.ndarray  # (M,)
    l2s: np.ndarray  # (M,)
    widths: np.ndarray  # (M, p) int: hidden widths
    history: SweepHistory
    state: train.TrainState = dataclasses.field(repr=False)  # stacked, for inspection

    @property
    def n_members(self) -> int:
        return len(self.seeds)


def member_keys(key: jax.Array, seed: int) -> tuple[jax.Array, jax.Array]:
    """``(init_key, fit_key)`` of the member with ``seed`` in a ``fit_many(key=key)`` sweep.

    At full width, the member trains as ``jaxmlp.fit(mlp, init_params(init_key, mlp, init,
    dtype), X, y, key=fit_key, learning_rate=..., l2=..., ...)`` would.
    """
    key_members = jax.random.split(key)[0]
    init_key, fit_key = jax.random.split(jax.random.fold_in(key_members, seed))
    return init_key, fit_key


def fit_many(
    mlp: MLP,
    X,
    y,
    *,
    key: jax.Array,
    seeds: int | Sequence[int] = 0,
    learning_rates: float | Sequence[float] | None = None,
    l2s: float | Sequence[float] = 0.0,
    widths: int | Sequence[int] | Sequence[Sequence[int]] | None = None,
    grid: bool = False,
    init: str = "glorot_uniform",
    rescale_init: bool = True,
    dtype=jnp.float32,
    loss: str | Loss = "mse",
    optimizer: str | optax.GradientTransformation = "sgd",
    schedule: str = "constant",
    batch_size: int | None = None,
    epochs: int = 100,
    grad: str = "autodiff",
    validation: tuple | None = None,
    validation_fraction: float | None = None,
    early_stopping: bool = False,
    patience: int = 10,
    min_delta: float = 1e-4,
    restore_best: bool = True,
    monitor: str = "auto",
    epochs_per_program: int | str = "auto",
    members_at_once: int | None = None,
) -> SweepResult:
    """Trains M members of ``mlp`` at once, one per combination of the swept values.

    The swept arguments (``seeds``, ``learning_rates``, ``l2s``, ``widths``) each take one
    value or a list. Lists are zipped: member ``i`` takes the ``i``-th value of each, and a
    single value goes to every member; with ``grid=True`` every combination is a member
    (``seeds`` outermost, ``widths`` innermost). The other arguments are ``jaxmlp.fit``'s.

    Args:
      mlp: the architecture; its hidden sizes are the largest widths.
      X: ``(n, d)`` inputs, shared by all members; checked as ``jaxmlp.fit`` checks them.
      y: ``(n,)`` class labels or ``(n, c)`` real targets, as ``jaxmlp.fit``'s.
      key: PRNG key; member keys come from it and the seed (``member_keys``).
      seeds: integers in ``[0, 2**32)``: each member's initial params and shuffling.
      learning_rates: positive numbers; ``None`` is ``fit``'s 0.1 (or, for an optax
        transformation, its own). Several values need a constant or adaptive schedule.
      l2s: weight decay coefficients ``>= 0``.
      widths: hidden widths: an int for every hidden layer, or a tuple with one per hidden
        layer, at most ``mlp``'s; ``None`` is ``mlp``'s.
      grid: train every combination of the swept values instead of zipping them.
      init: the ``init_params`` scheme.
      rescale_init: scale a narrower member's initial weights (the first ``w`` units of the
        full-width draw) to the scale ``init`` gives at width ``w``; else keep the
        full-width scale.
      dtype: params dtype; ``float64`` needs 64-bit JAX (``jax_enable_x64``).
      loss, optimizer, schedule, batch_size, epochs, grad, early_stopping, patience,
        min_delta, restore_best, monitor, epochs_per_program: as ``jaxmlp.fit``, for every
        member.
      members_at_once: train this many members side by side (vmapped), the groups one after
        another in the same program; ``None`` trains all M side by side. Memory grows with
        it: each hidden layer's activations take ``members_at_once × batch × width`` numbers.
      validation: ``(X_val, y_val)`` held-out data, shared by all members.
      validation_fraction: or hold out this fraction of ``(X, y)``: one split, drawn from
        ``key``, for all members, so that their validation losses compare.

    Returns:
      A ``SweepResult``: stacked ``params``, per-member ``history`` arrays ``(M, epochs)``.

    Example:
      >>> import jax, numpy as np, jaxmlp
      >>> from jaxmlp.sweep import best_member, unstack
      >>> X = np.linspace(-1, 1, 32)[:, None]
      >>> mlp = jaxmlp.MLP((1, 8, 1), "tanh", "identity")
      >>> result = jaxmlp.fit_many(mlp, X, X**2, key=jax.random.key(0), seeds=[0, 1],
      ...                          learning_rates=[0.1, 0.3], widths=[4, 8], epochs=20)
      >>> result.history.train_loss.shape
      (2, 20)
      >>> [layer["W"].shape for layer in unstack(result, 0)]
      [(1, 4), (4, 1)]
    """
    checks.check_mlp(mlp)
    checks.check_key(key)
    if learning_rates is None and isinstance(optimizer, str):
        learning_rates = 0.1  # fit's default
    seeds, learning_rates, l2s, widths = _members(mlp, seeds, learning_rates, l2s, widths, grid)
    M = len(seeds)
    masked = bool(np.any(widths < np.asarray(mlp.sizes[1:-1])))
    if not isinstance(rescale_init, bool):
        raise TypeError(f"rescale_init must be True or False, got {rescale_init!r}")
    # Checks init and dtype, tracing only.
    jax.eval_shape(lambda key: init_params(key, mlp, init, dtype), key)
    if masked and rescale_init and init not in INIT_FANS:
        raise ValueError(
            f"rescale_init=True does not know how init={init!r} scales with width; "
            "pass rescale_init=False"
        )
    dtype = jnp.dtype(dtype)
    loss = get_loss(loss, mlp.output_activation.name)
    train.check_training_args(epochs=epochs, grad=grad, patience=patience, min_delta=min_delta)
    # Split only when needed: an eager split compiles a program (0.2 s, a cold sweep's 5%).
    key_holdout = jax.random.split(key)[1] if validation_fraction is not None else None
    data, classification = train.prepare_data(
        mlp, X, y, dtype, key_holdout, validation, validation_fraction, loss
    )
    n = data[0].shape[0]
    has_validation = data[2].shape[0] > 0
    monitor = train.resolve_monitor(
        monitor, has_validation=has_validation, classification=classification
    )
    batch_size, steps_per_epoch = train.batch_sizes(batch_size, n)
    base, adaptive = _optimizer(
        optimizer, learning_rates, schedule, epochs * steps_per_epoch, batch_size == n
    )
    epochs_per_program = train.epochs_per_block(epochs_per_program, epochs, steps_per_epoch)
    if members_at_once is not None:
        train._check_positive_int(members_at_once, "members_at_once")
        members_at_once = min(members_at_once, M)

    program = train.Program(
        mlp=mlp,
        loss=loss,
        optimizer=MaskedOptimizer(mlp, base) if masked else base,
        grad=grad,
        n=n,
        batch_size=batch_size,
        epochs_per_block=epochs_per_program,
        classification=classification,
        has_validation=has_validation,
        early_stopping=early_stopping,
        patience=patience,
        min_delta=float(min_delta),
        adaptive=adaptive,
        track_best=early_stopping and restore_best,
        monitor=monitor,
    )
    scales = init_scales(mlp, init, widths) if rescale_init else np.ones((M, mlp.n_layers))
    # One (M, h_l) 0/1 mask per hidden layer.
    units = [np.arange(h) < widths[:, [l]] for l, h in enumerate(mlp.sizes[1:-1])]
    lrs = None if np.isnan(learning_rates).all() else learning_rates
    if lrs is not None and not _has_learning_rate(base):  # lbfgs: no learning rate
        lrs, learning_rates = None, np.full(M, np.nan)
    # Arrays converted on the host: on the device, each conversion compiles a program.
    args = (program, dtype, masked, init, key, seeds.astype(np.uint32), scales, units, lrs)
    compiled, init_compile_time = _start_members.program(*args)
    state, initial_params = compiled(*args)
    if lrs is None and (lr := current_learning_rate(state.opt_state)) is not None:
        learning_rates = np.asarray(lr, np.float64)  # a transformation's own learning rate
    l2 = checks.to_device(l2s, dtype)
    state, history = _train(program, members_at_once, state, data, l2, epochs, init_compile_time)
    return SweepResult(
        mlp=mlp,
        params=state.params,
        initial_params=initial_params,
        seeds=seeds,
        learning_rates=learning_rates,
        l2s=l2s,
        widths=widths,
        history=history,
        state=state,
    )


def _members(mlp: MLP, seeds, learning_rates, l2s, widths, grid: bool):
    """The swept values as arrays ``(M,)`` (widths ``(M, p)``), zipped or combined."""
    swept = {
        "seeds": _values(seeds, "seeds", _check_seed),
        "learning_rates": _values(learning_rates, "learning_rates", _check_learning_rate),
        "l2s": _values(l2s, "l2s", _check_l2),
        "widths": _values(widths, "widths", functools.partial(check_widths, mlp)),
    }
    if not isinstance(grid, bool):
        raise TypeError(f"grid must be True or False, got {grid!r}")
    if grid:
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
    return [check(value, f"{name}[{i}]") for i, value in enumerate(values)]


def _check_seed(seed, name: str) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**32:
        raise ValueError(f"{name}={seed!r} must be an integer in [0, 2**32)")
    return int(seed)


def _check_learning_rate(learning_rate, name: str) -> float:
    if learning_rate is None:
        return math.nan  # the transformation's own
    if (
        isinstance(learning_rate, bool)
        or not isinstance(learning_rate, numbers.Real)
        or not math.isfinite(learning_rate)
        or learning_rate <= 0
    ):
        raise ValueError(f"{name}={learning_rate!r} must be a finite number > 0")
    return float(learning_rate)


def _check_l2(l2, name: str) -> float:
    if isinstance(l2, bool) or not isinstance(l2, numbers.Real) or not math.isfinite(l2) or l2 < 0:
        raise ValueError(f"{name}={l2!r} must be a finite number >= 0")
    return float(l2)


@functools.partial(run_once, static_argnums=(0, 1, 2, 3))
def _start_members(program, dtype, masked, init, key, seeds, scales, units, learning_rates):
    """``(state, initial_params)``: the members' stacked ``TrainState`` at epoch 0.

    Member ``i`` draws ``init_params(init_key, mlp, init, dtype)`` and the engine key with
    ``member_keys(key, seeds[i])``, as ``fit`` would from ``init_key`` and ``fit_key`` (float
    draws to the last bit or so: this program rounds them on its own).
    """

    def init_member(seed, scales, units, learning_rate):
        init_key, fit_key = member_keys(key, seed)
        train_key = jax.random.split(fit_key)[1]  # as fit: split(key) = (holdout, train)
        params = init_params(init_key, program.mlp, init, dtype)
        params = [{"W": l["W"] * s, "b": l["b"] * s} for l, s in zip(params, scales)]
        params = mask_params(params, [u.astype(dtype) for u in units])
        state = train.init_state(
            params, program.optimizer, train_key, track_best=program.track_best
        )
        opt_state = state.opt_state
        if masked:
            opt_state = (UnitMaskState(tuple(u.astype(dtype) for u in units)), *opt_state[1:])
        if learning_rate is not None:
            opt_state = with_learning_rate(opt_state, learning_rate)
        return state._replace(opt_state=opt_state)

    state = jax.vmap(init_member)(seeds, scales.astype(dtype), units, learning_rates)
    # Copies: the compiled program donates (reuses) the buffers of the state it is given.
    return jax.tree.map(jnp.copy, state), jax.tree.map(jnp.copy, state.params)


def _optimizer(optimizer, learning_rates, schedule, total_steps, full_batch):
    """``(transformation, adaptive)``: the optimizer every member runs, and its schedule."""
    several = len(np.unique(learning_rates)) > 1
    if isinstance(optimizer, str):
        if optimizer == "lbfgs":
            if not full_batch:
                raise ValueError("optimizer='lbfgs' is full-batch: batch_size must be None")
            if several:
                raise ValueError(
                    "optimizer='lbfgs' has no learning rate to sweep, got "
                    f"learning_rates={list(learning_rates)}"
                )
        scheduled = schedule in ("invscaling", "cosine")
        if several and scheduled:
            raise ValueError(
                f"schedule={schedule!r} computes the learning rate from one initial value; "
                f"several learning_rates={list(learning_rates)} need schedule='constant' or "
                "'adaptive'"
            )
        # The injected learning rate is set per member, so any value builds the same program.
        initial = float(learning_rates[0]) if scheduled else 1.0
        named, _ = named_optimizer(optimizer, initial, schedule, total_steps)
        return named, schedule == "adaptive"
    if not isinstance(optimizer, optax.GradientTransformation):
        raise TypeError(
            "optimizer must be a name or an optax.GradientTransformation, "
            f"got {type(optimizer).__name__}"
        )
    if not np.isnan(learning_rates).all() and not _has_learning_rate(optimizer):
        raise ValueError(
            f"learning_rates={list(learning_rates)} need an optimizer with an injected "
            "learning rate (optax.inject_hyperparams); this one has none: pass "
            "learning_rates=None"
        )
    return optimizer, False


def _has_learning_rate(optimizer) -> bool:
    layer = {
        "W": jax.ShapeDtypeStruct((1, 1), jnp.float32),
        "b": jax.ShapeDtypeStruct((1,), jnp.float32),
    }
    state = jax.eval_shape(transformation(optimizer).init, [layer])
    return current_learning_rate(state) is not None


def _train(program, members_at_once, state, data, l2, epochs: int, init_compile_time: float):
    """Runs blocks of epochs until every member has reached ``epochs`` or stopped."""
    M = state.epoch.shape[0]
    last_epoch = np.full(M, epochs, np.int32)
    args = (program, members_at_once, state, data, l2, jax.device_put(last_epoch))
    compiled, compile_time = run_members.program(*args)
    compile_time += init_compile_time
    start = time.perf_counter()
    stop = np.zeros(M, np.int64)
    blocks = []
    for _ in range(math.ceil(epochs / program.epochs_per_block)):
        state, metrics = compiled(
            program, members_at_once, state, data, l2, jax.device_put(last_epoch)
        )
        metrics = jax.device_get(metrics)  # each (M, epochs_per_block)
        blocks.append(metrics)
        block_stop = np.max(metrics.stop, axis=1)  # an epoch's stop ends the member's run
        stop = np.where(stop > 0, stop, block_stop)
        # A stopped member is frozen from here on: its last epoch is the one it reached.
        last_epoch = np.where(stop > 0, np.asarray(state.epoch), epochs).astype(np.int32)
        if np.all(np.asarray(state.epoch) >= last_epoch):
            break
    elapsed = time.perf_counter() - start

    def column(field):
        return np.concatenate([getattr(m, field) for m in blocks], axis=1)[:, :epochs]

    history = {field: column(field) for field in (*METRICS, "learning_rate")}
    monitored = train.monitored_values(program.monitor, history[program.monitor])
    best_epoch = np.zeros(M, np.int64)
    if program.track_best:
        finite = np.isfinite(monitored).any(axis=1)
        best_epoch[finite] = np.nanargmin(monitored[finite], axis=1) + 1
        restore = jnp.asarray(finite)
        params = jax.tree.map(
            lambda best, last: jnp.where(restore.reshape(-1, *[1] * (last.ndim - 1)), best, last),
            state.best_params,
            state.params,
        )
        state = state._replace(params=params)
    history = SweepHistory(
        **history,
        epochs_trained=np.asarray(state.epoch, np.int64),
        best_epoch=best_epoch,
        stop_reason=tuple(STOP_REASONS[int(code)] for code in stop),
        has_validation=program.has_validation,
        compile_time=compile_time,
        time=elapsed,
    )
    return state, history


def _run_members(program, members_at_once, state, data, l2, last_epoch):
    """The engine's block of epochs for every member (the leading axis of ``state``)."""

    def run_block(member):
        state, l2, last_epoch = member
        return train._run_block(program, state, data, l2, last_epoch)

    members = (state, l2, last_epoch)
    if members_at_once is None or members_at_once >= len(last_epoch):
        return jax.vmap(run_block)(members)
    return jax.lax.map(run_block, members, batch_size=members_at_once)


run_members = cached_jit(_run_members, static_argnums=(0, 1), donate_argnums=(2,))


def best_member(result: SweepResult, metric: str | None = None) -> int:
    """The index of the member with the best ``metric`` at the epoch of its returned params.

    Args:
      result: a ``fit_many`` result.
      metric: ``"train_loss"``, ``"val_loss"`` (lowest wins), ``"train_accuracy"`` or
        ``"val_accuracy"`` (highest wins); ``None`` is ``"val_loss"`` with a validation set,
        else ``"train_loss"``. Members that diverged (``stop_reason`` ``"diverged"``) or
        whose value is ``nan`` never win.
    """
    if metric is None:
        metric = "val_loss" if result.history.has_validation else "train_loss"
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r} is not known; choose one of {METRICS}")
    values = final_metric(result, metric)
    values[np.asarray(result.history.stop_reason) == "diverged"] = np.nan
    if np.isnan(values).all():
        raise ValueError(
            f"no member has a finite {metric} (members that diverged do not count): "
            f"{values.tolist()}, stop reasons {list(result.history.stop_reason)}"
        )
    return int(np.nanargmin(values) if metric.endswith("loss") else np.nanargmax(values))


def final_metric(result: SweepResult, metric: str) -> np.ndarray:
    """``(M,)``: each member's ``metric`` at the epoch of its returned params."""
    history = result.history
    epoch = np.where(history.best_epoch > 0, history.best_epoch, history.epochs_trained)
    values = getattr(history, metric)
    M = len(epoch)
    trained = epoch > 0
    out = np.full(M, np.nan)
    out[trained] = values[np.arange(M)[trained], epoch[trained] - 1]
    return out


def member_mlp(result: SweepResult, i: int) -> MLP:
    """Member ``i``'s architecture: ``result.mlp`` at the member's hidden widths."""
    i = _check_member(result, i)
    mlp = result.mlp
    sizes = (mlp.n_inputs, *(int(w) for w in result.widths[i]), mlp.n_outputs)
    return MLP(sizes, mlp.hidden, mlp.output)


def unstack(result: SweepResult, i: int, *, initial: bool = False) -> Params:
    """Member ``i``'s params, sliced to its widths: a plain network of ``member_mlp(result, i)``.

    Args:
      result: a ``fit_many`` result.
      i: the member, ``0 <= i < M`` (negative counts from the end).
      initial: the member's initial params instead of its trained ones.
    """
    i = _check_member(result, i)
    sizes = member_mlp(result, i).sizes
    params = result.initial_params if initial else result.params
    return [
        {"W": layer["W"][i, :n_in, :n_out], "b": layer["b"][i, :n_out]}
        for layer, n_in, n_out in zip(params, sizes[:-1], sizes[1:])
    ]


def predict_many(result: SweepResult, X) -> jax.Array:
    """Every member's outputs: ``X: (n, d) -> (M, n, c)``; average them for an ensemble."""
    dtype = result.params[0]["W"].dtype
    X = checks.to_device(checks.check_inputs(result.mlp, X, dtype=dtype), dtype)
    return _predict_many(result.mlp, result.params, X)


@cached_jit(static_argnums=(0,))
def _predict_many(mlp, params, X):
    # One program: eager, the vmapped forward pass compiles a program per operation.
    return jax.vmap(_forward_batch, in_axes=(None, 0, None))(mlp, params, X)


def _check_member(result: SweepResult, i) -> int:
    M = result.n_members
    if isinstance(i, bool) or not isinstance(i, numbers.Integral) or not -M <= i < M:
        raise ValueError(f"i={i!r} must be a member index in [0, {M}) (or negative from the end)")
    return int(i) % M

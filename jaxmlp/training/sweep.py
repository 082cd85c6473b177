"""Sweeps and ensembles: M models trained at once, by ``jax.vmap``, in one compiled program.

``fit_many`` vmaps ``fit``'s engine over M members stacked along a leading axis; what differs
between them is data, never the program: seed, learning rate, l2 and hidden widths (padded,
``widths.py``). Each member stops on its own; one that diverges (``"diverged"``) keeps its last
finite state, has ``nan`` history after it, and ``best_member`` never picks it.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh

from .. import checks
from ..compiling import cached_jit
from ..data.augment import Shifts
from ..dropout import check_rate
from ..forward import apply
from ..losses import Loss, get_loss
from ..mlp import MLP
from ..params import Params, init_params
from . import lbfgs, loop, parallel
from .epoch import run_members
from .fit import prepare_data
from .members import check_learning_rates, has_learning_rate, start_members, swept_values
from .members import member_keys as member_keys  # a sweep's public name
from .optimizers import current_learning_rate
from .program import check_training_args, make_program
from .state import StopReason, SweepHistory, SweepResult
from .widths import INIT_FANS, MaskedOptimizer, init_scales

METRICS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")


def fit_many(
    mlp: MLP, X, y, *, key: jax.Array,
    seeds: int | Sequence[int] = 0,
    learning_rates: float | Sequence[float] | None = None,
    l2s: float | Sequence[float] = 0.0,
    widths: int | Sequence[int] | Sequence[Sequence[int]] | None = None,
    grid: bool = False, init: str = "glorot_uniform", rescale_init: bool = True, dtype=jnp.float32,
    # as fit's, for every member:
    loss: str | Loss = "mse", optimizer: str | optax.GradientTransformation = "sgd",
    schedule: str = "constant", batch_size: int | None = None, epochs: int = 100,
    grad: str = "autodiff", validation: tuple | None = None,
    validation_fraction: float | None = None, early_stopping: bool = False, patience: int = 10,
    min_delta: float = 1e-4, restore_best: bool = True, monitor: str = "auto",
    epochs_per_program: int | str = "auto", members_at_once: int | None = None,
    sample_weight=None, class_weight=None, dropout: float = 0.0, mesh: Mesh | int | None = None,
    augment: Shifts | None = None, shuffle: bool = True,
    optimizer_options: dict[str, float] | None = None,
) -> SweepResult:  # fmt: skip
    """Trains M members of ``mlp`` at once, one per combination of the swept values.

    The swept arguments (``seeds``, ``learning_rates``, ``l2s``, ``widths``) each take one
    value or a list. Lists are zipped (a single value goes to every member); with
    ``grid=True`` every combination is a member (``seeds`` outermost, ``widths`` innermost).

    Args:
      mlp: the architecture; its hidden sizes are the largest widths.
      X, y: ``(n, d)`` inputs, ``(n,)`` labels or ``(n, c)`` targets, as ``jaxmlp.fit``'s.
      key: PRNG key; member keys come from it and the seed (``member_keys``).
      seeds: integers in ``[0, 2**32)``: each member's initial params and shuffling.
      learning_rates: ``> 0``; ``None``: 0.1 (an optax object's own); several need a constant
        or adaptive schedule.
      l2s: weight decay coefficients ``>= 0``.
      widths: an int (every hidden layer) or a tuple (one per layer), at most ``mlp``'s.
      grid: train every combination of the swept values instead of zipping them.
      init: the ``init_params`` scheme; ``dtype``: the params' (as ``init_params``).
      rescale_init: give a narrower member the initial scale ``init`` gives at its width.
      validation, validation_fraction: as ``jaxmlp.fit``'s, one set for all members; so are
        loss, optimizer, schedule, batch_size, epochs, grad, early_stopping, patience,
        min_delta, restore_best, monitor, epochs_per_program, dropout, sample_weight,
        class_weight (one weight per example, shared by every member) and augment.
      shuffle: ``False`` takes every epoch's batches in the rows' order, as ``fit``'s.
      optimizer_options: a named optimizer's other hyperparameters, as ``fit``'s, the same for
        every member; for ``"lbfgs"`` each member runs scipy's stopping tests on its own.
      members_at_once: members side by side (memory ``members × batch × width``); ``None``: all.
      mesh: a ``jax.sharding.Mesh`` with a ``"models"`` axis (and optionally ``"data"``, see
        ``parallel.sweep_mesh``), or a number of devices for ``"models"``: members split over
        ``"models"``, each member's batches over ``"data"``; M need not divide, the members
        added to fill the last devices are trained and dropped.

    Returns:
      A ``SweepResult``: stacked ``params``, per-member ``history`` arrays ``(M, epochs)``.

    Example:
      >>> import jax, numpy as np, jaxmlp
      >>> from jaxmlp.training.sweep import best_member, unstack
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
    seeds, learning_rates, l2s, widths = swept_values(mlp, seeds, learning_rates, l2s, widths, grid)
    M, swept = len(seeds), (seeds, l2s, widths)
    if mesh is not None:
        mesh = parallel.check_sweep_mesh(mesh, members_at_once)
        seeds, learning_rates, l2s, widths = (
            parallel.pad_members(v, mesh) for v in (seeds, learning_rates, l2s, widths)
        )
    masked = bool(np.any(widths < np.asarray(mlp.sizes[1:-1])))
    rescale_init = checks.check_scalar(rescale_init, "bool", "rescale_init", error=TypeError)
    jax.eval_shape(lambda key: init_params(key, mlp, init, dtype), key)  # checks init, dtype
    if masked and rescale_init and init not in INIT_FANS:
        raise ValueError(
            f"rescale_init=True does not know how init={init!r} scales with width; "
            "pass rescale_init=False"
        )
    dtype = jnp.dtype(dtype)
    loss = get_loss(loss, mlp.output_activation.name)
    check_training_args(epochs=epochs, grad=grad, patience=patience, min_delta=min_delta)
    augment = checks.check_augment(augment, mlp)
    shuffle = checks.check_scalar(shuffle, "bool", "shuffle")
    # Split only when needed: an eager split compiles a program.
    key_holdout = jax.random.split(key)[1] if validation_fraction is not None else None
    data, classification = prepare_data(
        mlp, X, y, dtype, key_holdout, validation, validation_fraction, loss,
        sample_weight, class_weight,
    )  # fmt: skip
    check_learning_rates(optimizer, learning_rates, schedule)
    # The injected learning rate is set per member: any value builds the same program.
    program, _ = make_program(
        mlp, loss, data, classification, optimizer=optimizer,
        learning_rate=float(learning_rates[0]), schedule=schedule, batch_size=batch_size,
        epochs=epochs, epochs_left=epochs, epochs_per_program=epochs_per_program,
        monitor=monitor, early_stopping=early_stopping, restore_best=restore_best, grad=grad,
        patience=patience, min_delta=min_delta, dropout=check_rate(dropout), mesh=mesh,
        augment=augment, shuffle=shuffle, optimizer_options=optimizer_options,
    )  # fmt: skip
    if mesh is not None:
        parallel.check_batch_divides(program.batch_size, mesh)
    injected = has_learning_rate(program.optimizer)
    if masked:
        program = dataclasses.replace(program, optimizer=MaskedOptimizer(mlp, program.optimizer))
    if members_at_once is not None:
        members_at_once = min(checks.check_scalar(members_at_once, "count", "members_at_once"), M)
    scales = init_scales(mlp, init, widths) if rescale_init else np.ones((M, mlp.n_layers))
    units = [np.arange(h) < widths[:, [l]] for l, h in enumerate(mlp.sizes[1:-1])]  # (M, h_l)
    lrs = None if np.isnan(learning_rates).all() else learning_rates
    if lrs is not None and not injected:  # lbfgs
        lrs, learning_rates = None, np.full(M, np.nan)
    # Arrays converted on the host: on the device, each conversion compiles a program.
    args = (program, dtype, masked, init, key, seeds.astype(np.uint32), scales, units, lrs)
    compiled, init_compile_time = start_members.program(*args)
    state, initial_params = compiled(*args)
    if lrs is None and (lr := current_learning_rate(state.opt_state)) is not None:
        learning_rates = np.asarray(lr, np.float64)  # a transformation's own learning rate
    if optimizer == "lbfgs":  # as fit: the compiled start keeps the first sweep's thresholds
        thresholds = {
            k: v for k, v in (optimizer_options or {}).items() if k in lbfgs.STATE_OPTIONS
        }
        state = state._replace(opt_state=lbfgs.restart(state.opt_state, **thresholds))
    l2 = checks.to_device(l2s, dtype)
    if mesh is not None:
        state, l2 = parallel.place((state, l2), parallel.members_sharded(mesh))
        data = parallel.replicate(data, mesh)
    static = (program, members_at_once)
    state, record = loop.train(run_members, static, state, data, l2, epochs)
    if mesh is not None:  # the padding members dropped, the rest readable on every host
        state = parallel.first_members(state, M, mesh)
        initial_params = jax.tree.map(lambda x: x[:M], initial_params)
        learning_rates = learning_rates[:M]
    best_epoch = np.zeros(M, np.int64)
    if program.track_best:
        best_epoch = loop.best_epochs(program, record, epochs)[:M]
        state = loop.restore_best(state, best_epoch > 0)
    history = SweepHistory(
        **{field: record.column(field, epochs)[:M] for field in (*METRICS, "learning_rate")},
        epochs_trained=np.asarray(state.epoch, np.int64),
        best_epoch=best_epoch,
        stop_reason=record.stop_reasons()[:M],
        has_validation=program.has_validation,
        compile_time=init_compile_time + record.compile_time,
        time=record.time,
    )
    seeds, l2s, widths = swept
    return SweepResult(
        mlp, state.params, initial_params, seeds, learning_rates, l2s, widths, history, state
    )


def best_member(result: SweepResult, metric: str | None = None) -> int:
    """The index of the member with the best ``metric`` at the epoch of its returned params.
    ``metric``: a loss (lowest wins) or accuracy (highest) in ``METRICS``; ``None`` is
    ``"val_loss"`` with a validation set, else ``"train_loss"``. Diverged or ``nan`` never win."""
    if metric is None:
        metric = "val_loss" if result.history.has_validation else "train_loss"
    if metric not in METRICS:
        raise ValueError(f"metric={metric!r} is not known; choose one of {METRICS}")
    values = final_metric(result, metric)
    values[np.asarray(result.history.stop_reason) == StopReason.DIVERGED] = np.nan
    if np.isnan(values).all():
        raise ValueError(
            f"no member has a finite {metric} (members that diverged do not count): "
            f"{values.tolist()}, stop reasons {list(map(str, result.history.stop_reason))}"
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
    """Member ``i``'s params (``initial``: before training), a network of ``member_mlp``.
    ``i``: the member, ``0 <= i < M`` (negative counts from the end)."""
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
    return jax.vmap(apply, in_axes=(None, 0, None))(mlp, params, X)


def _check_member(result: SweepResult, i) -> int:
    M = result.n_members
    if isinstance(i, bool) or not isinstance(i, numbers.Integral) or not -M <= i < M:
        raise ValueError(f"i={i!r} must be a member index in [0, {M}) (or negative from the end)")
    return int(i) % M

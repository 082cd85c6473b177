"""Training: whole epochs, or blocks of epochs, compiled into one XLA program.

``fit`` runs full-batch gradient descent (``batch_size=None``), mini-batch gradient descent
(``batch_size=k``) or stochastic gradient descent (``batch_size=1``), the lecture's three
regimes. One call of the compiled program runs a block of epochs: a ``lax.scan`` over epochs,
each a ``lax.scan`` over the batches of a fresh permutation, with the data on the device and
no host round trip per step. The host only sees the per-epoch metrics at the end of a block.

Every piece of training state is one pytree, ``TrainState``, so a run can be saved and
resumed exactly.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh

from . import checks, parallel, shuffle
from .backprop import _value_and_backprop
from .compiling import cached_jit, run_once
from .data.splits import split
from .losses import Loss, get_loss
from .mlp import MLP
from .objective import _objective, _objective_and_outputs
from .optimizers import (
    ADAPTIVE_FACTOR,
    ADAPTIVE_MIN_LR,
    NamedOptimizer,
    current_learning_rate,
    named_optimizer,
    scale_learning_rate,
    transformation,
    with_learning_rate,
)
from .params import Params
from .targets import check_y, is_classification, predicted_labels, targets, true_labels

GRADS = ("autodiff", "backprop")
# What early stopping, best-params tracking and the adaptive schedule watch; an accuracy is
# watched as its error rate 1 - accuracy, so that lower is better for all of them.
MONITORS = ("auto", "val_loss", "val_accuracy", "train_loss", "train_accuracy")
STEPS_PER_PROGRAM = 4096  # "auto" blocks hold about this many updates
# One gather fetches the rows of several batches, up to this many bytes (about a core's L2
# cache). A gather per step has a fixed cost that dominates small batches (64 features, batch
# 32: 40% of the epoch); batches of this size or more are gathered one at a time, straight
# into the cache the step reads them from: a larger chunk would be copied twice.
GATHER_BYTES = 256 * 2**10


class TrainState(NamedTuple):
    """Everything training needs to continue exactly where it stopped.

    ``best_loss``, ``best_params`` and ``bad_epochs`` track the monitored quantity (``fit``'s
    ``monitor``: a loss, or an error rate ``1 - accuracy``) for early stopping and the
    ``"adaptive"`` schedule; ``best_params`` is ``None`` unless the best params are restored.
    """

    params: Params
    opt_state: optax.OptState
    key: jax.Array  # the stream the epochs' permutations are drawn from
    epoch: jax.Array  # int32: epochs completed
    step: jax.Array  # int32: updates applied
    best_loss: jax.Array
    best_params: Params | None
    bad_epochs: jax.Array  # int32: epochs since the monitored quantity last improved


class DivergenceError(FloatingPointError):
    """Training diverged: a step's loss, or the params or optimizer state after its update,
    became non-finite (inf or nan).

    ``state`` is the ``TrainState`` at the end of the last epoch before it, all finite (at
    epoch 0 if the first epoch diverged), and ``params`` its params: ``fit`` can continue
    from ``state``, e.g. with a smaller learning rate. ``epoch`` and ``step`` name the epoch
    and the update (counted from 1 over the whole run) that diverged, as the message does;
    ``what`` says what became non-finite first: ``"the loss"``, ``"the params after the
    update"`` or ``"the optimizer state"``.
    """

    def __init__(
        self,
        message: str,
        params: Params,
        state: TrainState,
        history: History,
        *,
        epoch: int | None = None,
        step: int | None = None,
        what: str | None = None,
    ):
        super().__init__(message)
        self.params = params
        self.state = state
        self.history = history
        self.epoch = epoch
        self.step = step
        self.what = what


@dataclasses.dataclass
class History:
    """Per-epoch metrics of a ``fit``; each list has one entry per epoch trained.

    ``val_*`` and ``*_accuracy`` are ``nan`` when there is no validation set or no classes;
    ``learning_rate`` is ``nan`` for an optimizer without an injected learning rate;
    ``time`` is wall-clock seconds since the start of ``fit``, compilation excluded;
    ``compile_time`` is the seconds this ``fit`` spent compiling its block of epochs: ``0.0``
    when the program was compiled before, by any ``fit`` with the same program (architecture,
    loss, optimizer, shapes ...) in this process; ``steps`` counts updates.
    """

    epoch: list[int] = dataclasses.field(default_factory=list)
    train_loss: list[float] = dataclasses.field(default_factory=list)
    train_accuracy: list[float] = dataclasses.field(default_factory=list)
    val_loss: list[float] = dataclasses.field(default_factory=list)
    val_accuracy: list[float] = dataclasses.field(default_factory=list)
    learning_rate: list[float] = dataclasses.field(default_factory=list)
    time: list[float] = dataclasses.field(default_factory=list)
    steps: list[int] = dataclasses.field(default_factory=list)
    compile_time: float = 0.0
    best_epoch: int | None = None
    stop_reason: str = "epochs"  # "epochs", "early_stopping", "learning_rate" or "callback"
    state: TrainState | None = dataclasses.field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The metrics as JSON-friendly lists and numbers (without the state)."""
        out = dataclasses.asdict(dataclasses.replace(self, state=None))
        del out["state"]
        return out

    def last(self) -> dict[str, float]:
        """The last epoch's metrics."""
        fields = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy")
        return {f: getattr(self, f)[-1] for f in fields + ("learning_rate", "time", "steps")}


@dataclasses.dataclass(frozen=True)
class Program:
    """The static description of one compiled block of epochs (a ``jax.jit`` static argument).

    Programs are cached by this value: every field is compared by ``==``. ``optimizer`` is a
    description by value (``NamedOptimizer``) or an optax transformation, which compares by
    identity: a new object compiles a new program.
    """

    mlp: MLP
    loss: Loss
    optimizer: NamedOptimizer | optax.GradientTransformation
    grad: str  # "autodiff" or "backprop"
    n: int  # training examples
    batch_size: int  # == n for full-batch gradient descent
    epochs_per_block: int
    classification: bool
    has_validation: bool
    early_stopping: bool
    patience: int
    min_delta: float
    adaptive: bool
    track_best: bool
    mesh: Mesh | None = None  # data parallel: batches split over the mesh's "data" axis
    weight_decay: bool = True  # False when l2 == 0: the step leaves the penalty out
    monitor: str = "train_loss"  # one of MONITORS but "auto"
    # Check the params and optimizer state after every step, not only at the end of each epoch:
    # a pass over them per step (Adam at batch 32 on a 784-256-10 MLP: 30% more CPU time per
    # epoch), so only to replay an epoch that diverged and name its first bad step.
    check_every_step: bool = False

    @property
    def full_batches(self) -> int:
        return self.n // self.batch_size

    @property
    def full_batch(self) -> bool:
        """Full-batch gradient descent: one step per epoch on all ``n`` examples, no shuffle."""
        return self.batch_size == self.n

    @property
    def remainder(self) -> int:
        """Size of the last, smaller batch (0 if the batches divide ``n``)."""
        return self.n % self.batch_size

    @property
    def steps_per_epoch(self) -> int:
        return self.full_batches + (self.remainder > 0)

    def batches_per_gather(self, itemsize: int) -> int:
        """The largest divisor of ``steps_per_epoch`` whose batches' rows fit in
        ``GATHER_BYTES``."""
        row_bytes = (self.mlp.n_inputs + self.mlp.n_outputs) * itemsize
        most = max(1, GATHER_BYTES // (self.batch_size * row_bytes))
        steps = self.steps_per_epoch
        return max(k for k in range(1, min(most, steps) + 1) if steps % k == 0)


def init_state(params: Params, optimizer, key: jax.Array, *, track_best=False) -> TrainState:
    """The ``TrainState`` at epoch 0; ``optimizer`` is an optax transformation or a
    description (``NamedOptimizer``)."""
    dtype = params[0]["W"].dtype
    return TrainState(
        params=params,
        opt_state=transformation(optimizer).init(params),
        key=key,
        epoch=jnp.zeros((), jnp.int32),
        step=jnp.zeros((), jnp.int32),
        best_loss=jnp.asarray(jnp.inf, dtype),
        best_params=params if track_best else None,
        bad_epochs=jnp.zeros((), jnp.int32),
    )


@functools.partial(run_once, static_argnums=(2, 3))
def start_state(
    params: Params, key: jax.Array, optimizer, track_best: bool, learning_rate=None
) -> TrainState:
    """``init_state`` as one program, in new buffers (the compiled block donates them),
    with ``learning_rate`` (a scalar, or ``None``: the optimizer's own) in the state."""
    state = init_state(params, optimizer, key, track_best=track_best)
    if learning_rate is not None:
        state = state._replace(opt_state=with_learning_rate(state.opt_state, learning_rate))
    return copy_state(state)


@run_once
def copy_state(state: TrainState) -> TrainState:
    """A copy of every leaf, in one program: the compiled block donates its input state."""
    return jax.tree.map(jnp.copy, state)


@run_once
def _holdout_and_train_keys(key: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``fit``'s two keys: the validation split's and the engine's."""
    key_holdout, key_train = jax.random.split(key)
    return key_holdout, key_train


def value_and_grad_fn(program: Program) -> Callable:
    """``(params, X, T, l2, weights) -> ((objective, Y_hat), grads)`` by ``jax.grad`` or by
    hand; ``weights: (b,)`` or ``None``, as ``jaxmlp.objective``'s."""
    mlp, loss = program.mlp, program.loss
    if program.grad == "backprop":
        return lambda params, X, T, l2, weights: _value_and_backprop(
            mlp, params, X, T, loss, l2, weights
        )
    value_and_grad = jax.value_and_grad(_objective_and_outputs, argnums=1, has_aux=True)
    return lambda params, X, T, l2, weights: value_and_grad(mlp, params, X, T, loss, l2, weights)


def train_step(program: Program, params, opt_state, X, T, l2, weights=None):
    """One update on the batch ``X: (b, d)``, ``T: (b, c)``; rows of ``weights: (b,)`` 0
    are padding and take no part.

    Returns ``(params, opt_state, loss, n_correct)``, whether finite or not: the epoch
    checks them (``_nonfinite``) and falls back to its starting state if one is not.
    """
    (value, Y_hat), grads = value_and_grad_fn(program)(params, X, T, l2, weights)
    optimizer = transformation(program.optimizer)
    extra = {}
    if isinstance(optimizer, optax.GradientTransformationExtraArgs):
        # L-BFGS's line search evaluates the objective; other optimizers ignore these.
        extra = dict(
            value=value,
            grad=grads,
            value_fn=lambda p: _objective(program.mlp, p, X, T, program.loss, l2, weights),
        )
    updates, opt_state = optimizer.update(grads, opt_state, params, **extra)
    params = optax.apply_updates(params, updates)
    n_correct = jnp.zeros((), jnp.int32)
    if program.classification:
        correct = predicted_labels(Y_hat) == true_labels(T)
        if weights is not None:
            correct = correct & (weights > 0)
        n_correct = jnp.sum(correct, dtype=jnp.int32)
    return params, opt_state, value, n_correct


class _EpochMetrics(NamedTuple):
    train_loss: jax.Array
    train_accuracy: jax.Array
    val_loss: jax.Array
    val_accuracy: jax.Array
    learning_rate: jax.Array
    ran: jax.Array  # bool: the epoch was trained (False past the end or after a stop)
    steps: jax.Array  # int32: updates applied by the end of the epoch
    first_bad_step: jax.Array  # int32: the first step (0-based, over the run) that diverged, or -1
    stop: jax.Array  # int32: 0 go on, 1 early stopping, 2 learning rate too small, 3 diverged
    nonfinite: jax.Array  # int32: what that step made non-finite (NONFINITE), or 0


# What a diverging step made non-finite, by _EpochMetrics.nonfinite's code.
NONFINITE = {1: "the loss", 2: "the params after the update", 3: "the optimizer state"}


def _all_finite(leaves) -> jax.Array:
    """Whether every float array in ``leaves`` is finite: one reduction per array, on the device."""
    checks = [jnp.all(jnp.isfinite(x)) for x in leaves if jnp.issubdtype(x.dtype, jnp.inexact)]
    return jnp.all(jnp.stack(checks)) if checks else jnp.asarray(True)


def _nonfinite(value, params, opt_state) -> jax.Array:
    """int32: 0 if the step's loss, the params and the optimizer state are finite, else the
    ``NONFINITE`` code of the first that is not.

    The optimizer state's scalars are left out: some are infinite by design (a line search's
    last value and errors start at inf); its arrays (moments, memories) are checked, since an
    overflowing second moment freezes training while the params stay finite.
    """
    arrays = [x for x in jax.tree.leaves(opt_state) if jnp.ndim(x) > 0]
    codes = [~jnp.isfinite(value), ~_all_finite(jax.tree.leaves(params)), ~_all_finite(arrays)]
    return jnp.select(codes, [jnp.int32(1), jnp.int32(2), jnp.int32(3)], jnp.int32(0))


def _shard_batch(program: Program, batch):
    """With a mesh, the batch's rows are split over the devices (a full batch that does not
    divide is left to XLA); params stay replicated and XLA all-reduces the gradient."""
    if program.mesh is None or batch.shape[0] % program.mesh.shape[parallel.DATA_AXIS]:
        return batch
    return jax.lax.with_sharding_constraint(batch, parallel.batch_sharded(program.mesh))


def _run_epoch(program: Program, state: TrainState, data, l2):
    """One epoch: a scan over the batches of a fresh permutation, then the epoch's bookkeeping."""
    X, T, X_val, T_val = data
    if program.full_batch:
        # Nothing to shuffle: the key stays. The threefry split it saves took 5-15% of
        # the step of bench_sweep's 32 small regressors.
        key = key_perm = state.key
    else:
        key, key_perm = jax.random.split(state.key)
    B, dtype = program.batch_size, X.dtype
    if not program.weight_decay:
        l2 = 0.0  # a Python zero: no penalty and no l2·W term in the compiled step

    def step(carry, batch):
        params, opt_state, loss_sum, correct, first_bad, nonfinite, step_count = carry
        X_batch, T_batch, weights = batch
        X_batch, T_batch = _shard_batch(program, X_batch), _shard_batch(program, T_batch)
        params, opt_state, value, n_correct = train_step(
            program, params, opt_state, X_batch, T_batch, l2, weights
        )
        # The first step whose loss (or, when checked, params or optimizer state) is not
        # finite: a flag reduced on the device; the epoch then keeps its starting state.
        if program.check_every_step:
            code = _nonfinite(value, params, opt_state)
        else:
            code = jnp.where(jnp.isfinite(value), 0, 1).astype(jnp.int32)
        nonfinite = jnp.where(first_bad < 0, code, nonfinite)
        first_bad = jnp.where((first_bad < 0) & (nonfinite > 0), step_count, first_bad)
        examples = X_batch.shape[0] if weights is None else jnp.sum(weights)
        carry = (
            params,
            opt_state,
            loss_sum + value * examples,
            correct + n_correct,
            first_bad,
            nonfinite,
            step_count + 1,
        )
        return carry, None

    carry = (
        state.params,
        state.opt_state,
        jnp.zeros((), dtype),
        jnp.zeros((), jnp.int32),
        jnp.asarray(-1, jnp.int32),
        jnp.zeros((), jnp.int32),
        state.step,
    )
    if program.full_batch:
        carry, _ = step(carry, (X, T, None))
    else:
        steps, K = program.steps_per_epoch, program.batches_per_gather(X.dtype.itemsize)
        rows = shuffle.permutation(key_perm, program.n)
        weights = None
        if program.remainder:
            # The last, smaller batch (as PyTorch's drop_last=False) is padded to B rows
            # that weigh 0: every batch has one shape, so the step is compiled once.
            padding = steps * B - program.n
            rows = jnp.concatenate([rows, jnp.zeros(padding, rows.dtype)])
            weights = (jnp.arange(steps * B) < program.n).astype(dtype).reshape(-1, K, B)

        def gather_and_train(carry, chunk):
            rows, weights = chunk
            rows = rows.reshape(-1)  # the K batches' rows, in order: (K B,)
            batches = (X[rows].reshape(K, B, -1), T[rows].reshape(K, B, -1), weights)
            return jax.lax.scan(step, carry, batches)[0], None

        carry, _ = jax.lax.scan(gather_and_train, carry, (rows.reshape(-1, K, B), weights))
    params, opt_state, loss_sum, correct, first_bad, nonfinite, step_count = carry
    if not program.check_every_step:
        # Once a param or a moment is inf or nan, the updates keep it so: checking them once
        # per epoch finds every epoch that diverged (its first bad step is found by a replay,
        # ``_first_bad_step``). The loss is checked at every step above, for free.
        end = _nonfinite(jnp.zeros((), dtype), params, opt_state)
        first_bad = jnp.where((first_bad < 0) & (end > 0), step_count - 1, first_bad)
        nonfinite = jnp.where(nonfinite > 0, nonfinite, end)
    diverged = first_bad >= 0

    train_loss = loss_sum / program.n
    train_accuracy = correct / program.n if program.classification else jnp.nan
    val_loss = val_accuracy = jnp.asarray(jnp.nan, dtype)
    if program.has_validation:
        val_loss, Y_hat = _objective_and_outputs(
            program.mlp, params, X_val, T_val, program.loss, l2
        )
        if program.classification:
            val_accuracy = jnp.mean(predicted_labels(Y_hat) == true_labels(T_val))

    monitored = {
        "train_loss": train_loss,
        "val_loss": val_loss,
        "train_accuracy": 1 - train_accuracy,
        "val_accuracy": 1 - val_accuracy,
    }[program.monitor]
    # As scikit-learn: patience counts epochs without a min_delta improvement, while the
    # best params follow every improvement.
    improved = monitored < state.best_loss
    bad_epochs = jnp.where(monitored < state.best_loss - program.min_delta, 0, state.bad_epochs + 1)
    stop = jnp.zeros((), jnp.int32)
    if program.adaptive:
        shrink = bad_epochs >= program.patience
        opt_state = jax.lax.cond(
            shrink,
            lambda s: scale_learning_rate(s, 1 / ADAPTIVE_FACTOR),
            lambda s: s,
            opt_state,
        )
        bad_epochs = jnp.where(shrink, 0, bad_epochs)
        stop = jnp.where(current_learning_rate(opt_state) < ADAPTIVE_MIN_LR, 2, stop)
    elif program.early_stopping:
        stop = jnp.where(bad_epochs >= program.patience, 1, stop)
    best_params = state.best_params
    if program.track_best:
        best_params = jax.tree.map(
            lambda new, old: jnp.where(improved, new, old), params, best_params
        )
    lr = current_learning_rate(opt_state)
    new_state = TrainState(
        params=params,
        opt_state=opt_state,
        key=key,
        epoch=state.epoch + 1,
        step=step_count,
        best_loss=jnp.minimum(monitored, state.best_loss),
        best_params=best_params,
        bad_epochs=bad_epochs,
    )
    # A diverged epoch leaves the state as it found it: every state that leaves the program
    # (to a checkpoint, a DivergenceError, a fit_many member) is finite and at an epoch's end.
    # One select per leaf per epoch, not per step.
    state = jax.tree.map(lambda old, new: jax.lax.select(diverged, old, new), state, new_state)
    nan = jnp.asarray(jnp.nan, dtype)
    metrics = _EpochMetrics(
        # A diverged epoch has no metrics: its params are not kept.
        train_loss=jnp.where(diverged, nan, train_loss),
        train_accuracy=jnp.where(diverged, nan, jnp.asarray(train_accuracy, dtype)),
        val_loss=jnp.where(diverged, nan, val_loss),
        val_accuracy=jnp.where(diverged, nan, jnp.asarray(val_accuracy, dtype)),
        learning_rate=jnp.asarray(jnp.nan if lr is None else lr, dtype),
        ran=jnp.asarray(True),
        steps=step_count,
        first_bad_step=first_bad,
        stop=jnp.where(diverged, 3, stop),
        nonfinite=nonfinite,
    )
    return state, metrics


def _skip_epoch(program: Program, state: TrainState, data, l2):
    dtype = data[0].dtype
    nan = jnp.asarray(jnp.nan, dtype)
    minus_one = jnp.asarray(-1, jnp.int32)
    zero = jnp.int32(0)
    return state, _EpochMetrics(
        nan, nan, nan, nan, nan, jnp.asarray(False), state.step, minus_one, zero, zero
    )


def _run_block(program: Program, state: TrainState, data, l2, last_epoch):
    """``program.epochs_per_block`` epochs, skipping those past ``last_epoch`` or a stop."""

    def epoch(carry, _):
        state, stopped = carry
        active = (state.epoch < last_epoch) & ~stopped
        state, metrics = jax.lax.cond(
            active,
            lambda s: _run_epoch(program, s, data, l2),
            lambda s: _skip_epoch(program, s, data, l2),
            state,
        )
        return (state, stopped | (metrics.stop > 0)), _pack(metrics)

    (state, _), packed = jax.lax.scan(
        epoch, (state, jnp.asarray(False)), None, length=program.epochs_per_block
    )
    return state, _unpack(*packed)


# The scan writes each epoch's metrics as two rows, floats and ints, rather than nine
# scalars: each scanned-out array is one more update per epoch. On the CPU, a 1-64-1 model's
# full-batch epoch took 18-20 µs with nine and 15 µs with two.
def _pack(metrics: _EpochMetrics) -> tuple[jax.Array, jax.Array]:
    """An epoch's metrics as ``(floats (5,), ints (5,))``."""
    floats = jnp.stack(metrics[:5])
    ints = jnp.stack([metrics.ran.astype(jnp.int32), *metrics[6:]])
    return floats, ints


def _unpack(floats: jax.Array, ints: jax.Array) -> _EpochMetrics:
    """``_pack``'s inverse for a block: ``(E, 5), (E, 5)`` -> fields of shape ``(E,)``."""
    return _EpochMetrics(*floats.T, ints[:, 0].astype(bool), *ints[:, 1:].T)


run_block = cached_jit(_run_block, static_argnums=(0,), donate_argnums=(1,))


def fit(
    mlp: MLP,
    params: Params | TrainState,
    X,
    y,
    *,
    key: jax.Array,
    loss: str | Loss = "mse",
    optimizer: str | optax.GradientTransformation = "sgd",
    learning_rate: float = 0.1,
    schedule: str = "constant",
    batch_size: int | None = None,
    epochs: int = 100,
    l2: float = 0.0,
    grad: str = "autodiff",
    validation: tuple | None = None,
    validation_fraction: float | None = None,
    early_stopping: bool = False,
    patience: int = 10,
    min_delta: float = 1e-4,
    restore_best: bool = True,
    monitor: str = "auto",
    callback: Callable[[int, dict], bool | None] | None = None,
    epochs_per_program: int | str = "auto",
    mesh: Mesh | int | None = None,
) -> tuple[Params, History]:
    """Trains ``mlp`` from ``params`` on ``(X, y)``.

    Args:
      mlp: the architecture.
      params: initial params, or a ``TrainState`` (``history.state`` of an earlier ``fit``
        or a loaded checkpoint) to continue from; ``epochs`` counts from epoch 0 then too.
        Training runs in their dtype; float64 params need 64-bit JAX
        (``jax_enable_x64``) and are refused without it, as ``init_params`` refuses them.
      X: ``(n, d)`` inputs: a dense array of floats, integers or bools, taken value for value
        in the params' dtype, every value finite and within its range. ``uint8`` is refused:
        pass ``X / 255`` for 8-bit pixels (as ``jaxmlp.data.load`` scales them) or
        ``X.astype(np.float32)``. A ``scipy.sparse`` matrix is refused: pass ``X.toarray()``.
      y: ``(n,)`` integer class labels in ``[0, c)`` (0/1 when ``c = 1``), one-hot encoded
        for the loss, or ``(n, c)`` real targets: with ``"cross_entropy"`` each row a
        probability distribution (values ``>= 0`` summing to 1), with
        ``"binary_cross_entropy"`` values in ``[0, 1]``.
      key: PRNG key for the epochs' permutations and the validation split.
      loss: ``"mse"``, ``"cross_entropy"`` or ``"binary_cross_entropy"``.
      optimizer: a name in ``jaxmlp.optimizers.OPTIMIZERS`` (with ``learning_rate`` and
        ``schedule``) or any optax ``GradientTransformation``. The training program is
        compiled once per process for a name, its schedule and the shapes (a new
        ``learning_rate`` or ``l2`` needs none with a constant or adaptive schedule); for
        an optax object, once per object: reuse the object to reuse the program.
      learning_rate: initial learning rate of a named optimizer.
      schedule: ``"constant"``, ``"invscaling"``, ``"cosine"`` or ``"adaptive"``.
      batch_size: ``None`` for full-batch gradient descent, ``1`` for SGD, ``k`` for
        mini-batches. When ``k`` does not divide ``n`` the last batch of each epoch is
        smaller, never dropped: its update is the mean over its own examples (it is padded
        to ``k`` rows of weight 0, so that every step has one shape).
      epochs: the epoch to train up to (a maximum with early stopping).
      l2: weight decay, ``l2/2 Σ‖W‖²`` added to the objective.
      grad: ``"autodiff"`` (``jax.grad``) or ``"backprop"`` (the hand-written gradients).
      validation: ``(X_val, y_val)`` held-out data, evaluated after every epoch.
      validation_fraction: or hold out this fraction of ``(X, y)``, stratified for classes.
      early_stopping: stop when the monitored quantity has not improved by ``min_delta``
        for ``patience`` epochs.
      restore_best: with early stopping, return the params of the best monitored epoch.
      monitor: what early stopping, ``restore_best`` and the ``"adaptive"`` schedule watch:
        ``"val_loss"``, ``"val_accuracy"``, ``"train_loss"`` or ``"train_accuracy"``;
        ``"auto"`` is the validation loss if there is a validation set, else the training
        loss. An accuracy is watched as its error rate ``1 - accuracy`` (``min_delta`` is in
        those units); as scikit-learn's early stopping, ``"val_accuracy"`` keeps training
        while the validation accuracy rises after the validation loss has bottomed out.
      callback: called after every epoch as ``callback(epoch, metrics)``; returning
        ``True`` pauses training: the params are not restored to the best epoch, so that
        ``fit`` continues ``history.state`` exactly.
      epochs_per_program: epochs per compiled block; ``"auto"`` picks about
        ``STEPS_PER_PROGRAM`` updates per block, at most the epochs left to train. The
        callback runs at the end of a block.
      mesh: data parallelism: a ``jax.sharding.Mesh`` with a ``"data"`` axis (see
        ``jaxmlp.parallel.data_mesh``) or a number of devices. Every batch is split over
        the devices; the data, params and optimizer state are replicated. ``batch_size``
        must be a multiple of the number of devices.

    Returns:
      ``(params, history)``; ``history.state`` is the final ``TrainState``.

    Raises:
      DivergenceError: a step's loss, or the params or optimizer state after its update,
        became non-finite; it names the epoch and step, and carries the state at the end of
        the epoch before, which is finite (the check runs on the device, with the loss's).
    """
    checks.check_mlp(mlp)
    state = params if isinstance(params, TrainState) else None
    params = state.params if state is not None else params
    dtype = checks.check_params(mlp, params)
    loss = get_loss(loss, mlp.output_activation.name)
    check_training_args(epochs=epochs, grad=grad, patience=patience, min_delta=min_delta)
    l2 = checks.check_l2(l2)
    key_holdout, key_train = _holdout_and_train_keys(checks.check_key(key))
    data, classification = prepare_data(
        mlp, X, y, dtype, key_holdout, validation, validation_fraction, loss
    )
    X, T, X_val, T_val = data
    n = X.shape[0]
    monitor = resolve_monitor(
        monitor, has_validation=X_val.shape[0] > 0, classification=classification
    )

    batch_size, steps_per_epoch = batch_sizes(batch_size, n)
    initial_learning_rate = None  # the optimizer's own
    if isinstance(optimizer, str):
        if optimizer == "lbfgs" and batch_size != n:
            raise ValueError(
                f"optimizer='lbfgs' is full-batch: batch_size must be None, got {batch_size}"
            )
        adaptive = schedule == "adaptive"
        optimizer, initial_learning_rate = named_optimizer(
            optimizer, learning_rate, schedule, epochs * steps_per_epoch
        )
    elif isinstance(optimizer, optax.GradientTransformation):
        adaptive = False
    else:
        raise TypeError(
            "optimizer must be a name or an optax.GradientTransformation, "
            f"got {type(optimizer).__name__}"
        )
    # A block of the epochs left, not of all: a continued run (partial_fit) needs no
    # longer program each call.
    epochs_left = epochs - (0 if state is None else int(state.epoch))
    epochs_per_program = epochs_per_block(epochs_per_program, epochs_left, steps_per_epoch)

    if mesh is not None:
        mesh = mesh if isinstance(mesh, Mesh) else parallel.data_mesh(mesh)
        parallel.check_batch_divides(batch_size, mesh)
    program = Program(
        mlp=mlp,
        loss=loss,
        optimizer=optimizer,
        grad=grad,
        n=n,
        batch_size=batch_size,
        epochs_per_block=epochs_per_program,
        classification=classification,
        has_validation=X_val.shape[0] > 0,
        early_stopping=early_stopping,
        patience=patience,
        min_delta=float(min_delta),
        adaptive=adaptive,
        track_best=early_stopping and restore_best,
        mesh=mesh,
        weight_decay=l2 > 0,
        monitor=monitor,
    )
    if state is None:
        if initial_learning_rate is not None:  # rounded on the host, as optax would
            initial_learning_rate = np.asarray(initial_learning_rate, dtype)
        state = start_state(params, key_train, optimizer, program.track_best, initial_learning_rate)
    else:
        state = copy_state(state)
    if mesh is not None:
        state, data = parallel.replicate((state, data), mesh)
    return _train(program, state, data, l2, epochs, callback)


def check_training_args(*, epochs, grad, patience, min_delta) -> None:
    """The checks of ``fit``'s (and ``fit_many``'s) scalar training arguments."""
    _check_positive_int(epochs, "epochs")
    if grad not in GRADS:
        raise ValueError(f"grad={grad!r} is not known; choose one of {GRADS}")
    _check_positive_int(patience, "patience")
    if not isinstance(min_delta, numbers.Real) or min_delta < 0:
        raise ValueError(f"min_delta={min_delta!r} must be a number >= 0")


def prepare_data(
    mlp: MLP, X, y, dtype, key_holdout, validation, validation_fraction, loss: Loss | None = None
):
    """``((X, T, X_val, T_val), classification)``: checked, split, one-hot, in ``dtype``.

    Without a validation set, ``X_val`` and ``T_val`` have 0 rows. Real targets are checked
    against what ``loss`` needs of them (a distribution per row for cross-entropy).
    """
    X = checks.check_inputs(mlp, X, dtype=dtype)
    classification = is_classification(y)
    check_y(mlp, y, X.shape[0], dtype=dtype, loss=loss)  # before splitting it: its row numbers
    if validation is not None and validation_fraction is not None:
        raise ValueError("give either validation=(X_val, y_val) or validation_fraction, not both")
    if validation_fraction is not None:
        if not isinstance(validation_fraction, numbers.Real) or not 0 < validation_fraction < 1:
            raise ValueError(f"validation_fraction={validation_fraction!r} must be in (0, 1)")
        fractions = (1 - validation_fraction, validation_fraction)
        (X, y), validation = split(key_holdout, X, y, fractions, stratify=classification)
    T = targets(mlp, y, X.shape[0], dtype)
    X = checks.to_device(X, dtype)
    # Made on the host, not sliced on the device: an eager slice compiles a program per shape.
    X_val = checks.to_device(np.zeros((0, X.shape[1])), dtype)
    T_val = checks.to_device(np.zeros((0, T.shape[1])), dtype)
    if validation is not None:
        if not isinstance(validation, tuple | list) or len(validation) != 2:
            raise ValueError("validation must be a pair (X_val, y_val)")
        X_val = checks.check_inputs(mlp, validation[0], name="X_val", dtype=dtype)
        X_val = checks.to_device(X_val, dtype)
        if is_classification(validation[1]) != classification:
            raise ValueError("y_val must be of the same kind as y (class labels or targets)")
        T_val = targets(mlp, validation[1], X_val.shape[0], dtype, name="y_val", loss=loss)
    return (X, T, X_val, T_val), classification


def batch_sizes(batch_size: int | None, n: int) -> tuple[int, int]:
    """``(batch_size, steps_per_epoch)``: ``None`` is the full batch ``n``."""
    if batch_size is None:
        batch_size = n
    else:
        _check_positive_int(batch_size, "batch_size")
        batch_size = min(batch_size, n)
    return batch_size, math.ceil(n / batch_size)


def epochs_per_block(epochs_per_program: int | str, epochs: int, steps_per_epoch: int) -> int:
    """Epochs per compiled block: ``"auto"`` is about ``STEPS_PER_PROGRAM`` updates, at most
    ``epochs`` (those to train)."""
    if epochs_per_program == "auto":
        epochs_per_program = max(1, min(epochs, STEPS_PER_PROGRAM // steps_per_epoch))
    _check_positive_int(epochs_per_program, "epochs_per_program")
    return epochs_per_program


def _train(program: Program, state: TrainState, data, l2, epochs: int, callback) -> tuple:
    """Runs blocks of epochs until ``epochs`` or a stop, collecting the history."""
    history = History()
    last_epoch = jax.device_put(np.int32(epochs))
    compiled, history.compile_time = run_block.program(program, state, data, l2, last_epoch)
    start = time.perf_counter()
    block_start_time = 0.0
    while int(state.epoch) < epochs:
        first_epoch = int(state.epoch)
        state, metrics = compiled(program, state, data, l2, last_epoch)
        metrics = jax.device_get(metrics)
        elapsed = time.perf_counter() - start
        ran = np.flatnonzero(metrics.ran)
        stop = 0
        for i, index in enumerate(ran):
            epoch = first_epoch + i + 1
            stop = int(metrics.stop[index])
            history.epoch.append(epoch)
            for field in _RECORDED:
                getattr(history, field).append(float(getattr(metrics, field)[index]))
            history.steps.append(int(metrics.steps[index]))
            # The block's wall time, spread evenly over its epochs.
            history.time.append(
                block_start_time + (elapsed - block_start_time) * (i + 1) / len(ran)
            )
            if stop == 3:
                raise _divergence(program, state, data, l2, metrics, index, epoch, history)
            # Early stopping at this epoch is the reason to stop, whatever the callback says.
            if callback is not None and callback(epoch, history.last()) and not stop:
                stop = 4
                break
        block_start_time = elapsed
        if stop:
            history.stop_reason = {1: "early_stopping", 2: "learning_rate", 4: "callback"}[stop]
            break
        if not len(ran):
            break
    # A stop by the callback is a pause (e.g. to save a checkpoint): keep the state as it is.
    if program.track_best and history.train_loss and history.stop_reason != "callback":
        history.best_epoch = _best_epoch(history, program)
        state = state._replace(params=state.best_params)
    history.state = state
    return state.params, history


_RECORDED = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "learning_rate")


def resolve_monitor(monitor, *, has_validation: bool, classification: bool) -> str:
    """``monitor`` checked against the data, with ``"auto"`` made explicit."""
    if monitor not in MONITORS:
        raise ValueError(f"monitor={monitor!r} is not known; choose one of {MONITORS}")
    if monitor == "auto":
        return "val_loss" if has_validation else "train_loss"
    if monitor.startswith("val_") and not has_validation:
        raise ValueError(
            f"monitor={monitor!r} needs a validation set: pass validation=(X_val, y_val) "
            "or validation_fraction"
        )
    if monitor.endswith("_accuracy") and not classification:
        raise ValueError(
            f"monitor={monitor!r} needs class labels y; with real targets watch a loss"
        )
    return monitor


def monitored_values(monitor: str, values) -> np.ndarray:
    """The recorded ``values`` of ``monitor`` as the monitored quantity: lower is better."""
    values = np.asarray(values)
    return 1 - values if monitor.endswith("_accuracy") else values


def _best_epoch(history: History, program: Program) -> int:
    monitored = monitored_values(program.monitor, getattr(history, program.monitor))
    return history.epoch[int(np.nanargmin(monitored))]


def _divergence(program, state, data, l2, metrics, index, epoch, history) -> DivergenceError:
    """The error for epoch ``epoch`` (``metrics``' row ``index``), which diverged; ``state``
    is the state the program kept: that of the epoch before."""
    finite = [v for v in history.train_loss[:-1] if np.isfinite(v)]
    last = f"{finite[-1]:.6g}" if finite else "none (the very first epoch)"
    step, code = _first_bad_step(program, state, data, l2)
    if step < 0:  # not reproduced: what the epoch's own checks saw
        step, code = int(metrics.first_bad_step[index]), int(metrics.nonfinite[index])
    step += 1
    what = NONFINITE[code]
    kept = int(state.epoch)
    message = (
        f"training diverged at epoch {epoch}, step {step}: {what} became non-finite (inf or "
        f"nan); the last finite epoch loss was {last}. The error keeps the state of epoch "
        f"{kept}{' (the initial state)' if kept == 0 else ''}. Try a smaller learning rate."
    )
    history.state = state
    return DivergenceError(message, state.params, state, history, epoch=epoch, step=step, what=what)


def _first_bad_step(program: Program, state: TrainState, data, l2) -> tuple[int, int]:
    """``(step, NONFINITE code)``: the first step (0-based, over the run) of the epoch after
    ``state`` whose loss, params or optimizer state is not finite, or ``(-1, 0)``.

    Replays that epoch from ``state`` with every step checked: the same arithmetic, so the
    same steps, in a program compiled only when a run diverges.
    """
    replay = dataclasses.replace(program, epochs_per_block=1, check_every_step=True)
    last_epoch = jax.device_put(np.int32(int(state.epoch) + 1))
    _, metrics = run_block(replay, copy_state(state), data, l2, last_epoch)
    metrics = jax.device_get(metrics)
    return int(metrics.first_bad_step[0]), int(metrics.nonfinite[0])


def _check_positive_int(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name}={value!r} must be a positive integer")

"""A block of epochs in one program: each a scan over the batches of a fresh permutation.

The data stay on the device, and divergence, early stopping and the adaptive schedule are
decided there: the host sees each epoch's metrics at the end of a block, and nothing waits.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from ..compiling import cached_jit, small_work_options
from ..targets import predicted_labels, true_labels
from . import lbfgs, parallel, shuffle
from .optimizers import ADAPTIVE_FACTOR, ADAPTIVE_MIN_LR, current_learning_rate, scale_learning_rate
from .program import Program
from .state import StopReason, TrainState
from .step import nonzero, objective_and_outputs, shard_batch, train_step

# The state's key folded with this gives the stream of the dropout masks.
DROPOUT_STREAM = 1
# What a diverging step made non-finite, by EpochMetrics.nonfinite's code.
NONFINITE = {1: "the loss", 2: "the params after the update", 3: "the optimizer state"}


class EpochMetrics(NamedTuple):
    train_loss: jax.Array
    train_accuracy: jax.Array
    val_loss: jax.Array
    val_accuracy: jax.Array
    learning_rate: jax.Array
    ran: jax.Array  # bool: the epoch was trained (False past the end or after a stop)
    steps: jax.Array  # int32: updates applied by the end of the epoch
    first_bad_step: jax.Array  # int32: the first step (0-based, over the run) that diverged, or -1
    stop: jax.Array  # int32: a StopReason's code, 0 to go on
    nonfinite: jax.Array  # int32: what that step made non-finite (NONFINITE), or 0


def nonfinite_code(value, params, opt_state) -> jax.Array:
    """int32: the ``NONFINITE`` code of the first of loss, params, optimizer state not finite, or 0.
    The state's scalars are left out (a line search starts at inf); its arrays are checked, as
    an overflowing second moment freezes training with finite params."""

    def finite(leaves):
        ok = [jnp.all(jnp.isfinite(x)) for x in leaves if jnp.issubdtype(x.dtype, jnp.inexact)]
        return jnp.all(jnp.stack(ok)) if ok else jnp.asarray(True)

    arrays = [x for x in jax.tree.leaves(opt_state) if jnp.ndim(x) > 0]
    bad = [~jnp.isfinite(value), ~finite(jax.tree.leaves(params)), ~finite(arrays)]
    return jnp.select(bad, [jnp.int32(1), jnp.int32(2), jnp.int32(3)], jnp.int32(0))


def train_batches(program: Program, state: TrainState, key, data, l2):
    """The updates: ``(params, opt_state, loss_sum, correct, first_bad, nonfinite, step)``;
    with example weights ``w``, ``loss_sum`` and ``correct`` are weighted sums."""
    X, T, _, _, w, _ = data
    B, dtype = program.batch_size, X.dtype
    # Each step's dropout masks from its own key, the state's folded with the step's number:
    # a resumed run draws the same masks.
    key_dropout = jax.random.fold_in(state.key, DROPOUT_STREAM) if program.dropout else None

    def step(carry, batch):
        params, opt_state, loss_sum, correct, first_bad, nonfinite, step_count = carry
        X_batch, T_batch, weights = batch
        X_batch, T_batch = shard_batch(program, X_batch), shard_batch(program, T_batch)
        step_key = None if key_dropout is None else jax.random.fold_in(key_dropout, step_count)
        params, opt_state, value, n_correct = train_step(
            program, params, opt_state, X_batch, T_batch, l2, weights, step_key
        )
        if program.check_every_step:
            code = nonfinite_code(value, params, opt_state)
        else:  # the loss is at hand; params and moments are checked once, at the epoch's end
            code = jnp.where(jnp.isfinite(value), 0, 1).astype(jnp.int32)
        nonfinite = jnp.where(first_bad < 0, code, nonfinite)
        first_bad = jnp.where((first_bad < 0) & (nonfinite > 0), step_count, first_bad)
        examples = X_batch.shape[0] if weights is None else jnp.sum(weights)
        loss_sum = loss_sum + value * examples
        return (params, opt_state, loss_sum, correct + n_correct, first_bad, nonfinite,
                step_count + 1), None  # fmt: skip

    zero, int_zero = jnp.zeros((), dtype), jnp.zeros((), jnp.int32)
    minus_one = jnp.asarray(-1, jnp.int32)
    correct = zero if program.weighted else int_zero
    carry = (state.params, state.opt_state, zero, correct, minus_one, int_zero, state.step)
    if program.full_batch:
        return step(carry, (augmented(program, key, state.step, X), T, w))[0]
    steps, K = program.steps_per_epoch, program.batches_per_gather(X.dtype.itemsize)
    if program.shuffle:
        rows = shuffle.permutation(key, program.n)
    else:
        rows = jnp.arange(program.n, dtype=jnp.int32)
    weights = None
    if program.remainder:
        # The last, smaller batch is padded to B rows that weigh 0: one shape, one compile.
        rows = jnp.concatenate([rows, jnp.zeros(steps * B - program.n, rows.dtype)])
        weights = (jnp.arange(steps * B) < program.n).astype(dtype).reshape(-1, K, B)

    def gather_and_train(carry, chunk):
        rows, weights = chunk
        rows = rows.reshape(-1)  # the K batches' rows, in order: (K B,)
        if w is not None:  # the examples' weights, times the padding's 0 or 1
            weights = w[rows].reshape(K, B) * (1 if weights is None else weights)
        X_rows = augmented(program, key, carry[-1], X[rows])
        batches = (X_rows.reshape(K, B, -1), T[rows].reshape(K, B, -1), weights)
        return jax.lax.scan(step, carry, batches)[0], None

    return jax.lax.scan(gather_and_train, carry, (rows.reshape(-1, K, B), weights))[0]


def augmented(program: Program, key, step_count, X_rows):
    """``X_rows`` through ``program.augment``, with a key of the epoch's ``key`` and the first
    step they train: each gather its own draws, the same ones on a resume."""
    if program.augment is None:
        return X_rows
    return program.augment(jax.random.fold_in(key, step_count), X_rows)


def watch(program: Program, state: TrainState, monitored, opt_state):
    """Early stopping and the adaptive schedule: ``(opt_state, bad_epochs, improved, stop)``."""
    # As scikit-learn: patience counts epochs without a min_delta gain; best params follow any.
    improved = monitored < state.best_loss
    bad_epochs = jnp.where(monitored < state.best_loss - program.min_delta, 0, state.bad_epochs + 1)
    stop = jnp.zeros((), jnp.int32)
    if program.adaptive:
        shrink = bad_epochs >= program.patience
        opt_state = jax.lax.cond(
            shrink, lambda s: scale_learning_rate(s, 1 / ADAPTIVE_FACTOR), lambda s: s, opt_state
        )
        bad_epochs = jnp.where(shrink, 0, bad_epochs)
        low = current_learning_rate(opt_state) < ADAPTIVE_MIN_LR
        stop = jnp.where(low, StopReason.LEARNING_RATE.code, stop)
    elif program.early_stopping:
        stop = jnp.where(bad_epochs >= program.patience, StopReason.EARLY_STOPPING.code, stop)
    return opt_state, bad_epochs, improved, stop


def run_epoch(program: Program, state: TrainState, data, l2):
    """One epoch and its bookkeeping; a diverged epoch keeps the state it started from."""
    X, _, X_val, T_val, w, w_val = data
    if program.full_batch:  # nothing to shuffle: the key stays, and its split is saved
        key = key_perm = state.key
    else:
        key, key_perm = jax.random.split(state.key)
    if not program.weight_decay:
        l2 = 0.0
    params, opt_state, loss_sum, correct, first_bad, nonfinite, step_count = train_batches(
        program, state, key_perm, data, l2
    )
    dtype = X.dtype
    if not program.check_every_step:
        # Non-finite params or moments stay so: a check per epoch finds it (a replay, the step).
        end = nonfinite_code(jnp.zeros((), dtype), params, opt_state)
        first_bad = jnp.where((first_bad < 0) & (end > 0), step_count - 1, first_bad)
        nonfinite = jnp.where(nonfinite > 0, nonfinite, end)
    diverged = first_bad >= 0

    total = program.n if w is None else nonzero(jnp.sum(w))
    train_loss = loss_sum / total
    train_accuracy = correct / total if program.classification else jnp.nan
    val_loss = val_accuracy = jnp.asarray(jnp.nan, dtype)
    if program.has_validation:
        val_loss, Y_hat = objective_and_outputs(program, params, X_val, T_val, l2, w_val)
        if program.classification:
            correct = predicted_labels(Y_hat) == true_labels(T_val)
            if w_val is None:
                val_accuracy = jnp.mean(correct)
            else:
                val_accuracy = jnp.dot(w_val, correct.astype(dtype)) / nonzero(jnp.sum(w_val))
    monitored = {
        "train_loss": train_loss,
        "val_loss": val_loss,
        "train_accuracy": 1 - train_accuracy,
        "val_accuracy": 1 - val_accuracy,
    }[program.monitor]
    opt_state, bad_epochs, improved, stop = watch(program, state, monitored, opt_state)
    verdict = lbfgs.stop_code(opt_state)  # None: the optimizer never decides to stop
    if verdict is not None:
        codes = jnp.array([0, StopReason.CONVERGED.code, StopReason.EVALUATIONS.code], jnp.int32)
        stop = jnp.where(stop > 0, stop, codes[verdict])
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
    # Only finite, epoch-end states leave the program: one select per leaf per epoch, not step.
    state = jax.tree.map(lambda old, new: jax.lax.select(diverged, old, new), state, new_state)
    nan = jnp.asarray(jnp.nan, dtype)
    values = (train_loss, train_accuracy, val_loss, val_accuracy)
    metrics = EpochMetrics(  # a diverged epoch has no metrics: its params are not kept
        *(jnp.where(diverged, nan, jnp.asarray(value, dtype)) for value in values),
        learning_rate=jnp.asarray(jnp.nan if lr is None else lr, dtype),
        ran=jnp.asarray(True),
        steps=step_count,
        first_bad_step=first_bad,
        stop=jnp.where(diverged, StopReason.DIVERGED.code, stop),
        nonfinite=nonfinite,
    )
    return state, metrics


def skip_epoch(state: TrainState, dtype) -> tuple[TrainState, EpochMetrics]:
    nan, zero = jnp.asarray(jnp.nan, dtype), jnp.int32(0)
    return state, EpochMetrics(
        nan, nan, nan, nan, nan, jnp.asarray(False), state.step, jnp.asarray(-1, jnp.int32),
        zero, zero,
    )  # fmt: skip


def block(program: Program, state: TrainState, data, l2, last_epoch):
    """``program.epochs_per_block`` epochs, skipping those past ``last_epoch`` or a stop."""

    def epoch(carry, _):
        state, stopped = carry
        active = (state.epoch < last_epoch) & ~stopped
        state, metrics = jax.lax.cond(
            active,
            lambda s: run_epoch(program, s, data, l2),
            lambda s: skip_epoch(s, data[0].dtype),
            state,
        )
        return (state, stopped | (metrics.stop > 0)), pack(metrics)

    (state, _), packed = jax.lax.scan(
        epoch, (state, jnp.asarray(False)), None, length=program.epochs_per_block
    )
    return state, unpack(*packed)


def members_block(program: Program, members_at_once, state, data, l2, last_epoch):
    """``block`` for every member (the leading axis of ``state``, ``l2`` and ``last_epoch``)."""

    def member_block(member):
        state, l2, last_epoch = member
        return block(program, state, data, l2, last_epoch)

    members = (state, l2, last_epoch)
    if program.mesh is not None:  # members split over the "models" axis, batches over "data"
        state, metrics = jax.vmap(member_block, spmd_axis_name=parallel.MODELS_AXIS)(members)
        # Every process reads every member's metrics: the host loop decides on them.
        return state, jax.lax.with_sharding_constraint(metrics, parallel.replicated(program.mesh))
    if members_at_once is None or members_at_once >= len(last_epoch):
        return jax.vmap(member_block)(members)
    return jax.lax.map(member_block, members, batch_size=members_at_once)


# Two rows, floats and ints: each scanned-out array costs a tiny model's epoch an update.
def pack(metrics: EpochMetrics) -> tuple[jax.Array, jax.Array]:
    """An epoch's metrics as ``(floats (5,), ints (5,))``."""
    floats = jnp.stack(metrics[:5])
    ints = jnp.stack([metrics.ran.astype(jnp.int32), *metrics[6:]])
    return floats, ints


def unpack(floats: jax.Array, ints: jax.Array) -> EpochMetrics:
    """``pack``'s inverse for a block: ``(E, 5), (E, 5)`` -> fields of shape ``(E,)``."""
    return EpochMetrics(*floats.T, ints[:, 0].astype(bool), *ints[:, 1:].T)


def _options(program: Program, *args) -> dict:
    # By an epoch's work, not the block's length: a resumed run compiles with the same options.
    return small_work_options(program.epoch_flops)


run_block = cached_jit(block, static_argnums=(0,), donate_argnums=(1,), options=_options)
run_members = cached_jit(
    members_block, static_argnums=(0, 1), donate_argnums=(2,), options=_options
)

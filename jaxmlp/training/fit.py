"""``fit``: full-batch, mini-batch or stochastic gradient descent, the lecture's three regimes.

``fit`` checks its arguments and data and hands a ``Program`` to the host loop (``loop.train``);
all training state is one pytree, ``TrainState``, so a run can be saved and resumed exactly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import numpy as np
import optax
from jax.sharding import Mesh

from .. import checks
from ..compiling import run_once
from ..data.augment import Shifts
from ..data.splits import split
from ..dropout import check_rate
from ..losses import Loss, get_loss
from ..mlp import MLP
from ..params import Params
from ..sample_weights import example_weights
from ..targets import check_y, is_classification, targets
from . import lbfgs, loop, parallel
from .epoch import NONFINITE, EpochMetrics, run_block
from .program import Program, check_training_args, make_program
from .state import DivergenceError, History, StopReason, TrainState, copy_state, start_state

ON_DIVERGENCE = ("raise", "stop")
RECORDED = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "learning_rate")


def fit(
    mlp: MLP, params: Params | TrainState, X, y, *, key: jax.Array, loss: str | Loss = "mse",
    optimizer: str | optax.GradientTransformation = "sgd", learning_rate: float = 0.1,
    schedule: str = "constant", batch_size: int | None = None, epochs: int = 100,
    l2: float = 0.0, grad: str = "autodiff", validation: tuple | None = None,
    validation_fraction: float | None = None, early_stopping: bool = False, patience: int = 10,
    min_delta: float = 1e-4, restore_best: bool = True, monitor: str = "auto",
    callback: Callable[[int, dict], bool | None] | None = None,
    epochs_per_program: int | str = "auto", mesh: Mesh | int | None = None,
    shuffle: bool = True, optimizer_options: dict[str, float] | None = None,
    on_divergence: str = "raise",
    sample_weight=None, class_weight=None, dropout: float = 0.0, augment: Shifts | None = None,
) -> tuple[Params, History]:  # fmt: skip
    """Trains ``mlp`` from ``params`` on ``(X, y)``.

    Args:
      mlp: the architecture.
      params: initial params (training runs in their dtype), or a ``TrainState`` to continue.
      X: ``(n, d)`` dense, finite inputs; ``uint8`` is refused (pass pixels as ``X / 255``).
      y: ``(n,)`` class labels in ``[0, c)`` (0/1 when ``c = 1``) or ``(n, c)`` real targets.
      key: PRNG key for the epochs' permutations and the validation split.
      loss: ``"mse"``, ``"cross_entropy"`` or ``"binary_cross_entropy"``.
      optimizer: a name in ``optimizers.OPTIMIZERS`` (compiled once for any ``learning_rate``
        and ``l2``) or an optax ``GradientTransformation`` (compiled once per object: reuse it).
      learning_rate: initial learning rate of a named optimizer.
      schedule: ``"constant"``, ``"invscaling"``, ``"cosine"`` or ``"adaptive"``.
      batch_size: ``None`` (full batch), ``1`` (SGD) or ``k``; a last, smaller batch is trained.
      epochs: the epoch to train up to, counted from 0 (a maximum with early stopping).
      l2: weight decay, ``l2/2 Σ‖W‖²`` added to the objective.
      grad: ``"autodiff"`` (``jax.grad``) or ``"backprop"`` (the hand-written gradients).
      validation: ``(X_val, y_val)`` held-out data, evaluated after every epoch, or
        ``(X_val, y_val, sample_weight_val)``; weighed by ``class_weight`` too.
      validation_fraction: or hold out this fraction of ``(X, y)``, stratified for classes.
      early_stopping: stop after ``patience`` epochs without a ``min_delta`` improvement.
      restore_best: with early stopping, return the params of the best monitored epoch.
      monitor: a name in ``program.MONITORS`` (accuracy as ``1 - accuracy``); ``"auto"``:
        ``"val_loss"`` with a validation set, else ``"train_loss"``.
      callback: ``callback(epoch, metrics)`` after every epoch; returning ``True`` pauses.
      epochs_per_program: epochs per compiled block; ``"auto"``: ``STEPS_PER_PROGRAM`` updates.
      mesh: a ``jax.sharding.Mesh`` with a ``"data"`` axis or a number of devices.
      shuffle: ``False`` takes every epoch's batches in the rows' order, unshuffled.
      optimizer_options: a named optimizer's other hyperparameters (``optimizers.OPTIONS``,
        e.g. ``{"b1": 0.8}``; ``{"power_t": 0.25}`` for ``"invscaling"``); for ``"lbfgs"``
        scipy's stopping tests ``gtol``, ``ftol``, ``max_evaluations`` (``training.lbfgs``:
        ``stop_reason`` ``"converged"`` or ``"evaluations"``; counted afresh by each fit).
      on_divergence: ``"raise"`` a ``DivergenceError``, or ``"stop"``: return the state of the
        epoch before (the best one with ``restore_best``), with the diverged epoch's ``nan``
        metrics in the history and ``stop_reason`` ``"diverged"``.
      sample_weight: ``(n,)`` example weights, finite, ``>= 0``, not all 0: each step
        minimises ``Σ w_i J_i / Σ w_i`` over its batch (scikit-learn's convention); the
        epoch's ``train_loss`` and the validation loss are weighted means, and the
        accuracies weighted too (``Σ w_i [correct_i] / Σ w_i``, as scikit-learn's
        ``score(sample_weight=)``). ``validation_fraction`` keeps each row's weight.
      class_weight: for class labels, ``"balanced"`` (``n / (c · count_k)``), a dict
        ``{class: weight}`` (others weigh 1) or one weight per class; example ``i`` weighs
        ``sample_weight_i · class_weight[y_i]``.
      dropout: the rate in ``[0, 1)`` at which hidden units are dropped in training
        (``jaxmlp.dropout``), with masks drawn afresh for each example and step; the
        validation metrics and predictions use none. ``0``: no masks are drawn.
      augment: a ``jaxmlp.data.augment.Shifts`` applied to every training batch (never to
        validation), its draws keyed by the state's key; ``None``: the rows as they are.

    Returns:
      ``(params, history)``; ``history.state`` is the final ``TrainState``.

    Raises:
      DivergenceError: (``on_divergence="raise"``) a step made the loss, params or optimizer
        state non-finite; it carries the (finite) state of the epoch before.
    """
    state = params if isinstance(params, TrainState) else None
    params = state.params if state is not None else params
    dtype = checks.check_params(mlp, params)
    loss = get_loss(loss, mlp.output_activation.name)
    check_training_args(epochs=epochs, grad=grad, patience=patience, min_delta=min_delta)
    l2 = checks.check_l2(l2)
    shuffle = checks.check_scalar(shuffle, "bool", "shuffle")
    if on_divergence not in ON_DIVERGENCE:
        raise ValueError(
            f"on_divergence={on_divergence!r} is not known; choose one of {ON_DIVERGENCE}"
        )
    augment = checks.check_augment(augment, mlp)
    key_holdout, key_train = _holdout_and_train_keys(checks.check_key(key))
    data, classification = prepare_data(
        mlp, X, y, dtype, key_holdout, validation, validation_fraction, loss,
        sample_weight, class_weight,
    )  # fmt: skip
    if mesh is not None:
        mesh = mesh if isinstance(mesh, Mesh) else parallel.data_mesh(mesh)
    # A block of the epochs left: a continued run (partial_fit) needs no longer program.
    first_epoch = 0 if state is None else int(state.epoch)
    program, learning_rate = make_program(
        mlp, loss, data, classification, optimizer=optimizer, learning_rate=learning_rate,
        schedule=schedule, batch_size=batch_size, epochs=epochs, epochs_left=epochs - first_epoch,
        epochs_per_program=epochs_per_program, monitor=monitor, early_stopping=early_stopping,
        restore_best=restore_best, grad=grad, patience=patience, min_delta=min_delta,
        dropout=check_rate(dropout), mesh=mesh, weight_decay=l2 > 0, augment=augment,
        shuffle=shuffle, optimizer_options=optimizer_options,
    )  # fmt: skip
    if mesh is not None:
        parallel.check_batch_divides(program.batch_size, mesh)
    if state is None:
        if learning_rate is not None:  # rounded on the host, as optax would
            learning_rate = np.asarray(learning_rate, dtype)
        state = start_state(params, key_train, program.optimizer, program.track_best, learning_rate)
    else:
        state = copy_state(state)
    # This fit's thresholds and its own count of evaluations; always set here, as the program
    # that made the state (start_state's) is shared by every threshold and keeps the first's.
    if optimizer == "lbfgs":
        thresholds = {
            k: v for k, v in (optimizer_options or {}).items() if k in lbfgs.STATE_OPTIONS
        }
        state = state._replace(opt_state=lbfgs.restart(state.opt_state, **thresholds))
    if mesh is not None:
        state, data = parallel.replicate((state, data), mesh)
    history = History()
    diverged_at = []  # the index of the epoch that diverged in the last block

    def on_block(metrics: EpochMetrics, elapsed: float) -> bool:
        ran = np.flatnonzero(metrics.ran[0])
        start = history.time[-1] if history.time else 0.0
        for i, index in enumerate(ran):
            history.epoch.append(first_epoch + len(history.epoch) + 1)
            for field in RECORDED:
                getattr(history, field).append(float(getattr(metrics, field)[0, index]))
            history.steps.append(int(metrics.steps[0, index]))
            # The block's wall time, spread evenly over its epochs.
            history.time.append(start + (elapsed - start) * (i + 1) / len(ran))
            stop = int(metrics.stop[0, index])
            if stop == StopReason.DIVERGED.code:
                diverged_at.append(index)
                return False
            # Early stopping at this epoch is the reason to stop, whatever the callback says.
            if callback is not None and callback(history.epoch[-1], history.last()) and not stop:
                return True
        return False

    state, record = loop.train(run_block, (program,), state, data, l2, epochs, on_block)
    history.compile_time = record.compile_time
    history.stop_reason = record.stop_reasons()[0]
    if history.stop_reason == StopReason.DIVERGED and on_divergence == "raise":
        raise _divergence(program, state, data, l2, record.blocks[-1], diverged_at[-1], history)
    # A stop by the callback is a pause (e.g. to save a checkpoint): keep the state as it is.
    if program.track_best and history.stop_reason != StopReason.CALLBACK:
        best = int(loop.best_epochs(program, record, epochs)[0])
        if best:
            history.best_epoch = first_epoch + best
            state = loop.restore_best(state, np.array([True]))
    history.state = state
    return state.params, history


@run_once
def _holdout_and_train_keys(key: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``fit``'s two keys, the validation split's and the engine's, in one program."""
    key_holdout, key_train = jax.random.split(key)
    return key_holdout, key_train


def prepare_data(
    mlp: MLP, X, y, dtype, key_holdout, validation, validation_fraction, loss: Loss | None = None,
    sample_weight=None, class_weight=None,
):  # fmt: skip
    """``((X, T, X_val, T_val, w, w_val), classification)``: checked, split, one-hot, in
    ``dtype``. Without a validation set ``X_val`` and ``T_val`` have 0 rows; ``w``, ``w_val``
    are the examples' weights (``sample_weights.example_weights``), ``None`` without any."""
    X = checks.check_inputs(mlp, X, dtype=dtype)
    classification = is_classification(y)
    checked = check_y(mlp, y, X.shape[0], dtype=dtype, loss=loss)  # before the split: row numbers
    w = example_weights(mlp, checked, X.shape[0], sample_weight, class_weight, dtype)
    if validation is not None and validation_fraction is not None:
        raise ValueError("give either validation=(X_val, y_val) or validation_fraction, not both")
    if validation is not None:
        if not isinstance(validation, tuple | list) or len(validation) not in (2, 3):
            raise ValueError(
                "validation must be a pair (X_val, y_val) or a triple (X_val, y_val, "
                "sample_weight_val)"
            )
        if len(validation) == 3 and w is None:
            w = np.ones(X.shape[0], dtype)  # weighted validation metrics need a weighted run
    w_val = None if w is None else np.zeros(0, dtype)
    if validation_fraction is not None:
        checks.check_scalar(validation_fraction, "fraction", "validation_fraction")
        fractions = (1 - validation_fraction, validation_fraction)
        # The rows' numbers split as the rows would: the weights go with their rows.
        parts = split(key_holdout, np.arange(X.shape[0]), y, fractions, stratify=classification)
        (train, y), (held_out, y_val) = parts
        X = np.asarray(X)
        validation = (X[held_out], y_val)
        if w is not None:
            w, w_val = w[train], w[held_out]
            _check_some_weight(w, "training"), _check_some_weight(w_val, "validation")
        X = X[train]
    T = targets(mlp, y, X.shape[0], dtype)
    X = checks.to_device(X, dtype)
    # Made on the host, not sliced on the device: an eager slice compiles a program per shape.
    X_val = checks.to_device(np.zeros((0, X.shape[1])), dtype)
    T_val = checks.to_device(np.zeros((0, T.shape[1])), dtype)
    if validation is not None:
        X_val = checks.check_inputs(mlp, validation[0], name="X_val", dtype=dtype)
        X_val = checks.to_device(X_val, dtype)
        if is_classification(validation[1]) != classification:
            raise ValueError("y_val must be of the same kind as y (class labels or targets)")
        T_val = targets(mlp, validation[1], X_val.shape[0], dtype, name="y_val", loss=loss)
        if w is not None and validation_fraction is None:  # given: weighed as the training set
            y_val = check_y(mlp, validation[1], X_val.shape[0], name="y_val", dtype=dtype)
            sample_weight_val = validation[2] if len(validation) == 3 else None
            w_val = example_weights(
                mlp, y_val, X_val.shape[0], sample_weight_val, class_weight, dtype, "_val"
            )
            w_val = np.ones(X_val.shape[0], dtype) if w_val is None else w_val
    if w is not None:
        w, w_val = checks.to_device(w, dtype), checks.to_device(w_val, dtype)
    return (X, T, X_val, T_val, w, w_val), classification


def _check_some_weight(w: np.ndarray, split: str) -> None:
    if not np.any(w > 0):
        raise ValueError(
            f"every example of the {split} split left by validation_fraction weighs 0 "
            "(sample_weight · class_weight); give more examples a weight > 0"
        )


def _divergence(program: Program, state, data, l2, metrics, index, history) -> DivergenceError:
    """The error for the diverged epoch ``index`` of the last block; ``state``: the one before."""
    epoch = history.epoch[-1]
    finite = [v for v in history.train_loss[:-1] if np.isfinite(v)]
    last = f"{finite[-1]:.6g}" if finite else "none (the very first epoch)"
    # Replay with every step checked (same arithmetic, same steps), compiled only on divergence.
    replay = dataclasses.replace(program, epochs_per_block=1, check_every_step=True)
    last_epoch = jax.device_put(np.int32(int(state.epoch) + 1))
    replayed = jax.device_get(run_block(replay, copy_state(state), data, l2, last_epoch)[1])
    step, code = int(replayed.first_bad_step[0]), int(replayed.nonfinite[0])
    if step < 0:  # not reproduced: what the epoch's own checks saw
        step, code = int(metrics.first_bad_step[0, index]), int(metrics.nonfinite[0, index])
    step += 1
    what, kept = NONFINITE[code], int(state.epoch)
    message = (
        f"training diverged at epoch {epoch}, step {step}: {what} became non-finite (inf or "
        f"nan); the last finite epoch loss was {last}. The error keeps the state of epoch "
        f"{kept}{' (the initial state)' if kept == 0 else ''}. Try a smaller learning rate."
    )
    history.state = state
    return DivergenceError(message, state.params, state, history, epoch=epoch, step=step, what=what)

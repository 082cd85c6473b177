"""The static description of a compiled block of epochs, and the arguments that build it."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import optax
from jax.sharding import Mesh

from .. import checks
from ..data.augment import Shifts
from ..losses import Loss
from ..mlp import MLP
from ..names import MONITORS as MONITORS
from .optimizers import NamedOptimizer, resolve_optimizer

GRADS = ("autodiff", "backprop")
STEPS_PER_PROGRAM = 4096  # "auto" blocks hold about this many updates
# One gather fetches the rows of several batches, up to about a core's L2 cache: a gather per
# step has a fixed cost that dominates small batches, and a larger chunk is copied twice.
GATHER_BYTES = 256 * 2**10


@dataclasses.dataclass(frozen=True)
class Program:
    """A compiled block of epochs, as a ``jax.jit`` static argument compared by ``==``.
    An optax ``optimizer`` compares by identity: a new object compiles a new program."""

    mlp: MLP
    loss: Loss
    optimizer: NamedOptimizer | optax.GradientTransformation
    grad: str  # one of GRADS
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
    # A pass over params and optimizer state per step: only to replay a diverged epoch.
    check_every_step: bool = False
    shuffle: bool = True  # False: every epoch takes the batches in the rows' order
    # The examples carry weights: accuracies sum them (floats) instead of counting (ints).
    weighted: bool = False
    # The rate at which hidden units are dropped in training; 0: no masks are drawn at all.
    dropout: float = 0.0
    augment: Shifts | None = None  # applied to each gathered training batch, nothing else

    @property
    def epoch_flops(self) -> int:
        """An epoch's matmul FLOPs (``compiling.small_work_options`` reads it)."""
        return self.n * self.mlp.matmul_flops(training=True)

    @property
    def full_batch(self) -> bool:
        """One step per epoch on all ``n`` examples, no shuffle."""
        return self.batch_size == self.n

    @property
    def remainder(self) -> int:
        """Size of the last, smaller batch (0 if the batches divide ``n``)."""
        return self.n % self.batch_size

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def batches_per_gather(self, itemsize: int) -> int:
        """The largest divisor of ``steps_per_epoch`` whose rows fit in ``GATHER_BYTES``."""
        row_bytes = (self.mlp.n_inputs + self.mlp.n_outputs) * itemsize
        most = max(1, GATHER_BYTES // (self.batch_size * row_bytes))
        steps = self.steps_per_epoch
        return max(k for k in range(1, min(most, steps) + 1) if steps % k == 0)


def check_training_args(*, epochs, grad, patience, min_delta) -> None:
    """The checks of the scalar arguments ``fit`` and ``fit_many`` share."""
    checks.check_scalar(epochs, "count", "epochs")
    if grad not in GRADS:
        raise ValueError(f"grad={grad!r} is not known; choose one of {GRADS}")
    checks.check_scalar(patience, "count", "patience")
    checks.check_scalar(min_delta, "non_negative", "min_delta")


def make_program(
    mlp: MLP, loss: Loss, data, classification: bool, *, optimizer, learning_rate, schedule,
    batch_size, epochs: int, epochs_left: int, epochs_per_program, monitor, early_stopping,
    restore_best, min_delta, optimizer_options=None, **fields,
) -> tuple[Program, float | None]:  # fmt: skip
    """``(program, learning_rate for the initial state)`` to train on
    ``(X, T, X_val, T_val, w, w_val)``.
    ``fields`` are ``Program``'s others (``grad``, ``patience``, ``mesh`` ...)."""
    n, has_validation = data[0].shape[0], data[2].shape[0] > 0
    monitor = resolve_monitor(monitor, has_validation=has_validation, classification=classification)
    batch_size, steps_per_epoch = batch_sizes(batch_size, n)
    checks.check_full_batch(optimizer, batch_size, n)
    optimizer, learning_rate, adaptive = resolve_optimizer(
        optimizer, learning_rate, schedule, epochs * steps_per_epoch, optimizer_options
    )
    program = Program(
        mlp=mlp,
        loss=loss,
        optimizer=optimizer,
        n=n,
        batch_size=batch_size,
        epochs_per_block=epochs_per_block(epochs_per_program, epochs_left, steps_per_epoch),
        classification=classification,
        has_validation=has_validation,
        early_stopping=early_stopping,
        adaptive=adaptive,
        track_best=early_stopping and restore_best,
        monitor=monitor,
        min_delta=float(min_delta),
        weighted=data[4] is not None,
        **fields,
    )
    return program, learning_rate


def batch_sizes(batch_size: int | None, n: int) -> tuple[int, int]:
    """``(batch_size, steps_per_epoch)``: ``None`` is the full batch ``n``."""
    if batch_size is None:
        return n, 1
    batch_size = min(checks.check_scalar(batch_size, "count", "batch_size"), n)
    return batch_size, math.ceil(n / batch_size)


def epochs_per_block(epochs_per_program: int | str, epochs: int, steps_per_epoch: int) -> int:
    """``"auto"`` is about ``STEPS_PER_PROGRAM`` updates, at most ``epochs`` (those to train)."""
    if epochs_per_program == "auto":
        epochs_per_program = max(1, min(epochs, STEPS_PER_PROGRAM // steps_per_epoch))
    return checks.check_scalar(epochs_per_program, "count", "epochs_per_program")


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

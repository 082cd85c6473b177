"""What the engine carries between epochs, returns and raises: state, histories, stop reasons."""

from __future__ import annotations

import dataclasses
import enum
import functools
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..compiling import run_once
from ..mlp import MLP
from ..params import Params
from .optimizers import transformation, with_learning_rate


class StopReason(enum.StrEnum):
    """Why training stopped; a member's index is its code on the device (0: it has not)."""

    EPOCHS = "epochs"
    EARLY_STOPPING = "early_stopping"
    LEARNING_RATE = "learning_rate"  # the "adaptive" schedule's rate fell below its minimum
    DIVERGED = "diverged"
    CALLBACK = "callback"  # fit's callback asked to pause
    # L-BFGS with tolerances (lbfgs.stopping_lbfgs): scipy's gtol or ftol test passed ...
    CONVERGED = "converged"
    EVALUATIONS = "evaluations"  # ... or it evaluated the objective more than allowed

    @property
    def code(self) -> int:
        return list(StopReason).index(self)

    @staticmethod
    def of(code) -> StopReason:
        return list(StopReason)[int(code)]


class TrainState(NamedTuple):
    """Everything training needs to continue exactly where it stopped.
    ``best_*`` and ``bad_epochs`` track the monitored quantity; ``best_params`` is ``None``
    unless they are restored."""

    params: Params
    opt_state: optax.OptState
    key: jax.Array  # the stream the epochs' permutations are drawn from
    epoch: jax.Array  # int32: epochs completed
    step: jax.Array  # int32: updates applied
    best_loss: jax.Array
    best_params: Params | None
    bad_epochs: jax.Array  # int32: epochs since the monitored quantity last improved


@dataclasses.dataclass
class History:
    """Per-epoch metrics of a ``fit``; each list has one entry per epoch trained.
    ``val_*``, ``*_accuracy`` and ``learning_rate`` are ``nan`` where there is none; ``time`` is
    seconds since the start, compilation excluded (``compile_time``: 0.0 when cached)."""

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
    stop_reason: StopReason = StopReason.EPOCHS
    state: TrainState | None = dataclasses.field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """The metrics as JSON-friendly lists and numbers (without the state)."""
        out = dataclasses.asdict(dataclasses.replace(self, state=None))
        del out["state"]
        out["stop_reason"] = str(self.stop_reason)
        return out

    def last(self) -> dict[str, float]:
        """The last epoch's metrics."""
        fields = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy")
        return {f: getattr(self, f)[-1] for f in fields + ("learning_rate", "time", "steps")}


class DivergenceError(FloatingPointError):
    """A step's loss, or the params or optimizer state after its update, became non-finite.
    ``state`` (and its ``params``) is the finite state of the epoch before, for ``fit`` to
    continue from; ``epoch`` and ``step`` (from 1) name the update, ``what`` what diverged first."""

    def __init__(self, message, params, state, history, *, epoch=None, step=None, what=None):
        super().__init__(message)
        self.params, self.state, self.history = params, state, history
        self.epoch, self.step, self.what = epoch, step, what


@dataclasses.dataclass
class SweepHistory:
    """Per-member metrics ``(M, epochs)``, ``nan`` where there is none; column ``e``: epoch e+1."""

    train_loss: np.ndarray
    train_accuracy: np.ndarray
    val_loss: np.ndarray
    val_accuracy: np.ndarray
    learning_rate: np.ndarray
    epochs_trained: np.ndarray  # (M,) int
    best_epoch: np.ndarray  # (M,) int: the epoch of the returned params with restore_best, else 0
    stop_reason: tuple[StopReason, ...]  # (M,)
    has_validation: bool
    compile_time: float  # seconds compiling the programs that initialise and train; 0 if cached
    time: float  # seconds training, compilation excluded


@dataclasses.dataclass
class SweepResult:
    """What ``fit_many`` returns: M members stacked along the leading axis of every array.
    ``params`` have ``mlp``'s widths (a narrower member's extra units zero): see ``unstack``."""

    mlp: MLP
    params: Params
    initial_params: Params
    seeds: np.ndarray  # (M,) int
    learning_rates: np.ndarray  # (M,)
    l2s: np.ndarray  # (M,)
    widths: np.ndarray  # (M, p) int: hidden widths
    history: SweepHistory
    state: TrainState = dataclasses.field(repr=False)  # stacked, for inspection

    @property
    def n_members(self) -> int:
        return len(self.seeds)


def init_state(params: Params, optimizer, key: jax.Array, *, track_best=False) -> TrainState:
    """The ``TrainState`` at epoch 0; ``optimizer`` is optax's or a description of one."""
    return TrainState(
        params=params,
        opt_state=transformation(optimizer).init(params),
        key=key,
        epoch=jnp.zeros((), jnp.int32),
        step=jnp.zeros((), jnp.int32),
        best_loss=jnp.asarray(jnp.inf, params[0]["W"].dtype),
        best_params=params if track_best else None,
        bad_epochs=jnp.zeros((), jnp.int32),
    )


# One program each, in new buffers: the compiled block donates the state it is given.
@functools.partial(run_once, static_argnums=(2, 3))
def start_state(params, key, optimizer, track_best: bool, learning_rate=None) -> TrainState:
    """``init_state`` with ``learning_rate`` (``None``: the optimizer's own) in the state."""
    state = init_state(params, optimizer, key, track_best=track_best)
    if learning_rate is not None:
        state = state._replace(opt_state=with_learning_rate(state.opt_state, learning_rate))
    return copy_state(state)


@run_once
def copy_state(state: TrainState) -> TrainState:
    return jax.tree.map(jnp.copy, state)

"""The host loop that ``fit`` and ``fit_many`` share: blocks of epochs until each run stops."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
from jax.experimental import multihost_utils

from ..compiling import CachedFunction
from .epoch import EpochMetrics
from .program import Program, monitored_values
from .state import StopReason, TrainState


@dataclasses.dataclass
class Record:
    """What the host saw of a run of M members (``fit``: M = 1)."""

    blocks: list[EpochMetrics]  # each field (M, epochs_per_block)
    stop: np.ndarray  # (M,) int: each member's StopReason code, 0 if it ran to the end
    compile_time: float
    time: float  # seconds training, compilation excluded

    def stop_reasons(self) -> tuple[StopReason, ...]:
        return tuple(StopReason.of(code) for code in self.stop)

    def column(self, field: str, epochs: int) -> np.ndarray:
        """``(M, epochs)``: ``field`` of every epoch, in order, ``nan`` where none ran."""
        columns = [getattr(b, field) for b in self.blocks] or [np.zeros((len(self.stop), 0))]
        return np.concatenate(columns, axis=1)[:, :epochs]


def train(
    run: CachedFunction,
    static: tuple,
    state: TrainState,
    data,
    l2,
    epochs: int,
    on_block: Callable[[EpochMetrics, float], bool] | None = None,
) -> tuple[TrainState, Record]:
    """Runs ``run(*static, state, data, l2, last_epoch)`` until every member reached ``epochs``
    or stopped (then frozen); ``on_block(metrics (M, E), seconds)`` returning ``True`` pauses."""
    last_epoch = np.full(np.shape(state.epoch), epochs, np.int32)
    last_on_device = jax.device_put(last_epoch)
    compiled, compile_time = run.program(*static, state, data, l2, last_on_device)
    record = Record([], np.zeros(max(1, last_epoch.size), np.int64), compile_time, 0.0)
    start = time.perf_counter()
    while np.any(host_epochs(state) < last_epoch):
        state, metrics = compiled(*static, state, data, l2, last_on_device)
        metrics = EpochMetrics(*(np.atleast_2d(m) for m in jax.device_get(metrics)))
        record.blocks.append(metrics)
        # An epoch's stop ends its member's run; later epochs of the block did not run.
        record.stop = np.where(record.stop > 0, record.stop, np.max(metrics.stop, axis=1))
        if on_block is not None and on_block(metrics, time.perf_counter() - start):
            record.stop[0] = StopReason.CALLBACK.code
            break
        if not metrics.ran.any():
            break
        stopped = np.where(record.stop > 0, host_epochs(state), epochs)
        if not np.array_equal(stopped.reshape(last_epoch.shape), last_epoch):
            last_epoch = stopped.reshape(last_epoch.shape).astype(np.int32)
            last_on_device = jax.device_put(last_epoch)
    record.time = time.perf_counter() - start
    return state, record


def host_epochs(state: TrainState) -> np.ndarray:
    """Each member's epoch on this host, also when the members are split over several hosts."""
    if state.epoch.is_fully_addressable:
        return np.asarray(state.epoch)
    return multihost_utils.process_allgather(state.epoch, tiled=True)


def best_epochs(program: Program, record: Record, epochs: int) -> np.ndarray:
    """``(M,)``: each member's epoch (from 1) of its best monitored value, 0 if none is finite."""
    monitored = monitored_values(program.monitor, record.column(program.monitor, epochs))
    finite = np.isfinite(monitored).any(axis=1)
    best = np.zeros(len(monitored), np.int64)
    best[finite] = np.nanargmin(monitored[finite], axis=1) + 1
    return best


def restore_best(state: TrainState, restore: np.ndarray) -> TrainState:
    """``state`` with the best params of the members where ``restore: (M,)`` holds."""
    if np.ndim(state.epoch) == 0:
        return state._replace(params=state.best_params) if restore[0] else state
    where = jnp.asarray(restore)
    params = jax.tree.map(
        lambda best, last: jnp.where(where.reshape(-1, *[1] * (last.ndim - 1)), best, last),
        state.best_params,
        state.params,
    )
    return state._replace(params=params)

"""Training runs kept in a run directory: ``train`` a new one, ``resume`` one exactly.

A run trains with ``fit`` one stretch of epochs at a time, each ending with a checkpoint of the
whole ``TrainState`` (every ``checkpoint_every`` epochs, at the end, and on a stop request such
as Ctrl-C), so that K epochs, a stop and a resume give the params of the whole run at once.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np

from ..io import rundir
from ..io.checkpoint import save_checkpoint
from ..mlp import MLP
from ..params import init_params
from ..predict import evaluate
from ..training import DivergenceError, TrainState, fit, monitored_values, resolve_monitor
from . import saved
from .config import TrainConfig, check_config
from .inputs import (
    Run,
    RunError,
    build_augment,
    build_mlp,
    default_run_dir,
    fingerprint,
    fit_training_scaler,
    fit_weights,
    keys,
    load_data,
    model_data,
    sizes_text,
)

# An epoch's record in metrics.jsonl: these of fit's metrics, its time and its throughput.
METRICS = tuple("epoch train_loss train_accuracy val_loss val_accuracy learning_rate steps".split())


class Interrupted(Exception):
    """Training stopped on request after saving a checkpoint; ``resume`` continues it."""

    def __init__(self, run_dir: Path, epoch: int, epochs: int, signal: int):
        super().__init__(f"stopped after epoch {epoch} of {epochs}; checkpoint saved in {run_dir}")
        self.run_dir, self.epoch, self.epochs, self.signal = run_dir, epoch, epochs, signal


@dataclasses.dataclass(frozen=True)
class Hooks:
    """What a caller sees of a run, and how it stops one; each does nothing by default."""

    # Once the data and the model are ready: run_dir, sizes, n_train, n_validation, n_test,
    # first_epoch, epochs.
    on_start: Callable[[dict], None] = lambda info: None
    on_epoch: Callable[[dict], None] = lambda record: None  # each epoch's metrics record
    # Polled after each epoch: a signal number stops after a checkpoint (``Interrupted``).
    stop_requested: Callable[[], int] = lambda: 0


def train(config: TrainConfig, *, overwrite: bool = False, hooks: Hooks = Hooks()) -> dict:
    """Trains a new run in ``config.run_dir`` (``None``: ``runs/DATA-TIME``), replacing a run
    there only if ``overwrite``; returns its summary (``summary.json``).

    Raises:
      ConfigError, DataError, RunError, RunDirError: bad input; nothing is written then.
      Interrupted: a stop was requested; the checkpoint holds the last epoch.
      DivergenceError: the checkpoint holds the last finite epoch, which ``resume`` refuses.
      rundir.SaveError: a file could not be written; the previous checkpoint is intact.
    """
    start = time.perf_counter()
    config = check_config(config)
    if config.run_dir is None:
        config = dataclasses.replace(config, run_dir=default_run_dir(config.data))
    rundir.check_available(config.run_dir, overwrite=overwrite)
    data = load_data(config)
    mlp = build_mlp(config, data)
    fit_weights(config, data, mlp)  # bad weights are refused before anything is written
    augment = build_augment(config, data)
    scaler = fit_training_scaler(config, data)
    params = init_params(keys(config.seed)["init"], mlp, config.init, jnp.dtype(config.dtype))
    path = rundir.claim(config.run_dir, overwrite=overwrite)
    run = Run(config, path, mlp, data.classes, scaler, augment)
    data = model_data(run, data)
    return _train(run, data, params, [], 0.0, fingerprint(data), start, hooks)


def resume(run_dir, *, changes: dict[str, Any] | None = None, hooks: Hooks = Hooks()) -> dict:
    """Continues the run in ``run_dir`` from its checkpoint, exactly; returns its summary.
    ``changes`` may set ``epochs`` (to train longer) and ``checkpoint_every``, nothing else.

    Raises:
      RunError: no checkpoint, a finished or diverged run, a change that would make another
        run, or data that differ from those the run was trained on.
      CheckpointError: the checkpoint is damaged; nothing is changed.
    """
    start = time.perf_counter()
    path = Path(run_dir)
    metadata = saved.read_metadata(path)
    config = saved.resumed_config(metadata, changes or {}, path)
    data = load_data(config)
    # The MLP as trained and the scaler refitted as in training: the fingerprint proves both.
    mlp = MLP(tuple(metadata["sizes"]), config.hidden, config.output)
    scaler = fit_training_scaler(config, data)
    run = Run(config, path, mlp, data.classes, scaler, build_augment(config, data))
    data = model_data(run, data)
    if fingerprint(data) != metadata["data_sha256"]:
        raise RunError(
            f"the data {config.data!r} differ from those the run in {str(path)!r} was trained "
            "on; resuming would not continue the same run"
        )
    state = saved.load_state(path / rundir.CHECKPOINT, run)
    records, wall_time = metadata["history"], metadata["wall_time"]
    return _train(run, data, state, records, wall_time, metadata["data_sha256"], start, hooks)


def _train(run: Run, data, state, records, wall_time, data_sha256, start, hooks: Hooks) -> dict:
    """Trains on from ``records`` and ``wall_time`` until the last epoch, or ``Interrupted``."""
    config = run.config
    rundir.write_json(run.path / rundir.CONFIG, config.to_dict())
    rundir.rewrite_metrics(run.path / rundir.METRICS, records)  # drops epochs after a checkpoint
    first_epoch = records[-1]["epoch"] + 1 if records else 1
    hooks.on_start(_describe(run, data) | {"first_epoch": first_epoch, "epochs": config.epochs})
    X = jnp.asarray(data.X_train)  # on the device once: every stretch of epochs re-enters fit
    weights = fit_weights(config, data, run.mlp)  # sample_weight, class_weight, validation
    saved_epoch = records[-1]["epoch"] if records else 0
    last_time = 0.0

    def kept() -> str:
        if not saved_epoch:
            return "no checkpoint was saved before"
        return f"the checkpoint of epoch {saved_epoch} is intact"

    def callback(epoch: int, metrics: dict) -> bool:
        nonlocal last_time
        epoch_time, last_time = metrics["time"] - last_time, metrics["time"]
        record = {name: metrics[name] for name in METRICS} | {"epoch_time": epoch_time}
        record["samples_per_second"] = len(X) / epoch_time if epoch_time > 0 else float("nan")
        records.append(record)
        with rundir.saving(log.path, epoch, kept()):
            log.write(record)
        hooks.on_epoch(record)
        # A pause after the last epoch too: the checkpoint then holds the state as trained (not
        # the params restored to the best epoch), so that a longer run continues it exactly.
        every = config.checkpoint_every
        due = epoch >= config.epochs or (every > 0 and epoch % every == 0)
        return due or bool(hooks.stop_requested())

    def save(state: TrainState, stop_reason: str, **extra) -> None:
        nonlocal saved_epoch
        elapsed = wall_time + time.perf_counter() - start
        values = saved.checkpoint_metadata(run, records, stop_reason, elapsed, data_sha256, **extra)
        path = run.path / rundir.CHECKPOINT
        with rundir.saving(path, int(state.epoch), kept()):
            save_checkpoint(path, state, values)
        saved_epoch = int(state.epoch)

    with rundir.MetricsLog(run.path / rundir.METRICS) as log:
        while True:
            last_time = 0.0
            try:
                _, history = fit(
                    run.mlp,
                    state,
                    X,
                    data.y_train,
                    key=keys(config.seed)["fit"],
                    loss=config.loss,
                    optimizer=config.optimizer,
                    learning_rate=config.lr,
                    schedule=config.schedule,
                    batch_size=None if config.batch_size == "full" else config.batch_size,
                    epochs=config.epochs,
                    l2=config.l2,
                    grad=config.grad,
                    dropout=config.dropout,
                    early_stopping=config.early_stopping,
                    patience=config.patience,
                    monitor=config.monitor,
                    callback=callback,
                    epochs_per_program=1,  # the callback, and so a checkpoint, after every epoch
                    **weights,
                    augment=run.augment,
                )
            except DivergenceError as error:
                # The last finite epoch's state replaces the checkpoint, marked so that a
                # resume is refused rather than diverging again.
                failed = None
                if int(error.state.epoch) > 0:
                    divergence = {"epoch": error.epoch, "step": error.step, "what": error.what}
                    try:
                        save(error.state, "diverged", divergence=divergence)
                    except rundir.SaveError as save_error:
                        failed = save_error  # the divergence is the news; the old file stays
                raise _diverged(error, records, saved_epoch, failed) from None
            state = history.state
            stop_reason = history.stop_reason
            if stop_reason == "callback":
                stop_reason = "epochs" if int(state.epoch) >= config.epochs else "paused"
            save(state, stop_reason)
            if stop_reason != "paused":
                break
            if signal := hooks.stop_requested():
                raise Interrupted(run.path, int(state.epoch), config.epochs, signal)
    summary = _summary(run, data, saved.final_params(state), records, stop_reason)
    summary["wall_time"] = wall_time + time.perf_counter() - start
    with rundir.saving(run.path / rundir.SUMMARY, saved_epoch, kept()):
        rundir.write_json(run.path / rundir.SUMMARY, summary)
    title = f"{config.data}: {sizes_text(run.mlp.sizes)} {config.hidden}/{config.output}"
    with rundir.saving(run.path / rundir.FIGURE, saved_epoch, kept()):
        rundir.plot_history(run.path / rundir.FIGURE, records, title)
    return summary


def _diverged(error: DivergenceError, records, saved_epoch: int, failed) -> DivergenceError:
    """``error``, retold with the whole run's history and the checkpoint's ``SaveError`` if any."""
    finite = [r for r in records if r["train_loss"] is not None and np.isfinite(r["train_loss"])]
    last = "none" if not finite else f"{finite[-1]['train_loss']:.6g} (epoch {finite[-1]['epoch']})"
    kept = f"the checkpoint holds epoch {saved_epoch}"
    if saved_epoch == int(error.state.epoch):
        kept += ", the last finite state"
    if not saved_epoch:
        kept = "no checkpoint was saved"
        kept += " (the first epoch diverged)" if int(error.state.epoch) == 0 else ""
    message = (
        f"training diverged at epoch {error.epoch}, step {error.step}: {error.what} became "
        f"non-finite (inf or nan); the last finite epoch loss was {last}. Try a smaller "
        f"learning rate; {kept}{'' if failed is None else f' ({failed})'}."
    )
    error.args = (message,)
    return error


def _summary(run: Run, data, params, records, stop_reason: str) -> dict[str, Any]:
    config, last = run.config, records[-1]
    # The final params on each split as ``jaxmlp evaluate`` scores them, not epoch averages.
    splits = {
        name: {"n": len(X), **evaluate(run.mlp, params, X, y, loss=config.loss)}
        for name, X, y in (
            ("train", data.X_train, data.y_train),
            ("val", data.X_val, data.y_val),
            ("test", data.X_test, data.y_test),
        )
        if X is not None
    }
    best_epoch = None
    if config.early_stopping:
        has_validation, classification = data.X_val is not None, data.classes is not None
        monitor = resolve_monitor(
            config.monitor, has_validation=has_validation, classification=classification
        )
        values = [np.nan if r[monitor] is None else r[monitor] for r in records]
        best_epoch = records[int(np.nanargmin(monitored_values(monitor, values)))]["epoch"]
    return _describe(run, data) | {
        "data": config.data,
        "epochs": last["epoch"],
        "stop_reason": stop_reason,
        "test_loss": splits["test"]["loss"],
        "test_accuracy": splits["test"]["accuracy"],
        **{key: last[key] for key in ("train_loss", "train_accuracy", "val_loss", "val_accuracy")},
        "best_epoch": best_epoch,
        "train_time": float(sum(r["epoch_time"] or 0.0 for r in records)),
        "splits": splits,
        "config": config.to_dict(),
    }


def _describe(run: Run, data) -> dict[str, Any]:
    """The run's directory, its MLP's sizes and the examples in each split."""
    return {
        "run_dir": str(run.path),
        "sizes": list(run.mlp.sizes),
        "n_train": len(data.X_train),
        "n_validation": 0 if data.X_val is None else len(data.X_val),
        "n_test": len(data.X_test),
    }

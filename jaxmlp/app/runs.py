"""Training runs kept in a run directory: train, resume, evaluate and predict.

A run is a ``TrainConfig`` and a directory (``jaxmlp.rundir``). ``train`` loads the data, builds
the MLP and trains it with ``jaxmlp.fit`` one stretch of epochs at a time; each stretch ends with
a checkpoint of the whole ``TrainState`` and the run's metadata (every ``checkpoint_every``
epochs, at the end, and when a stop is requested, e.g. by Ctrl-C). ``resume`` loads the last
checkpoint and continues bit for bit: K epochs, a stop and a resume give the same params as
the whole run at once. ``evaluate`` and ``predict`` use a run's final params, its label classes
and its feature scaler on any data of the same kind.

Data reach the model one way: ``load_data`` loads and encodes them (never scaling), then
``model_inputs`` checks their width and applies the run's scaler, once; training, resuming,
evaluating and predicting (``jaxmlp.trained``) all go through both.

One seed drives everything: ``jax.random.key(seed)`` is split into the keys of the data
(splits, synthetic samples), of the initial params and of ``fit`` (the shuffling).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..data import Dataset, load
from ..data.preprocessing import Scaler, fit_scaler
from ..io import rundir
from ..io.checkpoint import load_checkpoint, load_checkpoint_metadata, save_checkpoint
from ..mlp import MLP
from ..optimizers import make_optimizer
from ..params import init_params
from ..predict import evaluate
from ..train import (
    DivergenceError,
    TrainState,
    fit,
    init_state,
    monitored_values,
    resolve_monitor,
)
from .config import TrainConfig, check_config, check_field, check_key, flag

# What a resume may change; anything else would make it another run.
RESUMABLE = ("epochs", "checkpoint_every", "run_dir")


class RunError(ValueError):
    """A run that cannot be trained, resumed or used as asked; the message says why."""


class Interrupted(Exception):
    """Training stopped on request after saving a checkpoint; ``resume`` continues it."""

    def __init__(self, run_dir: Path, epoch: int, epochs: int, signal: int):
        super().__init__(f"stopped after epoch {epoch} of {epochs}; checkpoint saved in {run_dir}")
        self.run_dir, self.epoch, self.epochs, self.signal = run_dir, epoch, epochs, signal


@dataclasses.dataclass(frozen=True, eq=False)
class Run:
    """A run's configuration and everything derived from it and its data."""

    config: TrainConfig
    path: Path
    mlp: MLP
    classes: np.ndarray | None  # (c,) original labels; None for regression
    scaler: Scaler | None


def train(
    config: TrainConfig,
    *,
    overwrite: bool = False,
    on_start: Callable[[dict], None] | None = None,
    on_epoch: Callable[[dict], None] | None = None,
    stop_requested: Callable[[], int] | None = None,
) -> dict[str, Any]:
    """Trains a new run in ``config.run_dir`` and returns its summary.

    Args:
      config: the run; ``run_dir=None`` picks ``runs/DATA-TIME``.
      overwrite: replace a run already in the directory (else it is refused).
      on_start: called once the data and the model are ready, with what training will do:
        ``run_dir``, ``sizes``, ``n_train``, ``n_validation``, ``n_test``, ``first_epoch``,
        ``epochs``.
      on_epoch: called with each epoch's metrics record, e.g. for a progress bar.
      stop_requested: polled after each epoch; a non-zero value (a signal number) stops
        training after a checkpoint, raising ``Interrupted``.

    Returns:
      The summary also written to ``summary.json``.

    Raises:
      ConfigError, DataError, RunError, RunDirError: a bad value, data or directory; nothing is
        written then.
      Interrupted: a stop was requested; the checkpoint holds the last epoch.
      DivergenceError: training diverged (a loss, params or optimizer state became
        non-finite); the checkpoint then holds the last finite epoch, and ``resume`` refuses
        it (it would diverge again at the same step).
      rundir.SaveError: a file could not be written (e.g. the disk is full); the previous
        checkpoint is intact.
    """
    start = time.perf_counter()
    config = check_config(config)
    if config.run_dir is None:
        config = dataclasses.replace(config, run_dir=default_run_dir(config.data))
    rundir.check_available(config.run_dir, overwrite=overwrite)
    data = load_data(config)
    mlp = build_mlp(config, data)
    scaler = fit_training_scaler(config, data)
    params = init_params(_keys(config.seed)["init"], mlp, config.init, _dtype(config))
    path = rundir.claim(config.run_dir, overwrite=overwrite)
    rundir.write_json(path / rundir.CONFIG, config.to_dict())
    rundir.rewrite_metrics(path / rundir.METRICS, [])
    run = Run(config, path, mlp, data.classes, scaler)
    data = model_data(run, data)
    progress = {"records": [], "wall_time": 0.0, "fingerprint": fingerprint(data)}
    hooks = (on_start, on_epoch, stop_requested)
    return _train(run, data, params, progress, start, *hooks)


def resume(
    run_dir,
    *,
    changes: dict[str, Any] | None = None,
    on_start: Callable[[dict], None] | None = None,
    on_epoch: Callable[[dict], None] | None = None,
    stop_requested: Callable[[], int] | None = None,
) -> dict[str, Any]:
    """Continues the run in ``run_dir`` from its checkpoint, exactly, and returns its summary.

    Args:
      run_dir: a directory written by ``train``.
      changes: fields to change; only ``epochs`` (to train longer) and ``checkpoint_every``
        may differ from the run's.
      on_start, on_epoch, stop_requested: as for ``train``.

    Raises:
      RunError: no checkpoint, a finished or diverged run, a change that would make
        another run, or data that differ from those the run was trained on.
      CheckpointError: the checkpoint is damaged; nothing is changed.
    """
    start = time.perf_counter()
    path = Path(run_dir)
    metadata = read_metadata(path)
    saved = config_from_metadata(metadata, path)
    config = _apply_changes(saved, changes or {}, path)
    config = dataclasses.replace(config, run_dir=str(path))
    trained = metadata["history"][-1]["epoch"] if metadata["history"] else 0
    if metadata["stop_reason"] == "diverged":
        where = metadata.get("divergence") or {}
        at = f"epoch {where.get('epoch', trained + 1)}, step {where.get('step', '?')}"
        raise RunError(
            f"the run in {str(path)!r} diverged at {at}; its checkpoint holds epoch {trained}, "
            "the last finite state, for evaluate and predict. A resume repeats the run exactly "
            "and would diverge again: start a new run, e.g. with a smaller --lr"
        )
    if metadata["stop_reason"] in ("early_stopping", "learning_rate"):
        raise RunError(
            f"the run in {str(path)!r} stopped at epoch {trained} by "
            f"{metadata['stop_reason'].replace('_', ' ')}; there is nothing to resume"
        )
    if config.epochs <= trained:
        what = "finished its" if metadata["stop_reason"] == "epochs" else "already trained"
        raise RunError(
            f"the run in {str(path)!r} {what} {trained} epochs; to train it further, give "
            f"--epochs N with N > {trained}"
        )
    if config.epochs != saved.epochs and config.schedule == "cosine":
        raise RunError(
            f"--epochs cannot change for the run in {str(path)!r}: its cosine schedule decays "
            f"the learning rate over its {saved.epochs} epochs"
        )
    data = load_data(config)
    # The MLP as trained, and the scaler refitted as training fitted it: the fingerprint then
    # proves the model's inputs the same.
    mlp = MLP(tuple(metadata["sizes"]), config.hidden, config.output)
    run = Run(config, path, mlp, data.classes, fit_training_scaler(config, data))
    data = model_data(run, data)
    if fingerprint(data) != metadata["data_sha256"]:
        raise RunError(
            f"the data {config.data!r} differ from those the run in {str(path)!r} was trained "
            "on; resuming would not continue the same run"
        )
    state = load_state(path / rundir.CHECKPOINT, run)
    records = metadata["history"]
    rundir.rewrite_metrics(path / rundir.METRICS, records)  # drops epochs after the checkpoint
    rundir.write_json(path / rundir.CONFIG, config.to_dict())
    progress = {
        "records": records,
        "wall_time": metadata["wall_time"],
        "fingerprint": metadata["data_sha256"],
    }
    hooks = (on_start, on_epoch, stop_requested)
    return _train(run, data, state, progress, start, *hooks)


def _train(run, data, state, progress, start, on_start, on_epoch, stop_requested) -> dict:
    """Trains until the run's last epoch, a stop, or a requested stop (``Interrupted``)."""
    config, records = run.config, progress["records"]
    if on_start is not None:
        on_start(
            {
                "run_dir": str(run.path),
                "sizes": list(run.mlp.sizes),
                "n_train": len(data.X_train),
                "n_validation": 0 if data.X_val is None else len(data.X_val),
                "n_test": len(data.X_test),
                "first_epoch": records[-1]["epoch"] + 1 if records else 1,
                "epochs": config.epochs,
            }
        )
    X = jnp.asarray(data.X_train)  # on the device once: every stretch of epochs re-enters fit
    validation = None if data.X_val is None else (data.X_val, data.y_val)
    last_time = 0.0

    def callback(epoch: int, metrics: dict) -> bool:
        nonlocal last_time
        epoch_time, last_time = metrics["time"] - last_time, metrics["time"]
        record = {name: metrics[name] for name in _METRICS} | {"epoch_time": epoch_time}
        record["samples_per_second"] = len(X) / epoch_time if epoch_time > 0 else float("nan")
        records.append(record)
        with rundir.saving(log.path, epoch, kept()):
            log.write(record)
        if on_epoch is not None:
            on_epoch(record)
        # A pause after the last epoch too: the checkpoint then holds the state as trained (not
        # the params restored to the best epoch), so that a longer run continues it exactly.
        every = config.checkpoint_every
        due = epoch >= config.epochs or (every > 0 and epoch % every == 0)
        return due or bool(stop_requested and stop_requested())

    def kept() -> str:
        if not saved_epoch:
            return "no checkpoint was saved before"
        return f"the checkpoint of epoch {saved_epoch} is intact"

    def save(state: TrainState, stop_reason: str, **extra) -> None:
        wall_time = progress["wall_time"] + time.perf_counter() - start
        metadata = {
            "config": config.to_dict(),
            "sizes": list(run.mlp.sizes),
            "classes": None if run.classes is None else _json_labels(run.classes),
            "scaler": _scaler_to_json(run.scaler),
            "data_sha256": progress["fingerprint"],
            "history": rundir.plain(records),
            "stop_reason": stop_reason,
            "wall_time": wall_time,
            **extra,
        }
        path = run.path / rundir.CHECKPOINT
        with rundir.saving(path, int(state.epoch), kept()):
            save_checkpoint(path, state, metadata)

    saved_epoch = records[-1]["epoch"] if records else 0
    with rundir.MetricsLog(run.path / rundir.METRICS) as log:
        while True:
            last_time = 0.0
            try:
                _, history = fit(
                    run.mlp,
                    state,
                    X,
                    data.y_train,
                    key=_keys(config.seed)["fit"],
                    loss=config.loss,
                    optimizer=config.optimizer,
                    learning_rate=config.lr,
                    schedule=config.schedule,
                    batch_size=None if config.batch_size == "full" else config.batch_size,
                    epochs=config.epochs,
                    l2=config.l2,
                    grad=config.grad,
                    validation=validation,
                    early_stopping=config.early_stopping,
                    patience=config.patience,
                    monitor=config.monitor,
                    callback=callback,
                    epochs_per_program=1,  # the callback, and so a checkpoint, after every epoch
                )
            except DivergenceError as error:
                # The error's state is the last finite epoch's: it replaces the checkpoint,
                # marked so that a resume is refused rather than diverging again.
                failed = None
                if int(error.state.epoch) > 0:
                    divergence = {"epoch": error.epoch, "step": error.step, "what": error.what}
                    try:
                        save(error.state, "diverged", divergence=divergence)
                        saved_epoch = int(error.state.epoch)
                    except rundir.SaveError as save_error:
                        failed = save_error  # the divergence is the news; the old file stays
                raise _diverged(error, records, saved_epoch, failed) from None
            state = history.state
            stop_reason = history.stop_reason
            if stop_reason == "callback":
                stop_reason = "epochs" if int(state.epoch) >= config.epochs else "paused"
            save(state, stop_reason)
            saved_epoch = int(state.epoch)
            if stop_reason != "paused":
                break
            signal = stop_requested() if stop_requested else 0
            if signal:
                raise Interrupted(run.path, int(state.epoch), config.epochs, signal)
    summary = _summary(run, data, final_params(state), records, stop_reason)
    summary["wall_time"] = progress["wall_time"] + time.perf_counter() - start
    with rundir.saving(run.path / rundir.SUMMARY, saved_epoch, kept()):
        rundir.write_json(run.path / rundir.SUMMARY, summary)
    title = f"{config.data}: {_sizes_text(run.mlp.sizes)} {config.hidden}/{config.output}"
    with rundir.saving(run.path / rundir.FIGURE, saved_epoch, kept()):
        rundir.plot_history(run.path / rundir.FIGURE, records, title)
    return summary


def _diverged(error: DivergenceError, records, saved_epoch: int, failed) -> DivergenceError:
    """``error`` with the run's whole history in its message, not only the last stretch's, and
    the ``SaveError`` of the last finite state's checkpoint, if it ``failed``."""
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
    return DivergenceError(
        message,
        error.params,
        error.state,
        error.history,
        epoch=error.epoch,
        step=error.step,
        what=error.what,
    )


_METRICS = (
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "learning_rate",
    "steps",
)


def _summary(run: Run, data: Dataset, params, records, stop_reason: str) -> dict[str, Any]:
    config = run.config
    # The final params on each split, as ``jaxmlp evaluate --split`` computes them: what the
    # run's users will see (the epoch records are averages over the epoch's updates).
    splits = {
        name: {"n": len(X), **evaluate(run.mlp, params, X, y, loss=config.loss)}
        for name, X, y in (
            ("train", data.X_train, data.y_train),
            ("val", data.X_val, data.y_val),
            ("test", data.X_test, data.y_test),
        )
        if X is not None
    }
    test = splits["test"]
    last = records[-1]
    summary = {
        "run_dir": str(run.path),
        "data": config.data,
        "sizes": list(run.mlp.sizes),
        "epochs": last["epoch"],
        "stop_reason": stop_reason,
        "test_loss": test["loss"],
        "test_accuracy": test["accuracy"],
        "train_loss": last["train_loss"],
        "train_accuracy": last["train_accuracy"],
        "val_loss": last["val_loss"],
        "val_accuracy": last["val_accuracy"],
        "best_epoch": _best_epoch(records, config.monitor, data) if config.early_stopping else None,
        "n_train": len(data.X_train),
        "n_validation": 0 if data.X_val is None else len(data.X_val),
        "n_test": len(data.X_test),
        "train_time": float(sum(r["epoch_time"] or 0.0 for r in records)),
        "splits": splits,
        "config": config.to_dict(),
    }
    return summary


def _best_epoch(records, monitor: str, data: Dataset) -> int:
    monitor = resolve_monitor(
        monitor, has_validation=data.X_val is not None, classification=data.classes is not None
    )
    values = [np.nan if r[monitor] is None else r[monitor] for r in records]
    return records[int(np.nanargmin(monitored_values(monitor, values)))]["epoch"]


def final_params(state: TrainState):
    """The params a run ends with: those of its best epoch when early stopping tracked them."""
    return state.best_params if state.best_params is not None else state.params


# Data and model


def load_data(config: TrainConfig, *, spec: str | None = None, classes=None) -> Dataset:
    """The run's dataset (or ``spec``'s, loaded the same way), split as in training, unscaled.

    Labels are encoded with ``classes`` (a trained run's) or, by default, with the classes of
    the training split. Features are left as loaded: ``model_inputs`` scales them, once.
    """
    return load(
        spec or config.data,
        _keys(config.seed)["data"],
        flatten=config.flatten,
        test_fraction=config.test_fraction,
        validation=config.validation_fraction,
        label_column=config.label_column,
        header=config.header,
        classes=classes,
    )


def fit_training_scaler(config: TrainConfig, data: Dataset) -> Scaler | None:
    """The scaler ``config.scale`` names, fitted on the unscaled training split of ``data``."""
    return None if config.scale == "none" else fit_scaler(config.scale, data.X_train)


def model_inputs(X: np.ndarray, run: Run, spec: str) -> np.ndarray:
    """Features ``X: (n, d)`` of ``spec``, as loaded, turned into what the run's MLP takes.

    The one place where a run's scaler is applied: training, resuming, evaluating and
    predicting all pass their features through it, so none is scaled twice or not at all.

    Raises:
      RunError: ``X`` holds images, or rows of another width than the MLP's.
    """
    _check_rows(X, spec)
    if X.shape[1] != run.mlp.n_inputs:
        raise RunError(
            f"{spec!r} has {X.shape[1]} features but the run in {str(run.path)!r} was trained "
            f"on {run.mlp.n_inputs} ({run.config.data!r})"
        )
    return X if run.scaler is None else run.scaler(X, f"the features of {spec!r}")


def model_data(run: Run, data: Dataset) -> Dataset:
    """``data`` (unscaled, from ``load_data``) with every split through ``model_inputs``."""
    splits = {"X_train": data.X_train, "X_val": data.X_val, "X_test": data.X_test}
    inputs = {name: model_inputs(X, run, data.name) for name, X in splits.items() if X is not None}
    return dataclasses.replace(data, scaler=run.scaler, **inputs)


def build_mlp(config: TrainConfig, data: Dataset) -> MLP:
    """The MLP of ``config.sizes``, with ``d`` and ``c`` taken from ``data``, checked against it."""
    _check_rows(data.X_train, data.name)
    d, c = data.n_features, data.n_outputs
    sizes = [d if s == "d" else c if s == "c" else s for s in config.sizes]
    suggestion = _sizes_text([d, *sizes[1:-1], c])
    if sizes[0] != d:
        raise RunError(
            f"--sizes {_sizes_text(config.sizes)} starts with {sizes[0]} inputs but "
            f"{data.name!r} has {d} features; use --sizes {suggestion} (or d for the input width)"
        )
    binary_single_unit = data.n_classes == 2 and sizes[-1] == 1
    if sizes[-1] != c and not binary_single_unit:
        what = f"{c} classes" if data.classes is not None else f"{c} targets"
        raise RunError(
            f"--sizes {_sizes_text(config.sizes)} ends with {sizes[-1]} outputs but "
            f"{data.name!r} has {what}; use --sizes {suggestion} (or c for the output width)"
        )
    if config.monitor.endswith("_accuracy") and data.classes is None:
        raise RunError(
            f"--monitor {config.monitor} needs classes, but {data.name!r} has real targets; "
            "watch a loss (val_loss or train_loss)"
        )
    return MLP(tuple(sizes), config.hidden, config.output)


def fingerprint(data: Dataset) -> str:
    """SHA-256 of the training and validation arrays and the classes: what a resume must match."""
    sha256 = hashlib.sha256()
    arrays = [data.X_train, data.y_train, data.X_val, data.y_val]
    if data.classes is not None:
        arrays.append(np.asarray(_json_labels(data.classes), dtype=str))
    for array in arrays:
        if array is not None:
            array = np.ascontiguousarray(array)
            sha256.update(f"{array.dtype.str}{array.shape}".encode())
            sha256.update(array.tobytes())
    return sha256.hexdigest()


def default_run_dir(spec: str) -> str:
    """``runs/<data>-<date>-<time>``, e.g. ``runs/digits-20250101-120000``."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(spec.replace(":", "-")).name).strip("-")
    return str(Path("runs") / f"{name or 'run'}-{time.strftime('%Y%m%d-%H%M%S')}")


def _keys(seed: int) -> dict[str, jax.Array]:
    data, init, fit_key = jax.random.split(jax.random.key(seed), 3)
    return {"data": data, "init": init, "fit": fit_key}


def _dtype(config: TrainConfig):
    return jnp.float64 if config.dtype == "float64" else jnp.float32


def _check_rows(X, name: str) -> None:
    if X.ndim > 2:
        raise RunError(
            f"{name!r} holds images of shape {X.shape[1:]}, but an MLP takes rows: "
            "flatten them (--flatten, flatten = true)"
        )


def _sizes_text(sizes) -> str:
    return ",".join(str(s) for s in sizes)


# Checkpoints


def read_metadata(run_dir) -> dict[str, Any]:
    """The metadata of the run's checkpoint (verified), or a ``RunError`` if it has none."""
    path = Path(run_dir)
    checkpoint = path / rundir.CHECKPOINT
    if not path.is_dir():
        raise RunError(f"run directory {str(path)!r} does not exist")
    if not checkpoint.exists():
        hint = (
            "it was stopped before its first epoch ended; start it again with --overwrite"
            if rundir.holds_run(path)
            else "it does not hold a run"
        )
        raise RunError(f"run directory {str(path)!r} has no {rundir.CHECKPOINT}: {hint}")
    metadata = load_checkpoint_metadata(checkpoint)
    needed = ("config", "sizes", "classes", "scaler", "history", "stop_reason", "wall_time")
    missing = [key for key in needed if key not in metadata]
    if missing:
        raise RunError(f"{checkpoint} is not the checkpoint of a jaxmlp run: it lacks {missing}")
    return metadata


def config_from_metadata(metadata: dict[str, Any], run_dir: Path) -> TrainConfig:
    """The ``TrainConfig`` saved in a run's checkpoint metadata."""
    where = f"the config in {run_dir / rundir.CHECKPOINT}: "
    values = metadata["config"]
    for key in values:
        check_key(key, where=where)
    return check_config(TrainConfig(**values), where=where)


def open_run(run_dir) -> tuple[Run, TrainState]:
    """The run in ``run_dir`` and its last ``TrainState``, as ``evaluate`` and ``predict`` use."""
    path = Path(run_dir)
    metadata = read_metadata(path)
    config = config_from_metadata(metadata, path)
    classes = metadata["classes"]
    run = Run(
        config=config,
        path=path,
        mlp=MLP(tuple(metadata["sizes"]), config.hidden, config.output),
        classes=None if classes is None else np.asarray(classes),
        scaler=_scaler_from_json(metadata["scaler"]),
    )
    return run, load_state(path / rundir.CHECKPOINT, run)


def load_state(path: Path, run: Run) -> TrainState:
    """The ``TrainState`` saved at ``path``, loaded into the structure ``run`` trains with."""
    config = run.config
    params = init_params(jax.random.key(0), run.mlp, config.init, _dtype(config))
    optimizer = make_optimizer(config.optimizer, config.lr, config.schedule, total_steps=1)
    template = init_state(params, optimizer, jax.random.key(0), track_best=config.early_stopping)
    state, _ = load_checkpoint(path, template)
    return state


def _apply_changes(saved: TrainConfig, changes: dict[str, Any], path: Path) -> TrainConfig:
    changes = {name: check_field(name, value) for name, value in changes.items()}
    for name, value in changes.items():
        if name not in RESUMABLE and value != getattr(saved, name):
            raise RunError(
                f"{flag(name)} cannot change when resuming: the run in {str(path)!r} was "
                f"trained with {name}={getattr(saved, name)!r}; only --epochs and "
                "--checkpoint-every may change"
            )
    return check_config(dataclasses.replace(saved, **changes))


def _json_labels(classes: np.ndarray) -> list:
    if classes.dtype.kind == "S":
        classes = classes.astype(str)
    return classes.tolist()


def _scaler_to_json(scaler: Scaler | None) -> dict[str, Any] | None:
    if scaler is None:
        return None
    return {
        "name": scaler.name,
        "shape": list(scaler.offset.shape),
        "offset": scaler.offset.ravel().tolist(),
        "scale": scaler.scale.ravel().tolist(),
    }


def _scaler_from_json(values: dict[str, Any] | None) -> Scaler | None:
    if values is None:
        return None
    shape = tuple(values["shape"])
    offset = np.asarray(values["offset"], np.float64).reshape(shape)
    return Scaler(values["name"], offset, np.asarray(values["scale"], np.float64).reshape(shape))

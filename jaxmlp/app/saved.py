"""A run as its checkpoint keeps it: the metadata saved beside the state, and the run read back."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..data.preprocessing import Scaler
from ..io import rundir
from ..io.checkpoint import load_checkpoint, load_checkpoint_metadata
from ..mlp import MLP
from ..params import init_params
from ..training import TrainState, init_state
from ..training.optimizers import make_optimizer
from .config import TrainConfig, check_config, check_field, flag
from .config_file import check_config_key
from .inputs import Run, RunError, json_labels

# What a resume may change; anything else would make it another run.
RESUMABLE = ("epochs", "checkpoint_every", "run_dir")
# The metadata keys every run's checkpoint holds (``checkpoint_metadata``).
NEEDED = ("config", "sizes", "classes", "scaler", "history", "stop_reason", "wall_time")


def checkpoint_metadata(
    run: Run, records, stop_reason: str, wall_time: float, data_sha256: str, **extra
):
    """What a checkpoint of ``run`` keeps beside its state, as a JSON-friendly dict."""
    scaler = run.scaler
    if scaler is not None:
        offset, scale = scaler.offset, scaler.scale
        scaler = {"name": scaler.name, "shape": list(offset.shape)}
        scaler |= {"offset": offset.ravel().tolist(), "scale": scale.ravel().tolist()}
    return {
        "config": run.config.to_dict(),
        "sizes": list(run.mlp.sizes),
        "classes": None if run.classes is None else json_labels(run.classes),
        "scaler": scaler,
        "data_sha256": data_sha256,
        "history": rundir.plain(records),
        "stop_reason": stop_reason,
        "wall_time": wall_time,
        **extra,
    }


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
    values = load_checkpoint_metadata(checkpoint)
    missing = [key for key in NEEDED if key not in values]
    if missing:
        raise RunError(f"{checkpoint} is not the checkpoint of a jaxmlp run: it lacks {missing}")
    return values


def config_from_metadata(values: dict[str, Any], run_dir) -> TrainConfig:
    """The ``TrainConfig`` saved in a run's checkpoint metadata, checked."""
    where = f"the config in {Path(run_dir) / rundir.CHECKPOINT}: "
    for key in values["config"]:
        check_config_key(key, where=where)
    return check_config(TrainConfig(**values["config"]), where=where)


def saved_config(run_dir) -> TrainConfig:
    """The ``TrainConfig`` of the run in ``run_dir``."""
    return config_from_metadata(read_metadata(run_dir), run_dir)


def resumed_config(metadata: dict[str, Any], changes: dict[str, Any], path: Path) -> TrainConfig:
    """The run's config after ``changes``, or a ``RunError`` saying why the run cannot continue."""
    config = config_from_metadata(metadata, path)
    changes = {name: check_field(name, value) for name, value in changes.items()}
    for name, value in changes.items():
        if name not in RESUMABLE and value != getattr(config, name):
            raise RunError(
                f"{flag(name)} cannot change when resuming: the run in {str(path)!r} was "
                f"trained with {name}={getattr(config, name)!r}; only --epochs and "
                "--checkpoint-every may change"
            )
    resumed = check_config(dataclasses.replace(config, **{**changes, "run_dir": str(path)}))
    trained = metadata["history"][-1]["epoch"] if metadata["history"] else 0
    stop_reason = metadata["stop_reason"]
    if stop_reason == "diverged":
        where = metadata.get("divergence") or {}
        at = f"epoch {where.get('epoch', trained + 1)}, step {where.get('step', '?')}"
        raise RunError(
            f"the run in {str(path)!r} diverged at {at}; its checkpoint holds epoch {trained}, "
            "the last finite state, for evaluate and predict. A resume repeats the run exactly "
            "and would diverge again: start a new run, e.g. with a smaller --lr"
        )
    if stop_reason in ("early_stopping", "learning_rate"):
        raise RunError(
            f"the run in {str(path)!r} stopped at epoch {trained} by "
            f"{stop_reason.replace('_', ' ')}; there is nothing to resume"
        )
    if resumed.epochs <= trained:
        what = "finished its" if stop_reason == "epochs" else "already trained"
        raise RunError(
            f"the run in {str(path)!r} {what} {trained} epochs; to train it further, give "
            f"--epochs N with N > {trained}"
        )
    if resumed.epochs != config.epochs and config.schedule == "cosine":
        raise RunError(
            f"--epochs cannot change for the run in {str(path)!r}: its cosine schedule decays "
            f"the learning rate over its {config.epochs} epochs"
        )
    return resumed


def open_run(run_dir) -> tuple[Run, TrainState]:
    """The run in ``run_dir`` and its last ``TrainState``, as ``evaluate`` and ``predict`` use."""
    path = Path(run_dir)
    values = read_metadata(path)
    config = config_from_metadata(values, path)
    scaler, classes = values["scaler"], values["classes"]
    if scaler is not None:
        shape = tuple(scaler["shape"])
        offset, scale = (
            np.asarray(scaler[k], np.float64).reshape(shape) for k in ("offset", "scale")
        )
        scaler = Scaler(scaler["name"], offset, scale)
    mlp = MLP(tuple(values["sizes"]), config.hidden, config.output)
    run = Run(config, path, mlp, None if classes is None else np.asarray(classes), scaler)
    return run, load_state(path / rundir.CHECKPOINT, run)


def load_state(path: Path, run: Run) -> TrainState:
    """The ``TrainState`` saved at ``path``, loaded into the structure ``run`` trains with."""
    config = run.config
    params = init_params(jax.random.key(0), run.mlp, config.init, jnp.dtype(config.dtype))
    optimizer = make_optimizer(config.optimizer, config.lr, config.schedule, total_steps=1)
    template = init_state(params, optimizer, jax.random.key(0), track_best=config.early_stopping)
    return load_checkpoint(path, template)[0]


def final_params(state: TrainState):
    """The params a run ends with: those of its best epoch when early stopping tracked them."""
    return state.best_params if state.best_params is not None else state.params

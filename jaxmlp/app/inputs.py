"""What a run's model takes: its data, loaded, checked and scaled once, and its MLP.

Training, resuming, evaluating and predicting all load data with ``load_data`` (encoded, never
scaled), then pass them through ``model_inputs`` (width checked, the run's scaler applied once).
One seed drives everything: ``keys(seed)`` gives the keys of the data, the params and ``fit``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
from pathlib import Path

import jax
import numpy as np

from ..data import Dataset, load
from ..data.augment import Shifts, shifts_from_spec
from ..data.preprocessing import Scaler, fit_scaler
from ..mlp import MLP
from ..sample_weights import example_weights
from .config import TrainConfig


class RunError(ValueError):
    """A run that cannot be trained, resumed or used as asked; the message says why."""


@dataclasses.dataclass(frozen=True, eq=False)
class Run:
    """A run's configuration and everything derived from it and its data."""

    config: TrainConfig
    path: Path
    mlp: MLP
    classes: np.ndarray | None  # (c,) original labels; None for regression
    scaler: Scaler | None
    augment: Shifts | None = None  # of config.augment, for the data's images


def keys(seed: int) -> dict[str, jax.Array]:
    """The keys of the data, of the initial params and of ``fit`` (the shuffling)."""
    data, init, fit_key = jax.random.split(jax.random.key(seed), 3)
    return {"data": data, "init": init, "fit": fit_key}


def load_data(config: TrainConfig, *, spec: str | None = None, classes=None) -> Dataset:
    """The run's dataset (or ``spec``'s), split as in training, unscaled; labels encoded with
    ``classes`` (a trained run's), by default with those of the training split."""
    return load(
        spec or config.data,
        keys(config.seed)["data"],
        flatten=config.flatten,
        test_fraction=config.test_fraction,
        validation=config.validation_fraction,
        label_column=config.label_column,
        header=config.header,
        classes=classes,
        weight_column=config.weight_column,
    )


def fit_training_scaler(config: TrainConfig, data: Dataset) -> Scaler | None:
    """The scaler ``config.scale`` names, fitted on the unscaled training split of ``data``."""
    return None if config.scale == "none" else fit_scaler(config.scale, data.X_train)


def model_inputs(X: np.ndarray, run: Run, spec: str) -> np.ndarray:
    """Features ``X: (n, d)`` of ``spec`` through the run's scaler; a ``RunError`` for images
    or rows of another width than the MLP's."""
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
    given, suggestion = sizes_text(config.sizes), sizes_text([d, *sizes[1:-1], c])
    if sizes[0] != d:
        raise RunError(
            f"--sizes {given} starts with {sizes[0]} inputs but {data.name!r} has {d} "
            f"features; use --sizes {suggestion} (or d for the input width)"
        )
    if sizes[-1] != c and not (data.n_classes == 2 and sizes[-1] == 1):
        what = f"{c} classes" if data.classes is not None else f"{c} targets"
        raise RunError(
            f"--sizes {given} ends with {sizes[-1]} outputs but {data.name!r} has {what}; "
            f"use --sizes {suggestion} (or c for the output width)"
        )
    if config.class_weight != "none" and data.classes is None:
        raise RunError(
            f"--class-weight {config.class_weight} weighs classes, but {data.name!r} has real "
            "targets; leave it at none (weigh examples with --weight-column)"
        )
    if config.monitor.endswith("_accuracy") and data.classes is None:
        raise RunError(
            f"--monitor {config.monitor} needs classes, but {data.name!r} has real targets; "
            "watch a loss (val_loss or train_loss)"
        )
    return MLP(tuple(sizes), config.hidden, config.output)


def fit_weights(config: TrainConfig, data: Dataset, mlp: MLP) -> dict:
    """``fit``'s ``sample_weight``, ``class_weight`` and ``validation`` for the run, checked:
    a ``RunError`` for weights that leave nothing to train on."""
    class_weight = None if config.class_weight == "none" else config.class_weight
    validation = None if data.X_val is None else (data.X_val, data.y_val)
    if validation is not None and data.w_val is not None:
        validation = (*validation, data.w_val)
    splits = [("training", data.y_train, data.w_train)]
    if data.X_val is not None and (data.w_train is not None or class_weight is not None):
        w_val = np.ones(len(data.y_val)) if data.w_val is None else data.w_val
        splits.append(("validation", data.y_val, w_val))
    for split, y, w in splits:
        try:
            example_weights(mlp, y, len(y), w, class_weight, np.float64)
        except ValueError as error:
            raise RunError(f"the weights of the {split} split of {data.name!r}: {error}") from None
    return {"sample_weight": data.w_train, "class_weight": class_weight, "validation": validation}


def build_augment(config: TrainConfig, data: Dataset) -> Shifts | None:
    """The augmentation ``config.augment`` names, for the images of ``data``; a ``RunError``
    for data that are not images, or images a per-pixel scaler would scramble when shifted."""
    if config.augment == "none":
        return None
    if data.image_shape is None:
        raise RunError(
            f"--augment {config.augment} shifts images, but {data.name!r} has no image shape; "
            "use image data (fashion-mnist, mnist:DIR, idx:DIR, digits, an .npz of images) "
            "or --augment none"
        )
    if config.scale == "standardize_global":
        # One map for all pixels moves with them, but black is no longer 0: the fill would be gray.
        raise RunError(
            f"--augment {config.augment} fills the border with zeros, but --scale "
            f"{config.scale} maps black to a negative value (zero is the mean pixel); use "
            "--scale none with --augment (pixels are in [0, 1])"
        )
    if config.scale != "none":
        # A shifted row would carry each pixel's scaled value to a place scaled otherwise.
        raise RunError(
            f"--augment {config.augment} shifts pixels, but --scale {config.scale} scales each "
            "pixel by its own statistics; use --scale none with --augment (pixels are in [0, 1])"
        )
    try:
        return shifts_from_spec(config.augment, data.image_shape)
    except ValueError as error:  # a shift too large for the images
        raise RunError(f"--augment {config.augment} on {data.name!r}: {error}") from None


def fingerprint(data: Dataset) -> str:
    """SHA-256 of the training and validation arrays, their weights and the classes: what a
    resume must match."""
    sha256 = hashlib.sha256()
    arrays = [data.X_train, data.y_train, data.X_val, data.y_val, data.w_train, data.w_val]
    if data.classes is not None:
        arrays.append(np.asarray(json_labels(data.classes), dtype=str))
    for array in arrays:
        if array is not None:
            array = np.ascontiguousarray(array)
            sha256.update(f"{array.dtype.str}{array.shape}".encode())
            sha256.update(array.tobytes())
    return sha256.hexdigest()


def json_labels(classes: np.ndarray) -> list:
    """The label classes as a JSON list (bytes as text)."""
    return (classes.astype(str) if classes.dtype.kind == "S" else classes).tolist()


def default_run_dir(spec: str) -> str:
    """``runs/<data>-<date>-<time>``, e.g. ``runs/digits-20250101-120000``."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(spec.replace(":", "-")).name).strip("-")
    return str(Path("runs") / f"{name or 'run'}-{time.strftime('%Y%m%d-%H%M%S')}")


def sizes_text(sizes) -> str:
    return ",".join(str(s) for s in sizes)


def _check_rows(X, name: str) -> None:
    if X.ndim > 2:
        raise RunError(
            f"{name!r} holds images of shape {X.shape[1:]}, but an MLP takes rows: "
            "flatten them (--flatten, flatten = true)"
        )

"""The configuration of a training run: one frozen dataclass, with the help of each flag.

``TrainConfig()``'s defaults, overridden by a TOML or JSON file (``config_file``), overridden
by the command line (``batch_size`` is ``--batch-size``). Every value is checked by
``check_field``, whatever its source, so it gets one message. Nothing here imports JAX: the
choices are ``jaxmlp.names``, the scalar rules ``jaxmlp.rules``.

Example:
  >>> from jaxmlp.app.config import TrainConfig, check_config
  >>> config = check_config(TrainConfig(data="moons", sizes=("d", 16, "c"), epochs=5))
  >>> config.sizes, config.batch_size
  (('d', 16, 'c'), 32)
"""

from __future__ import annotations

import dataclasses
import difflib
import numbers
import os
from typing import Any

from .. import names
from ..data.catalog import parse_augment
from ..rules import RULES, check_full_batch, check_scalar


class ConfigError(ValueError):
    """A configuration value, key or file that cannot be used; the message names it."""


# In ``sizes``, the input width ``d`` and the output width ``c`` may be left to the data.
INFERRED_SIZES = ("d", "c")


def _field(default, help: str, *, shown: str | None = None):
    """A field with its flag's help, and the default as the help shows it if not its own."""
    metadata = {"help": help} if shown is None else {"help": help, "shown_default": shown}
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run; ``metadata["help"]`` is each flag's help."""

    data: str = _field(
        "digits", "the data: a dataset, a file or a synthetic problem, as listed below"
    )
    sizes: tuple = _field(("d", 64, "c"), "layer widths d,h_1,...,c; d and c are read off the data")
    hidden: str = _field("relu", "activation of the hidden layers")
    output: str = _field("softmax", "activation of the output layer")
    loss: str = _field("cross_entropy", "the loss J")
    optimizer: str = _field("adam", "the optimizer")
    lr: float = _field(0.001, "initial learning rate")
    schedule: str = _field("constant", "learning rate schedule")
    batch_size: int | str = _field(32, "examples per update; full for full-batch gradient descent")
    epochs: int = _field(10, "passes over the training split")
    l2: float = _field(0.0, "weight decay: l2/2 times the sum of the squared weights")
    grad: str = _field("autodiff", "gradients: autodiff is jax.grad, backprop the hand-written")
    dropout: float = _field(0.0, "rate at which hidden units are dropped in training; 0: none")
    seed: int = _field(0, "one seed for the data split, the initial weights and the shuffling")
    init: str = _field("glorot_uniform", "initialisation of the weights")
    validation_fraction: float = _field(
        0.0, "share of the training split held out for validation; 0: none"
    )
    early_stopping: bool = _field(False, "stop when the monitored quantity stops improving")
    patience: int = _field(10, "epochs without improvement before early stopping")
    monitor: str = _field(
        "auto",
        "what early stopping watches; auto: the validation loss if there is a validation "
        "split, else the training loss",
    )
    scale: str = _field(
        "none",
        "feature scaling, fitted on the training split: standardize and minmax per feature, "
        "standardize_global one mean and std for all features (pixels stay comparable)",
    )
    dtype: str = _field("float32", "float type of the params; float64 enables 64-bit JAX")
    test_fraction: float = _field(0.2, "share held out for testing when the data has no test split")
    flatten: bool = _field(True, "flatten images (n, h, w) into rows (n, h*w)")
    augment: str = _field(
        "none",
        "training-time augmentation of image data: none, or shift:S to move each training "
        "image by its own random (dy, dx) in [-S, S]^2, zero-filled; never validation or test",
    )
    label_column: int | str = _field(
        -1, "CSV files: the label column, an index or a header name", shown="-1, the last"
    )
    header: bool | None = _field(
        None, "CSV files: whether the first row is a header", shown="detect"
    )
    weight_column: int | str | None = _field(
        None,
        "CSV files: a column of example weights, an index or a header name, taken out of the "
        "features (an NPZ archive's weights are its array w)",
        shown="none",
    )
    class_weight: str = _field(
        "none", "class weights: balanced weighs class k by n / (c count_k), as scikit-learn"
    )
    checkpoint_every: int = _field(
        1, "epochs between checkpoints; 0: only at the end and on interrupt"
    )
    run_dir: str | None = _field(
        None, "where the checkpoints, metrics and figures go", shown="runs/DATA-TIME"
    )

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-friendly values (``sizes`` as a list)."""
        values = dataclasses.asdict(self)
        values["sizes"] = list(self.sizes)
        return values


FIELDS = {field.name: field for field in dataclasses.fields(TrainConfig)}
CHOICES = {
    "hidden": names.HIDDEN_ACTIVATIONS,
    "output": names.ACTIVATIONS,
    "loss": names.LOSSES,
    "optimizer": names.OPTIMIZERS,
    "schedule": names.SCHEDULES,
    "grad": ("autodiff", "backprop"),
    "init": names.INITS,
    "scale": ("none", "standardize", "standardize_global", "minmax"),
    "dtype": ("float32", "float64"),
    "monitor": names.MONITORS,
    "class_weight": ("none", "balanced"),
}
# The fields that are scalars, by their rule in ``jaxmlp.rules.RULES``.
SCALARS = {
    "epochs": "count",
    "patience": "count",
    "batch_size": "count",  # or "full"
    "checkpoint_every": "count_or_zero",
    "seed": "seed",
    "lr": "positive",
    "l2": "non_negative",
    "validation_fraction": "fraction_or_zero",
    "dropout": "fraction_or_zero",
    "test_fraction": "fraction",
}
BOOLS = ("early_stopping", "flatten", "header")
# The fields that are text, and what is expected of them.
TEXTS = {
    "data": "a data spec such as 'digits'",
    "label_column": "a column index or a column name",
    "weight_column": "a column index or a column name, or None for no weights",
    "run_dir": "a directory path, or None for runs/DATA-TIME",
}


def flag(name: str) -> str:
    """The command-line flag of field ``name``: ``batch_size`` -> ``--batch-size``."""
    return "--" + name.replace("_", "-")


def check_field(name: str, value: Any, *, where: str = "") -> Any:
    """``value`` (from Python, a file, a checkpoint or ``parse_flag``) checked for field ``name``
    and in its type; a ``ConfigError`` names ``where`` (``"run.toml: "``), field, flag and value."""
    named = f"{where}{_named(name)}"

    def fail(expected: str):
        raise ConfigError(f"{named} must be {expected}, got {value!r}")

    if name in CHOICES:
        choices = CHOICES[name]
        if isinstance(value, str) and value in choices:
            return value
        close = difflib.get_close_matches(str(value), choices, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"{named} {value!r} is not known; choose one of {list(choices)}{hint}")
    if name == "sizes":
        return _check_sizes(value, named)
    if name == "augment":
        try:
            parse_augment(value)
        except ValueError:
            raise ConfigError(
                f"{named} {value!r} is not known; expected 'none' or 'shift:S' with S a positive "
                "integer, the largest shift in pixels (e.g. 'shift:2')"
            ) from None
        return value.strip()
    if name == "batch_size":
        if isinstance(value, str) and value == "full":
            return value
        expected, ok = RULES["count"]
        if not ok(value):
            fail(f"{expected} or 'full'")
    if name in SCALARS:
        value = check_scalar(value, SCALARS[name], named, error=ConfigError)
        return type(FIELDS[name].default)(value)  # lr=1 is 1.0, as its default 0.001 is a float
    if name in BOOLS:
        if isinstance(value, bool) or (name == "header" and value is None):
            return value
        fail("true, false or None (detect)" if name == "header" else "true or false")
    if name in ("label_column", "weight_column") and _is_int(value):
        return int(value)
    if name in ("run_dir", "weight_column") and value is None:
        return None
    if name in TEXTS:
        value = os.fspath(value) if name == "run_dir" and isinstance(value, os.PathLike) else value
        if not (isinstance(value, str) and value.strip()):
            fail(TEXTS[name])
        return value
    raise ConfigError(f"{where}unknown key {name!r}")  # a field without a rule


def parse_flag(name: str, text: str) -> Any:
    """Field ``name``'s flag text as a number, a tuple of widths or text, for ``check_field``."""
    if name == "sizes":
        return tuple(_number(part.strip()) for part in text.split(","))
    if name in ("label_column", "weight_column"):
        number = _number(text)
        return number if _is_int(number) else text
    if name in SCALARS:
        return _number(text)
    return text


def check_config(config: TrainConfig, *, where: str = "") -> TrainConfig:
    """``config`` with each field checked (``check_field``), then the fields against each
    other; a ``ConfigError`` names the first bad value, after ``where`` (its source)."""
    if not isinstance(config, TrainConfig):
        raise ConfigError(f"{where}config must be a TrainConfig, got {type(config).__name__}")
    values = {name: check_field(name, getattr(config, name), where=where) for name in FIELDS}
    config = dataclasses.replace(config, **values)
    if config.monitor.startswith("val_") and config.validation_fraction == 0:
        raise ConfigError(
            f"{where}{_named('monitor')} {config.monitor!r} needs a validation split: "
            f"set {_named('validation_fraction')} above 0"
        )
    name = f"{where}batch_size (--batch-size)"
    check_full_batch(
        config.optimizer, config.batch_size, name=name, full="'full'", error=ConfigError
    )
    # A loss that needs another output activation.
    names.check_loss_output(config.loss, names.LOSS_OUTPUTS[config.loss], config.output)
    return config


def _number(text: str) -> Any:
    """``text`` as an ``int`` or a ``float`` where it reads as one, else ``text`` itself."""
    for number in (int, float):
        try:
            return number(text)
        except ValueError:
            pass
    return text


def _check_sizes(value: Any, named: str) -> tuple:
    """``sizes`` as widths >= 1, ``d`` only first, ``c`` only last; a string read as the flag."""
    if isinstance(value, str):
        value = parse_flag("sizes", value)
    if not isinstance(value, list | tuple) or not all(
        _is_int(size) or (isinstance(size, str) and size in INFERRED_SIZES) for size in value
    ):
        raise ConfigError(
            f"{named} must be layer widths such as 784,256,10 or d,256,c (integers, d first, "
            f"c last), got {_show(value)}"
        )
    if len(value) < 2:
        raise ConfigError(
            f"{named} needs at least an input and an output width, e.g. 784,256,10 or "
            f"d,256,c; got {_show(value)}"
        )
    for i, size in enumerate(value):
        if size == "d" and i != 0 or size == "c" and i != len(value) - 1:
            raise ConfigError(
                f"{named} {_show(value)}: d may only be the first width and c only the last"
            )
        if _is_int(size) and size < 1:
            raise ConfigError(f"{named} {_show(value)}: widths must be positive")
    return tuple(int(size) if _is_int(size) else size for size in value)


def _named(name: str) -> str:
    return f"{name} ({flag(name)})"


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _show(value) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return repr(value)

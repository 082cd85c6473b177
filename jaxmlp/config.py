"""The configuration of a training run: one frozen dataclass, from which the flags are made.

A run's configuration is ``TrainConfig()``'s defaults, overridden by a TOML or JSON file
(``--config run.toml``, the field names as keys), overridden by the command line (the field
names as flags: ``batch_size`` is ``--batch-size``). An unknown key is an error that suggests
the closest field; a value of the wrong type names its key.

Example:
  >>> from jaxmlp.config import TrainConfig, check_config
  >>> config = check_config(TrainConfig(data="moons", sizes=("d", 16, "c"), epochs=5))
  >>> config.sizes, config.batch_size
  (('d', 16, 'c'), 32)
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import inspect
import json
import math
import numbers
import os
import re
import tomllib
from typing import Any

from .activations import ACTIVATIONS
from .losses import LOSSES, get_loss
from .optimizers import OPTIMIZERS, SCHEDULES
from .params import INITS
from .train import MONITORS


class ConfigError(ValueError):
    """A configuration value, key or file that cannot be used; the message names it."""


# In ``sizes``, the input width ``d`` and the output width ``c`` may be left to the data.
INFERRED_SIZES = ("d", "c")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run; the command line's flags are its fields."""

    data: str = "digits"  # digits, fashion-mnist, mnist:DIR, csv:PATH, npz:PATH, moons, ...
    sizes: tuple = ("d", 64, "c")  # layer widths d,h_1,...,c; d and c are read off the data
    hidden: str = "relu"  # activation of the hidden layers
    output: str = "softmax"  # activation of the output layer
    loss: str = "cross_entropy"  # the loss J: mse, cross_entropy or binary_cross_entropy
    optimizer: str = "adam"  # sgd, momentum, nesterov, adam, adamw or lbfgs
    lr: float = 0.001  # initial learning rate
    schedule: str = "constant"  # learning rate schedule: constant, invscaling, cosine, adaptive
    batch_size: int | str = 32  # examples per update; full for full-batch gradient descent
    epochs: int = 10  # passes over the training split
    l2: float = 0.0  # weight decay: l2/2 times the sum of the squared weights
    grad: str = "autodiff"  # gradients from jax.grad (autodiff) or the hand-written backprop
    seed: int = 0  # one seed for the data split, the initial weights and the shuffling
    init: str = "glorot_uniform"  # initialisation of the weights
    validation_fraction: float = 0.0  # share of the training split for validation; 0: none
    early_stopping: bool = False  # stop when the monitored quantity stops improving
    patience: int = 10  # epochs without improvement before early stopping
    # What early stopping watches: auto (the validation loss if any, else the training loss),
    # val_loss, val_accuracy, train_loss or train_accuracy.
    monitor: str = "auto"
    scale: str = "none"  # feature scaling fitted on the training split: none, standardize, minmax
    dtype: str = "float32"  # float32, or float64 (the command line then enables 64-bit JAX)
    test_fraction: float = 0.2  # share held out for testing when the data has no test split
    flatten: bool = True  # flatten images (n, h, w) into rows (n, h*w)
    label_column: int | str = -1  # CSV files: the label column, an index or a header name
    header: bool | None = None  # CSV files: whether the first row is a header (default: detect)
    checkpoint_every: int = 1  # epochs between checkpoints; 0: only at the end and on interrupt
    run_dir: str | None = None  # checkpoints, metrics and figures go here (default: runs/DATA-TIME)

    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-friendly values (``sizes`` as a list)."""
        values = dataclasses.asdict(self)
        values["sizes"] = list(self.sizes)
        return values


FIELDS = {field.name: field for field in dataclasses.fields(TrainConfig)}
CHOICES = {
    "hidden": tuple(name for name, act in ACTIVATIONS.items() if act.elementwise),
    "output": tuple(ACTIVATIONS),
    "loss": tuple(LOSSES),
    "optimizer": OPTIMIZERS,
    "schedule": SCHEDULES,
    "grad": ("autodiff", "backprop"),
    "init": tuple(INITS),
    "scale": ("none", "standardize", "minmax"),
    "dtype": ("float32", "float64"),
    "monitor": MONITORS,
}
_INTS = ("epochs", "seed", "patience", "checkpoint_every")
_FLOATS = ("lr", "l2", "validation_fraction", "test_fraction")
_BOOLS = ("early_stopping", "flatten")


def flag(name: str) -> str:
    """The command-line flag of field ``name``: ``batch_size`` -> ``--batch-size``."""
    return "--" + name.replace("_", "-")


def convert(name: str, value: Any, *, where: str = "") -> Any:
    """Checks the type of ``value`` for field ``name``; a string from the command line is parsed.

    Args:
      name: a field of ``TrainConfig``.
      value: from a config file (any JSON/TOML value) or the command line (a string).
      where: where the value comes from, for the message, e.g. ``"run.toml: "``.

    Raises:
      ConfigError: naming the key, the value and the type expected.
    """
    text = isinstance(value, str)

    def fail(expected: str):
        raise ConfigError(f"{where}{name} must be {expected}, got {value!r}")

    if name == "sizes":
        return _convert_sizes(value, fail)
    if name == "batch_size":
        if value == "full" or _is_int(value):
            return value
        if text and re.fullmatch(r"[+-]?\d+", value.strip()):
            return int(value)
        fail("an integer or 'full'")
    if name in _INTS:
        if _is_int(value):
            return int(value)
        if text and re.fullmatch(r"[+-]?\d+", value.strip()):
            return int(value)
        fail("an integer")
    if name in _FLOATS:
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return float(value)
        if text:
            try:
                return float(value)
            except ValueError:
                pass
        fail("a number")
    if name in _BOOLS or name == "header":
        if isinstance(value, bool) or (name == "header" and value is None):
            return value
        fail("true or false")
    if name == "label_column":
        if _is_int(value):
            return int(value)
        if text:
            return int(value) if re.fullmatch(r"[+-]?\d+", value.strip()) else value
        fail("a column index or a column name")
    if name == "run_dir" and value is None:
        return None
    if not text:
        fail("a string")
    return value


def check_config(config: TrainConfig) -> TrainConfig:
    """Checks the values of ``config``: names among the choices, sizes, counts and rates.

    Returns:
      ``config``, unchanged.

    Raises:
      ConfigError: the first bad value, naming its key and flag and what was expected.
    """
    for name, choices in CHOICES.items():
        value = getattr(config, name)
        if value not in choices:
            close = difflib.get_close_matches(str(value), choices, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(
                f"{_named(name)} {value!r} is not known; choose one of {list(choices)}{hint}"
            )
    _check_sizes_pattern(config.sizes)
    _check_number(config.lr, "lr", "> 0", config.lr > 0)
    _check_number(config.l2, "l2", ">= 0", config.l2 >= 0)
    for name in ("epochs", "patience"):
        if getattr(config, name) < 1:
            raise ConfigError(
                f"{_named(name)} must be a positive integer, got {getattr(config, name)}"
            )
    if config.batch_size != "full" and config.batch_size < 1:
        raise ConfigError(
            f"{_named('batch_size')} must be a positive integer or 'full', got {config.batch_size}"
        )
    if config.checkpoint_every < 0:
        raise ConfigError(
            f"{_named('checkpoint_every')} must be >= 0, got {config.checkpoint_every}"
        )
    if config.seed < 0:
        raise ConfigError(f"{_named('seed')} must be >= 0, got {config.seed}")
    _check_number(
        config.validation_fraction,
        "validation_fraction",
        "in [0, 1)",
        0 <= config.validation_fraction < 1,
    )
    _check_number(config.test_fraction, "test_fraction", "in (0, 1)", 0 < config.test_fraction < 1)
    if config.monitor.startswith("val_") and config.validation_fraction == 0:
        raise ConfigError(
            f"{_named('monitor')} {config.monitor!r} needs a validation split: "
            f"set {_named('validation_fraction')} above 0"
        )
    if config.optimizer == "lbfgs" and config.batch_size != "full":
        raise ConfigError("optimizer 'lbfgs' is full-batch: give --batch-size full with it")
    if not config.data.strip():
        raise ConfigError(f"{_named('data')} is empty; give a data spec such as 'digits'")
    get_loss(config.loss, config.output)  # a loss that needs another output activation
    return config


def read_config_file(path: str | os.PathLike) -> dict[str, Any]:
    """The fields set in a ``.toml`` or ``.json`` file, each checked by ``convert``.

    Raises:
      ConfigError: the file is missing, unreadable or malformed, holds an unknown key (the
        closest field is suggested), or a value of the wrong type (its key is named).
    """
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in (".toml", ".json"):
        raise ConfigError(f"config file {path!r} must end in .toml or .json")
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        raise ConfigError(f"config file {path!r} does not exist") from None
    except OSError as error:
        raise ConfigError(f"config file {path!r} cannot be read: {error.strerror}") from None
    try:
        if suffix == ".toml":
            values = tomllib.loads(data.decode("utf-8"))
        else:
            values = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ConfigError(f"config file {path!r} is not UTF-8 text ({error.reason})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path!r} is not valid TOML: {error}") from None
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"config file {path!r}, line {error.lineno}, column {error.colno}: not valid JSON: "
            f"{error.msg}"
        ) from None
    if not isinstance(values, dict):
        raise ConfigError(
            f"config file {path!r} must hold a table of keys, got {type(values).__name__}"
        )
    for key in values:
        check_key(key, where=f"config file {path!r}: ")
    return {key: convert(key, value, where=f"{path}: ") for key, value in values.items()}


def check_key(key: str, *, where: str = "") -> None:
    """Checks that ``key`` is a field of ``TrainConfig``, suggesting the closest one if not."""
    if key in FIELDS:
        return
    close = closest_field(str(key))
    hint = f"; did you mean {close!r}?" if close else f"; the keys are {list(FIELDS)}"
    raise ConfigError(f"{where}unknown key {key!r}{hint}")


# Names other libraries use for a field, to suggest the field.
ALIASES = {
    "learning_rate": "lr",
    "learning_rate_init": "lr",
    "dataset": "data",
    "layers": "sizes",
    "hidden_sizes": "sizes",
    "hidden_layer_sizes": "sizes",
    "activation": "hidden",
    "hidden_activation": "hidden",
    "output_activation": "output",
    "solver": "optimizer",
    "weight_decay": "l2",
    "alpha": "l2",
    "max_epochs": "epochs",
    "max_iter": "epochs",
    "n_epochs": "epochs",
    "random_state": "seed",
    "out_dir": "run_dir",
    "output_dir": "run_dir",
    "n_iter_no_change": "patience",
}


def closest_field(name: str) -> str | None:
    """The field most like ``name`` (``"learning-rate"`` -> ``"lr"``), or ``None``."""
    name = name.lstrip("-").replace("-", "_")
    if name in FIELDS:
        return name
    if name in ALIASES:
        return ALIASES[name]
    close = difflib.get_close_matches(name, FIELDS, n=1, cutoff=0.6)
    return close[0] if close else None


def add_arguments(parser: argparse.ArgumentParser, names=None, defaults=None) -> None:
    """Adds a flag per field of ``TrainConfig`` (or of ``names``) to ``parser``.

    A flag not given is absent from the parsed namespace (``argparse.SUPPRESS``), so that
    only what the command line sets overrides a config file.

    Args:
      parser: where the flags go.
      names: the fields to add (default: all).
      defaults: defaults to show in the help instead of ``TrainConfig``'s, by field.
    """
    defaults = defaults or {}
    for name in names or FIELDS:
        default = defaults.get(name, FIELDS[name].default)
        help_text = FIELD_HELP.get(name, "")
        if name in CHOICES and not all(choice in help_text for choice in CHOICES[name]):
            help_text += f": {', '.join(CHOICES[name])}"
        help_text += f" (default: {_show(default)})"
        if name in _BOOLS or name == "header":
            parser.add_argument(
                flag(name),
                dest=name,
                action=argparse.BooleanOptionalAction,
                default=argparse.SUPPRESS,
                help=help_text,
            )
            continue
        parser.add_argument(
            flag(name),
            dest=name,
            type=_argparse_type(name),
            default=argparse.SUPPRESS,
            metavar=_METAVARS.get(name, name.upper()),
            help=help_text.replace("%", "%%"),
        )


def given_values(namespace: argparse.Namespace) -> dict[str, Any]:
    """The fields set on the command line, from a namespace parsed with ``add_arguments``."""
    return {name: value for name, value in vars(namespace).items() if name in FIELDS}


def _field_help() -> dict[str, str]:
    """Each field's comment in the source of ``TrainConfig``, the help of its flag."""
    try:
        source = inspect.getsource(TrainConfig)
    except (OSError, TypeError):  # no source files (e.g. a zipped install)
        return {}
    pattern = re.compile(r"^    (\w+): [^=]+=[^#]*#\s?(.*)$", re.MULTILINE)
    return {name: comment.strip() for name, comment in pattern.findall(source)}


FIELD_HELP = _field_help()
_METAVARS = {"sizes": "D,H,...,C", "data": "SPEC", "run_dir": "DIR", "batch_size": "N"}


def _argparse_type(name: str):
    def parse(text: str):
        try:
            return convert(name, text)
        except ConfigError as error:
            raise argparse.ArgumentTypeError(str(error).removeprefix(f"{name} ")) from None

    parse.__name__ = name  # argparse names the type in some messages
    return parse


def _convert_sizes(value, fail) -> tuple:
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(",")]
        value = [int(p) if re.fullmatch(r"[+-]?\d+", p) else p for p in parts]
    if not isinstance(value, list | tuple):
        fail("layer widths such as 784,256,10 (or d,256,c)")
    for item in value:
        if not (_is_int(item) or item in INFERRED_SIZES):
            fail("layer widths such as 784,256,10 (or d,256,c): integers, d first, c last")
    return tuple(int(item) if _is_int(item) else item for item in value)


def _check_sizes_pattern(sizes: tuple) -> None:
    expected = "at least an input and an output width, e.g. 784,256,10 or d,256,c"
    if len(sizes) < 2:
        raise ConfigError(f"{_named('sizes')} needs {expected}; got {_show(sizes)}")
    for i, size in enumerate(sizes):
        if size == "d" and i != 0 or size == "c" and i != len(sizes) - 1:
            raise ConfigError(
                f"{_named('sizes')} {_show(sizes)}: d may only be the first width and c only "
                "the last"
            )
        if _is_int(size) and size < 1:
            raise ConfigError(f"{_named('sizes')} {_show(sizes)}: widths must be positive")


def _check_number(value: float, name: str, expected: str, ok: bool) -> None:
    if not (math.isfinite(value) and ok):
        raise ConfigError(f"{_named(name)} must be a finite number {expected}, got {value!r}")


def _named(name: str) -> str:
    return f"{name} ({flag(name)})"


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _show(value) -> str:
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)

"""A run's config file (``--config run.toml``): the fields as keys; an unknown key suggests the
closest field, also for other libraries' names (``learning_rate`` -> ``lr``)."""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from typing import Any

from .config import FIELDS, ConfigError, check_field


def read_config_file(path: str | os.PathLike) -> dict[str, Any]:
    """The fields set in a ``.toml`` or ``.json`` file, each checked by ``check_field``; a
    ``ConfigError`` for a missing, unreadable or malformed file, an unknown key or a bad value."""
    path = os.fspath(path)

    def fail(why: str):
        raise ConfigError(f"config file {path!r}{why}") from None

    suffix = os.path.splitext(path)[1].lower()
    if suffix not in (".toml", ".json"):
        fail(" must end in .toml or .json")
    try:
        with open(path, "rb") as file:
            text = file.read().decode("utf-8")
        values = tomllib.loads(text) if suffix == ".toml" else json.loads(text)
    except FileNotFoundError:
        fail(" does not exist")
    except UnicodeDecodeError as error:
        fail(f" is not UTF-8 text ({error.reason})")
    except OSError as error:
        fail(f" cannot be read: {error.strerror}")
    except tomllib.TOMLDecodeError as error:
        fail(f" is not valid TOML: {error}")
    except json.JSONDecodeError as error:
        fail(f", line {error.lineno}, column {error.colno}: not valid JSON: {error.msg}")
    if not isinstance(values, dict):
        fail(f" must hold a table of keys, got {type(values).__name__}")
    for key in values:
        check_config_key(key, where=f"config file {path!r}: ")
    return {key: check_field(key, value, where=f"{path}: ") for key, value in values.items()}


def check_config_key(key: str, *, where: str = "") -> None:
    """Checks that ``key`` is a field of ``TrainConfig``, suggesting the closest one if not."""
    if key in FIELDS:
        return
    close = closest_field(str(key))
    hint = f"; did you mean {close!r}?" if close else f"; the keys are {list(FIELDS)}"
    raise ConfigError(f"{where}unknown key {key!r}{hint}")


# Names other libraries use for a field, to suggest the field.
ALIASES = {
    alias: field
    for field, aliases in {
        "lr": ("learning_rate", "learning_rate_init"),
        "data": ("dataset",),
        "sizes": ("layers", "hidden_sizes", "hidden_layer_sizes"),
        "hidden": ("activation", "hidden_activation"),
        "output": ("output_activation",),
        "optimizer": ("solver",),
        "l2": ("weight_decay", "alpha"),
        "epochs": ("max_epochs", "max_iter", "n_epochs"),
        "seed": ("random_state",),
        "run_dir": ("out_dir", "output_dir"),
        "patience": ("n_iter_no_change",),
        "weight_column": ("sample_weight", "weights"),
    }.items()
    for alias in aliases
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

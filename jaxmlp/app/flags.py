"""The command line's flags, one per field of ``TrainConfig``, read by ``config.parse_flag``."""

from __future__ import annotations

import argparse
from typing import Any

from .config import BOOLS, CHOICES, FIELDS, flag, parse_flag


def add_arguments(parser: argparse.ArgumentParser, names=None, defaults=None, helps=None) -> None:
    """Adds a flag per field to ``parser``; a flag not given stays out of the namespace
    (``argparse.SUPPRESS``), so that only flags given override a config file.

    Args:
      parser: where the flags go.
      names: the fields to add (default: all).
      defaults: defaults to show instead of ``TrainConfig``'s, by field (a command's own).
      helps: help texts instead of the fields' own, by field.
    """
    for name in names or FIELDS:
        help_text = flag_help(name, defaults, helps)
        options = {"dest": name, "default": argparse.SUPPRESS, "help": help_text}
        if name in BOOLS:
            parser.add_argument(flag(name), action=argparse.BooleanOptionalAction, **options)
            continue
        metavar = _METAVARS.get(name, name.upper())
        parser.add_argument(flag(name), type=_argparse_type(name), metavar=metavar, **options)


def flag_help(name: str, defaults: dict[str, Any] | None = None, helps=None) -> str:
    """The help of field ``name``'s flag: its text, its choices and its default."""
    field = FIELDS[name]
    text = (helps or {}).get(name, field.metadata["help"])
    if name in CHOICES:
        text += f"; one of {', '.join(CHOICES[name])}"
    if defaults and name in defaults:
        shown = _shown(defaults[name])
    else:
        shown = field.metadata.get("shown_default", _shown(field.default))
    return f"{text} (default: {shown})".replace("%", "%%")  # argparse formats help with %


def given_values(namespace: argparse.Namespace) -> dict[str, Any]:
    """The fields set on the command line, from a namespace parsed with ``add_arguments``."""
    return {name: value for name, value in vars(namespace).items() if name in FIELDS}


_METAVARS = {
    "sizes": "D,H,...,C",
    "data": "SPEC",
    "run_dir": "DIR",
    "batch_size": "N",
    "weight_column": "NAME|INDEX",
}


def _argparse_type(name: str):
    def parse(text: str):
        return parse_flag(name, text)

    parse.__name__ = name  # argparse names the type in some messages
    return parse


def _shown(value) -> str:
    """A default as the help shows it: ``d,64,c``, ``true``, ``0.001``."""
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value).lower() if isinstance(value, bool) else str(value)

"""Checks shared by the data loaders: the ``DataError`` they raise, and checked arguments.

Every message names the argument or the file, the value it got, and what was expected, so
that the command line can print it as one line.
"""

from __future__ import annotations

import difflib
import math
import numbers
import os
from collections.abc import Iterable

import jax
import numpy as np

# The smallest magnitude that float32 rounds to infinity (its largest value plus half a unit in
# the last place): a wider float at or beyond it cannot be trained on in float32.
FLOAT32_OVERFLOW = 2.0**128 - 2.0**103


class DataError(ValueError):
    """A dataset could not be made or read: a bad argument, file, or array."""


def check_key(key) -> jax.Array:
    """Checks that ``key`` is a ``jax.random`` key (typed or the legacy ``uint32`` pair)."""
    if isinstance(key, jax.Array):
        if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key) and key.shape == ():
            return key
        if key.dtype == np.uint32 and key.shape == (2,):
            return key
    got = f"{type(key).__name__} {key!r}" if not isinstance(key, jax.Array) else key
    raise TypeError(f"key must be a jax.random key such as jax.random.key(0), got {got}")


def check_count(value, name: str, *, minimum: int = 1) -> int:
    """Checks an integer count such as ``n`` or ``k``: an int, at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise DataError(f"{name}={value!r} must be an integer >= {minimum}")
    return int(value)


def check_real(value, name: str, *, minimum: float = 0.0, strict: bool = False) -> float:
    """Checks a finite real such as ``noise``: ``>= minimum`` (``> minimum`` if ``strict``)."""
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value)
    if ok and (value > minimum if strict else value >= minimum):
        return float(value)
    relation = ">" if strict else ">="
    raise DataError(f"{name}={value!r} must be a finite number {relation} {minimum}")


def check_choice(value, name: str, choices: Iterable[str]) -> str:
    """Checks that ``value`` is one of ``choices``, suggesting the closest one if not."""
    choices = list(choices)
    if isinstance(value, str) and value in choices:
        return value
    close = difflib.get_close_matches(str(value), choices, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise DataError(f"{name}={value!r} is not known; choose one of {choices}{hint}")


def read_bytes(path, what: str = "file") -> bytes:
    """Reads a whole file, turning a missing or unreadable path into a ``DataError``."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError:
        raise DataError(f"{what} {path!r} does not exist") from None
    except IsADirectoryError:
        raise DataError(f"{what} {path!r} is a directory, expected a file") from None
    except PermissionError:
        raise DataError(f"{what} {path!r} is not readable (permission denied)") from None
    except OSError as error:
        raise DataError(f"{what} {path!r} could not be read: {error.strerror or error}") from None


def check_directory(path, what: str = "directory") -> str:
    """Checks that ``path`` is an existing, listable directory; returns it as a string."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise DataError(f"{what} {path!r} does not exist")
    if not os.path.isdir(path):
        raise DataError(f"{what} {path!r} is a file, expected a directory")
    if not os.access(path, os.R_OK | os.X_OK):
        raise DataError(f"{what} {path!r} is not readable (permission denied)")
    return path


def check_features(X, name: str = "X", *, file: str | None = None) -> np.ndarray:
    """Checks features ``X: (n, ...)``: numeric, at least one sample and one feature, finite.

    A wider float than ``float32`` must also fit in ``float32``, which the MLP computes in:
    its values must stay below ``FLOAT32_OVERFLOW`` in magnitude. No copy of ``X`` is kept.
    """
    where = f" in {file!r}" if file else ""
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise DataError(f"{name}{where} must hold numbers, got dtype {X.dtype}")
    if X.ndim < 2:
        raise DataError(f"{name}{where} must have shape (n, d), got shape {X.shape}")
    if X.shape[0] == 0:
        raise DataError(f"{name}{where} has 0 samples; at least 1 is needed")
    if 0 in X.shape[1:]:
        raise DataError(
            f"{name}{where} has no feature columns: shape {X.shape}; each sample needs at "
            "least one feature"
        )
    if X.dtype.kind == "f":
        bad = beyond_float32(X)
        if bad.any():
            index = tuple(int(i) for i in np.argwhere(bad)[0])
            value = X[index]
            if np.isfinite(value):
                raise DataError(
                    f"{name}{where} holds {value} at index {index}, beyond the range of "
                    f"float32 (magnitudes below {FLOAT32_OVERFLOW:.4g}) that the MLP computes "
                    "in; rescale that feature"
                )
            raise DataError(
                f"{name}{where} holds a non-finite value ({value}) at index {index}; "
                "remove or impute NaN and infinite values first"
            )
    return X


def beyond_float32(values: np.ndarray) -> np.ndarray:
    """Where float ``values`` are NaN, infinite, or would become infinite as ``float32``.

    Comparisons only: nothing is cast, so numpy warns about nothing.
    """
    if values.dtype.itemsize <= 4:
        return ~np.isfinite(values)
    return ~(np.abs(values) < FLOAT32_OVERFLOW)  # NaN compares False, so it is caught too


def check_same_length(X, y, names: str = "X, y", *, file: str | None = None) -> None:
    """Checks ``len(X) == len(y)``."""
    if len(X) != len(y):
        x_name, y_name = (s.strip() for s in names.split(","))
        where = f" in {file!r}" if file else ""
        raise DataError(
            f"{x_name} has {len(X)} samples but {y_name} has {len(y)}{where}; "
            "they must have the same length"
        )
